"""Forecasts of when an indicator reaches its alert and threshold values.

Worked examples check the numbers; property tests over generated series (flat, falling, noisy, duplicated,
tiny slopes, huge and tiny magnitudes, 0 to 3 points) check that a forecast never raises or warns, and that
what it reports is coherent: finite numbers, ordered intervals, and a reason whenever a number is missing.
"""

from __future__ import annotations

import math
import time
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scalegate.assessment.forecast import (
    CEILING_LOG10,
    Forecast,
    ForecastPoint,
    Trend,
    fit_trend,
    forecast_indicator,
)


def _logistic(x: float, slope: float, mid: float) -> float:
    return 1 / (1 + math.exp(-slope * (x - mid)))


def test_logistic_trend_recovers_the_crossing_point() -> None:
    # score = logistic(1.5 * (log10 C - 24)): reaches 0.8 at log10 C = 24 + ln(4)/1.5.
    points = [
        ForecastPoint(f"c{i}", 10**x, _logistic(x + (0.01 if i % 2 else -0.01), 1.5, 24.0))
        for i, x in enumerate([21.0, 21.5, 22.0, 22.5, 23.0])
    ]
    result = forecast_indicator(
        "i", points, threshold=0.8, alert=0.6, higher_is_more_capable=True, current_effective_compute=1e23
    )
    assert result.ok and result.fit == "logistic"
    expected = 24 + math.log(4) / 1.5
    threshold = result.reach["threshold"]
    central = threshold.effective_compute
    assert central is not None and abs(math.log10(central) - expected) < 0.1
    earliest, latest = threshold.earliest_effective_compute, threshold.latest_effective_compute
    assert earliest is not None and latest is not None
    assert earliest <= central <= latest  # two-sided: the crossing lies between the band's edges
    assert threshold.ratio == central / 1e23
    assert threshold.latest_ratio == latest / 1e23
    alert = result.reach["alert"].effective_compute
    assert alert is not None and alert < central
    assert result.to_dict()["reach"]["threshold"]["latest_effective_compute"] == latest


def test_the_interval_is_two_sided_and_open_when_the_trend_is_uncertain() -> None:
    # A noisy upward trend: the capable edge gives an earliest point; the cautious edge never reaches it.
    noisy = [
        ForecastPoint(str(i), 10.0 ** (20 + i), 0.3 + 0.01 * i + (0.2 if i % 2 else -0.2)) for i in range(4)
    ]
    result = forecast_indicator(
        "i", noisy, threshold=0.9, alert=0.6, higher_is_more_capable=True, current_effective_compute=1e23
    )
    assert result.ok
    reach = result.reach["threshold"]
    assert reach.earliest_effective_compute is not None and reach.latest_effective_compute is None
    assert reach.reason is not None and "latest" in reach.reason


def test_forecast_refuses_too_few_points_and_no_trend() -> None:
    two = [ForecastPoint("a", 1e21, 0.2), ForecastPoint("b", 1e22, 0.3)]
    result = forecast_indicator(
        "i", two, threshold=0.8, alert=0.6, higher_is_more_capable=True, current_effective_compute=1e22
    )
    assert not result.ok and "3 or more" in result.reason
    falling = [ForecastPoint(str(i), 10 ** (21 + i), 0.5 - 0.01 * i) for i in range(4)]
    result = forecast_indicator(
        "i", falling, threshold=0.8, alert=0.6, higher_is_more_capable=True, current_effective_compute=1e24
    )
    assert not result.ok and "no upward trend" in result.reason and "slope" in result.reason
    flat = [ForecastPoint(str(i), 10 ** (21 + i), 0.5) for i in range(4)]
    result = forecast_indicator(
        "i", flat, threshold=0.8, alert=0.6, higher_is_more_capable=True, current_effective_compute=1e24
    )
    assert not result.ok and "no upward trend" in result.reason


def test_a_nearly_flat_series_gives_reasons_not_an_overflow() -> None:
    # Once crashed with OverflowError at 10 ** ((target - intercept) / slope).
    points = [ForecastPoint(str(i), 10.0 ** (21 + i), 0.5 + 1e-15 * i) for i in range(5)]
    result = forecast_indicator(
        "i", points, threshold=0.8, alert=0.6, higher_is_more_capable=True, current_effective_compute=1e25
    )
    assert result.ok
    for reach in result.reach.values():
        assert reach.effective_compute is None
        assert reach.reason is not None and f"beyond 1e{CEILING_LOG10:.0f} FLOP" in reach.reason


