"""Validated inputs of the registry: what a checkpoint report or a reference point must contain.

The CLI, the importer, the SDK and the web API all build these, so a bad value is refused the same way
everywhere, before anything is written.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from scalegate.errors import InputError
from scalegate.fields import Instant, NonNegativeInt64
from scalegate.inputs import MAX_NAME_LENGTH
from scalegate.store.models.registry import Stage

__all__ = [
    "MAX_FLOP",
    "MAX_LOSS",
    "MIN_FLOP",
    "NAME_PATTERN",
    "CheckpointSpec",
    "ReferencePoint",
    "first_problem",
    "validated",
]

MAX_FLOP = 1e40
"""Largest training compute accepted, in FLOP: some fourteen orders of magnitude beyond today's largest runs,
and far enough below the float limit that ratios and fits of such values stay finite."""

MIN_FLOP = 1.0
"""Smallest reference compute and effective compute, in FLOP: a smaller value is a unit mistake."""

MAX_LOSS = 1e6
"""Largest held-out loss accepted (losses are nats or bits per token: single digits in practice)."""

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._\-]*$"
"""Model, run and checkpoint names: no `@` or `/`, so `MODEL@CHECKPOINT` references stay unambiguous."""


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _finite_positive(values: dict[str, float], what: str, *, allow_zero: bool = False) -> dict[str, float]:
    for key, value in values.items():
        if not key:
            raise ValueError(f"{what} needs a dataset name")
        if len(key) > MAX_NAME_LENGTH:
            raise ValueError(f"{what} dataset name is longer than {MAX_NAME_LENGTH} characters")
        if not math.isfinite(value) or value < 0 or value > MAX_LOSS or (value == 0 and not allow_zero):
            raise ValueError(
                f"{what} for {key!r} must be a {'non-negative' if allow_zero else 'positive'} number at most "
                f"{MAX_LOSS:g}, got {value}"
            )
    return values


class CheckpointSpec(_Input):
    """A checkpoint as reported by training infrastructure."""

    name: str = Field(min_length=1, max_length=MAX_NAME_LENGTH, pattern=NAME_PATTERN)
    """Checkpoint name, unique within its model, e.g. `step-12000`."""
    step: NonNegativeInt64
    """Training step."""
    training_flops: float = Field(ge=0, le=MAX_FLOP, allow_inf_nan=False)
    """Training compute spent so far, in FLOP."""
    recorded_at: Instant | None = None
    """When the checkpoint was taken (default: now)."""
    stage: Stage = "pretraining"
    """pretraining, mid-training, post-training or deployed."""
    run: str | None = Field(default=None, max_length=MAX_NAME_LENGTH, pattern=NAME_PATTERN)
    """Training run it belongs to (must be registered)."""
    losses: dict[str, float] = Field(default_factory=dict)
    """Held-out loss per dataset."""
    weights: dict[str, float] = Field(default_factory=dict)
    """Weight of each dataset in the aggregate loss (default 1 each)."""

    @field_validator("recorded_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)

    @field_validator("losses")
    @classmethod
    def _losses(cls, value: dict[str, float]) -> dict[str, float]:
        return _finite_positive(value, "loss")

    @field_validator("weights")
    @classmethod
    def _weights(cls, value: dict[str, float]) -> dict[str, float]:
        return _finite_positive(value, "weight", allow_zero=True)


class ReferencePoint(_Input):
    """A (compute, loss) point of the baseline recipe; losses per dataset, or one aggregate under `loss`."""

    compute: float = Field(ge=MIN_FLOP, le=MAX_FLOP, allow_inf_nan=False)
    """Training compute of the baseline model, in FLOP."""
    losses: dict[str, float] = Field(min_length=1)
    """Held-out loss per dataset (a single aggregate is stored under the dataset name `loss`)."""

    @field_validator("losses")
    @classmethod
    def _losses(cls, value: dict[str, float]) -> dict[str, float]:
        return _finite_positive(value, "loss")


def first_problem(exc: ValidationError) -> str:
    """The first validation problem as `field: message`."""
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"]) or "value"
    return f"{field}: {str(err['msg']).removeprefix('Value error, ')}"


def validated(model: type[_Input], data: dict[str, Any], where: str | None = None) -> Any:
    """Build ``model`` from ``data`` or raise a one-line ``InputError``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError(first_problem(exc), where=where) from exc
