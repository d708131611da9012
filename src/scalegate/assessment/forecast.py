"""Forecast: when would an indicator reach its alert and threshold values as effective compute grows?

We fit the score against log10 effective compute across a model family's checkpoints: a logistic fit (linear
in the logit) for scores bounded in (0, 1), a linear fit otherwise, with a t-based prediction band. For each
value the answer is the effective compute at which the central fit reaches it, and a two-sided interval: the
earliest point (where the capable edge of the band reaches it) and the latest (where the other edge does; none
when the trend is too uncertain for that edge ever to get there), each with its ratio to the current
checkpoint. The RSP asks for forecasts of how further training changes results before the next assessment
(RSP v2.2 §3.2 "Forecasting").

A forecast never raises and never warns: a flat, falling, noisy or extreme series, or a crossing too far out
to mean anything, gives a forecast with its reason ("no upward trend", "beyond the fitted range", "crossing
beyond 1e40 FLOP"). The arithmetic is done in log10 compute with scores scaled to at most 1 in magnitude, so
no intermediate value overflows, and every power of ten is taken only of an exponent known to be in range.

``family_forecasts`` fits a family's series once per audit root: assessing every checkpoint of a family fits
each indicator once, and each assessment only places its own checkpoint on the fitted trends.
"""

from __future__ import annotations

import functools
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from scalegate.evidence.series import audit_root, clear_series_cache, family_series

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from scalegate.policy import Policy

__all__ = [
    "CEILING_LOG10",
    "HORIZON_DECADES",
    "Forecast",
    "ForecastPoint",
    "Reach",
    "Trend",
    "clear_forecast_cache",
    "family_forecasts",
    "fit_trend",
    "forecast_indicator",
]

FitKind = Literal["logistic", "linear"]

CEILING_LOG10 = 40.0
"""No crossing is reported beyond 1e40 FLOP: far past any training run, where a fit says nothing."""
HORIZON_DECADES = 12.0
"""Nor more than 12 orders of magnitude beyond (or before) the observed effective computes."""
_BAND_DECADES = 2.0
"""The plotted band runs from the first checkpoint to two orders of magnitude past the last."""
_BAND_POINTS = 41
_TOLERANCE = 1e-9
"""Width (decades) at which a search for a crossing stops: a relative error of about 2e-9 in FLOP."""


@dataclass(frozen=True)
class ForecastPoint:
    """One observed (effective compute, score) point."""

    checkpoint: str
    effective_compute: float
    estimate: float


@dataclass(frozen=True)
class Reach:
    """When the fit reaches one value: the central estimate and the two-sided interval around it.

    Effective computes are FLOP; ratios are to the current checkpoint's effective compute (None when it has
    none). A None effective compute comes with ``reason``."""

    effective_compute: float | None = None
    earliest_effective_compute: float | None = None
    latest_effective_compute: float | None = None
    ratio: float | None = None
    earliest_ratio: float | None = None
    latest_ratio: float | None = None
    reason: str | None = None


class ForecastPointDocument(TypedDict):
    """An observed point of a forecast, as JSON."""

    checkpoint: str
    effective_compute: float
    estimate: float


class ReachDocument(TypedDict):
    """When a fit reaches one value, as JSON (``Reach``'s fields)."""

    effective_compute: float | None
    earliest_effective_compute: float | None
    latest_effective_compute: float | None
    ratio: float | None
    earliest_ratio: float | None
    latest_ratio: float | None
    reason: str | None


class ForecastDocument(TypedDict):
    """A forecast as JSON (``Forecast.to_dict``): its fields, points and reaches spelled out."""

    indicator_id: str
    ok: bool
    reason: str
    fit: FitKind | None
    slope: float | None
    intercept: float | None
    points: list[ForecastPointDocument]
    current_effective_compute: float | None
    reach: dict[str, ReachDocument]
    band: list[dict[str, float]]


