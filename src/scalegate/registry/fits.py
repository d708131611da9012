"""Fitting and storing a family's baseline scaling law, and re-deriving its checkpoints' effective compute.

A new fit supersedes the family's previous one. Every checkpoint of the family that has held-out losses is
re-estimated against it in the same transaction; if any of them cannot be placed on the new curve (its loss is
below the fitted irreducible term), the whole fit is refused, naming that checkpoint.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NotRequired, TypedDict

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from scalegate.actor import Actor
from scalegate.errors import FitError, InputError, NotFoundError
from scalegate.jsonable import JsonObject
from scalegate.permissions import require
from scalegate.registry.effective import active_fit, apply_estimate, estimate_for, law_of
from scalegate.registry.lookup import family_checkpoints, get_model, get_run, model_checkpoints
from scalegate.registry.scaling import ScalingLaw, aggregate_loss, fit_scaling_law
from scalegate.registry.service import evaluate_and_open
from scalegate.registry.specs import ReferencePoint
from scalegate.store.base import row_values
from scalegate.store.models.registry import CheckpointRow, ModelRow, ScalingFitRow, TrainingRunRow
from scalegate.workspace import Workspace

__all__ = [
    "FitReport",
    "FitReportDocument",
    "ScalingSummary",
    "fit_dict",
    "fit_family",
    "points_from_run",
    "scaling_summary",
]


class UpdatedCheckpoint(TypedDict):
    """A checkpoint whose effective compute a new fit changed, with its interval."""

    ref: str
    effective_compute: float | None
    low: float | None
    high: float | None


class FitReportDocument(TypedDict):
    """A fit as the doors return it (``FitReport.to_dict``)."""

    fit: JsonObject
    standard_errors: dict[str, float]
    updated_checkpoints: list[UpdatedCheckpoint]
    assessments_opened: list[int]


class CurvePoint(TypedDict):
    """A point of a fitted curve, or a reference point it was fitted on."""

    compute: float
    loss: float


class PlacedCheckpoint(TypedDict):
    """A checkpoint placed on its family's curve."""

    ref: str
    step: int
    stage: str
    recorded_at: str
    training_flops: float
    aggregate_loss: float | None
    effective_compute: float | None
    low: float | None
    high: float | None
    method: str | None


class ScalingSummary(TypedDict):
    """A family's active fit (None: no fit yet), its curve over the reference range and its checkpoints;
    ``standard_errors`` only with a fit."""

    family: str
    fit: JsonObject | None
    curve: list[CurvePoint]
    reference_points: list[CurvePoint]
    standard_errors: NotRequired[dict[str, float]]
    checkpoints: list[PlacedCheckpoint]


@dataclass
class FitReport:
    """A stored fit, the law it describes, and the checkpoints whose effective compute it changed."""

    fit: ScalingFitRow
    law: ScalingLaw
    updated: list[CheckpointRow] = field(default_factory=list)
    opened: list[int] = field(default_factory=list)

    def to_dict(self) -> FitReportDocument:
        return {
            "fit": fit_dict(self.fit),
            "standard_errors": self.law.standard_errors(),
            "updated_checkpoints": [
                {
                    "ref": c.ref,
                    "effective_compute": c.effective_compute,
                    "low": c.effective_compute_low,
                    "high": c.effective_compute_high,
                }
                for c in self.updated
            ],
            "assessments_opened": self.opened,
        }


def fit_dict(row: ScalingFitRow) -> JsonObject:
    """A stored fit as JSON: its columns."""
    return row_values(row)


def _aggregates(points: Sequence[ReferencePoint], weights: Mapping[str, float]) -> list[float]:
    datasets = {frozenset(p.losses) for p in points}
    if not weights and len(datasets) > 1:
        raise FitError("reference points report different datasets; give dataset weights to aggregate them")
    out: list[float] = []
    for n, point in enumerate(points, start=1):
        try:
            out.append(aggregate_loss(point.losses, weights or None))
        except InputError as exc:
            raise FitError(f"reference point {n}: {exc.message}") from exc
    return out


def fit_family(
    workspace: Workspace,
    actor: Actor,
    family: str,
    points: Sequence[ReferencePoint],
    *,
    weights: Mapping[str, float] | None = None,
    source: str = "points",
) -> FitReport:
    """Fit the family's baseline law on ``points``, store it, re-derive its checkpoints' effective compute."""
    with workspace.writing(actor) as ctx:
        policy = ctx.policy
        require(actor, "registry.write", policy)
        _require_family(ctx.session, family)
        weights = dict(weights or {})
        aggregates = _aggregates(points, weights)
        statistics = policy.statistics
        law = fit_scaling_law(
            [p.compute for p in points], aggregates, confidence_level=statistics.confidence_level
        )
        datasets = sorted({d for p in points for d in p.losses})
        if not weights and datasets != ["loss"]:
            weights = dict.fromkeys(datasets, 1.0)
        inputs = {
            "weights": weights,
            "datasets": datasets,
            "points": [
                {"compute": p.compute, "losses": dict(p.losses), "aggregate": a}
                for p, a in zip(points, aggregates, strict=True)
            ],
        }
        session = ctx.session
        row = _store(workspace, session, actor, family, law, inputs, source)
        superseded = _supersede(session, family, row.id)
        updated = _reestimate(session, family, row, statistics.bootstrap_seed)
        workspace.record(
            session,
            actor,
            "scaling.fitted",
            f"family:{family}",
            {"E": law.E, "A": law.A, "alpha": law.alpha, "n_points": law.n_points, "source": source},
            rows=[row, *superseded, *updated],
        )
        opened = _reevaluate(workspace, session, actor, updated)
    return FitReport(row, law, updated, opened)


