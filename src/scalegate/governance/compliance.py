"""Compliance status: the calendar, overdue items recorded as findings, and obligations carried out.

Every time the compliance status is computed, each overdue calendar item becomes a compliance finding (one per
item, kind ``<item kind>_overdue``, subject the item id) in the registry's ``compliance_findings`` table,
recorded by scalegate itself in the audit log; its ``days_late`` grows while it stays overdue and is final
once the obligation is recorded as carried out. Nobody has to remember to file a finding for a missed
deadline.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scalegate.actor import SYSTEM, Actor
from scalegate.calendar_types import CalendarItem
from scalegate.context import reading
from scalegate.errors import InputError, InternalError, NotFoundError
from scalegate.governance.calendar import cadence_item_id, cadences, calendar_sources, next_due
from scalegate.governance.hooks import CalendarSource
from scalegate.governance.permissions import require
from scalegate.governance.sealing import hidden_subjects
from scalegate.months import days_late
from scalegate.store.models.assessments import ComplianceFindingRow
from scalegate.store.models.governance import ComplianceEventRow

if TYPE_CHECKING:
    from scalegate.context import Context
    from scalegate.policy.governance import ReviewCadence
    from scalegate.workspace import Workspace

__all__ = [
    "Completion",
    "ComplianceStatus",
    "FindingView",
    "StatusFinding",
    "compliance_status",
    "finding_kind",
    "list_findings",
    "record_completion",
    "record_overdue_findings",
    "sealed_from",
    "visible_items",
    "write_completion",
]


def finding_kind(item_kind: str) -> str:
    """The finding kind for an overdue item of a kind (``drill`` -> ``drill_overdue``)."""
    return f"{item_kind.replace('-', '_')}_overdue"[:50]


def _finding(session: Session, kind: str, subject: str) -> ComplianceFindingRow | None:
    stmt = select(ComplianceFindingRow).where(
        ComplianceFindingRow.kind == kind, ComplianceFindingRow.subject == subject
    )
    return session.execute(stmt).scalar_one_or_none()


def record_overdue_findings(workspace: Workspace, items: list[CalendarItem]) -> list[ComplianceFindingRow]:
    """Record a finding for each overdue item (or update how late it is); returns the rows written."""
    overdue = [i for i in items if i.status == "overdue"]
    if not overdue:
        return []
    with workspace.transaction() as session:
        written = []
        for item in overdue:
            kind, subject = finding_kind(item.kind), item.id[:300]
            row = _finding(session, kind, subject)
            if row is None:
                row = ComplianceFindingRow(
                    kind=kind,
                    subject=subject,
                    clause=item.clause[:300],
                    detected_at=workspace.now(),
                    days_late=item.days_overdue,
                    detail={
                        "title": item.title,
                        "due_at": item.due_at.isoformat(),
                        "item_subject": item.subject,
                        **item.details,
                    },
                )
                session.add(row)
                written.append(row)
            elif row.days_late != item.days_overdue and "met_at" not in row.detail:
                row.days_late = item.days_overdue
                written.append(row)
        if written:
            session.flush()
            workspace.record(
                session,
                SYSTEM,
                "compliance.findings_recorded",
                "compliance",
                {
                    "findings": [
                        {"kind": r.kind, "subject": r.subject, "days_late": r.days_late} for r in written
                    ]
                },
                rows=written,
            )
        return written


@dataclass(frozen=True)
class FindingView:
    """A recorded compliance finding: a deadline that was missed, and by how much."""

    id: int
    kind: str
    subject: str
    clause: str
    detected_at: datetime
    days_late: int
    detail: dict[str, Any]
    resolved: bool
    """The obligation was carried out since (late); ``days_late`` is final."""


@dataclass(frozen=True)
class StatusFinding(FindingView):
    """A finding as the compliance status shows it."""

    open: bool | None
    """Its item is overdue now (None for findings another domain records under its own subjects)."""


@dataclass(frozen=True)
class ComplianceStatus:
    """The calendar of every source's deadlines, counts by status, and the findings."""

    as_of: datetime
    policy: str
    counts: dict[str, int]
    items: list[CalendarItem]
    findings: list[StatusFinding]
    findings_written: int


