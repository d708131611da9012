"""The compliance review of a period: what a yearly third-party procedural review samples (RSP v2.2 §7.2).

Deadlines that fell due in the period and whether they were met or missed (the compliance calendar's own
statuses; a deadline due after the period belongs to a later review, even when it was met early), the
compliance findings detected in it, noncompliance aggregates (the governance domain's counts and quarterly
summaries), policy changes, the decisions taken, and the audit log's activity in the period by event.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, TypedDict

from sqlalchemy import select

from scalegate.actor import Actor
from scalegate.assessment.standing import CurrentState
from scalegate.canonical import digest
from scalegate.governance.calendar import compliance_calendar, due_in_period, period_bounds
from scalegate.governance.compliance import list_findings, sealed_from, visible_items
from scalegate.governance.decisions import status_of
from scalegate.governance.noncompliance import disclosure
from scalegate.governance.policy_change import ChangeView, list_changes
from scalegate.jsonable import JsonObject, to_jsonable
from scalegate.reports.document import Report
from scalegate.reports.provenance import Citation, build_provenance
from scalegate.store.models.audit import AuditEntryRow
from scalegate.store.models.governance import DecisionRow, NoncomplianceSummaryRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from scalegate.context import Context
    from scalegate.workspace import Workspace

__all__ = ["ComplianceData", "compliance_data", "compliance_report", "period_bounds"]


ReviewPeriod = TypedDict("ReviewPeriod", {"start": str, "end": str, "from": str, "until": str})
"""The reviewed period: its first and last dates, and the instants it runs from (included) until
(excluded)."""


class Deadlines(TypedDict):
    """The deadlines due in the period, counted by status, each as the compliance calendar shows it."""

    counts: dict[str, int]
    items: list[JsonObject]


class NoncomplianceSummary(TypedDict):
    """A quarterly roll-up of noncompliance reports overlapping the period (counts only)."""

    id: int
    period_start: str
    period_end: str
    counts: JsonObject
    generated_at: str


class Noncompliance(TypedDict):
    """The noncompliance aggregates: the governance domain's disclosure and the overlapping roll-ups."""

    disclosure: JsonObject
    summaries: list[NoncomplianceSummary]


class DecisionSummary(TypedDict):
    """A decision opened in the period, its sign-off state judged as the gate judges it, and its digest."""

    decision_id: int
    decision_type: str
    subject: str
    status: str
    approved: bool
    stale: bool
    signed_at: str | None
    created_at: str
    signatures: int
    notified: bool
    digest: str


class AuditActivity(TypedDict):
    """The audit log's entries in a period: how many, the first and last sequence numbers, per event."""

    entries: int
    first_seq: int | None
    last_seq: int | None
    by_event: dict[str, int]


class ComplianceData(TypedDict):
    """The data block of the compliance review."""

    report: str
    period: ReviewPeriod
    deadlines: Deadlines
    findings: list[JsonObject]
    noncompliance: Noncompliance
    policy_changes: list[JsonObject]
    decisions: list[DecisionSummary]
    audit: AuditActivity


def compliance_report(workspace: Workspace, start: date, end: date, actor: Actor) -> Report:
    """Build the compliance review of [start, end] (both dates included)."""
    data, cited = compliance_data(workspace, start, end, actor)
    return Report(
        kind="compliance",
        title=f"Compliance review {start.isoformat()} to {end.isoformat()}",
        subject=f"{start.isoformat()}..{end.isoformat()}",
        data=data,
        provenance=build_provenance(workspace, data, cited),
    )