@dataclass(frozen=True)
class Forecast:
    """A fitted trend, or the reason there is none."""

    indicator_id: str
    ok: bool
    reason: str
    fit: FitKind | None = None
    slope: float | None = None
    """Per decade of effective compute, in the fitted scale (logit for a logistic fit)."""
    intercept: float | None = None
    points: list[ForecastPoint] = field(default_factory=list)
    current_effective_compute: float | None = None
    reach: dict[str, Reach] = field(default_factory=dict)
    """For ``alert`` and ``threshold``."""
    band: list[dict[str, float]] = field(default_factory=list)
    """Fitted curve with its prediction band, for plots."""

    def to_dict(self) -> ForecastDocument:
        return {
            "indicator_id": self.indicator_id,
            "ok": self.ok,
            "reason": self.reason,
            "fit": self.fit,
            "slope": self.slope,
            "intercept": self.intercept,
            "points": [
                {"checkpoint": p.checkpoint, "effective_compute": p.effective_compute, "estimate": p.estimate}
                for p in self.points
            ],
            "current_effective_compute": self.current_effective_compute,
            "reach": {
                name: {
                    "effective_compute": r.effective_compute,
                    "earliest_effective_compute": r.earliest_effective_compute,
                    "latest_effective_compute": r.latest_effective_compute,
                    "ratio": r.ratio,
                    "earliest_ratio": r.earliest_ratio,
                    "latest_ratio": r.latest_ratio,
                    "reason": r.reason,
                }
                for name, r in self.reach.items()
            },
            "band": self.band,
        }


@functools.lru_cache(maxsize=256)
def _t_quantile(confidence_level: float, dof: int) -> float:
    """Two-sided Student t quantile (scipy's ``ppf`` costs about 100 us; a family has few distinct dofs)."""
    from scipy import stats

    return float(stats.t.ppf(0.5 + confidence_level / 2, dof))


def _pow10(x: float) -> float | None:
    """``10 ** x`` when it is a positive normal float, else None (``**`` raises on overflow; below 1e-307 the
    result loses precision and then becomes 0)."""
    if not math.isfinite(x) or x > 308.0 or x < -307.0:
        return None
    return float(10.0**x)


