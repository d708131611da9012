"""Effective compute from held-out loss: fit L(C) = E + A·C^(-alpha) to the baseline recipe and invert it.

Effective compute is "the amount of compute it would have taken to train a model if no improvements to
pretraining or fine-tuning techniques are included", operationalised by the scaling of held-out loss (RSP
v1.0, Evaluation protocol; RSP v2.x §3.1 footnote). So: fit the baseline recipe's scaling law on reference
(compute, loss) points, and for a checkpoint take the compute at which the baseline reaches its loss.

The fit is done in log space (ln L against ln C/C0, parameters ln E, ln A0, alpha with C0 the geometric mean
of the reference compute) so that points spanning many orders of magnitude weigh alike and E, A stay positive.
Parameter uncertainty comes from the fit's covariance; the interval of an effective compute is obtained by
sampling parameters from that covariance (seeded, so it is reproducible) and inverting each sample.

Fits the data cannot support are refused with ``FitError``: too few points, non-convergence, a covariance that
cannot be estimated, a non-positive exponent, and a checkpoint loss at or below the fitted irreducible loss E
(the baseline recipe never reaches it, so no finite compute matches).
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

import numpy as np
from numpy.typing import NDArray

from scalegate.errors import FitError, InputError
from scalegate.registry.specs import MAX_FLOP, MIN_FLOP

__all__ = [
    "MIN_POINTS",
    "EffectiveComputeEstimate",
    "ScalingLaw",
    "aggregate_loss",
    "fit_scaling_law",
]

MIN_POINTS = 4
"""Three parameters need at least one more point than parameters for a covariance to exist."""

_ALPHA_MAX = 20.0
_SAMPLES = 4000


@dataclass(frozen=True)
class EffectiveComputeEstimate:
    """A checkpoint's effective compute, how it was obtained, and its interval (``high`` None: unbounded)."""

    value: float
    low: float | None
    high: float | None
    method: str
    aggregate_loss: float | None = None
    extrapolated: bool = False
    note: str = ""


@functools.lru_cache(maxsize=16)
def _draws(
    mean: tuple[float, float, float], covariance: tuple[tuple[float, ...], ...], seed: int
) -> tuple[Any, Any, Any]:
    """The parameter draws (E, A0, alpha) of a law's interval: the same law and seed give the same draws, so
    they are drawn once and shared by every checkpoint placed on that law (a batch of a thousand checkpoints
    would otherwise draw them a thousand times). The arrays are read-only."""
    rng = np.random.default_rng(seed)
    draws = rng.multivariate_normal(
        np.array(mean), np.array(covariance, dtype=float), size=_SAMPLES, method="eigh", check_valid="ignore"
    )
    out = (np.exp(draws[:, 0]), np.exp(draws[:, 1]), draws[:, 2].copy())
    for array in out:
        array.setflags(write=False)
    return out


class ScalingLawDocument(TypedDict):
    """A fitted scaling law as JSON (``ScalingLaw.to_dict``): its parameters, their covariance and standard
    errors, and the reference range it was fitted on."""

    E: float
    A: float
    alpha: float
    compute_scale: float
    covariance: list[list[float]]
    n_points: int
    rmse_log: float
    compute_range: list[float]
    confidence_level: float
    standard_errors: dict[str, float]