def compliance_data(
    workspace: Workspace, start: date, end: date, actor: Actor
) -> tuple[ComplianceData, list[Citation]]:
    """The data block of the compliance review and the records it cites."""
    lo, hi = period_bounds(start, end)
    shown = visible_items(compliance_calendar(workspace), sealed_from(workspace, actor))
    items = [to_jsonable(i) for i in due_in_period(shown, start, end)]
    findings = [to_jsonable(f) for f in list_findings(workspace, actor) if _within(f.detected_at, lo, hi)]
    changes = [to_jsonable(c) for c in list_changes(workspace, actor) if _change_in(c, lo, hi)]
    with workspace.reading() as ctx:
        summaries = _summaries(ctx.session, lo, hi)
        decisions = _decisions(ctx, lo, hi)
        activity = _activity(ctx.session, lo, hi)
    counts = Counter(i["status"] for i in items)
    data: ComplianceData = {
        "report": "compliance",
        "period": {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "from": lo.isoformat(),
            "until": hi.isoformat(),
        },
        "deadlines": {
            "counts": {s: counts.get(s, 0) for s in ("met", "missed", "overdue", "due", "upcoming")},
            "items": items,
        },
        "findings": findings,
        "noncompliance": {"disclosure": to_jsonable(disclosure(workspace, actor)), "summaries": summaries},
        "policy_changes": changes,
        "decisions": decisions,
        "audit": activity,
    }
    cited = [Citation("decision", str(d["decision_id"]), d["digest"]) for d in decisions]
    cited += [Citation("policy_version", str(c["proposed_version_id"]), c["content_hash"]) for c in changes]
    return data, cited


def _within(value: Any, lo: datetime, hi: datetime) -> bool:
    if value is None:
        return False
    at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return lo <= at < hi


def _change_in(change: ChangeView, lo: datetime, hi: datetime) -> bool:
    at = (change.proposed_at, change.approved_at, change.published_at, change.activated_at)
    return any(_within(t, lo, hi) for t in (*at, change.effective_at))


def _summaries(session: Session, lo: datetime, hi: datetime) -> list[NoncomplianceSummary]:
    rows = session.execute(
        select(NoncomplianceSummaryRow)
        .where(
            NoncomplianceSummaryRow.period_end > lo,
            NoncomplianceSummaryRow.period_start < hi,
        )
        .order_by(NoncomplianceSummaryRow.period_start)
    ).scalars()
    return [
        {
            "id": r.id,
            "period_start": r.period_start.isoformat(),
            "period_end": r.period_end.isoformat(),
            "counts": r.counts,
            "generated_at": r.generated_at.isoformat(),
        }
        for r in rows
    ]


def _decisions(ctx: Context, lo: datetime, hi: datetime) -> list[DecisionSummary]:
    """Decisions opened in the period, with their sign-off state judged as the gate judges it (stale when
    what it was bound to has changed: ``assessment.standing``)."""
    rows = ctx.session.execute(
        select(DecisionRow)
        .where(DecisionRow.created_at >= lo, DecisionRow.created_at < hi)
        .order_by(DecisionRow.id)
    ).scalars()
    judge = CurrentState()
    out: list[DecisionSummary] = []
    for row in rows:
        status = to_jsonable(status_of(ctx.workspace, ctx.session, row, judge(ctx, row), active=ctx.active))
        out.append(
            {
                "decision_id": status["decision_id"],
                "decision_type": status["decision_type"],
                "subject": status["subject"],
                "status": status["status"],
                "approved": status["approved"],
                "stale": status["stale"],
                "signed_at": status["signed_at"],
                "created_at": status["created_at"],
                "signatures": len(status["signatures"]),
                "notified": status["notified"],
                "digest": digest(status),
            }
        )
    return out


def _activity(session: Session, lo: datetime, hi: datetime) -> AuditActivity:
    """Audit-log entries recorded in the period, counted by event, with first and last sequence numbers."""
    rows = session.execute(
        select(AuditEntryRow.seq, AuditEntryRow.event)
        .where(AuditEntryRow.recorded_at >= lo, AuditEntryRow.recorded_at < hi)
        .order_by(AuditEntryRow.seq)
    ).all()
    events = Counter(event for _, event in rows)
    return {
        "entries": len(rows),
        "first_seq": rows[0][0] if rows else None,
        "last_seq": rows[-1][0] if rows else None,
        "by_event": dict(sorted(events.items())),
    }