@dataclass(frozen=True)
class Completion:
    """An obligation recorded as carried out, against the deadline it met or missed."""

    id: int
    cadence: str
    kind: str
    completed_at: datetime
    due_at: datetime
    days_late: int
    note: str
    evidence_uri: str | None


def list_findings(workspace: Workspace, actor: Actor) -> list[FindingView]:
    """Every compliance finding ``actor`` may see (``sealed_from``), newest first."""
    with workspace.reading() as ctx:
        require(actor, "compliance.read", ctx.policy)
        session = ctx.session
        hidden = _sealed(ctx, actor)
        rows = session.execute(
            select(ComplianceFindingRow).order_by(ComplianceFindingRow.id.desc())
        ).scalars()
        return [_finding_view(r) for r in rows if not _about(r.subject, hidden)]


def sealed_from(where: Workspace | Context, actor: Actor) -> frozenset[str]:
    """Subjects (``noncompliance:ID``) of the reports whose calendar items and findings ``actor`` may not see.

    A deadline about a report sealed from a reader (a report about the RSO, for the RSO: RSP v2.2 §7.1) would
    tell them the report exists and its number, which its sealed log entries do not
    (``scalegate.governance.sealing``). Such items are left out of what they are shown, not out of the record:
    they are computed, and recorded as findings when overdue, whoever asks.
    """
    with reading(where) as ctx:
        return _sealed(ctx, actor)


def _sealed(ctx: Context, actor: Actor) -> frozenset[str]:
    return frozenset(hidden_subjects(ctx.session, ctx.policy, actor))


def _about(subject: str, hidden: frozenset[str]) -> bool:
    """Whether an item or finding subject (``noncompliance:7`` or ``noncompliance:7:notify``) is about one of
    the ``hidden`` subjects."""
    return bool(hidden) and any(subject == h or subject.startswith(h + ":") for h in hidden)


def visible_items(items: list[CalendarItem], hidden: frozenset[str]) -> list[CalendarItem]:
    """``items`` without those about a subject in ``hidden`` (see ``sealed_from``)."""
    return [i for i in items if not (_about(i.subject or "", hidden) or _about(i.id, hidden))]


def _finding_view(row: ComplianceFindingRow) -> FindingView:
    return FindingView(
        id=row.id,
        kind=row.kind,
        subject=row.subject,
        clause=row.clause,
        detected_at=row.detected_at,
        days_late=row.days_late,
        detail=row.detail,
        resolved="met_at" in row.detail,
    )


def _record_all(workspace: Workspace, sources: list[tuple[CalendarSource, list[CalendarItem]]]) -> int:
    """Record findings for overdue items. A source that records findings of its own kind (the registry's
    ``record_overdue_findings`` for assessments) does so itself, so no finding is recorded twice."""
    written = 0
    for source, items in sources:
        own = source.record_findings
        written += len(own(workspace) if own else record_overdue_findings(workspace, items))
    return written


