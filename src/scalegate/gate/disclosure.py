"""What a caller without credentials may learn of a verdict: what the public summary publishes, no more.

The public summary (``scalegate.reports.public``) publishes, per checkpoint, the gate's outcome for each
action, the required safeguard levels and the policy it was decided under; it withholds estimates,
intervals, thresholds and evidence hashes (RSP v2.2 §7.2: key information "not including sensitive
details"). A verdict's reasons carry exactly those details, so a caller who presents no credential gets the
outcome (and the exit code that follows from it) without the reasons, restrictions, errors or the time until
which it holds.
"""

from __future__ import annotations

from typing import Any

__all__ = ["PUBLIC_FIELDS", "public_verdict"]

PUBLIC_FIELDS = ("ref", "action", "outcome", "exit_code", "decided_at", "policy", "required")
"""Fields of a verdict document that the public summary also publishes."""

WITHHELD_NOTE = "reasons withheld: sign in or send an API token (Authorization: Bearer ...) to read them"


def public_verdict(document: dict[str, Any]) -> dict[str, Any]:
    """The public view of a verdict document (``Verdict.to_dict()``): the public fields, the lists a client
    expects present but empty, and ``public: true`` with a note saying how to read the rest."""
    view: dict[str, Any] = {key: document.get(key) for key in PUBLIC_FIELDS}
    view.update({"restrictions": [], "reasons": [], "errors": [], "valid_until": None, "public": True})
    view["note"] = WITHHELD_NOTE
    return view
