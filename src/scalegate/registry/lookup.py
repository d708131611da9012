"""Finding registry rows: a model or run by name, a checkpoint by reference, a model's or family's
checkpoints.

These reads are what every other registry module, and every domain above it, needs first. They sit apart from
the write services (``service``: registering; ``assessments_due``: assessment records and deadlines) so that
both can use them without importing each other.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scalegate.errors import NotFoundError
from scalegate.store.base import row_values
from scalegate.store.models.registry import CheckpointRow, ModelRow, TrainingRunRow

__all__ = [
    "checkpoint_dict",
    "family_checkpoints",
    "get_model",
    "get_run",
    "model_checkpoints",
    "resolve_checkpoint",
]


def get_model(session: Session, name: str) -> ModelRow:
    """A model by name; NotFoundError otherwise."""
    row = session.execute(select(ModelRow).where(ModelRow.name == name)).scalar_one_or_none()
    if row is None:
        raise NotFoundError(f"no model {name!r} is registered")
    return row


def get_run(session: Session, model: ModelRow, name: str) -> TrainingRunRow:
    """A run of a model by name; NotFoundError otherwise."""
    row = session.execute(
        select(TrainingRunRow).where(TrainingRunRow.model_id == model.id, TrainingRunRow.name == name)
    ).scalar_one_or_none()
    if row is None:
        raise NotFoundError(f"no run {name!r} for model {model.name!r} is registered")
    return row


_REF = re.compile(r"^(?P<model>[^@\s]+)(?:@(?P<checkpoint>[^@\s]+))?$")


def resolve_checkpoint(session: Session, ref: str) -> CheckpointRow:
    """``MODEL`` (its latest checkpoint by recorded date, then step) or ``MODEL@CHECKPOINT``."""
    match = _REF.match(ref.strip()) if ref else None
    if match is None:
        raise NotFoundError(f"{ref!r} is not a checkpoint reference: use MODEL or MODEL@CHECKPOINT")
    model = get_model(session, match["model"])
    query = select(CheckpointRow).where(CheckpointRow.model_id == model.id)
    if match["checkpoint"]:
        row = session.execute(query.where(CheckpointRow.name == match["checkpoint"])).scalar_one_or_none()
        if row is None:
            raise NotFoundError(f"model {model.name!r} has no checkpoint {match['checkpoint']!r}")
        return row
    latest = (
        session.execute(
            query.order_by(
                CheckpointRow.recorded_at.desc(), CheckpointRow.step.desc(), CheckpointRow.id.desc()
            ).limit(1)
        )
        .scalars()
        .first()
    )
    if latest is None:
        raise NotFoundError(f"model {model.name!r} has no checkpoints yet")
    return latest


def model_checkpoints(session: Session, model: str) -> list[CheckpointRow]:
    """A model's checkpoints in recorded order."""
    owner = get_model(session, model)
    return list(
        session.execute(
            select(CheckpointRow)
            .where(CheckpointRow.model_id == owner.id)
            .order_by(CheckpointRow.recorded_at, CheckpointRow.step, CheckpointRow.id)
        ).scalars()
    )


def family_checkpoints(session: Session, family: str) -> list[CheckpointRow]:
    """Every checkpoint of every model in ``family``, by effective compute (unknown last), then date."""
    rows = (
        session.execute(
            select(CheckpointRow)
            .join(ModelRow, CheckpointRow.model_id == ModelRow.id)
            .where(ModelRow.family == family)
            .order_by(CheckpointRow.recorded_at, CheckpointRow.step, CheckpointRow.id)
        )
        .scalars()
        .all()
    )
    return sorted(rows, key=lambda r: (r.effective_compute is None, r.effective_compute or 0.0))


def checkpoint_dict(row: CheckpointRow) -> dict[str, Any]:
    """A checkpoint as JSON: its columns, its reference, model, family and losses."""
    values = row_values(row)
    values |= {
        "ref": row.ref,
        "model": row.model.name,
        "family": row.model.family,
        "losses": {m.dataset: {"loss": m.loss, "weight": m.weight} for m in row.losses},
    }
    return values
