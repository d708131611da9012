"""What a user's signature covers: the statement of each signed act, and its exact bytes.

Kept on the ground floor because two sides need one definition: governance signs these statements with the
user's key (``governance.signing_keys``), and ``audit verify`` rebuilds them from the stored rows to check the
signatures (``audit.signatures``). A statement changed on one side only would make every signature fail.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal, TypedDict

from scalegate.canonical import canonical_json, digest

__all__ = [
    "STATEMENT_FORMAT",
    "AcknowledgementStatement",
    "ConsultationStatement",
    "SignoffStatement",
    "Statement",
    "acknowledgement_statement",
    "consultation_statement",
    "signoff_statement",
    "statement_bytes",
    "statement_time",
]

STATEMENT_FORMAT = "scalegate-statement/v1"
"""Names the statement layout inside every signed byte string, so a signature means one thing only."""


class SignoffStatement(TypedDict):
    """What a sign-off signs: the decision, the signer's role and answer, digests of the bound state and the
    justification's text as given, the policy's hash, the signer, their key and the time."""

    act: Literal["signoff"]
    decision_id: int
    decision_type: str
    subject: str
    role: str
    approve: bool
    justification: str | None
    state: str
    policy: str
    signer: str
    user_id: int
    key_id: str
    at: str


class ConsultationStatement(TypedDict):
    """What a consulted role's response to a proposed policy change signs (``response``: its digest)."""

    act: Literal["consultation"]
    change_id: int
    role: str
    response: str
    signer: str
    user_id: int
    key_id: str
    at: str


class AcknowledgementStatement(TypedDict):
    """What an acknowledgement of a notice signs: the notice, its body's digest, the signer and the time."""

    act: Literal["acknowledgement"]
    notification_id: int
    subject: str
    role: str | None
    body_sha256: str
    signer: str
    user_id: int
    key_id: str
    at: str


Statement = SignoffStatement | ConsultationStatement | AcknowledgementStatement
"""A statement a user's key signs (a key approval's statement is built in ``governance.signing_keys``)."""


def statement_bytes(statement: Mapping[str, object]) -> bytes:
    """The exact bytes a signature covers: canonical JSON of the statement with its format named."""
    return canonical_json({**statement, "format": STATEMENT_FORMAT})


def statement_time(moment: datetime) -> str:
    """A time as a statement writes it (ISO 8601 with its offset)."""
    return moment.isoformat()


def signoff_statement(
    *,
    decision_id: int,
    decision_type: str,
    subject: str,
    role: str,
    approve: bool,
    justification: str | None,
    bound_state: dict[str, Any],
    policy_hash: str,
    signer: str,
    user_id: int,
    key_id: str,
    at: datetime,
) -> SignoffStatement:
    """What a sign-off (or an approval of a policy change) signs."""
    return {
        "act": "signoff",
        "decision_id": decision_id,
        "decision_type": decision_type,
        "subject": subject,
        "role": role,
        "approve": approve,
        "justification": justification,
        "state": digest(bound_state),
        "policy": policy_hash,
        "signer": signer,
        "user_id": user_id,
        "key_id": key_id,
        "at": statement_time(at),
    }


def consultation_statement(
    *,
    change_id: int,
    role: str,
    response: str,
    signer: str,
    user_id: int,
    key_id: str,
    at: datetime,
) -> ConsultationStatement:
    """What a consulted role's response to a proposed policy change (its acknowledgement) signs."""
    return {
        "act": "consultation",
        "change_id": change_id,
        "role": role,
        "response": digest(response),
        "signer": signer,
        "user_id": user_id,
        "key_id": key_id,
        "at": statement_time(at),
    }


def acknowledgement_statement(
    *,
    notification_id: int,
    subject: str,
    role: str | None,
    body_sha256: str,
    signer: str,
    user_id: int,
    key_id: str,
    at: datetime,
) -> AcknowledgementStatement:
    """What a notified role's acknowledgement of a notice signs: which notice, its body's digest, when."""
    return {
        "act": "acknowledgement",
        "notification_id": notification_id,
        "subject": subject,
        "role": role,
        "body_sha256": body_sha256,
        "signer": signer,
        "user_id": user_id,
        "key_id": key_id,
        "at": statement_time(at),
    }
