"""Tables of the governance domain: decisions and sign-offs, notifications, policy changes, noncompliance
reports and compliance events (people and their credentials are ``scalegate.store.models.identity``).

Rows are written only by ``scalegate.governance``; each write is recorded in the audit log with the row
digests.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scalegate.store.base import Base
from scalegate.store.models import identity, workspace  # noqa: F401  (defines the tables its foreign keys name)

__all__ = [
    "ComplianceEventRow",
    "DecisionRow",
    "NoncomplianceEventRow",
    "NoncomplianceReportRow",
    "NoncomplianceSummaryRow",
    "NotificationRow",
    "PolicyChangeRow",
    "PolicyConsultationRow",
    "SignatureRow",
]


class DecisionRow(Base):
    """A human decision awaiting or holding sign-offs, bound to digests of exactly what it decides on."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_type: Mapped[str] = mapped_column(String(40), index=True)
    subject: Mapped[str] = mapped_column(String(300), index=True)
    payload: Mapped[dict[str, Any]]
    bound_state: Mapped[dict[str, Any]]
    policy_version_id: Mapped[int] = mapped_column(ForeignKey("policy_versions.id"))
    policy_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))  # open | approved | rejected | superseded
    opened_by: Mapped[str] = mapped_column(String(200))
    opened_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class SignatureRow(Base):
    """One sign-off (approve or reject) of a decision by one person in one role."""

    __tablename__ = "signatures"
    __table_args__ = (UniqueConstraint("decision_id", "role", name="uq_signatures_decision_role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), index=True)
    role: Mapped[str] = mapped_column(String(50))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    signer: Mapped[str] = mapped_column(String(100))
    approve: Mapped[bool] = mapped_column(Boolean)
    justification: Mapped[str | None] = mapped_column(Text)
    bound_state: Mapped[dict[str, Any]]
    policy_version_id: Mapped[int] = mapped_column(ForeignKey("policy_versions.id"))
    signed_at: Mapped[datetime]
    key_id: Mapped[str | None] = mapped_column(String(64))
    """The signer's key (``user_keys.key_id``); null only for sign-offs made before users had keys."""
    signature: Mapped[str | None] = mapped_column(String(128))
    """Hex Ed25519 signature over the sign-off's statement (``governance.signing_keys.signoff_statement``)."""


class NotificationRow(Base):
    """A message sent through a notifier, with the delivery proof the channel returned."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(
        String(20), index=True
    )  # decision | government | noncompliance | summary
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"), index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("noncompliance_reports.id"))
    subject: Mapped[str] = mapped_column(String(300))
    role: Mapped[str | None] = mapped_column(String(50))
    timing: Mapped[str | None] = mapped_column(String(20))
    recipients: Mapped[list[Any]]
    channel: Mapped[str] = mapped_column(String(20))
    message_id: Mapped[str] = mapped_column(String(300))
    body_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))  # delivered | failed
    sent_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    proof: Mapped[dict[str, Any]]
    error: Mapped[str | None] = mapped_column(Text)
    sent_by: Mapped[str] = mapped_column(String(200))
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))
    """The holder of the notified role who acknowledged the notice, signing it with their key."""
    acknowledged_at: Mapped[datetime | None]
    ack_key_id: Mapped[str | None] = mapped_column(String(64))
    ack_signature: Mapped[str | None] = mapped_column(String(128))
    """Hex Ed25519 signature over the acknowledgement (``signing_keys.acknowledgement_statement``)."""


class PolicyChangeRow(Base):
    """A proposed change of the active policy, through consultation, approval, publication and activation."""

    __tablename__ = "policy_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposed_version_id: Mapped[int] = mapped_column(ForeignKey("policy_versions.id"), unique=True)
    base_version_id: Mapped[int] = mapped_column(ForeignKey("policy_versions.id"))
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"))
    status: Mapped[str] = mapped_column(String(20))  # proposed | approved | published | active | rejected
    rationale: Mapped[str] = mapped_column(Text, default="")
    diff: Mapped[list[Any]]
    proposed_by: Mapped[str] = mapped_column(String(200))
    proposed_at: Mapped[datetime]
    effective_at: Mapped[datetime]
    approved_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    publication_url: Mapped[str | None] = mapped_column(String(2000))
    activated_at: Mapped[datetime | None]


class PolicyConsultationRow(Base):
    """The response of a consulted role (the LTBT) to a proposed policy change."""

    __tablename__ = "policy_consultations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("policy_changes.id"), index=True)
    role: Mapped[str] = mapped_column(String(50))
    consultee: Mapped[str] = mapped_column(String(100))
    response: Mapped[str] = mapped_column(Text)
    consulted_at: Mapped[datetime]
    key_id: Mapped[str | None] = mapped_column(String(64))
    """The consultee's key; null only for responses recorded before users had keys."""
    signature: Mapped[str | None] = mapped_column(String(128))
    """Hex Ed25519 signature over the response's statement (``signing_keys.consultation_statement``)."""


class NoncomplianceReportRow(Base):
    """A report of potential noncompliance. An anonymous report has no column that could identify its author:
    no user, address, session or client detail is ever written (``reporter`` stays null)."""

    __tablename__ = "noncompliance_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    received_at: Mapped[datetime]
    description: Mapped[str] = mapped_column(Text)
    concerning_role: Mapped[str | None] = mapped_column(String(50))
    routed_to: Mapped[str] = mapped_column(String(50))
    material_risk: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(30))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    reporter: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime]


class NoncomplianceEventRow(Base):
    """A lifecycle step of a report, taken by a handler in the role the report was routed to."""

    __tablename__ = "noncompliance_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("noncompliance_reports.id"), index=True)
    from_status: Mapped[str] = mapped_column(String(30))
    to_status: Mapped[str] = mapped_column(String(30))
    handler: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime]
    note: Mapped[str] = mapped_column(Text, default="")


class NoncomplianceSummaryRow(Base):
    """A periodic (quarterly) roll-up of reports without material risk, as counts only."""

    __tablename__ = "noncompliance_summaries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    counts: Mapped[dict[str, Any]]
    generated_at: Mapped[datetime]
    generated_by: Mapped[str] = mapped_column(String(200))


class ComplianceEventRow(Base):
    """A recurring obligation carried out: a procedural review, a public update, a drill, a summary."""

    __tablename__ = "compliance_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cadence_id: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    completed_at: Mapped[datetime]
    recorded_at: Mapped[datetime]
    recorded_by: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    evidence_uri: Mapped[str | None] = mapped_column(String(2000))
