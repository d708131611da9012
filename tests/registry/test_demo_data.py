"""The demo family: a fit recovering the demo law, eight checkpoints, one assessment due; no output."""

from __future__ import annotations

import pytest

from scalegate.registry.assessments_due import calendar_items, due_assessments
from scalegate.registry.fits import scaling_summary
from scalegate.testing.demo_data import DEMO_LAW, seed_demo_family
from scalegate.workspace import Workspace
from tests.registry.conftest import RSO, days


def test_demo_family(workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    created = seed_demo_family(workspace, RSO)
    assert capsys.readouterr() == ("", "")
    assert len(created.checkpoints) == 8 and created.baseline == created.checkpoints[0]
    summary = scaling_summary(workspace, created.family)
    assert summary["fit"]["alpha"] == pytest.approx(DEMO_LAW["alpha"], rel=0.05)
    assert summary["fit"]["E"] == pytest.approx(DEMO_LAW["E"], rel=0.02)
    points = summary["checkpoints"]
    assert all(p["method"] == "scaling_law" for p in points)
    assert all(p["low"] <= p["effective_compute"] for p in points)
    efficiency = [p["effective_compute"] / p["training_flops"] for p in points]
    assert all(2.5 < e < 4.0 for e in efficiency)  # the run's recipe is about 3x the baseline
    (due,) = due_assessments(workspace)
    assert due.checkpoint == created.checkpoints[2] and due.trigger == "effective_compute"
    assert due.status == "due" and due.due_at == workspace.now() - days(26) + days(30)
    assert created.assessments_opened == [due.id]
    assert {i.status for i in calendar_items(workspace)} == {"met", "due", "upcoming"}