@dataclass(frozen=True)
class ScalingLaw:
    """A fitted L(C) = E + A·C^(-alpha). ``covariance`` is over (ln E, ln A0, alpha), A0 = A·C0^(-alpha)."""

    E: float
    A: float
    alpha: float
    compute_scale: float
    covariance: tuple[tuple[float, ...], ...]
    n_points: int
    rmse_log: float
    compute_range: tuple[float, float]
    confidence_level: float = 0.95

    @property
    def amplitude_at_scale(self) -> float:
        """A0: the amplitude at compute C0 (the fit's own parameter)."""
        return float(self.A * self.compute_scale ** (-self.alpha))

    def loss_at(self, compute: float) -> float:
        """The baseline recipe's loss at ``compute``."""
        return float(self.E + self.amplitude_at_scale * (compute / self.compute_scale) ** (-self.alpha))

    def compute_at(self, loss: float) -> float:
        """The compute at which the baseline reaches ``loss``; FitError when it never does."""
        if not math.isfinite(loss) or loss <= self.E:
            raise FitError(
                f"loss {loss:.6g} is at or below the fitted irreducible loss E={self.E:.6g}: "
                "the baseline recipe never reaches it, so no effective compute matches; "
                "refit the baseline or check the loss"
            )
        try:
            compute = self.compute_scale * ((loss - self.E) / self.amplitude_at_scale) ** (-1.0 / self.alpha)
        except OverflowError:  # Python's float power raises where numpy would give inf
            compute = math.inf
        if not MIN_FLOP <= compute <= MAX_FLOP:
            raise FitError(
                f"loss {loss:.6g} puts effective compute at {compute:.3g} FLOP, outside the "
                f"{MIN_FLOP:g}-{MAX_FLOP:g} FLOP a record may hold: the loss lies "
                + (
                    "too close to the fitted irreducible loss"
                    if compute > MAX_FLOP
                    else "far above the baseline"
                )
                + "; check the loss or refit the baseline"
            )
        return float(compute)

    def effective_compute(self, loss: float, *, seed: int = 0) -> EffectiveComputeEstimate:
        """Effective compute for ``loss`` with an interval at the law's confidence level."""
        value = self.compute_at(loss)
        low, high = self._interval(loss, seed)
        lo_c, hi_c = self.compute_range
        extrapolated = value > hi_c * (1 + 1e-9) or value < lo_c * (1 - 1e-9)
        note = "beyond the reference points: extrapolated" if extrapolated else ""
        return EffectiveComputeEstimate(
            value=value,
            low=min(low, value) if math.isfinite(low) else value,
            high=None if high is None else max(high, value),
            method="scaling_law",
            aggregate_loss=loss,
            extrapolated=extrapolated,
            note=note,
        )

    def _interval(self, loss: float, seed: int) -> tuple[float, float | None]:
        mean = (math.log(self.E), math.log(self.amplitude_at_scale), self.alpha)
        e, a0, alpha = _draws(mean, self.covariance, seed)
        ok = (loss > e) & (alpha > 0)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            computes = np.where(
                ok, self.compute_scale * ((loss - e) / a0) ** (-1.0 / np.where(ok, alpha, 1.0)), np.inf
            )
        tail = (1.0 - self.confidence_level) / 2.0
        with np.errstate(invalid="ignore"):  # quantiles landing among unreachable draws are inf (or nan)
            low, high = np.quantile(computes, [tail, 1.0 - tail])
        return max(float(low), MIN_FLOP), (float(high) if math.isfinite(high) and high <= MAX_FLOP else None)

    def to_dict(self) -> ScalingLawDocument:
        return {
            "E": self.E,
            "A": self.A,
            "alpha": self.alpha,
            "compute_scale": self.compute_scale,
            "covariance": [list(r) for r in self.covariance],
            "n_points": self.n_points,
            "rmse_log": self.rmse_log,
            "compute_range": list(self.compute_range),
            "confidence_level": self.confidence_level,
            "standard_errors": self.standard_errors(),
        }

    def standard_errors(self) -> dict[str, float]:
        """Standard errors of E, A0 (delta method from the log parameters) and alpha."""
        var = [self.covariance[i][i] for i in range(3)]
        return {
            "E": self.E * math.sqrt(max(var[0], 0.0)),
            "A0": self.amplitude_at_scale * math.sqrt(max(var[1], 0.0)),
            "alpha": math.sqrt(max(var[2], 0.0)),
        }


def aggregate_loss(losses: Mapping[str, float], weights: Mapping[str, float] | None = None) -> float:
    """The weighted mean of per-dataset losses (RSP v2 tracks a weighted aggregate of relevant datasets).

    With ``weights``, every weighted dataset must be present; datasets without a weight are ignored. Without
    weights, every dataset counts equally.
    """
    if not losses:
        raise InputError("no losses to aggregate")
    if not weights:
        return sum(losses.values()) / len(losses)
    missing = sorted(d for d in weights if d not in losses)
    if missing:
        raise InputError(f"loss missing for weighted dataset(s) {', '.join(missing)}")
    total = sum(weights.values())
    if total <= 0 or any(w < 0 for w in weights.values()):
        raise InputError("dataset weights must be non-negative and not all zero")
    return sum(losses[d] * w for d, w in weights.items()) / total