def _require_family(session: Session, family: str) -> None:
    """A law is fitted for a family that has a model: a mistyped family would otherwise get a law no
    checkpoint ever uses, and its checkpoints none."""
    found = session.execute(select(ModelRow.id).where(ModelRow.family == family).limit(1)).first()
    if found is None:
        raise NotFoundError(
            f"no model in family {family!r}: register one first "
            f"(scalegate model add NAME --family {family} --owner TEAM)",
            where="family",
        )


def _store(
    workspace: Workspace,
    session: Session,
    actor: Actor,
    family: str,
    law: ScalingLaw,
    inputs: dict[str, Any],
    source: str,
) -> ScalingFitRow:
    row = ScalingFitRow(
        family=family,
        E=law.E,
        A=law.A,
        alpha=law.alpha,
        compute_scale=law.compute_scale,
        covariance=[list(r) for r in law.covariance],
        inputs=inputs,
        n_points=law.n_points,
        rmse_log=law.rmse_log,
        confidence_level=law.confidence_level,
        source=source,
        status="active",
        created_at=workspace.now(),
        created_by=actor.label,
    )
    session.add(row)
    session.flush()
    return row


def _supersede(session: Session, family: str, keep: int) -> list[ScalingFitRow]:
    rows = (
        session.execute(
            select(ScalingFitRow).where(
                ScalingFitRow.family == family, ScalingFitRow.status == "active", ScalingFitRow.id != keep
            )
        )
        .scalars()
        .all()
    )
    for r in rows:
        r.status = "superseded"
    return list(rows)


def _reestimate(session: Session, family: str, fit: ScalingFitRow, seed: int) -> list[CheckpointRow]:
    updated: list[CheckpointRow] = []
    for checkpoint in family_checkpoints(session, family):
        if not checkpoint.losses:
            continue
        run = session.get(TrainingRunRow, checkpoint.run_id) if checkpoint.run_id else None
        try:
            estimate, fit_id = estimate_for(session, checkpoint, run, seed=seed, fit=fit)
        except InputError as exc:
            raise type(exc)(f"fit refused: {exc.message}") from exc
        apply_estimate(checkpoint, estimate, fit_id)
        updated.append(checkpoint)
    session.flush()
    return updated


def _reevaluate(
    workspace: Workspace, session: Session, actor: Actor, updated: list[CheckpointRow]
) -> list[int]:
    opened: list[int] = []
    for checkpoint in sorted(updated, key=lambda c: (c.recorded_at, c.step)):
        opened += [a.id for a in evaluate_and_open(workspace, session, actor, checkpoint).opened]
    return opened


def points_from_run(workspace: Workspace, model: str, run: str) -> list[ReferencePoint]:
    """Reference points from a baseline-recipe run: each checkpoint's training FLOPs and held-out losses."""
    with workspace.read() as session:
        run_row = get_run(session, get_model(session, model), run)
        rows = [c for c in model_checkpoints(session, model) if c.run_id == run_row.id and c.losses]
        return [
            ReferencePoint(compute=c.training_flops, losses={m.dataset: m.loss for m in c.losses})
            for c in rows
            if c.training_flops > 0
        ]


def scaling_summary(workspace: Workspace, family: str, *, curve_points: int = 40) -> ScalingSummary:
    """The family's active fit, its curve over the reference range and the checkpoints placed on it."""
    with workspace.read() as session:
        fit = active_fit(session, family)
        checkpoints = family_checkpoints(session, family)
        if fit is None and not checkpoints:
            raise NotFoundError(f"family {family!r} has no fit and no checkpoints")
        placed: list[PlacedCheckpoint] = [
            {
                "ref": c.ref,
                "step": c.step,
                "stage": c.stage,
                "recorded_at": c.recorded_at.isoformat(),
                "training_flops": c.training_flops,
                "aggregate_loss": c.aggregate_loss,
                "effective_compute": c.effective_compute,
                "low": c.effective_compute_low,
                "high": c.effective_compute_high,
                "method": c.effective_compute_method,
            }
            for c in checkpoints
        ]
        if fit is None:
            return {"family": family, "fit": None, "curve": [], "reference_points": [], "checkpoints": placed}
        law = law_of(fit)
        lo, hi = law.compute_range
        grid = np.logspace(np.log10(lo) - 0.5, np.log10(hi) + 0.5, curve_points)
        return {
            "family": family,
            "fit": fit_dict(fit),
            "curve": [{"compute": float(c), "loss": law.loss_at(float(c))} for c in grid],
            "reference_points": [
                {"compute": p["compute"], "loss": p["aggregate"]} for p in fit.inputs.get("points", [])
            ],
            "standard_errors": law.standard_errors(),
            "checkpoints": placed,
        }
