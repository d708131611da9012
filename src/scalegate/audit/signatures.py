"""``audit verify``'s check of users' signatures, in the store.

Two halves, both needed against someone who writes the store with SQL:

1. **The log.** The trust entries (users and roles, key registrations, signed key approvals, signed acts) are
   replayed in order with the offline verifier's own code (``audit.offline.trace_signatures``), so the store
   and an export are judged by one definition: each key must have been approved by an admin's signature, and
   each signed entry must verify under a key approved at that point and owned by its signer.
2. **The rows.** Every sign-off (``signatures``), consultation response (``policy_consultations``) and
   acknowledged notice (``notifications``) is rebuilt into the statement its signer signed, from the row
   (and its decision), and checked against the key the log established, at the log entry that carries it.
   An edited column (verdict, role, justification, time, bound state, signer), a copied signature or an
   inserted row cannot verify without the signer's private key, which only their password opens. Every
   ``user_keys`` row must agree with the key the log registered (same owner and public key) and with its
   approval state.
"""

from __future__ import annotations

import json
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scalegate.audit.offline import (
    TRUST_EVENTS,
    SignatureTrail,
    SigningKey,
    signature_problem,
    trace_signatures,
)
from scalegate.audit.replay import Problem, ProblemKind
from scalegate.statements import (
    Statement,
    acknowledgement_statement,
    consultation_statement,
    signoff_statement,
)
from scalegate.store.models.audit import AuditEntryRow
from scalegate.store.models.governance import (
    DecisionRow,
    NotificationRow,
    PolicyConsultationRow,
    SignatureRow,
)
from scalegate.store.models.identity import UserKeyRow, UserRow

__all__ = ["check_signatures"]


def check_signatures(session: Session) -> tuple[list[Problem], int]:
    """Every problem with users' signatures, in the log and in the rows; and how many signatures verified."""
    trail = _trail(session)
    problems = [Problem(_kind(kind), message, seq=seq) for seq, kind, message in trail.problems]
    names = {user_id: name for user_id, name in session.execute(select(UserRow.id, UserRow.name))}
    problems += _check_signoffs(session, trail)
    problems += _check_consultations(session, trail, names)
    problems += _check_acknowledgements(session, trail, names)
    problems += _check_keys(session, trail)
    return problems, trail.verified


def _kind(kind: str) -> Any:
    return kind if kind in ("signature_missing", "signature_invalid", "signature_key") else "malformed_entry"


def _trail(session: Session) -> SignatureTrail:
    stmt = (
        select(AuditEntryRow.seq, AuditEntryRow.body)
        .where(AuditEntryRow.event.in_(sorted(TRUST_EVENTS)))
        .order_by(AuditEntryRow.seq)
    )
    entries = []
    for seq, body in session.execute(stmt):
        try:
            entries.append((seq, json.loads(body)))
        except ValueError:
            continue  # the log check reports a malformed body
    return trace_signatures(entries)


def _row_problem(trail: SignatureTrail, row: Any, statement: Statement, at: datetime) -> str | None:
    if row.signature is None or row.key_id is None:
        return "carries no signature"
    seq = trail.entry_of.get(row.signature)
    if seq is None:
        return "no entry of the log carries this signature"
    signature = {"statement": statement, "key_id": row.key_id, "value": row.signature}
    return signature_problem(trail, seq, signature, user_id=statement["user_id"], at=at)


