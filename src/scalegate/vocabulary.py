"""The closed vocabularies of the gate that every layer shares: actions, outcomes and exit codes.

Defined once, here on the ground floor with nothing but ``typing``, so the policy schema (which states rules
per action), the engine, the SDK, the web door and the gate's light start-up path (``gate/fast.py``) all read
the same words without importing each other.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["ACTIONS", "EXIT_CODES", "Action", "Outcome"]

Action = Literal["continue-training", "deploy-internal", "deploy-external"]
"""What the gate is asked about: continue training the run, deploy the model internally, or externally."""

ACTIONS: tuple[Action, ...] = get_args(Action)
"""Every action, in the order the doors list them."""

Outcome = Literal["allow", "restrict", "pause"]
"""`allow`: proceed; `restrict`: proceed only within approved interim measures; `pause`: do not proceed."""

EXIT_CODES: dict[Outcome, int] = {"allow": 0, "pause": 3, "restrict": 4}
"""Exit codes of `scalegate gate` per outcome (2 is bad input, 1 an internal error)."""
