"""Where each obligation stands at a time: the one reading the calendar and the gate share.

The calendar lists the deadlines; the gate blocks on the binding ones that are unmet for a model. Both
compute them here from the recorded rows and the policy's terms, so a deadline can never be overdue on
the calendar and met at the gate, or the other way round.

Times the policy does not give a number for are scalegate's choices, said once: the first Risk Report under
a policy is due its cadence's longest interval after that policy took effect, and an approved report is to
be shared "promptly", read as within one day (``governance.calendar.PROMPTLY``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from scalegate.governance.documents.reviews import review_state
from scalegate.governance.documents.risk_reports import latest_published
from scalegate.months import add_months
from scalegate.store.models.documents import OffCycleAnalysisRow, RiskReportRow, RoadmapItemRow
from scalegate.store.models.workspace import PolicyVersionRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from scalegate.governance.documents.terms import ReportTerms, ReviewTerms
    from scalegate.store.models.documents import ReviewerRow

__all__ = [
    "ReportDue",
    "ReviewClock",
    "covering_report",
    "next_report_due",
    "open_offcycle",
    "review_clocks",
    "unlisted_misses",
]


@dataclass(frozen=True)
class ReportDue:
    """When the next Risk Report is due, and what it counts from."""

    earliest: datetime
    due_at: datetime
    since: datetime
    last_report_id: int | None


def _adopted(session: Session, version_id: int) -> datetime:
    row = session.get(PolicyVersionRow, version_id)
    assert row is not None
    return row.activated_at or row.created_at


def next_report_due(session: Session, terms: ReportTerms, version_id: int) -> ReportDue:
    """The window of the next Risk Report: from the last publication, or from the policy's adoption."""
    last = latest_published(session)
    adopted = _adopted(session, version_id)
    published = last.published_at if last is not None else None
    since = published if published is not None and published > adopted else adopted
    return ReportDue(
        earliest=add_months(since, terms.min_interval_months),
        due_at=add_months(since, terms.max_interval_months),
        since=since,
        last_report_id=last.id if last else None,
    )


def covering_report(session: Session, model: str) -> RiskReportRow | None:
    """The latest report (of any status but rejected) whose models include ``model``."""
    rows = session.execute(
        select(RiskReportRow).where(RiskReportRow.status != "rejected").order_by(RiskReportRow.id.desc())
    ).scalars()
    return next((r for r in rows if model in r.models), None)


def open_offcycle(session: Session, model: str | None = None) -> list[OffCycleAnalysisRow]:
    """Off-cycle analyses not yet published (of one model, or all)."""
    stmt = select(OffCycleAnalysisRow).where(OffCycleAnalysisRow.published_at.is_(None))
    if model is not None:
        stmt = stmt.where(OffCycleAnalysisRow.model == model)
    return list(session.execute(stmt.order_by(OffCycleAnalysisRow.id)).scalars())


@dataclass(frozen=True)
class ReviewClock:
    """One clock of an external review: a step due by a time, and whether it was done."""

    report_id: int
    step: str
    """`start` (reviewers selected and approved), `send` or `commentary`."""
    reviewer: str | None
    due_at: datetime
    done_at: datetime | None
    binding: bool
    """False for the reviewer's commentary: the lab requests it, the reviewer delivers it."""


def review_clocks(session: Session, terms: ReviewTerms, report: RiskReportRow) -> list[ReviewClock]:
    """The clocks of the external review of ``report`` (none until a review is required or started and the
    report went to the Board and LTBT)."""
    state = review_state(session, terms, report)
    send_due, reviews, reviewers = state.send_due, state.reviews, state.reviewers
    if send_due is None or not (state.required or reviews):
        return []
    clocks: list[ReviewClock] = []
    if not any(r.status in ("approved", "completed") for r in reviews):
        clocks.append(ReviewClock(report.id, "start", None, send_due, None, True))
    r: ReviewerRow
    for r in reviewers:
        clocks.append(ReviewClock(report.id, "send", r.name, send_due, r.sent_at, True))
        if r.sent_at is not None:
            due = r.sent_at + timedelta(days=terms.commentary_within_days)
            clocks.append(ReviewClock(report.id, "commentary", r.name, due, r.commentary_at, False))
    return clocks


def unlisted_misses(session: Session, now: datetime) -> list[RoadmapItemRow]:
    """Roadmap goals missed (graded so, or past their target while open) that no published report lists."""
    rows = session.execute(
        select(RoadmapItemRow).where(RoadmapItemRow.listed_in_report_id.is_(None)).order_by(RoadmapItemRow.id)
    ).scalars()
    return [r for r in rows if r.status == "missed" or (r.status == "open" and r.target_date <= now)]