def _logit(y: float) -> float:
    return math.log(y) - math.log1p(-y)


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@dataclass(frozen=True)
class Trend:
    """A fitted line in (log10 effective compute, score) with its prediction band.

    Scores are stored turned towards capability (negated when lower is more capable) and scaled by
    ``scale`` (linear fits: the largest magnitude observed, so every scaled score is at most 1), which keeps
    the sums and every crossing computation finite whatever the magnitudes.
    """

    kind: FitKind
    higher_is_more_capable: bool
    n: int
    mean_x: float
    sxx: float
    level: float
    """Fitted (turned, scaled) score at ``mean_x``."""
    slope: float
    """Per decade, turned and scaled: positive means more capability with more compute."""
    residual: float
    """Residual standard deviation (scaled)."""
    spread: float
    """t quantile x residual standard deviation (scaled): the band's half-width scale."""
    scale: float
    x_min: float
    x_max: float
    points: list[ForecastPoint]

    def _edge(self, x: float, side: float) -> float:
        """Centre (side 0), capable edge (+1) or other edge (-1) of the band at ``x``."""
        u = x - self.mean_x
        half = self.spread * math.sqrt(1.0 + 1.0 / self.n + u * u / self.sxx) if side else 0.0
        return self.level + self.slope * u + side * half

    def _target(self, value: float) -> float | None:
        """``value`` in the fitted scale, turned and scaled; None if it cannot be expressed there."""
        if self.kind == "logistic":
            if not 0.0 < value < 1.0:
                return None
            z = _logit(value)
        else:
            z = value
        turned = (z if self.higher_is_more_capable else -z) / self.scale
        return turned if math.isfinite(turned) else None

    def _out_of_range(self, x: float) -> str | None:
        if not math.isfinite(x) or x > CEILING_LOG10:
            return f"crossing beyond 1e{CEILING_LOG10:.0f} FLOP"
        if x > self.x_max + HORIZON_DECADES or x < self.x_min - HORIZON_DECADES:
            return f"beyond the fitted range (more than {HORIZON_DECADES:.0f} orders of magnitude away)"
        return None

    def reach(self, value: float | None, current_effective_compute: float | None) -> Reach:
        """Where the central fit and each edge of the band reach ``value``, looking ahead from the current
        checkpoint (the band widens away from the data, so an edge is only searched forward)."""
        if value is None:
            return Reach(reason="no value set")
        target = self._target(value)
        if target is None:
            return Reach(reason=f"{value:g} is beyond the fitted range of a {self.kind} fit")
        current = current_effective_compute
        ref = current if current is not None and math.isfinite(current) and current > 0 else None
        central_x = self.mean_x + (target - self.level) / self.slope
        why = self._out_of_range(central_x)
        central = None if why else _pow10(central_x)
        start = math.log10(ref) if ref is not None else self.x_max
        stop = max(start, min(CEILING_LOG10, self.x_max + HORIZON_DECADES))
        earliest_x = _first_reach(lambda x: self._edge(x, 1.0), target, start, stop)
        latest_x = _first_reach(lambda x: self._edge(x, -1.0), target, start, self._peak(start, stop))
        earliest = _pow10(earliest_x) if earliest_x is not None else None
        latest = _pow10(latest_x) if latest_x is not None else None
        horizon = f"{_pow10(stop) or float('inf'):.3g} FLOP"
        reasons = [why] if why else []
        if central is None and not why:
            reasons.append("the central crossing is beyond the range of a float")
        if earliest is None:
            reasons.append(f"earliest: the prediction band does not reach it by {horizon}")
        if latest is None:
            reasons.append(f"latest: the cautious edge of the band does not reach it by {horizon}")
        return Reach(
            effective_compute=central,
            earliest_effective_compute=earliest,
            latest_effective_compute=latest,
            ratio=_ratio(central, ref),
            earliest_ratio=_ratio(earliest, ref),
            latest_ratio=_ratio(latest, ref),
            reason="; ".join(reasons) or None,
        )

    def _peak(self, start: float, stop: float) -> float:
        """Where the other edge (concave in x) is highest on [start, stop]: it rises up to there."""
        k2 = self.spread * self.spread
        b2sxx = self.slope * self.slope * self.sxx
        if b2sxx >= k2:
            return stop
        u = self.slope * self.sxx * math.sqrt(1.0 + 1.0 / self.n) / math.sqrt(k2 - b2sxx)
        peak = self.mean_x + u
        return min(max(peak, start), stop) if math.isfinite(peak) else stop

    @functools.cached_property
    def band(self) -> list[dict[str, float]]:
        """The fitted curve and its band, from the first checkpoint to two decades past the last (computed
        once per trend: it does not depend on the current checkpoint). Callers must not change it."""
        lo, hi = self.x_min, min(self.x_max + _BAND_DECADES, 308.0)
        sign = 1.0 if self.higher_is_more_capable else -1.0
        out = []
        for k in range(_BAND_POINTS):
            x = lo + (hi - lo) * k / (_BAND_POINTS - 1)
            compute = _pow10(x)
            values = [self._score(sign * self._edge(x, side)) for side in (0.0, -sign, sign)]
            if compute is None or compute == 0.0 or any(v is None for v in values):
                continue
            fit, low, high = (float(v) for v in values if v is not None)
            out.append({"effective_compute": compute, "fit": fit, "low": low, "high": high})
        return out

    def _score(self, scaled: float) -> float | None:
        """A fitted value back on the score's own scale (None if it does not fit in a float)."""
        if self.kind == "logistic":
            return _sigmoid(scaled * self.scale)
        value = scaled * self.scale
        return value if math.isfinite(value) else None

    def forecast(
        self,
        indicator_id: str,
        *,
        threshold: float | None,
        alert: float | None,
        current_effective_compute: float | None,
    ) -> Forecast:
        """The forecast of one indicator, placed at the current checkpoint."""
        sign = 1.0 if self.higher_is_more_capable else -1.0
        slope = sign * self.slope * self.scale
        intercept = sign * (self.level - self.slope * self.mean_x) * self.scale
        return Forecast(
            indicator_id,
            True,
            f"{self.kind} fit on {self.n} checkpoints, residual s={self.residual * self.scale:.3g}",
            self.kind,
            slope if math.isfinite(slope) else None,
            intercept if math.isfinite(intercept) else None,
            self.points,
            current_effective_compute,
            {
                "alert": self.reach(alert, current_effective_compute),
                "threshold": self.reach(threshold, current_effective_compute),
            },
            self.band,
        )


