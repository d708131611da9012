"""Trends: each indicator's results against effective compute, with its threshold and alert values (the safety
buffer between them shaded), the fitted trend with its prediction band, and where the trend would reach
them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from scalegate.actor import Actor
from scalegate.assessment.service import assess
from scalegate.errors import NotFoundError
from scalegate.web.auth import requires
from scalegate.web.ui.common import workspace
from scalegate.web.ui.render import render
from scalegate.web.ui.thresholds import chosen_model

__all__ = ["chart_config", "router"]

router = APIRouter(include_in_schema=False)

RED, AMBER, BLUE, GREY = "rgb(164,22,26)", "rgb(196,132,0)", "rgb(31,78,138)", "rgb(107,114,128)"


def _hline(label: str, y: float, xs: tuple[float, float], color: str, **extra: Any) -> dict[str, Any]:
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


def chart_config(forecast: dict[str, Any], indicator: dict[str, Any], metric: str) -> dict[str, Any]:
    """A Chart.js configuration (plain data) for one indicator's trend."""
    points = [
        {"x": p["effective_compute"], "y": p["estimate"], "label": p["checkpoint"]}
        for p in forecast["points"]
    ]
    band = forecast.get("band") or []
    xs_all = [p["x"] for p in points] + [b["effective_compute"] for b in band]
    current = forecast.get("current_effective_compute")
    if current:
        xs_all.append(current)
    xs = (min(xs_all), max(xs_all)) if xs_all else (1.0, 10.0)
    datasets: list[dict[str, Any]] = []
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


@router.get("/trends")
def trends(
    request: Request,
    model: str | None = Query(None, max_length=200),
    actor: Actor = Depends(requires("assessment.read")),
) -> Response:
    """One chart per indicator of the policy, for the model's latest checkpoint and its family."""
    name, names = chosen_model(request, model)
    charts: list[dict[str, Any]] = []
    ref = None
    if name is not None:
        try:
            assessment = assess(workspace(request), name).to_dict()
        except NotFoundError:
            assessment = None
        if assessment is not None:
            ref = assessment["ref"]
            indicators = {i["indicator_id"]: i for f in assessment["findings"] for i in f["indicators"]}
            metrics = {i.id: i.metric for _, i in workspace(request).policy().indicators()}
            for n, forecast in enumerate(assessment["forecasts"]):
                indicator = indicators.get(forecast["indicator_id"], {})
                charts.append(
                    {
                        "id": f"chart-{n}",
                        "indicator": forecast["indicator_id"],
                        "threshold": indicator.get("threshold_id"),
                        "state": indicator.get("state"),
                        "forecast": forecast,
                        "indicator_finding": indicator,
                        "config": chart_config(
                            forecast, indicator, metrics.get(forecast["indicator_id"], "score")
                        ),
                    }
                )
    context = {"model": name, "models": names, "charts": charts, "ref": ref}
    return render(request, "trends.html", "trends", context)
