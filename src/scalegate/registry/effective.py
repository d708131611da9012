"""A checkpoint's effective compute: from its held-out loss via the family's active fit, else the fallback.

Order of preference, each labelled in ``effective_compute_method``:

1. ``scaling_law``: the checkpoint has losses and its family has an active fit. The aggregate loss uses the
   fit's dataset weights (so checkpoint and reference points are aggregated alike), or the checkpoint's own
   weights when the fit was made on aggregate losses.
2. ``flops_multiplier``: training FLOPs times the algorithmic multiplier its training run declares. No
   interval: the multiplier is a declaration, not a measurement.
3. Unknown (all columns null): the triggers treat it as "cannot rule out" and fire.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from scalegate.errors import InputError
from scalegate.registry.scaling import EffectiveComputeEstimate, ScalingLaw, aggregate_loss
from scalegate.store.models.registry import CheckpointRow, ScalingFitRow, TrainingRunRow

__all__ = ["active_fit", "apply_estimate", "estimate_for", "estimate_with", "law_of"]


def active_fit(session: Session, family: str) -> ScalingFitRow | None:
    """The family's current fit (the newest active one)."""
    return session.execute(
        select(ScalingFitRow)
        .where(ScalingFitRow.family == family, ScalingFitRow.status == "active")
        .order_by(ScalingFitRow.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def law_of(row: ScalingFitRow) -> ScalingLaw:
    """The ``ScalingLaw`` a stored fit describes."""
    points = row.inputs.get("points", [])
    computes = [float(p["compute"]) for p in points] or [row.compute_scale]
    return ScalingLaw(
        E=row.E,
        A=row.A,
        alpha=row.alpha,
        compute_scale=row.compute_scale,
        covariance=tuple(tuple(float(v) for v in r) for r in row.covariance),
        n_points=row.n_points,
        rmse_log=row.rmse_log,
        compute_range=(min(computes), max(computes)),
        confidence_level=row.confidence_level,
    )


def estimate_for(
    session: Session,
    checkpoint: CheckpointRow,
    run: TrainingRunRow | None,
    *,
    seed: int,
    fit: ScalingFitRow | None = None,
) -> tuple[EffectiveComputeEstimate | None, int | None]:
    """The checkpoint's estimate and the id of the fit used (None for the fallback or when unknown).

    Raises ``FitError`` (naming the checkpoint) when its loss cannot be placed on the fitted curve, and
    ``InputError`` when it lacks a dataset the fit's weights need.
    """
    return estimate_with(checkpoint, run, fit or active_fit(session, checkpoint.model.family), seed=seed)


def estimate_with(
    checkpoint: CheckpointRow, run: TrainingRunRow | None, fit: ScalingFitRow | None, *, seed: int
) -> tuple[EffectiveComputeEstimate | None, int | None]:
    """``estimate_for`` with the family's fit already known (None: the family has none), so that a batch of
    checkpoints reads the fit once rather than once per checkpoint."""
    losses = {m.dataset: m.loss for m in checkpoint.losses}
    if fit is not None and losses:
        weights = fit.inputs.get("weights") or {m.dataset: m.weight for m in checkpoint.losses}
        try:
            loss = aggregate_loss(losses, weights)
            return law_of(fit).effective_compute(loss, seed=seed), fit.id
        except InputError as exc:
            raise type(exc)(f"{checkpoint.ref}: {exc.message}") from exc
    if run is not None and run.algorithmic_multiplier is not None:
        value = checkpoint.training_flops * run.algorithmic_multiplier
        note = (
            f"fallback: training FLOPs x declared algorithmic multiplier {run.algorithmic_multiplier:g} "
            f"of run "
            f"{run.name!r}"
            + ("; no scaling-law fit for this family" if losses else "; no held-out loss given")
        )
        return EffectiveComputeEstimate(
            value=value, low=None, high=None, method="flops_multiplier", note=note
        ), None
    return None, None


def apply_estimate(
    checkpoint: CheckpointRow, estimate: EffectiveComputeEstimate | None, fit_id: int | None
) -> None:
    """Write an estimate (or its absence) onto the checkpoint row."""
    checkpoint.effective_compute = estimate.value if estimate else None
    checkpoint.effective_compute_low = estimate.low if estimate else None
    checkpoint.effective_compute_high = estimate.high if estimate else None
    checkpoint.effective_compute_method = estimate.method if estimate else None  # type: ignore[assignment]
    checkpoint.aggregate_loss = estimate.aggregate_loss if estimate else None
    checkpoint.fit_id = fit_id