def compliance_status(workspace: Workspace, actor: Actor) -> ComplianceStatus:
    """The calendar with every source's deadlines; overdue items are recorded as findings on the way.

    Each finding carries ``open``: whether its item is overdue now (None for findings another domain records
    under its own subjects, such as the registry's `assessment_overdue`).

    The permission, the time and the policy named are those of one reading context opened first; the
    calendar's sources and the findings recorded from them run in units of work of their own (each domain
    reads its deadlines itself), so the status is as of that moment, not one snapshot.
    """
    with workspace.reading() as ctx:
        require(actor, "compliance.read", ctx.policy)
        as_of, policy_id = ctx.now, ctx.policy.id
    sources = calendar_sources(workspace)
    written = _record_all(workspace, sources)
    every = sorted((i for _, found in sources for i in found), key=lambda i: (i.due_at, i.id))
    items = visible_items(every, sealed_from(workspace, actor))
    counts = Counter(i.status for i in items)
    overdue = {(finding_kind(i.kind), i.id[:300]) for i in items if i.status == "overdue"}
    elsewhere = {finding_kind(i.kind) for source, found in sources if source.record_findings for i in found}
    findings = [
        StatusFinding(
            **{f.name: getattr(found, f.name) for f in fields(FindingView)},
            open=None if found.kind in elsewhere else (found.kind, found.subject) in overdue,
        )
        for found in list_findings(workspace, actor)
    ]
    return ComplianceStatus(
        as_of=as_of,
        policy=policy_id,
        counts={s: counts.get(s, 0) for s in ("overdue", "due", "upcoming", "met", "missed")},
        items=items,
        findings=findings,
        findings_written=written,
    )


def record_completion(
    workspace: Workspace,
    actor: Actor,
    cadence_id: str,
    *,
    at: datetime | None = None,
    note: str = "",
    evidence_uri: str | None = None,
    kind: str | None = None,
) -> Completion:
    """Record that a cadence (a review, a publication, a drill) was carried out; a finding for the occurrence
    it fulfils gets its final lateness."""
    with workspace.writing(actor) as ctx:
        policy = ctx.policy
        require(actor, "compliance.record", policy)
        known = {c.id: c for c in cadences(policy)}
        cadence = known.get(cadence_id)
        if cadence is None or (kind is not None and cadence.kind != kind):
            choices = sorted(c for c, v in known.items() if kind is None or v.kind == kind)
            raise NotFoundError(
                f"no {kind or 'cadence'} {cadence_id!r} in policy {policy.id}; one of: "
                f"{', '.join(choices) or 'none'}",
                where="cadence",
            )
        now = ctx.now
        done = at or now
        if done > now:
            raise InputError(f"completion time {done.isoformat()} is in the future", where="at")
        row, rows, due = write_completion(ctx, cadence, done, note=note, evidence_uri=evidence_uri)
        ctx.record(
            "compliance.completed",
            f"cadence:{cadence.id}",
            {
                "cadence": cadence.id,
                "kind": cadence.kind,
                "completed_at": done.isoformat(),
                "due_at": due.isoformat(),
                "days_late": days_late(due, done),
            },
            rows=rows,
        )
        return Completion(
            id=row.id,
            cadence=cadence.id,
            kind=cadence.kind,
            completed_at=done,
            due_at=due,
            days_late=days_late(due, done),
            note=note,
            evidence_uri=evidence_uri,
        )


def write_completion(
    ctx: Context,
    cadence: ReviewCadence,
    done: datetime,
    *,
    note: str = "",
    evidence_uri: str | None = None,
) -> tuple[ComplianceEventRow, list[Any], datetime]:
    """Write the completion of a cadence in the caller's writing context (the caller records the audit entry
    with the rows returned); returns the row, every row written and the deadline it met or missed."""
    if ctx.actor is None:
        raise InternalError("a compliance completion needs a writing context")
    session = ctx.session
    due, _ = next_due(session, cadence)
    row = ComplianceEventRow(
        cadence_id=cadence.id,
        kind=cadence.kind,
        completed_at=done,
        recorded_at=ctx.now,
        recorded_by=ctx.actor.label,
        note=note,
        evidence_uri=evidence_uri,
    )
    session.add(row)
    rows: list[Any] = [row]
    finding = _finding(session, finding_kind(cadence.kind), cadence_item_id(cadence.id, due))
    if finding is not None and "met_at" not in finding.detail:
        finding.days_late = days_late(due, done)
        finding.detail = {**finding.detail, "met_at": done.isoformat()}
        rows.append(finding)
    session.flush()
    return row, rows, due
