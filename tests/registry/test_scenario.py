"""Scenarios: a training run crosses 4x, its assessment falls due, and a missed deadline becomes a finding
with the exact number of days late (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from scalegate.clock import FixedClock
from scalegate.registry import lookup, service
from scalegate.registry.assessments_due import (
    OVERDUE_FINDING,
    calendar_items,
    due_assessments,
    list_findings,
    mark_assessment_completed,
    record_overdue_findings,
)
from scalegate.registry.specs import CheckpointSpec
from scalegate.workspace import Workspace, init_workspace
from tests.registry.conftest import RSO, checkpoint, days, family_with_fit


def test_training_run_crossing_4x_makes_an_assessment_due_then_overdue(
    workspace: Workspace, clock: FixedClock
) -> None:
    family_with_fit(workspace)
    start = clock.now()
    base = service.register_checkpoint(
        workspace, RSO, "m1", checkpoint("c0", 0, 1e20, start, compute_for_loss=1e21)
    )
    with workspace.transaction() as session:
        mark_assessment_completed(workspace, session, RSO, base.checkpoint.id, start)
    assert due_assessments(workspace) == []

    arrivals = [1.6e21, 2.5e21, 3.5e21, 4.2e21, 5.5e21]
    opened: dict[str, list[str]] = {}
    for n, compute in enumerate(arrivals, start=1):
        clock.advance(days(1))
        report = service.register_checkpoint(
            workspace,
            RSO,
            "m1",
            checkpoint(f"c{n}", n * 1000, 1e20 * n, clock.now(), compute_for_loss=compute),
        )
        opened[f"c{n}"] = [a.trigger for a in report.opened]
    assert opened == {"c1": [], "c2": [], "c3": [], "c4": ["effective_compute"], "c5": []}

    (due,) = due_assessments(workspace)
    crossed_at = start + days(4)
    assert due.checkpoint == "m1@c4" and due.trigger == "effective_compute"
    assert due.triggered_at == crossed_at and due.due_at == crossed_at + days(30)
    assert due.status == "due" and due.days_left == 29 and due.clause == "TSP v1.0 §3.2"
    assert "4.20x" in due.text

    clock.set(crossed_at + days(30))  # the deadline itself: not late yet
    assert record_overdue_findings(workspace) == []
    clock.set(crossed_at + days(33))
    (finding,) = record_overdue_findings(workspace)
    assert finding.kind == OVERDUE_FINDING and finding.days_late == 3
    assert finding.subject == f"assessment:{due.id}" and finding.clause == "TSP v1.0 §3.2"
    assert finding.detail["checkpoint"] == "m1@c4" and finding.detail["state"] == "open"
    assert record_overdue_findings(workspace) == []  # idempotent
    (overdue,) = due_assessments(workspace)
    assert overdue.status == "overdue" and overdue.days_overdue == 3

    clock.set(crossed_at + days(35))
    with workspace.transaction() as session:
        c5 = lookup.resolve_checkpoint(session, "m1@c5")
        mark_assessment_completed(workspace, session, RSO, c5.id, clock.now())
    (final,) = list_findings(workspace, OVERDUE_FINDING)
    assert final.id == finding.id and final.days_late == 5 and final.detail["state"] == "completed_late"
    assert due_assessments(workspace) == []
    statuses = {i.subject: i.status for i in calendar_items(workspace) if i.details.get("trigger")}
    assert statuses["m1@c4"] == "missed"

    # the assessed checkpoint is the new baseline: 4x is now counted from c5
    clock.advance(days(1))
    later = service.register_checkpoint(
        workspace, RSO, "m1", checkpoint("c6", 6000, 6e20, clock.now(), compute_for_loss=2e22)
    )
    ratio = next(f for f in later.firings if f.trigger == "effective_compute")
    assert ratio.value == pytest.approx(2e22 / 5.5e21, rel=1e-4) and not ratio.fired


@pytest.fixture
def rsp_v1(db_url: str) -> Iterator[tuple[Workspace, FixedClock]]:
    clock = FixedClock(datetime(2024, 1, 20, tzinfo=UTC))
    ws = init_workspace(db_url, "anthropic-rsp-1.0", clock=clock)
    try:
        yield ws, clock
    finally:
        ws.close()


def _assessed_in_january(ws: Workspace) -> None:
    service.create_model(ws, RSO, "frontier-x", "frontier", "pretraining")
    service.create_run(ws, RSO, "frontier-x", "main", algorithmic_multiplier=1.0)
    spec = CheckpointSpec(
        name="jan", step=1, training_flops=1e24, run="main", recorded_at=datetime(2024, 1, 10, tzinfo=UTC)
    )
    row = service.register_checkpoint(ws, RSO, "frontier-x", spec).checkpoint
    with ws.transaction() as session:
        mark_assessment_completed(ws, session, RSO, row.id, datetime(2024, 1, 15, 12, tzinfo=UTC))


def test_rsp_v1_evaluation_completed_three_days_after_the_three_month_mark(
    rsp_v1: tuple[Workspace, FixedClock],
) -> None:
    """The October 2024 RSP update reports an evaluation completed 3 days late (v1.0: every 3 months)."""
    ws, clock = rsp_v1
    _assessed_in_january(ws)
    clock.set(datetime(2024, 4, 1, tzinfo=UTC))
    spec = CheckpointSpec(
        name="apr",
        step=2,
        training_flops=2e24,
        run="main",
        stage="post-training",
        recorded_at=datetime(2024, 4, 1, tzinfo=UTC),
    )
    service.register_checkpoint(ws, RSO, "frontier-x", spec)
    assert due_assessments(ws) == []
    upcoming = [i for i in calendar_items(ws) if i.status == "upcoming"]
    assert [i.due_at for i in upcoming] == [datetime(2024, 4, 15, 12, tzinfo=UTC)]
    assert upcoming[0].clause == "Anthropic RSP v1.0 §Evaluation Protocol"

    clock.set(datetime(2024, 4, 18, 12, tzinfo=UTC))
    with ws.transaction() as session:
        apr = lookup.resolve_checkpoint(session, "frontier-x@apr")
        mark_assessment_completed(ws, session, RSO, apr.id, clock.now())
    (finding,) = list_findings(ws, OVERDUE_FINDING)
    assert finding.days_late == 3
    assert finding.detail["trigger"] == "calendar"
    assert finding.detail["due_at"] == "2024-04-15T12:00:00+00:00"
    assert finding.detail["completed_at"] == "2024-04-18T12:00:00+00:00"
    assert record_overdue_findings(ws) == []


def test_rsp_v1_overdue_calendar_assessment_is_found_before_it_is_done(
    rsp_v1: tuple[Workspace, FixedClock],
) -> None:
    ws, clock = rsp_v1
    _assessed_in_january(ws)
    clock.set(datetime(2024, 4, 17, 9, tzinfo=UTC))
    (pending,) = due_assessments(ws)
    assert pending.id is None and pending.trigger == "calendar" and pending.days_overdue == 2
    (finding,) = record_overdue_findings(ws)
    assert finding.days_late == 2 and finding.detail["state"] == "open"
    (recorded,) = due_assessments(ws)
    assert recorded.id is not None and recorded.due_at == datetime(2024, 4, 15, 12, tzinfo=UTC)
    clock.set(datetime(2024, 4, 18, 12, tzinfo=UTC))
    with ws.transaction() as session:
        jan = lookup.resolve_checkpoint(session, "frontier-x@jan")
        mark_assessment_completed(ws, session, RSO, jan.id, clock.now())
    (final,) = list_findings(ws, OVERDUE_FINDING)
    assert final.id == finding.id and final.days_late == 3
