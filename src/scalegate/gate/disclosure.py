"""What a caller without credentials may learn of a verdict: what the public summary publishes, no more.

The public summary (``scalegate.reports.public``) publishes, per checkpoint, the gate's outcome for each
action, the required safeguard levels and the policy it was decided under; it withholds estimates,
intervals, thresholds and evidence hashes (RSP v2.2 §7.2: key information "not including sensitive
details"). A verdict's reasons carry exactly those details, so a caller who presents no credential gets the
outcome (and the exit code that follows from it) without the reasons, restrictions, errors or the time until
which it holds.
"""

from __future__ import annotations

from typing import Any, TypedDict

from scalegate.jsonable import JsonValue

__all__ = ["PUBLIC_FIELDS", "PublicVerdict", "public_verdict"]

PUBLIC_FIELDS = ("ref", "action", "outcome", "exit_code", "decided_at", "policy", "required")
"""Fields of a verdict document that the public summary also publishes."""

WITHHELD_NOTE = "reasons withheld: sign in or send an API token (Authorization: Bearer ...) to read them"


class PublicVerdict(TypedDict):
    """A verdict document as a caller without credentials reads it: the ``PUBLIC_FIELDS`` as the document
    has them, the withheld lists empty, ``public: true`` and how to read the rest."""

    ref: JsonValue
    action: JsonValue
    outcome: JsonValue
    exit_code: JsonValue
    decided_at: JsonValue
    policy: JsonValue
    required: JsonValue
    restrictions: list[JsonValue]
    reasons: list[JsonValue]
    errors: list[JsonValue]
    valid_until: None
    public: bool
    note: str


def public_verdict(document: dict[str, Any]) -> PublicVerdict:
    """The public view of a verdict document (``Verdict.to_dict()``, or its JSON read back): the public
    fields, the lists a client expects present but empty, and ``public: true`` with a note saying how to
    read the rest."""
    return {
        "ref": document.get("ref"),
        "action": document.get("action"),
        "outcome": document.get("outcome"),
        "exit_code": document.get("exit_code"),
        "decided_at": document.get("decided_at"),
        "policy": document.get("policy"),
        "required": document.get("required"),
        "restrictions": [],
        "reasons": [],
        "errors": [],
        "valid_until": None,
        "public": True,
        "note": WITHHELD_NOTE,
    }
