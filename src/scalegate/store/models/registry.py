"""Tables of the registry domain: models, training runs, checkpoints and their held-out losses, post-training
enhancements, scaling-law fits, assessment records and the compliance findings that overdue assessments
create.

Closed vocabularies are ``Literal`` aliases documented here once; columns store them as short strings.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scalegate.store.base import Base

__all__ = [
    "AssessmentKind",
    "AssessmentRow",
    "AssessmentStatus",
    "CheckpointRow",
    "ComplianceFindingRow",
    "EffectiveComputeMethod",
    "EnhancementKind",
    "EnhancementRow",
    "LossMeasurementRow",
    "ModelRow",
    "ScalingFitRow",
    "Stage",
    "TrainingRunRow",
    "TriggerKind",
]

Stage = Literal["pretraining", "mid-training", "post-training", "deployed"]
"""Where a checkpoint stands in a model's life."""

EnhancementKind = Literal["fine-tuning", "scaffolding", "tool-use", "prompting", "other"]
"""Post-training enhancements that add capability without more pretraining compute."""

EffectiveComputeMethod = Literal["scaling_law", "flops_multiplier"]
"""How a checkpoint's effective compute was obtained: inverted from its held-out loss through the fitted
scaling law of the baseline recipe, or training FLOPs times a declared algorithmic multiplier (the
fallback)."""

AssessmentKind = Literal["comprehensive", "preliminary"]
"""RSP v2 §3.1-3.2: a preliminary assessment decides whether a comprehensive one is needed."""

AssessmentStatus = Literal["open", "completed"]
"""An assessment is open until completed; overdue is derived from ``due_at`` and the clock."""

TriggerKind = Literal[
    "effective_compute", "calendar", "safety_buffer", "discretionary", "event", "unscheduled"
]
"""What called for an assessment. ``unscheduled`` marks a completed assessment recorded without a prior
trigger (e.g. the first baseline)."""


class ModelRow(Base):
    """A model: a lineage of checkpoints with an owner, in a family that shares a baseline recipe."""

    __tablename__ = "models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    family: Mapped[str] = mapped_column(String(200), index=True)
    owner: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class TrainingRunRow(Base):
    """A training run of a model; it may declare the algorithmic multiplier of its recipe."""

    __tablename__ = "training_runs"
    __table_args__ = (UniqueConstraint("model_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    algorithmic_multiplier: Mapped[float | None] = mapped_column(Float)
    started_at: Mapped[datetime | None]
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class ScalingFitRow(Base):
    """A fitted scaling law L(C) = E + A·C^(-alpha) of a family's baseline recipe, with its inputs.

    ``covariance`` is the 3x3 covariance of (ln E, ln A0, alpha) where A0 is the amplitude at
    ``compute_scale`` (the fit is done on C / compute_scale for numerical stability); ``A`` is the amplitude
    in absolute units.
    """

    __tablename__ = "scaling_fits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family: Mapped[str] = mapped_column(String(200), index=True)
    E: Mapped[float] = mapped_column(Float)
    A: Mapped[float] = mapped_column(Float)
    alpha: Mapped[float] = mapped_column(Float)
    compute_scale: Mapped[float] = mapped_column(Float)
    covariance: Mapped[list[Any]]
    inputs: Mapped[dict[str, Any]]
    n_points: Mapped[int] = mapped_column(Integer)
    rmse_log: Mapped[float] = mapped_column(Float)
    confidence_level: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20))  # active | superseded
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))


class CheckpointRow(Base):
    """A checkpoint of a model: training compute and (once known) effective compute with its interval."""

    __tablename__ = "checkpoints"
    __table_args__ = (
        UniqueConstraint("model_id", "name"),
        # A model's checkpoints in recorded order: its latest and a window of them, without sorting them all.
        Index("ix_checkpoints_model_order", "model_id", "recorded_at", "step", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("training_runs.id"))
    name: Mapped[str] = mapped_column(String(200))
    step: Mapped[int] = mapped_column(BigInteger)
    training_flops: Mapped[float] = mapped_column(Float)
    recorded_at: Mapped[datetime]
    stage: Mapped[Stage] = mapped_column(String(20))
    aggregate_loss: Mapped[float | None] = mapped_column(Float)
    effective_compute: Mapped[float | None] = mapped_column(Float)
    effective_compute_low: Mapped[float | None] = mapped_column(Float)
    effective_compute_high: Mapped[float | None] = mapped_column(Float)
    effective_compute_method: Mapped[EffectiveComputeMethod | None] = mapped_column(String(20))
    fit_id: Mapped[int | None] = mapped_column(ForeignKey("scaling_fits.id"))
    created_at: Mapped[datetime]

    model: Mapped[ModelRow] = relationship(lazy="joined", innerjoin=True)
    losses: Mapped[list[LossMeasurementRow]] = relationship(
        lazy="selectin", order_by="LossMeasurementRow.dataset", back_populates="checkpoint"
    )

    @property
    def ref(self) -> str:
        """``MODEL@CHECKPOINT``."""
        return f"{self.model.name}@{self.name}"


class LossMeasurementRow(Base):
    """Held-out loss of a checkpoint on one dataset, with the dataset's weight in the aggregate."""

    __tablename__ = "loss_measurements"
    __table_args__ = (UniqueConstraint("checkpoint_id", "dataset"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("checkpoints.id"), index=True)
    dataset: Mapped[str] = mapped_column(String(200))
    loss: Mapped[float] = mapped_column(Float)
    weight: Mapped[float] = mapped_column(Float, default=1.0)

    checkpoint: Mapped[CheckpointRow] = relationship(back_populates="losses")


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
