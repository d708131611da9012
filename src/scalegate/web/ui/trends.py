"""Trends: each indicator's results against effective compute, with its threshold and alert values (the safety
buffer between them shaded), the fitted trend with its prediction band, and where the trend would reach
them."""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime
from typing import Any, TypedDict

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from scalegate.actor import Actor
from scalegate.assessment.findings import FindingState, IndicatorFindingDocument
from scalegate.assessment.forecast import ForecastDocument, ForecastPoint
from scalegate.assessment.service import assess
from scalegate.context import Context
from scalegate.errors import NotFoundError
from scalegate.jsonable import JsonObject
from scalegate.registry.lookup import WINDOW_MAX, CheckpointWindow, checkpoint_window
from scalegate.web.auth import requires
from scalegate.web.ui.page_cache import kept_page
from scalegate.web.ui.render import render
from scalegate.web.ui.thresholds import chosen_model

__all__ = [
    "CHART_POINTS",
    "ChartConfig",
    "ChartData",
    "TrendChart",
    "TrendForecast",
    "TrendsView",
    "chart_config",
    "downsample",
    "router",
]

router = APIRouter(include_in_schema=False)

WINDOW = 50
"""Checkpoints the window lists by default."""

RED, AMBER, BLUE, GREY = "rgb(164,22,26)", "rgb(196,132,0)", "rgb(31,78,138)", "rgb(107,114,128)"


class ChartData(TypedDict):
    """``data`` of a Chart.js configuration: its datasets (lines, bands and points, in Chart.js's keys)."""

    datasets: list[JsonObject]


class ChartConfig(TypedDict):
    """A Chart.js configuration of one indicator's trend, handed to the page's script as JSON."""

    type: str
    data: ChartData
    options: JsonObject


class TrendForecast(ForecastDocument):
    """A forecast as its chart shows it: the points drawn (downsampled), and how many were measured."""

    measured: int


class TrendChart(TypedDict):
    """One indicator's chart on the trends page: its finding (None before any result) and its forecast."""

    id: str
    indicator: str
    threshold: str | None
    state: FindingState | None
    forecast: TrendForecast
    indicator_finding: IndicatorFindingDocument | None
    config: ChartConfig


class TrendsView(TypedDict):
    """What the trends page shows whoever views it (template context): the charts of the chosen checkpoint
    and the window of the model's checkpoints (None without a model)."""

    charts: list[TrendChart]
    ref: str | None
    selected: str | None
    window: CheckpointWindow | None


def _hline(label: str, y: float, xs: tuple[float, float], color: str, **extra: Any) -> JsonObject:
    return {
        "type": "line",
        "label": label,
        "data": [{"x": xs[0], "y": y}, {"x": xs[1], "y": y}],
        "borderColor": color,
        "borderDash": [6, 4],
        "borderWidth": 2,
        "pointRadius": 0,
        "fill": False,
        **extra,
    }


def _drawn(x: float) -> float:
    """A coordinate to four significant digits: finer than a chart can show, and it keeps the page small
    (20 charts of long series otherwise send a third of a megabyte of 17-digit numbers)."""
    return float(f"{x:.4g}") if math.isfinite(x) else x


def _span(xs: list[float]) -> tuple[float, float]:
    """The x range the threshold and alert lines (and the buffer between them) are drawn across. Results at
    one effective compute, the demo's case, give a range of zero width, and lines of zero length are not
    drawn at all: the range then spans half to twice that compute (the axis is logarithmic)."""
    if not xs:
        return 1.0, 10.0
    lo, hi = min(xs), max(xs)
    if lo < hi:
        return lo, hi
    return (lo / 2, hi * 2) if lo > 0 else (lo - 1.0, hi + 1.0)


