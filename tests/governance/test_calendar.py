"""The compliance calendar: deadlines of the policy and of other domains; overdue items become findings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from scalegate.actor import Actor
from scalegate.calendar_types import CalendarItem
from scalegate.clock import FixedClock
from scalegate.errors import InputError, InternalError, NotFoundError, PermissionDenied
from scalegate.governance import calendar, hooks, noncompliance
from scalegate.governance.compliance import compliance_status, record_completion
from scalegate.store.models.assessments import ComplianceFindingRow
from scalegate.store.models.audit import AuditEntryRow
from scalegate.workspace import Workspace
from tests.governance.conftest import make_people


def items_by_subject(workspace: Workspace) -> dict[str, CalendarItem]:
    return {i.subject or i.id: i for i in calendar.calendar_items(workspace)}


def test_cadences_of_the_policy_are_on_the_calendar(workspace: Workspace) -> None:
    items = items_by_subject(workspace)
    review = items["cadence:procedural-review"]
    assert review.due_at == datetime(2026, 6, 1, 12, tzinfo=UTC) and review.status == "upcoming"
    assert review.clause == "TSP v1.0 §7.2" and review.details["responsible_role"] == "rso"
    summary = items["cadence:noncompliance-summary"]  # implied by summary_interval_months: 3
    assert summary.due_at == datetime(2025, 9, 1, 12, tzinfo=UTC) and summary.kind == "summary"


def test_overdue_item_is_recorded_as_a_finding(
    workspace: Workspace, people: dict[str, Actor], clock: FixedClock
) -> None:
    clock.set(datetime(2025, 9, 5, 12, tzinfo=UTC))
    report = compliance_status(workspace, people["rita"])
    assert report.counts["overdue"] == 1 and report.findings_written == 1
    [finding] = report.findings
    assert finding.kind == "summary_overdue" and finding.subject == "cadence:noncompliance-summary:2025-09-01"
    assert finding.days_late == 4 and finding.open and finding.clause == "TSP v1.0 §7.1"
    with workspace.read() as session:
        entry = session.execute(
            select(AuditEntryRow).where(AuditEntryRow.event == "compliance.findings_recorded")
        ).scalar_one()
    assert entry.actor == "system"

    clock.advance(timedelta(days=1))
    again = compliance_status(workspace, people["rita"])
    assert again.findings_written == 1 and again.findings[0].days_late == 5
    assert compliance_status(workspace, people["rita"]).findings_written == 0

    noncompliance.summarize(workspace, people["rita"])
    after = compliance_status(workspace, people["rita"])
    assert after.counts["overdue"] == 0
    [closed] = after.findings
    assert closed.resolved and not closed.open and closed.days_late == 5
    assert closed.detail["met_at"] == clock.now().isoformat()
    next_summary = items_by_subject(workspace)["cadence:noncompliance-summary"]
    assert next_summary.due_at == datetime(2025, 12, 6, 12, tzinfo=UTC) and next_summary.status == "upcoming"


def test_recording_a_review_moves_the_next_deadline(
    workspace: Workspace, people: dict[str, Actor], clock: FixedClock
) -> None:
    clock.set(datetime(2026, 3, 1, tzinfo=UTC))
    done = record_completion(
        workspace,
        people["rita"],
        "procedural-review",
        note="review by Example LLP",
        evidence_uri="https://example.org/review.pdf",
    )
    assert done.days_late == 0 and done.due_at == datetime(2026, 6, 1, 12, tzinfo=UTC)
    assert items_by_subject(workspace)["cadence:procedural-review"].due_at == datetime(2027, 3, 1, tzinfo=UTC)
    with pytest.raises(NotFoundError, match="no cadence 'annual-party'"):
        record_completion(workspace, people["rita"], "annual-party")
    with pytest.raises(InputError, match="in the future"):
        record_completion(workspace, people["rita"], "procedural-review", at=clock.now() + timedelta(days=1))
    with pytest.raises(PermissionDenied):
        record_completion(workspace, people["sam"], "procedural-review")


def test_drills_and_reviews_of_the_rsp(rsp: Workspace, clock: FixedClock) -> None:
    people = make_people(rsp, {"rita": ["rso"], "sec": ["security"]})
    subjects = {i.subject for i in calendar.calendar_items(rsp)}
    assert {
        "cadence:procedural-review",
        "cadence:public-updates",
        "cadence:noncompliance-summary",
        "cadence:drill-training-pause",
        "cadence:drill-weight-security-incident",
    } <= subjects
    assert "cadence:safeguards-reapproval" not in subjects  # left to the safeguards provider
    clock.set(datetime(2026, 6, 10, tzinfo=UTC))
    status = compliance_status(rsp, people["rita"])
    kinds = {f.kind for f in status.findings}
    assert {"drill_overdue", "review_overdue", "publication_overdue", "summary_overdue"} <= kinds
    done = record_completion(rsp, people["sec"], "drill-weight-security-incident", kind="drill")
    assert done.days_late == 9
    with pytest.raises(NotFoundError, match="no drill 'procedural-review'"):
        record_completion(rsp, people["rita"], "procedural-review", kind="drill")
    with rsp.read() as session:
        finding = session.execute(
            select(ComplianceFindingRow).where(
                ComplianceFindingRow.subject == "cadence:drill-weight-security-incident:2026-06-01"
            )
        ).scalar_one()
    assert finding.days_late == 9 and "met_at" in finding.detail


def test_other_domains_deadlines_are_merged_and_failures_show(workspace: Workspace) -> None:
    due = workspace.now() - timedelta(days=3)

    def good(ws: Workspace) -> list[CalendarItem]:
        return [
            CalendarItem(
                id="assessment:7",
                kind="assessment",
                title="Assess checkpoint 7",
                due_at=due,
                status="overdue",
                clause="TSP v1.0 §3.2",
                days_overdue=3,
            )
        ]

    def explode(ws: Workspace) -> list[CalendarItem]:
        raise RuntimeError("database on fire")

    sources = hooks.Hooks.of(hooks.CalendarSource("good", good), hooks.CalendarSource("broken", explode))
    with hooks.installed_as(sources):
        found = calendar.calendar_sources(workspace)
        merged = {i.id: i for i in calendar.compliance_calendar(workspace)}
    assert [source.name for source, _ in found] == ["governance", "good", "broken"]
    assert merged["assessment:7"].status == "overdue"
    assert merged["source-error:broken"].status == "overdue"
    assert "database on fire" in merged["source-error:broken"].title


def test_sources_replace_the_cadences_they_compute(workspace: Workspace) -> None:
    """A source that computes a kind of cadence itself (safeguards: `reapproval`) takes it from governance."""
    with hooks.installed_as(hooks.Hooks()):
        assert "procedural-review" in {i.details.get("cadence") for i in calendar.calendar_items(workspace)}
    owner = hooks.CalendarSource("reviews", lambda ws: [], cadence_kinds=frozenset({"review"}))
    with hooks.installed_as(hooks.Hooks(calendar=(owner,))):
        kinds = {i.kind for i in calendar.calendar_items(workspace)}
    assert "review" not in kinds and "summary" in kinds


def test_the_installed_sources_are_the_registry_and_safeguards() -> None:
    installed = hooks.installed()
    assert [s.name for s in installed.calendar] == ["assessments", "safeguards", "documents"]
    assert installed.cadence_kinds() == {"reapproval"}
    assert installed.calendar[0].record_findings is not None  # the registry records its own findings


def test_a_calendar_without_installed_sources_is_refused(workspace: Workspace) -> None:
    with hooks.installed_as(None), pytest.raises(InternalError, match="hooks are not installed"):
        calendar.compliance_calendar(workspace)