def _check_signoffs(session: Session, trail: SignatureTrail) -> list[Problem]:
    problems = []
    stmt = select(SignatureRow, DecisionRow).join(DecisionRow, DecisionRow.id == SignatureRow.decision_id)
    for row, decision in session.execute(stmt.order_by(SignatureRow.id)):
        if row.key_id is None:
            why: str | None = "carries no signature"
        else:
            statement = signoff_statement(
                decision_id=decision.id,
                decision_type=decision.decision_type,
                subject=decision.subject,
                role=row.role,
                approve=row.approve,
                justification=row.justification,
                bound_state=row.bound_state,
                policy_hash=decision.policy_hash,
                signer=row.signer,
                user_id=row.user_id,
                key_id=row.key_id,
                at=row.signed_at,
            )
            why = _row_problem(trail, row, statement, row.signed_at)
        if why is None and row.bound_state != decision.bound_state:
            why = "the decision's bound state differs from the state this sign-off signed"
        if why is not None:
            kind: ProblemKind = "signature_missing" if row.signature is None else "signature_invalid"
            problems.append(
                Problem(kind, f"sign-off of decision {decision.id}: {why}", table="signatures", pk=row.id)
            )
    return problems


def _check_consultations(session: Session, trail: SignatureTrail, names: dict[int, str]) -> list[Problem]:
    problems = []
    stmt = select(PolicyConsultationRow).order_by(PolicyConsultationRow.id)
    ids = {name: user_id for user_id, name in names.items()}
    for row in session.execute(stmt).scalars():
        user_id = ids.get(row.consultee)
        if row.key_id is None or user_id is None:
            why: str | None = "carries no signature" if row.key_id is None else "names no known user"
        else:
            statement = consultation_statement(
                change_id=row.change_id,
                role=row.role,
                response=row.response,
                signer=row.consultee,
                user_id=user_id,
                key_id=row.key_id,
                at=row.consulted_at,
            )
            why = _row_problem(trail, row, statement, row.consulted_at)
        if why is not None:
            kind: ProblemKind = "signature_missing" if row.signature is None else "signature_invalid"
            problems.append(
                Problem(
                    kind,
                    f"response to policy change {row.change_id}: {why}",
                    table="policy_consultations",
                    pk=row.id,
                )
            )
    return problems


def _check_acknowledgements(session: Session, trail: SignatureTrail, names: dict[int, str]) -> list[Problem]:
    problems = []
    ids = {name: user_id for user_id, name in names.items()}
    stmt = (
        select(NotificationRow)
        .where(NotificationRow.acknowledged_by.is_not(None))
        .order_by(NotificationRow.id)
    )
    for row in session.execute(stmt).scalars():
        user_id = ids.get(row.acknowledged_by or "")
        if row.ack_key_id is None or row.acknowledged_at is None or user_id is None:
            why: str | None = "carries no signature, or names no known user"
        else:
            statement = acknowledgement_statement(
                notification_id=row.id,
                subject=row.subject,
                role=row.role,
                body_sha256=row.body_sha256,
                signer=row.acknowledged_by or "",
                user_id=user_id,
                key_id=row.ack_key_id,
                at=row.acknowledged_at,
            )
            signed = SimpleNamespace(signature=row.ack_signature, key_id=row.ack_key_id)
            why = _row_problem(trail, signed, statement, row.acknowledged_at)
        if why is not None:
            kind: ProblemKind = "signature_missing" if row.ack_signature is None else "signature_invalid"
            message = f"acknowledgement of notification {row.id}: {why}"
            problems.append(Problem(kind, message, table="notifications", pk=row.id))
    return problems


def _status(key: SigningKey) -> str:
    if key.retired_seq is not None:
        return "retired"
    return "approved" if key.approved_seq is not None else "pending"


def _check_keys(session: Session, trail: SignatureTrail) -> list[Problem]:
    problems = []
    for row in session.execute(select(UserKeyRow).order_by(UserKeyRow.id)).scalars():
        key = trail.keys.get(row.key_id)
        if key is None:
            why = "the log never registered this key"
        elif key.user_id != row.user_id or key.public_key.hex() != row.public_key:
            why = f"owner or public key differ from the key the log registered for {key.user}"
        elif _status(key) != row.status:
            why = f"status {row.status!r}, but the log makes it {_status(key)!r}"
        else:
            continue
        problems.append(
            Problem("signature_key", f"signing key {row.key_id[:16]}: {why}", table="user_keys", pk=row.id)
        )
    return problems