def fit_scaling_law(
    computes: Sequence[float] | NDArray[Any],
    losses: Sequence[float] | NDArray[Any],
    *,
    confidence_level: float = 0.95,
) -> ScalingLaw:
    """Fit L(C) = E + A·C^(-alpha) on reference points; FitError when the data cannot support the fit."""
    c, loss = _validated(computes, losses)
    scale = float(np.exp(np.mean(np.log(c))))
    x, y = np.log(c / scale), np.log(loss)
    params, cov = _curve_fit(x, y, _initial_guess(x, loss))
    ln_e, ln_a0, alpha = (float(p) for p in params)
    if not alpha > 1e-6 or alpha >= _ALPHA_MAX * 0.999:
        raise FitError(
            f"fitted exponent alpha={alpha:.4g} is not a positive power law: loss does not fall with compute"
        )
    if not np.all(np.isfinite(cov)) or np.any(np.diag(cov) < 0):
        raise FitError("parameter covariance cannot be estimated: the points do not determine E, A and alpha")
    rmse = float(np.sqrt(np.mean((_model(x, *params) - y) ** 2)))
    return ScalingLaw(
        E=math.exp(ln_e),
        A=math.exp(ln_a0) * scale**alpha,
        alpha=alpha,
        compute_scale=scale,
        covariance=tuple(tuple(float(v) for v in row) for row in cov),
        n_points=len(c),
        rmse_log=rmse,
        compute_range=(float(c.min()), float(c.max())),
        confidence_level=confidence_level,
    )


def _validated(
    computes: Sequence[float] | NDArray[Any], losses: Sequence[float] | NDArray[Any]
) -> tuple[Any, Any]:
    if len(computes) != len(losses):
        raise FitError(f"{len(computes)} compute values but {len(losses)} losses")
    c, loss = np.asarray(computes, dtype=float), np.asarray(losses, dtype=float)
    for i, (ci, li) in enumerate(zip(c, loss, strict=True)):
        if not (math.isfinite(ci) and ci > 0 and math.isfinite(li) and li > 0):
            raise FitError(
                f"reference point {i + 1} (compute={ci}, loss={li}) must have positive finite values"
            )
    distinct = len(np.unique(c))
    if distinct < MIN_POINTS:
        raise FitError(
            f"a scaling-law fit needs at least {MIN_POINTS} reference points at distinct compute; "
            f"got {distinct}"
        )
    return c, loss


def _model(x: Any, ln_e: float, ln_a0: float, alpha: float) -> Any:
    return np.logaddexp(ln_e, ln_a0 - alpha * x)


def _initial_guess(x: Any, loss: Any) -> list[float]:
    """Profile E over a grid: for each E, ln(L - E) is linear in x; keep the best in log-loss error."""
    best: tuple[float, list[float]] = (math.inf, [])
    y = np.log(loss)
    for frac in np.linspace(0.0, 0.995, 200):
        e = max(frac * float(loss.min()), 1e-6 * float(loss.min()))
        slope, intercept = np.polyfit(x, np.log(loss - e), 1)
        alpha = max(-float(slope), 1e-3)
        guess = [math.log(e), float(intercept), alpha]
        sse = float(np.sum((_model(x, *guess) - y) ** 2))
        if sse < best[0]:
            best = (sse, guess)
    return best[1]


def _curve_fit(x: Any, y: Any, p0: list[float]) -> tuple[Any, Any]:
    from scipy.optimize import OptimizeWarning, curve_fit

    with warnings.catch_warnings():
        warnings.simplefilter("error", OptimizeWarning)
        try:
            params, cov = curve_fit(
                _model,
                x,
                y,
                p0=p0,
                method="trf",
                maxfev=20000,
                bounds=([-np.inf, -np.inf, 0.0], [np.inf, np.inf, _ALPHA_MAX]),
            )
        except RuntimeError as exc:
            raise FitError(f"scaling-law fit did not converge: {exc}") from exc
        except OptimizeWarning as exc:
            raise FitError(f"parameter covariance cannot be estimated: {exc}") from exc
    return params, cov