def test_a_crossing_far_beyond_the_data_is_beyond_the_fitted_range() -> None:
    # A linear fit on data at 1e1-1e4 FLOP crossing near 1e20: within 1e40 but 16 decades past the data.
    points = [
        ForecastPoint(str(i), 10.0**x, 1.0 + 0.01 * x + (0.001 if i % 2 else 0.0))
        for i, x in enumerate([1, 2, 3, 4])
    ]
    result = forecast_indicator(
        "i", points, threshold=1.2, alert=None, higher_is_more_capable=True, current_effective_compute=1e4
    )
    assert result.ok
    assert result.reach["threshold"].effective_compute is None
    assert "beyond the fitted range" in (result.reach["threshold"].reason or "")
    assert result.reach["alert"].reason == "no value set"


def test_lower_is_more_capable_trend() -> None:
    points = [
        ForecastPoint(str(i), 10**x, 5.0 - 0.5 * x + (0.01 if i % 2 else -0.01))
        for i, x in enumerate([1, 2, 3, 4])
    ]
    result = forecast_indicator(
        "i", points, threshold=1.0, alert=2.0, higher_is_more_capable=False, current_effective_compute=1e4
    )
    assert result.ok and result.fit == "linear"
    assert result.slope is not None and result.slope < 0
    central = result.reach["threshold"].effective_compute
    assert central is not None and abs(math.log10(central) - 8.0) < 0.2
    band = result.band
    assert band and all(b["low"] <= b["fit"] <= b["high"] for b in band)


def test_the_fit_costs_one_pass_over_points_in_memory() -> None:
    """10,000 points fit in well under a second: the forecast reads nothing, it only fits."""

    def series(n: int) -> list[ForecastPoint]:
        return [
            ForecastPoint(str(i), 10 ** (20 + 4 * i / n), 0.2 + 0.5 * i / n + 0.01 * (i % 3))
            for i in range(n)
        ]

    start = time.perf_counter()
    result = forecast_indicator(
        "i",
        series(10_000),
        threshold=0.8,
        alert=0.6,
        higher_is_more_capable=True,
        current_effective_compute=1e24,
    )
    assert result.ok and time.perf_counter() - start < 1.0
    trend = fit_trend(series(10_000), higher_is_more_capable=True)
    assert isinstance(trend, Trend)
    start = time.perf_counter()
    for _ in range(100):
        trend.forecast("i", threshold=0.8, alert=0.6, current_effective_compute=1e24)
    assert (time.perf_counter() - start) / 100 < 0.01  # placing a checkpoint on a fitted trend: constant cost


# -- properties ----------------------------------------------------------------------------------------------

_magnitudes = st.sampled_from([1e-300, 1e-30, 1e-6, 1.0, 1e6, 1e30, 1e300])
_scores = st.one_of(
    st.floats(min_value=0.0, max_value=1.0),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, 1.0, 0.5, 5e-324, 1 - 1e-16, -1e308, 1e308]),
)
_computes = st.one_of(
    st.floats(min_value=5e-324, max_value=1.7e308),
    st.sampled_from([1e-300, 1.0, 1e21, 1e21 * (1 + 1e-15), 1e24, 1e40, 1e300, 1.7e308]),
)