def _ratio(value: float | None, ref: float | None) -> float | None:
    if value is None or ref is None:
        return None
    ratio = value / ref
    return ratio if math.isfinite(ratio) else None


def _first_reach(edge: Callable[[float], float], target: float, lo: float, hi: float) -> float | None:
    """The smallest x in [lo, hi] at which the nondecreasing-there ``edge`` reaches ``target`` (None if it
    does not); ``edge`` is the capable edge (convex, so once it rises past the target it stays there) or the
    other edge up to its peak."""
    if edge(lo) >= target:
        return lo
    if hi <= lo or edge(hi) < target:
        return None
    while hi - lo > _TOLERANCE:
        mid = (lo + hi) / 2
        if not lo < mid < hi:  # the interval cannot be halved further in floating point
            break
        if edge(mid) >= target:
            hi = mid
        else:
            lo = mid
    return hi


def fit_trend(
    points: Sequence[ForecastPoint], *, higher_is_more_capable: bool, confidence_level: float = 0.95
) -> Trend | tuple[str, FitKind | None, list[ForecastPoint]]:
    """The fitted trend, or why there is none (with the fit kind, if one was chosen, and the usable points).

    Cost: one pass over the points; nothing here reads the store.
    """
    usable = [
        p
        for p in points
        if math.isfinite(p.effective_compute) and p.effective_compute > 0 and math.isfinite(p.estimate)
    ]
    xs = [math.log10(p.effective_compute) for p in usable]
    if len(set(xs)) < 3:
        return (f"needs results at 3 or more distinct effective computes, has {len(set(xs))}", None, usable)
    kind: FitKind = "logistic" if all(0.0 < p.estimate < 1.0 for p in usable) else "linear"
    sign = 1.0 if higher_is_more_capable else -1.0
    if kind == "logistic":
        ys = [sign * _logit(p.estimate) for p in usable]
        scale = 1.0
    else:
        scale = max(abs(p.estimate) for p in usable)
        if scale == 0.0:
            return ("no upward trend: every score is 0 (slope = 0)", kind, usable)
        ys = [sign * p.estimate / scale for p in usable]
    n = len(usable)
    mean_x = math.fsum(xs) / n
    mean_y = math.fsum(ys) / n
    dx = [x - mean_x for x in xs]
    sxx = math.fsum(d * d for d in dx)
    if not sxx > 0.0:
        return ("the effective computes are too close together to fit a trend", kind, usable)
    slope = math.fsum(d * (y - mean_y) for d, y in zip(dx, ys, strict=True)) / sxx
    if not math.isfinite(slope) or slope <= 0.0:
        return (
            "no upward trend towards more capability across checkpoints (slope <= 0): "
            "cannot forecast a crossing",
            kind,
            usable,
        )
    residual = math.fsum((y - mean_y - slope * d) ** 2 for d, y in zip(dx, ys, strict=True))
    s = math.sqrt(residual / (n - 2))
    spread = _t_quantile(confidence_level, n - 2) * s
    if not (math.isfinite(spread) and math.isfinite(mean_y)):
        return ("the scores are too extreme to fit a trend", kind, usable)
    return Trend(
        kind,
        higher_is_more_capable,
        n,
        mean_x,
        sxx,
        mean_y,
        slope,
        s,
        spread,
        scale,
        min(xs),
        max(xs),
        usable,
    )


