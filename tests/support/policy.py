"""The active policy of a workspace, for a test that inspects it between service calls.

Services read the policy only through their ``Context``; a test that wants to look at it (to pick a role, a
threshold, the recorded hash) opens a reading context of its own, as here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scalegate.context import ActivePolicy
    from scalegate.policy import Policy
    from scalegate.workspace import Workspace


def active_of(workspace: Workspace) -> ActivePolicy:
    """The hash-checked active policy version a reading context sees now."""
    with workspace.reading() as ctx:
        return ctx.active


def policy_of(workspace: Workspace) -> Policy:
    """The active policy a reading context sees now."""
    return active_of(workspace).policy
