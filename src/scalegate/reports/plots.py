"""Report figures drawn with matplotlib (Agg backend, no display): indicator trajectories and the safeguards
matrix.

Figures take plain inputs (``IndicatorSeries``, ``MatrixCell``) that the report builders fill from the service
objects, so a figure shows exactly the numbers the report's data block holds. Each figure is produced both as
SVG (embedded in HTML and PDF, sharp at any zoom) and PNG (for Markdown viewers). Output is deterministic: no
dates in the metadata and a fixed SVG id salt, so regenerating a report from the same record gives the same
bytes.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from typing import Any, Literal

from scalegate.extras import requires_extra

__all__ = [
    "Figure",
    "ForecastPoint",
    "IndicatorSeries",
    "MatrixCell",
    "MatrixState",
    "SeriesPoint",
    "indicator_figure",
    "safeguards_matrix_figure",
]

MatrixState = Literal["met", "gap", "pending", "expired", "not_required"]
"""State of one criterion in the safeguards matrix."""

_STATE_COLOURS: dict[str, str] = {
    "met": "#2e7d32",
    "pending": "#f9a825",
    "expired": "#ef6c00",
    "gap": "#c62828",
    "not_required": "#e0e0e0",
}


@dataclass(frozen=True)
class Figure:
    """A rendered figure: its name (file stem), caption, SVG and PNG bytes."""

    name: str
    caption: str
    svg: bytes
    png: bytes


@dataclass(frozen=True)
class SeriesPoint:
    """One measured checkpoint: effective compute, estimate and its confidence interval."""

    compute: float
    estimate: float
    low: float | None
    high: float | None
    label: str = ""
    current: bool = False


@dataclass(frozen=True)
class ForecastPoint:
    """One point of a fitted trajectory, with its prediction interval."""

    compute: float
    estimate: float
    low: float | None = None
    high: float | None = None


@dataclass
class IndicatorSeries:
    """Everything one indicator's plot shows."""

    indicator: str
    metric: str
    higher_is_more_capable: bool
    threshold: float | None
    alert: float | None
    points: list[SeriesPoint] = field(default_factory=list)
    forecast: list[ForecastPoint] = field(default_factory=list)
    compute_unit: str = "effective compute (FLOP)"


@dataclass(frozen=True)
class MatrixCell:
    """One criterion's state under one standard."""

    row: str
    column: str
    state: MatrixState


def _pyplot() -> Any:
    with requires_extra("reports", "report figures"):
        import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "scalegate"
    matplotlib.rcParams["font.family"] = "DejaVu Sans"
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, name: str, caption: str) -> Figure:
    plt = _pyplot()
    svg, png = io.BytesIO(), io.BytesIO()
    fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    fig.savefig(png, format="png", dpi=130, metadata={"Software": None}, bbox_inches="tight")
    plt.close(fig)
    return Figure(name, caption, svg.getvalue(), png.getvalue())


def indicator_figure(series: IndicatorSeries, name: str | None = None) -> Figure:
    """Score against effective compute: intervals, the alert band, the threshold line and the forecast."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    xs = [p.compute for p in series.points] + [f.compute for f in series.forecast]
    log_x = bool(xs) and min(xs) > 0 and max(xs) / min(xs) > 20
    if log_x:
        ax.set_xscale("log")
    _draw_bands(ax, series)
    _draw_forecast(ax, series)
    _draw_points(ax, series)
    ax.set_xlabel(series.compute_unit)
    ax.set_ylabel(series.metric)
    ax.set_title(f"{series.indicator}", fontsize=10)
    ax.grid(alpha=0.25)
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(handles, labels, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    caption = f"{series.indicator}: {series.metric} against {series.compute_unit}"
    return _save(fig, name or f"indicator-{series.indicator}", caption)


def _draw_bands(ax: Any, s: IndicatorSeries) -> None:
    if s.threshold is not None:
        ax.axhline(s.threshold, color="#c62828", lw=1.4, label=f"threshold {s.threshold:g}")
    if s.alert is not None:
        ax.axhline(s.alert, color="#ef6c00", lw=1.0, ls="--", label=f"alert {s.alert:g}")
    if s.threshold is not None and s.alert is not None:
        lo, hi = sorted((s.alert, s.threshold))
        ax.axhspan(lo, hi, color="#ffb74d", alpha=0.18, lw=0, label="safety buffer")


def _draw_forecast(ax: Any, s: IndicatorSeries) -> None:
    if not s.forecast:
        return
    pts = sorted(s.forecast, key=lambda f: f.compute)
    xs = [f.compute for f in pts]
    ax.plot(xs, [f.estimate for f in pts], color="#1565c0", lw=1.2, ls=":", label="forecast")
    if all(f.low is not None and f.high is not None for f in pts):
        ax.fill_between(
            xs,
            [f.low for f in pts],
            [f.high for f in pts],
            color="#1565c0",
            alpha=0.10,
            lw=0,
            label="prediction interval",
        )


def _draw_points(ax: Any, s: IndicatorSeries) -> None:
    for point in s.points:
        err = None
        if (
            point.low is not None
            and point.high is not None
            and all(map(math.isfinite, (point.low, point.high)))
        ):
            err = [[max(point.estimate - point.low, 0.0)], [max(point.high - point.estimate, 0.0)]]
        colour = "#000000" if point.current else "#455a64"
        ax.errorbar(
            [point.compute],
            [point.estimate],
            yerr=err,
            fmt="o",
            color=colour,
            ms=5 if point.current else 4,
            capsize=3,
            lw=1,
        )
        if point.label:
            ax.annotate(
                point.label,
                (point.compute, point.estimate),
                textcoords="offset points",
                xytext=(5, 5),
                fontsize=7,
            )


def safeguards_matrix_figure(
    cells: list[MatrixCell], name: str = "safeguards-matrix", caption: str = "Safeguards matrix"
) -> Figure:
    """A grid of criteria (rows) by standard (columns), coloured by state."""
    plt = _pyplot()
    from matplotlib.patches import Patch, Rectangle

    rows = list(dict.fromkeys(c.row for c in cells))
    cols = list(dict.fromkeys(c.column for c in cells))
    height = max(2.0, 0.26 * len(rows) + 1.2)
    fig, ax = plt.subplots(figsize=(max(4.0, 1.3 * len(cols) + 3.4), height))
    for cell in cells:
        x, y = cols.index(cell.column), rows.index(cell.row)
        ax.add_patch(Rectangle((x, y), 0.95, 0.9, color=_STATE_COLOURS[cell.state]))
    ax.set_xlim(0, max(len(cols), 1))
    ax.set_ylim(max(len(rows), 1), 0)
    ax.set_xticks([i + 0.47 for i in range(len(cols))], cols, fontsize=8)
    ax.set_yticks([i + 0.45 for i in range(len(rows))], rows, fontsize=7)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    used = [s for s in _STATE_COLOURS if any(c.state == s for c in cells)]
    ax.legend(
        [Patch(color=_STATE_COLOURS[s]) for s in used],
        [s.replace("_", " ") for s in used],
        fontsize=7,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        frameon=False,
    )
    return _save(fig, name, caption)
