"""Tables of the assessments a policy calls for: post-training enhancements (one of the triggers), assessment
records, and the compliance findings that overdue assessments create.

They are apart from the registry's models and checkpoints (``scalegate.store.models.registry``), which almost
every command reads, so that a command such as ``evidence ingest`` defines only the tables it uses.

Closed vocabularies are ``Literal`` aliases documented here once; columns store them as short strings.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scalegate.store.base import Base
from scalegate.store.models.registry import CheckpointRow

__all__ = [
    "AssessmentKind",
    "AssessmentRow",
    "AssessmentStatus",
    "ComplianceFindingRow",
    "EnhancementKind",
    "EnhancementRow",
    "TriggerKind",
]

EnhancementKind = Literal["fine-tuning", "scaffolding", "tool-use", "prompting", "other"]
"""Post-training enhancements that add capability without more pretraining compute."""

AssessmentKind = Literal["comprehensive", "preliminary"]
"""RSP v2 §3.1-3.2: a preliminary assessment decides whether a comprehensive one is needed."""

AssessmentStatus = Literal["open", "completed"]
"""An assessment is open until completed; overdue is derived from ``due_at`` and the clock."""

TriggerKind = Literal[
    "effective_compute", "calendar", "safety_buffer", "discretionary", "event", "unscheduled"
]
"""What called for an assessment. ``unscheduled`` marks a completed assessment recorded without a prior
trigger (e.g. the first baseline)."""


class EnhancementRow(Base):
    """A post-training enhancement (fine-tuning, scaffolding, tool use) applied to a model, with its dates."""

    __tablename__ = "enhancements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"), index=True)
    checkpoint_id: Mapped[int | None] = mapped_column(ForeignKey("checkpoints.id"))
    kind: Mapped[EnhancementKind] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class AssessmentRow(Base):
    """An assessment the policy calls for: what triggered it, when it is due, and when it was completed.

    ``trigger_key`` makes opening idempotent: the same firing (trigger, model or family, baseline) never opens
    two records. The last completed comprehensive assessment of a family is its baseline.
    """

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"), index=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("checkpoints.id"), index=True)
    kind: Mapped[AssessmentKind] = mapped_column(String(20))
    trigger: Mapped[TriggerKind] = mapped_column(String(30))
    trigger_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    triggered_at: Mapped[datetime]
    due_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    status: Mapped[AssessmentStatus] = mapped_column(String(20))
    clause: Mapped[str] = mapped_column(String(300))
    detail: Mapped[dict[str, Any]]
    requested_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]

    checkpoint: Mapped[CheckpointRow] = relationship(lazy="joined", innerjoin=True)


class ComplianceFindingRow(Base):
    """A detected compliance problem, e.g. an assessment past its deadline; one row per subject and kind.

    ``kind`` is e.g. `assessment_overdue`; ``subject`` names what it concerns (`assessment:12`); ``days_late``
    is whole days past the deadline (final once the obligation is met); ``clause`` cites the policy.
    """

    __tablename__ = "compliance_findings"
    __table_args__ = (UniqueConstraint("kind", "subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(50), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    detail: Mapped[dict[str, Any]]
    clause: Mapped[str] = mapped_column(String(300))
    detected_at: Mapped[datetime]
    days_late: Mapped[int] = mapped_column(Integer)