def forecast_indicator(
    indicator_id: str,
    points: Sequence[ForecastPoint],
    *,
    threshold: float | None,
    alert: float | None,
    higher_is_more_capable: bool,
    current_effective_compute: float | None,
    confidence_level: float = 0.95,
) -> Forecast:
    """Fit the trend and solve for the effective compute at which alert and threshold are reached."""
    trend = fit_trend(
        points, higher_is_more_capable=higher_is_more_capable, confidence_level=confidence_level
    )
    if isinstance(trend, Trend):
        return trend.forecast(
            indicator_id,
            threshold=threshold,
            alert=alert,
            current_effective_compute=current_effective_compute,
        )
    reason, kind, usable = trend
    return Forecast(
        indicator_id, False, reason, kind, points=usable, current_effective_compute=current_effective_compute
    )


# -- a family's forecasts, fitted once per audit root --------------------------------------------------------

_KEPT = 16
NoTrend = tuple[str, FitKind | None, list[ForecastPoint]]
"""Why there is no trend, the fit kind if one was chosen, and the usable points."""
_fits: OrderedDict[tuple[Any, str, int], tuple[Any, Policy, dict[str, Trend | NoTrend]]] = OrderedDict()
_lock = threading.Lock()


def clear_forecast_cache() -> None:
    """Forget every kept fit and series (the next forecast reads and fits again)."""
    with _lock:
        _fits.clear()
    clear_series_cache()


def family_forecasts(
    session: Session, policy: Policy, family: str, current_effective_compute: float | None
) -> list[Forecast]:
    """One forecast per indicator of ``policy``, for a checkpoint of ``family`` at the given compute.

    The family's series (``scalegate.evidence.series.family_series``: sufficient results at a known effective
    compute) is fitted once per audit root; a call whose root is unchanged costs one SQL statement and only
    places the current checkpoint on the kept trends.
    """
    root = audit_root(session)
    key = (session.get_bind(), family, id(policy))
    with _lock:
        kept = _fits.get(key)
        if kept is not None and kept[0] == root and kept[1] is policy:
            _fits.move_to_end(key)
            fitted = kept[2]
        else:
            fitted = None
    if fitted is None:
        series = family_series(session, policy, family)
        level = policy.statistics.confidence_level
        fitted = {}
        for _, indicator in policy.indicators():
            points = [
                ForecastPoint(p.ref, p.effective_compute, p.estimate)
                for p in series.get(indicator.id, [])
                if p.effective_compute and p.sufficient
            ]
            fitted[indicator.id] = fit_trend(
                points,
                higher_is_more_capable=indicator.direction == "higher_is_more_capable",
                confidence_level=level,
            )
        with _lock:
            _fits[key] = (root, policy, fitted)
            _fits.move_to_end(key)
            while len(_fits) > _KEPT:
                _fits.popitem(last=False)
    out = []
    for _, indicator in policy.indicators():
        trend = fitted[indicator.id]
        if isinstance(trend, Trend):
            out.append(
                trend.forecast(
                    indicator.id,
                    threshold=indicator.threshold,
                    alert=indicator.alert,
                    current_effective_compute=current_effective_compute,
                )
            )
        else:
            reason, kind, usable = trend
            out.append(
                Forecast(
                    indicator.id,
                    False,
                    reason,
                    kind,
                    points=usable,
                    current_effective_compute=current_effective_compute,
                )
            )
    return out
