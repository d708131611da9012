"""Tables of the registry domain: models, training runs, checkpoints and their held-out losses, and
scaling-law fits (post-training enhancements, assessment records and compliance findings are
``scalegate.store.models.assessments``).

Closed vocabularies are ``Literal`` aliases documented here once; columns store them as short strings.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scalegate.store.base import Base

__all__ = [
    "CheckpointRow",
    "EffectiveComputeMethod",
    "LossMeasurementRow",
    "ModelRow",
    "ScalingFitRow",
    "Stage",
    "TrainingRunRow",
]

Stage = Literal["pretraining", "mid-training", "post-training", "deployed"]
"""Where a checkpoint stands in a model's life."""

EffectiveComputeMethod = Literal["scaling_law", "flops_multiplier"]
"""How a checkpoint's effective compute was obtained: inverted from its held-out loss through the fitted
scaling law of the baseline recipe, or training FLOPs times a declared algorithmic multiplier (the
fallback)."""


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