def chart_config(forecast: dict[str, Any], indicator: dict[str, Any], metric: str) -> ChartConfig:
    """A Chart.js configuration (plain data) for one indicator's trend; coordinates are rounded for drawing
    (``_drawn``), the numbers in the text come from the forecast itself."""
    points = [
        {"x": _drawn(p["effective_compute"]), "y": _drawn(p["estimate"]), "label": p["checkpoint"]}
        for p in forecast["points"]
    ]
    band = [
        {k: _drawn(v) if isinstance(v, float) else v for k, v in b.items()}
        for b in forecast.get("band") or []
    ]
    xs_all = [p["x"] for p in points] + [b["effective_compute"] for b in band]
    current = forecast.get("current_effective_compute")
    if current:
        xs_all.append(current)
    xs = _span(xs_all)
    datasets: list[JsonObject] = []
    threshold, alert = indicator.get("threshold"), indicator.get("alert")
    if threshold is not None:
        datasets.append(_hline(f"Threshold ({threshold:g})", threshold, xs, RED))
    if alert is not None:
        fill = (
            {"target": 0, "above": "rgba(240,180,40,0.18)", "below": "rgba(240,180,40,0.18)"}
            if threshold is not None
            else False
        )
        datasets.append(
            _hline(f"Alert value ({alert:g}); shaded: safety buffer", alert, xs, AMBER, fill=fill)
        )
    if band:
        n = len(datasets)
        datasets.append(
            {
                "type": "line",
                "label": "Prediction band (low)",
                "legendHidden": True,
                "data": [{"x": b["effective_compute"], "y": b["low"]} for b in band],
                "borderColor": "rgba(31,78,138,0.25)",
                "borderWidth": 1,
                "pointRadius": 0,
                "fill": False,
            }
        )
        datasets.append(
            {
                "type": "line",
                "label": "Prediction band",
                "data": [{"x": b["effective_compute"], "y": b["high"]} for b in band],
                "borderColor": "rgba(31,78,138,0.25)",
                "borderWidth": 1,
                "pointRadius": 0,
                "fill": {"target": n, "above": "rgba(31,78,138,0.10)", "below": "rgba(31,78,138,0.10)"},
            }
        )
        datasets.append(
            {
                "type": "line",
                "label": f"Forecast ({forecast.get('fit')} fit)",
                "data": [{"x": b["effective_compute"], "y": b["fit"]} for b in band],
                "borderColor": BLUE,
                "borderWidth": 2,
                "pointRadius": 0,
                "fill": False,
            }
        )
    datasets.append(
        {
            "type": "scatter",
            "label": "Measured results",
            "data": points,
            "backgroundColor": "rgb(24,32,43)",
            "pointRadius": 5,
        }
    )
    if current:
        datasets.append(
            {
                "type": "line",
                "label": "This checkpoint",
                "data": [{"x": current, "y": 0}, {"x": current, "y": 1}],
                "borderColor": GREY,
                "borderDash": [2, 3],
                "borderWidth": 1,
                "pointRadius": 0,
                "fill": False,
            }
        )
    return {
        "type": "scatter",
        "data": {"datasets": datasets},
        "options": {
            "parsing": True,
            "scales": {
                "x": {
                    "type": "logarithmic",
                    "title": {"display": True, "text": "Effective compute (FLOP, log scale)"},
                },
                "y": {"title": {"display": True, "text": metric}, "suggestedMin": 0, "suggestedMax": 1},
            },
            "plugins": {"legend": {"position": "bottom"}},
        },
    }


CHART_POINTS = 60
"""Most measured points one chart draws; a longer series is downsampled (``downsample``)."""


def downsample(
    points: list[ForecastPoint], limit: int, values: tuple[float | None, ...], current: str | None
) -> list[ForecastPoint]:
    """At most about ``limit`` of ``points`` (in effective-compute order), chosen so the chart still tells the
    truth about the series.

    The rule: a series of at most ``limit`` points is drawn whole. A longer one keeps, first, the points a
    reader must see: the first and last, the lowest and highest estimate, the current checkpoint's point, and
    both points around every crossing of each of ``values`` (the alert and threshold values: where consecutive
    estimates fall on opposite sides). If those alone exceed the budget, evenly spaced ones among them are
    kept (the extremes and the current point always). The rest of the budget goes to points evenly spaced by
    rank, so dense stretches stay dense. The fit and the forecast always use the whole series; only the
    drawing is thinned, so a page over thousands of checkpoints sends a bounded document.
    """
    n = len(points)
    if n <= limit:
        return points
    ordered = sorted(range(n), key=lambda i: points[i].effective_compute)
    estimates = [points[i].estimate for i in ordered]
    pinned = {0, n - 1}
    pinned.add(min(range(n), key=estimates.__getitem__))
    pinned.add(max(range(n), key=estimates.__getitem__))
    pinned |= {k for k in range(n) if current is not None and points[ordered[k]].checkpoint == current}
    crossings: set[int] = set()
    for value in values:
        if value is None:
            continue
        for k in range(1, n):
            if (estimates[k - 1] < value) != (estimates[k] < value):
                crossings |= {k - 1, k}
    crossings -= pinned
    room = max(limit - len(pinned), 0)
    if len(crossings) > room:
        spread = sorted(crossings)
        crossings = (
            {spread[round(j * (len(spread) - 1) / max(room - 1, 1))] for j in range(room)} if room else set()
        )
    keep = pinned | crossings
    room = limit - len(keep)
    if room > 0:
        keep |= {round(j * (n - 1) / max(room - 1, 1)) for j in range(room)}
    return [points[ordered[k]] for k in sorted(keep)]


