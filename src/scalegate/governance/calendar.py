"""The compliance calendar: every deadline the policy implies, from every domain, in one list.

Each domain that creates deadlines declares a ``CalendarSource`` (``governance.hooks``): a callable
returning ``CalendarItem``s. Governance has its own (this module's ``calendar_items``): the recurring
obligations of ``governance.cadences`` (annual procedural review, public updates, quarterly noncompliance
summaries, readiness drills), publication and activation of approved policy changes, and prompt notice of
material-risk noncompliance. ``compliance_calendar`` merges them with the sources installed by
``scalegate.wiring``: the registry's (assessments due) and safeguards' (re-approval within 12 months). A
source that fails shows up as an overdue item, and a calendar asked for before any source was installed is
refused (fail closed: a calendar that silently lost a source would look compliant).

A cadence never carried out counts from the workspace's creation. "Promptly" (material-risk noncompliance) is
read as within one day, and an approved change is to be activated within a day of its effective date; the
policy texts give no number, so these are scalegate's choices. Cadences of a kind an installed source computes
itself (`reapproval`, by safeguards, which knows when each determination was signed) are left to that source.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scalegate.calendar_types import CalendarItem, CalendarStatus
from scalegate.context import reading
from scalegate.errors import InputError
from scalegate.governance.hooks import CalendarSource, installed
from scalegate.months import add_months, days_late
from scalegate.store.models.governance import (
    ComplianceEventRow,
    NoncomplianceReportRow,
    NotificationRow,
    PolicyChangeRow,
)
from scalegate.store.models.workspace import PolicyVersionRow, SettingRow

if TYPE_CHECKING:
    from scalegate.context import Context
    from scalegate.policy import Policy
    from scalegate.policy.governance import ReviewCadence
    from scalegate.workspace import Workspace

__all__ = [
    "DUE_WINDOW_DAYS",
    "GOVERNANCE",
    "PROMPTLY",
    "cadences",
    "calendar_items",
    "calendar_sources",
    "compliance_calendar",
    "deadline_item",
    "due_in_period",
    "item_status",
    "period_bounds",
]

DUE_WINDOW_DAYS = 30
"""An item within this many days of its deadline is `due` rather than `upcoming`."""

PROMPTLY = timedelta(days=1)
"""How soon a material-risk report must reach the Board (scalegate's reading of "promptly")."""


def item_status(
    due_at: datetime, now: datetime, done_at: datetime | None = None
) -> tuple[CalendarStatus, int]:
    """Status and whole days overdue of a deadline at ``now``."""
    if done_at is not None:
        late = days_late(due_at, done_at)
        return ("missed" if late else "met"), late
    if now > due_at:
        return "overdue", days_late(due_at, now)
    return ("due" if due_at - now <= timedelta(days=DUE_WINDOW_DAYS) else "upcoming"), 0


def deadline_item(
    now: datetime,
    *,
    id: str,
    kind: str,
    title: str,
    due_at: datetime,
    clause: str,
    subject: str | None = None,
    details: dict[str, Any] | None = None,
) -> CalendarItem:
    """A calendar item for a deadline not yet met, with its status and days overdue at ``now``."""
    status, late = item_status(due_at, now)
    return CalendarItem(
        id=id,
        kind=kind,
        title=title,
        due_at=due_at,
        status=status,
        clause=clause,
        subject=subject,
        days_overdue=late,
        details=details or {},
    )


def cadences(policy: Policy) -> list[ReviewCadence]:
    """The policy's cadences, plus the noncompliance summary its noncompliance rules imply when not listed."""
    # deferred: the policy schema (pydantic, ~85 modules, ~0.25 s); importing the calendar
    # (``governance.compliance`` does) does not load it, and a caller passes a policy already read
    from scalegate.policy.governance import ReviewCadence

    out = list(policy.governance.cadences)
    nc = policy.governance.noncompliance
    if nc.summary_interval_months and not any(c.kind == "summary" for c in out):
        out.append(
            ReviewCadence(
                id="noncompliance-summary",
                title="Summary of minimal-risk noncompliance",
                interval_months=nc.summary_interval_months,
                responsible_role=nc.recipient_role,
                kind="summary",
                source=nc.source,
            )
        )
    return out


def _start(session: Session) -> datetime:
    row = session.get(SettingRow, "created_at")
    if row is not None:
        return datetime.fromisoformat(row.value)
    first = session.execute(select(func.min(PolicyVersionRow.created_at))).scalar_one()
    assert first is not None
    return first


def last_completion(session: Session, cadence_id: str) -> ComplianceEventRow | None:
    """The latest time a cadence was carried out."""
    stmt = (
        select(ComplianceEventRow)
        .where(ComplianceEventRow.cadence_id == cadence_id)
        .order_by(ComplianceEventRow.completed_at.desc(), ComplianceEventRow.id.desc())
        .limit(1)
    )
    return session.execute(stmt).scalar_one_or_none()


def next_due(session: Session, cadence: ReviewCadence) -> tuple[datetime, ComplianceEventRow | None]:
    """When a cadence is next due, and its last completion."""
    last = last_completion(session, cadence.id)
    base = last.completed_at if last else _start(session)
    return add_months(base, cadence.interval_months), last


def cadence_item_id(cadence_id: str, due_at: datetime) -> str:
    """The id of one occurrence of a cadence."""
    return f"cadence:{cadence_id}:{due_at.date().isoformat()}"


def _cadence_items(
    session: Session, policy: Policy, now: datetime, skip: frozenset[str]
) -> list[CalendarItem]:
    items = []
    for cadence in cadences(policy):
        if cadence.kind in skip:
            continue
        due, last = next_due(session, cadence)
        items.append(
            deadline_item(
                now,
                id=cadence_item_id(cadence.id, due),
                kind=cadence.kind,
                title=cadence.title,
                due_at=due,
                clause=cadence.source.cite(),
                subject=f"cadence:{cadence.id}",
                details={
                    "cadence": cadence.id,
                    "responsible_role": cadence.responsible_role,
                    "interval_months": cadence.interval_months,
                    "last_completed_at": last.completed_at.isoformat() if last else None,
                },
            )
        )
    return items


def _policy_change_items(session: Session, policy: Policy, now: datetime) -> list[CalendarItem]:
    cc = policy.governance.change_control
    items = []
    stmt = select(PolicyChangeRow).where(PolicyChangeRow.status.in_(("approved", "published")))
    for change in session.execute(stmt).scalars():
        if change.status == "approved" and cc.publication_before_effect:
            items.append(
                deadline_item(
                    now,
                    id=f"policy-change:{change.id}:publish",
                    kind="publication",
                    title=f"Publish policy change #{change.id} before it takes effect",
                    due_at=change.effective_at,
                    clause=cc.source.cite(),
                    subject=f"policy-change:{change.id}",
                )
            )
        items.append(
            deadline_item(
                now,
                id=f"policy-change:{change.id}:activate",
                kind="policy-activation",
                title=f"Activate policy change #{change.id} on its effective date",
                due_at=change.effective_at + PROMPTLY,
                clause=cc.source.cite(),
                subject=f"policy-change:{change.id}",
                details={"effective_at": change.effective_at.isoformat()},
            )
        )
    return items


def _noncompliance_items(session: Session, policy: Policy, now: datetime) -> list[CalendarItem]:
    nc = policy.governance.noncompliance
    if nc.material_risk_notify_role is None:
        return []
    told = set(
        session.execute(
            select(NotificationRow.report_id).where(
                NotificationRow.kind == "noncompliance", NotificationRow.status == "delivered"
            )
        ).scalars()
    )
    items = []
    stmt = select(NoncomplianceReportRow).where(NoncomplianceReportRow.material_risk.is_(True))
    for row in session.execute(stmt).scalars():
        if row.id in told:
            continue
        items.append(
            deadline_item(
                now,
                id=f"noncompliance:{row.id}:notify",
                kind="noncompliance-notice",
                title=f"Notify {nc.material_risk_notify_role} of material-risk report #{row.id}",
                due_at=row.received_at + PROMPTLY,
                clause=nc.source.cite(),
                subject=f"noncompliance:{row.id}",
            )
        )
    return items


def calendar_items(where: Workspace | Context) -> list[CalendarItem]:
    """Governance's own deadlines (cadences, policy changes, prompt noncompliance notices), in the caller's
    context or a new reading one."""
    skip = installed().cadence_kinds()
    with reading(where) as ctx:
        session, policy, now = ctx.session, ctx.policy, ctx.now
        return (
            _cadence_items(session, policy, now, skip)
            + _policy_change_items(session, policy, now)
            + _noncompliance_items(session, policy, now)
        )


GOVERNANCE = CalendarSource("governance", calendar_items)
"""Governance's own source, always first; the other domains' are installed through ``governance.hooks``."""


def _from_source(workspace: Workspace, source: CalendarSource) -> list[CalendarItem]:
    try:
        return list(source.items(workspace))
    except Exception as exc:
        now = workspace.now()
        return [
            CalendarItem(
                id=f"source-error:{source.name}",
                kind="source-error",
                title=f"Deadlines from {source.name} could not be read: {type(exc).__name__}: {exc}",
                due_at=now,
                status="overdue",
                clause="scalegate (fail closed)",
                subject=source.name,
                details={"error": str(exc)},
            )
        ]


def calendar_sources(workspace: Workspace) -> list[tuple[CalendarSource, list[CalendarItem]]]:
    """The items of each source, governance's own first, then the installed sources in order.

    Refused with ``InternalError`` when no hooks were installed: a calendar without the other domains'
    deadlines would look compliant.
    """
    sources = installed().calendar
    return [(GOVERNANCE, calendar_items(workspace))] + [(s, _from_source(workspace, s)) for s in sources]


def compliance_calendar(workspace: Workspace) -> list[CalendarItem]:
    """Every deadline from every source, soonest first."""
    items = [item for _, found in calendar_sources(workspace) for item in found]
    return sorted(items, key=lambda i: (i.due_at, i.id))


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00 UTC, end+1 00:00 UTC): the end date is included."""
    if end < start:
        raise InputError(f"period ends ({end}) before it starts ({start})", where="to")
    return datetime.combine(start, time(0), UTC), datetime.combine(end + timedelta(days=1), time(0), UTC)


def due_in_period(items: Iterable[CalendarItem], start: date, end: date) -> list[CalendarItem]:
    """The deadlines of ``items`` that fall due in [start, end] (both days included, UTC), in their order.

    The one answer to "which deadlines fell in a period": the compliance review lists these, and whatever else
    reads a period of the calendar asks here, so a deadline due at midnight falls on one side for every
    reader. A deadline due after the period belongs to a later review, even when it was met early."""
    lo, hi = period_bounds(start, end)
    return [i for i in items if lo <= i.due_at < hi]
