"""Finding registry rows: a model or run by name, a checkpoint by reference, a model's or family's
checkpoints.

These reads are what every other registry module, and every domain above it, needs first. They sit apart from
the write services (``service``: registering; ``assessments_due``: assessment records and deadlines) so that
both can use them without importing each other.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from scalegate.clock import MAX_FUTURE_SKEW
from scalegate.errors import NotFoundError
from scalegate.jsonable import JsonObject
from scalegate.store.base import row_values
from scalegate.store.models.registry import CheckpointRow, ModelRow, TrainingRunRow

__all__ = [
    "WINDOW_MAX",
    "CheckpointEntry",
    "CheckpointWindow",
    "checkpoint_dict",
    "checkpoint_window",
    "dated_ahead",
    "effective_recorded_at",
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
    ordered = query.order_by(
        CheckpointRow.recorded_at.desc(), CheckpointRow.step.desc(), CheckpointRow.id.desc()
    )
    latest = session.execute(ordered.limit(1)).scalars().first()
    if latest is None:
        raise NotFoundError(f"model {model.name!r} has no checkpoints yet")
    if not dated_ahead(latest):
        return latest
    for row in session.execute(ordered).scalars():  # rare: skip the rows dated ahead, newest first
        if not dated_ahead(row):
            return row
    return latest  # every checkpoint is dated ahead: the order is all there is


def dated_ahead(row: CheckpointRow) -> bool:
    """Whether a checkpoint's recorded date lies further after the moment it was stored than clocks disagree
    (``scalegate.clock.MAX_FUTURE_SKEW``): a date no machine could have read then, so it cannot make the
    checkpoint a model's latest (a row dated 9999-12-31 would stay latest forever)."""
    return row.recorded_at - row.created_at > MAX_FUTURE_SKEW


def effective_recorded_at(row: CheckpointRow) -> datetime:
    """The checkpoint's recorded date, or when it was stored if it is dated ahead of that (``dated_ahead``):
    what triggers and deadlines count from, so a future date cannot push a deadline out."""
    return row.created_at if dated_ahead(row) else row.recorded_at


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


@dataclass(frozen=True)
class CheckpointEntry:
    """What a list of checkpoints shows of one: its columns, without its losses or its model row."""

    id: int
    name: str
    ref: str
    step: int
    recorded_at: datetime
    stage: str
    effective_compute: float | None


@dataclass(frozen=True)
class CheckpointWindow:
    """One page of a model's checkpoints, newest first, with what navigation needs.

    ``page`` counts from 1 (the newest ``size`` checkpoints); ``older`` and ``newer`` are the neighbouring
    page numbers, None at either end.
    """

    entries: list[CheckpointEntry]
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def older(self) -> int | None:
        return self.page + 1 if self.page < self.pages else None

    @property
    def newer(self) -> int | None:
        return self.page - 1 if self.page > 1 else None


WINDOW_MAX = 500
"""The largest window a caller may ask for: a page is a window, never the whole family."""


def checkpoint_window(
    session: Session,
    model: str,
    *,
    page: int | None = None,
    size: int = 50,
    around: str | None = None,
) -> CheckpointWindow:
    """A window of ``model``'s checkpoints, newest first (by recorded date, then step), ``size`` of them.

    ``page`` picks the window (1: the newest; past the last page: the last). Without it, the window is the one
    holding the checkpoint named ``around`` (so a page opened on an old checkpoint shows its neighbours), or
    the newest. Three statements whatever the model's size: the count, the position of ``around`` (a keyset
    count on the ordering columns), and the window itself by LIMIT/OFFSET over its columns only, so no page
    loads every checkpoint to show some of them.
    """
    owner = get_model(session, model)
    size = max(1, min(size, WINDOW_MAX))
    of_model = CheckpointRow.model_id == owner.id
    total = session.execute(select(func.count()).select_from(CheckpointRow).where(of_model)).scalar_one()
    pages = max(1, math.ceil(total / size))
    if page is None:
        page = 1
        if around is not None:
            key = session.execute(
                select(CheckpointRow.recorded_at, CheckpointRow.step, CheckpointRow.id).where(
                    of_model, CheckpointRow.name == around
                )
            ).first()
            if key is not None:
                order = tuple_(CheckpointRow.recorded_at, CheckpointRow.step, CheckpointRow.id)
                newer = session.execute(
                    select(func.count())
                    .select_from(CheckpointRow)
                    .where(of_model, order > tuple_(key[0], key[1], key[2]))
                ).scalar_one()
                page = newer // size + 1
    page = max(1, min(page, pages))
    rows = session.execute(
        select(
            CheckpointRow.id,
            CheckpointRow.name,
            CheckpointRow.step,
            CheckpointRow.recorded_at,
            CheckpointRow.stage,
            CheckpointRow.effective_compute,
        )
        .where(of_model)
        .order_by(CheckpointRow.recorded_at.desc(), CheckpointRow.step.desc(), CheckpointRow.id.desc())
        .offset((page - 1) * size)
        .limit(size)
    ).all()
    entries = [
        CheckpointEntry(
            r.id, r.name, f"{owner.name}@{r.name}", r.step, r.recorded_at, r.stage, r.effective_compute
        )
        for r in rows
    ]
    return CheckpointWindow(entries, total, page, size)


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


def checkpoint_dict(row: CheckpointRow) -> JsonObject:
    """A checkpoint as JSON: its columns (the table's, hence a JsonObject), its reference, model, family and
    losses."""
    values = row_values(row)
    values |= {
        "ref": row.ref,
        "model": row.model.name,
        "family": row.model.family,
        "losses": {m.dataset: {"loss": m.loss, "weight": m.weight} for m in row.losses},
    }
    return values