@st.composite
def _series(draw: st.DrawFn) -> list[ForecastPoint]:
    kind = draw(st.sampled_from(["free", "line", "flat", "tiny-slope", "duplicates"]))
    n = draw(st.integers(min_value=0, max_value=12))
    if kind == "free":
        pairs = [(draw(_computes), draw(_scores)) for _ in range(n)]
    else:
        base = draw(st.floats(min_value=-320, max_value=300))
        step = draw(st.floats(min_value=1e-12, max_value=3.0))
        scale = draw(_magnitudes)
        level = draw(st.floats(min_value=-1.0, max_value=1.0))
        slope = {
            "line": draw(st.floats(min_value=-2.0, max_value=2.0)),
            "flat": 0.0,
            "tiny-slope": draw(st.sampled_from([5e-324, 1e-300, 1e-17, 1e-12])),
            "duplicates": draw(st.floats(min_value=-1.0, max_value=1.0)),
        }[kind]
        noise = draw(st.lists(st.floats(min_value=-0.1, max_value=0.1), min_size=n, max_size=n))
        xs = [min(base + step * (i // 2 if kind == "duplicates" else i), 308.0) for i in range(n)]
        pairs = [
            (10.0**x, scale * (level + slope * i + e)) for i, (x, e) in enumerate(zip(xs, noise, strict=True))
        ]
    return [ForecastPoint(f"c{i}", c, y) for i, (c, y) in enumerate(pairs)]


def _check(result: Forecast) -> None:
    assert isinstance(result.reason, str) and result.reason
    if not result.ok:
        return
    assert result.fit in ("logistic", "linear")
    for name, reach in result.reach.items():
        values = [
            reach.effective_compute,
            reach.earliest_effective_compute,
            reach.latest_effective_compute,
            reach.ratio,
            reach.earliest_ratio,
            reach.latest_ratio,
        ]
        assert all(v is None or (math.isfinite(v) and v >= 0) for v in values), (name, reach)
        if reach.effective_compute is not None:
            assert math.log10(reach.effective_compute) <= CEILING_LOG10 + 1e-9
        if None in values[:3]:
            assert reach.reason, (name, reach)
        early, late = reach.earliest_effective_compute, reach.latest_effective_compute
        if early is not None and late is not None:
            assert early <= late * (1 + 1e-8)
    for b in result.band:
        assert all(math.isfinite(v) for v in b.values())
        slack = 1e-9 * max(abs(b["fit"]), 1e-300)
        assert b["low"] - slack <= b["fit"] <= b["high"] + slack
    result.to_dict()


@pytest.mark.slow
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    points=_series(),
    threshold=st.one_of(st.none(), _scores),
    alert=st.one_of(st.none(), _scores),
    higher=st.booleans(),
    current=st.one_of(st.none(), _computes, st.just(0.0)),
    level=st.sampled_from([0.5001, 0.8, 0.95, 0.999]),
)
def test_a_forecast_never_raises_or_warns(
    points: list[ForecastPoint],
    threshold: float | None,
    alert: float | None,
    higher: bool,
    current: float | None,
    level: float,
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = forecast_indicator(
            "i",
            points,
            threshold=threshold,
            alert=alert,
            higher_is_more_capable=higher,
            current_effective_compute=current,
            confidence_level=level,
        )
    _check(result)


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(min_value=0, max_value=3),
    compute=_computes,
    score=_scores,
)
def test_zero_to_three_points_or_one_compute_give_a_reason(n: int, compute: float, score: float) -> None:
    points = [ForecastPoint(str(i), compute, score) for i in range(n)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = forecast_indicator(
            "i",
            points,
            threshold=0.8,
            alert=0.6,
            higher_is_more_capable=True,
            current_effective_compute=compute,
        )
    assert not result.ok and "3 or more distinct" in result.reason


@settings(max_examples=200, deadline=None)
@given(
    slope=st.floats(min_value=1e-3, max_value=3.0),
    mid=st.floats(min_value=15.0, max_value=35.0),
    noise=st.lists(st.floats(min_value=-0.02, max_value=0.02), min_size=6, max_size=6),
)
def test_a_clean_rising_trend_puts_the_crossing_inside_its_interval(
    slope: float, mid: float, noise: list[float]
) -> None:
    xs = [18.0 + i for i in range(6)]
    points = [
        ForecastPoint(str(i), 10.0**x, min(max(_logistic(x, slope, mid) + e, 1e-6), 1 - 1e-6))
        for i, (x, e) in enumerate(zip(xs, noise, strict=True))
    ]
    result = forecast_indicator(
        "i", points, threshold=0.8, alert=0.6, higher_is_more_capable=True, current_effective_compute=1e18
    )
    _check(result)
    if not result.ok:
        assert "no upward trend" in result.reason
        return
    reach = result.reach["threshold"]
    central, early, late = (
        reach.effective_compute,
        reach.earliest_effective_compute,
        reach.latest_effective_compute,
    )
    if central is not None and central >= 1e18 and early is not None and late is not None:
        # Looking ahead from the current checkpoint, the central crossing lies inside the interval.
        # (to the search's precision: about 2e-9 relative)
        assert early <= central * (1 + 1e-8) and central <= late * (1 + 1e-8)
