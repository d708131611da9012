"""Every trend chart draws its threshold, its alert value and the safety buffer between them, even when all
results sit at one effective compute (the demo's case)."""

from __future__ import annotations

import pytest

from scalegate.web.ui.trends import chart_config

INDICATOR = {"threshold": 0.8, "alert": 0.6}


def _forecast(xs: list[float]) -> dict[str, object]:
    points = [{"effective_compute": x, "estimate": 0.5, "checkpoint": f"c{i}"} for i, x in enumerate(xs)]
    return {"points": points, "band": [], "current_effective_compute": xs[-1]}


@pytest.mark.parametrize("xs", [[3.0e24], [3.0e24, 3.0e24], [1.0e24, 4.0e24]])
def test_threshold_alert_and_buffer_are_drawn_across_a_visible_span(xs: list[float]) -> None:
    config = chart_config(_forecast(xs), INDICATOR, "accuracy")
    datasets = config["data"]["datasets"]
    lines = {d["label"].split(" (")[0]: d for d in datasets if d["label"].startswith(("Threshold", "Alert"))}
    assert set(lines) == {"Threshold", "Alert value"}
    for line in lines.values():
        (x0, y0), (x1, y1) = ((p["x"], p["y"]) for p in line["data"])
        assert x0 < x1 and y0 == y1, line["label"]
        assert x0 <= min(xs) and x1 >= max(xs)
    assert lines["Alert value"]["fill"]["target"] == 0, (
        "the buffer is shaded from the alert line to the threshold"
    )
