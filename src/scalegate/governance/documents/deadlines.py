"""The documents' deadlines on the compliance calendar: every clock of every obligation the policy states.

Items (``CalendarItem``), each citing its clause: the next Risk Report within its cadence; an approved report
to be shared promptly; a report not yet published whose coverage date would become too old; an off-cycle
analysis within its days of the determination; an external review's start, sending and commentary; a missed
roadmap goal to be listed by the next report. The compliance check records each overdue one as a finding
(``governance.compliance``), so a late report or an overdue review is on the record without anyone filing it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from scalegate.calendar_types import CalendarItem
from scalegate.governance.calendar import PROMPTLY, deadline_item
from scalegate.governance.documents.reading import terms_of
from scalegate.governance.documents.standing import (
    next_report_due,
    open_offcycle,
    review_clocks,
    unlisted_misses,
)
from scalegate.governance.documents.terms import DocumentTerms
from scalegate.governance.hooks import CalendarSource
from scalegate.store.models.documents import RiskReportRow
from scalegate.store.models.governance import DecisionRow

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

    from scalegate.workspace import Workspace

__all__ = ["CALENDAR", "calendar_items"]


def _report_items(
    session: Session, terms: DocumentTerms, version_id: int, now: datetime
) -> list[CalendarItem]:
    report = terms.report
    if report is None:
        return []
    due = next_report_due(session, report, version_id)
    items = [
        deadline_item(
            now,
            id=f"risk-report:due:{due.due_at.date().isoformat()}",
            kind="risk-report",
            title=f"Publish the next {report.title} (due {report.min_interval_months}-"
            f"{report.max_interval_months} months after {due.since.date()})",
            due_at=due.due_at,
            clause=report.cadence_clause,
            subject="risk-report:next",
            details={"earliest": due.earliest.isoformat(), "last_report_id": due.last_report_id},
        )
    ]
    pending = session.execute(
        select(RiskReportRow)
        .where(RiskReportRow.status.in_(("submitted", "approved", "shared")))
        .order_by(RiskReportRow.id)
    ).scalars()
    for row in pending:
        latest = row.coverage_date + timedelta(days=report.coverage_max_days)
        items.append(
            deadline_item(
                now,
                id=f"risk-report:{row.id}:coverage",
                kind="risk-report-coverage",
                title=f"Publish risk report #{row.id} while its coverage date "
                f"({row.coverage_date.date()}) is at most {report.coverage_max_days} days old",
                due_at=latest,
                clause=report.coverage_clause,
                subject=f"risk-report:{row.id}",
            )
        )
        approval = session.get(DecisionRow, row.approval_decision_id) if row.approval_decision_id else None
        if row.status == "approved" and approval is not None and approval.closed_at is not None:
            items.append(
                deadline_item(
                    now,
                    id=f"risk-report:{row.id}:share",
                    kind="risk-report-share",
                    title=f"Share approved risk report #{row.id} with {', '.join(report.notify)}",
                    due_at=approval.closed_at + PROMPTLY,
                    clause=report.notify_clause,
                    subject=f"risk-report:{row.id}",
                )
            )
    for item in unlisted_misses(session, now):
        items.append(
            deadline_item(
                now,
                id=f"roadmap:{item.id}:list",
                kind="roadmap-miss",
                title=f"List missed roadmap goal #{item.id} ({item.title}) in the next {report.title}",
                due_at=due.due_at,
                clause=terms.roadmap.misses_clause if terms.roadmap else report.cadence_clause,
                subject=f"roadmap:{item.id}",
            )
        )
    return items


def _offcycle_items(session: Session, terms: DocumentTerms, now: datetime) -> list[CalendarItem]:
    items = []
    for row in open_offcycle(session):
        found = terms.offcycle_for(row.deployment)
        if row.due_at is None or found is None:
            continue
        items.append(
            deadline_item(
                now,
                id=f"offcycle:{row.id}",
                kind="offcycle-analysis",
                title=f"Publish the off-cycle analysis of {row.model} "
                f"(determined {row.determined_at.date()})",
                due_at=row.due_at,
                clause=found.clause,
                subject=f"offcycle:{row.id}",
                details={"model": row.model},
            )
        )
    return items


_STEP_TITLES = {
    "start": "Select external reviewers (approved by {approvers}) for risk report #{report}",
    "send": "Send risk report #{report} to external reviewer {reviewer}",
    "commentary": "Public commentary on risk report #{report} requested from {reviewer}",
}


def _review_items(session: Session, terms: DocumentTerms, now: datetime) -> list[CalendarItem]:
    review = terms.review
    if review is None:
        return []
    items = []
    shared = session.execute(
        select(RiskReportRow).where(RiskReportRow.shared_at.is_not(None)).order_by(RiskReportRow.id)
    ).scalars()
    for report in shared:
        for clock in review_clocks(session, review, report):
            if clock.done_at is not None:
                continue
            title = _STEP_TITLES[clock.step].format(
                approvers=", ".join(review.selection_approvers), report=report.id, reviewer=clock.reviewer
            )
            clause = review.selection_clause if clock.step == "start" else review.timing_clause
            items.append(
                deadline_item(
                    now,
                    id=f"external-review:{report.id}:{clock.step}"
                    + (f":{clock.reviewer}" if clock.reviewer else ""),
                    kind=f"external-review-{clock.step}",
                    title=title,
                    due_at=clock.due_at,
                    clause=clause,
                    subject=f"risk-report:{report.id}",
                    details={"reviewer": clock.reviewer, "binding": clock.binding},
                )
            )
    return items


def calendar_items(workspace: Workspace) -> list[CalendarItem]:
    """Every deadline of the documents the active policy obliges (none under a policy without them)."""
    with workspace.reading() as ctx:
        terms = terms_of(ctx.policy)
        if terms is None:
            return []
        session, now = ctx.session, ctx.now
        return (
            _report_items(session, terms, ctx.active.version_id, now)
            + _offcycle_items(session, terms, now)
            + _review_items(session, terms, now)
        )


CALENDAR = CalendarSource("documents", calendar_items)
"""The documents' calendar source, installed by ``scalegate.wiring``."""