@router.get("/trends")
def trends(
    request: Request,
    model: str | None = Query(None, max_length=200),
    checkpoint: str | None = Query(None, max_length=200),
    page: int | None = Query(None, ge=1, le=2**31, description="Window of checkpoints, 1 = the newest."),
    size: int = Query(WINDOW, ge=1, le=WINDOW_MAX, description="Checkpoints per window."),
    actor: Actor = Depends(requires("assessment.read")),
) -> Response:
    """One chart per indicator of the policy, for one checkpoint of the model (the latest by default) and its
    family, and a window of the model's checkpoints to pick another from.

    The charts draw the family's whole series downsampled to ``CHART_POINTS`` per indicator (the forecast is
    fitted on every point); the typed forecasts are thinned before they become JSON, so the page costs the
    same few statements and a bounded document at ten checkpoints or ten thousand.
    """
    name, names = chosen_model(request, model)

    def respond(shown: TrendsView) -> Response:
        return render(request, "trends.html", "trends", {"model": name, "models": names, **shown})

    if name is None:
        return respond({"charts": [], "ref": None, "selected": None, "window": None})
    return kept_page(
        request,
        ("trends", name, tuple(names), checkpoint, page, size),
        lambda ctx: _trends_view(ctx, name, checkpoint, page, size),
        respond,
    )


def _trends_view(
    ctx: Context, name: str, checkpoint: str | None, page: int | None, size: int
) -> tuple[TrendsView, datetime | None]:
    """The charts, the chosen checkpoint and the window of ``name``'s checkpoints in ``ctx``'s snapshot,
    and the earliest time they could change by themselves (the assessment's ``valid_until``; the charts
    draw results, findings and forecasts, which change only with the recorded state)."""
    window = checkpoint_window(ctx.session, name, page=page, size=size, around=checkpoint)
    try:
        assessed = assess(ctx, f"{name}@{checkpoint}" if checkpoint else name) if window.total else None
    except NotFoundError:
        assessed = None
    metrics = {i.id: i.metric for _, i in ctx.policy.indicators()}
    charts: list[TrendChart] = []
    ref = None
    if assessed is not None:
        ref = assessed.ref
        indicators = {i.indicator_id: i for f in assessed.findings for i in f.indicators}
        for n, typed in enumerate(assessed.forecasts):
            finding = indicators.get(typed.indicator_id)
            indicator = finding.to_dict() if finding is not None else None
            values = (indicator["alert"], indicator["threshold"]) if indicator is not None else (None, None)
            drawn = downsample(typed.points, CHART_POINTS, values, assessed.ref)
            forecast: TrendForecast = {
                **dataclasses.replace(typed, points=drawn).to_dict(),
                "measured": len(typed.points),
            }
            metric = metrics.get(typed.indicator_id, "score")
            charts.append(
                {
                    "id": f"chart-{n}",
                    "indicator": typed.indicator_id,
                    "threshold": indicator["threshold_id"] if indicator is not None else None,
                    "state": indicator["state"] if indicator is not None else None,
                    "forecast": forecast,
                    "indicator_finding": indicator,
                    "config": chart_config(
                        dict(forecast), dict(indicator) if indicator is not None else {}, metric
                    ),
                }
            )
    shown: TrendsView = {
        "charts": charts,
        "ref": ref,
        "selected": ref.split("@", 1)[1] if ref else None,
        "window": window,
    }
    return shown, assessed.valid_until if assessed is not None else None
