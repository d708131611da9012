"""Reports of potential noncompliance: anonymous intake, routing, lifecycle, prompt escalation, summaries.

RSP v2.2 §7.1: staff may notify the RSO anonymously; reports about the RSO go to the Board instead;
noncompliance posing material risk reaches the Board promptly, and the rest in quarterly summaries. scalegate
reads all of this from ``governance.noncompliance`` of the active policy.

Anonymity is structural. ``report`` takes no actor for an anonymous report; it writes the report row and an
audit entry whose actor is `anonymous`, and nothing else: no user id, name, address, client detail or session
link exists in either (the web door must not pass one, and the tests inspect every column). The board notice
of a material-risk report is sent by scalegate itself (actor `system`), not on the reporter's behalf.

Only holders of the role a report was routed to can read or move it, so the RSO never sees a report about the
RSO; the audit entries about such a report are sealed for the same readers (``scalegate.governance.sealing``).
Lifecycle: received -> investigating -> substantiated | unsubstantiated; substantiated -> corrective_action ->
closed; unsubstantiated -> closed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from scalegate.actor import ANONYMOUS, SYSTEM, Actor
from scalegate.audit.entries import SEAL_KEY
from scalegate.errors import ConflictError, InputError, NotFoundError, PermissionDenied, ScalegateError
from scalegate.governance.calendar import cadences
from scalegate.governance.compliance import write_completion
from scalegate.governance.notifications import notify_role
from scalegate.governance.permissions import allowed, require
from scalegate.governance.sealing import report_seal
from scalegate.jsonable import JsonObject, to_jsonable
from scalegate.months import add_months
from scalegate.store.models.governance import (
    NoncomplianceEventRow,
    NoncomplianceReportRow,
    NoncomplianceSummaryRow,
    NotificationRow,
)

if TYPE_CHECKING:
    from scalegate.governance.notifications import Notifier
    from scalegate.policy import Policy
    from scalegate.workspace import Workspace

__all__ = [
    "REPORT_STATUSES",
    "TRANSITIONS",
    "Disclosure",
    "Receipt",
    "ReportCounts",
    "ReportEvent",
    "ReportNotice",
    "ReportStatus",
    "ReportView",
    "SummaryView",
    "disclosure",
    "list_reports",
    "may_move",
    "report",
    "route",
    "show_report",
    "summarize",
    "transition",
]

ReportStatus = Literal[
    "received", "investigating", "substantiated", "unsubstantiated", "corrective_action", "closed"
]
"""Where a report stands."""

REPORT_STATUSES: tuple[ReportStatus, ...] = (
    "received",
    "investigating",
    "substantiated",
    "unsubstantiated",
    "corrective_action",
    "closed",
)

TRANSITIONS: dict[str, tuple[ReportStatus, ...]] = {
    "received": ("investigating",),
    "investigating": ("substantiated", "unsubstantiated"),
    "substantiated": ("corrective_action",),
    "unsubstantiated": ("closed",),
    "corrective_action": ("closed",),
    "closed": (),
}
"""The allowed next steps from each status."""

MAX_DESCRIPTION = 20_000


def route(policy: Policy, concerning_role: str | None) -> str:
    """The role a report goes to: the routing rule for the role it concerns, else the default recipient."""
    nc = policy.governance.noncompliance
    for rule in nc.routing:
        if rule.concerning_role == concerning_role:
            return rule.route_to
    return nc.recipient_role


def report(
    workspace: Workspace,
    *,
    description: str,
    concerning_role: str | None = None,
    material_risk: bool = False,
    reporter: Actor | None = None,
    notifier: Notifier | None = None,
) -> Receipt:
    """File a report; anonymous unless ``reporter`` is given. Returns a receipt (no identity in it)."""
    who = reporter or ANONYMOUS
    with workspace.writing(who) as ctx:
        session, policy = ctx.session, ctx.policy
        require(who, "noncompliance.report", policy)
        text = description.strip()
        if not text or len(text) > MAX_DESCRIPTION:
            raise InputError(
                f"a report needs a description of 1..{MAX_DESCRIPTION} characters", where="description"
            )
        if concerning_role is not None and concerning_role not in policy.role_ids():
            raise InputError(
                f"unknown role {concerning_role!r}; roles: {', '.join(sorted(policy.role_ids()))}",
                where="concerning",
            )
        if reporter is None and not policy.governance.noncompliance.anonymous_intake:
            raise InputError(f"policy {policy.id} does not provide anonymous intake; report under your name")
        routed = route(policy, concerning_role)
        now = ctx.now
        row = NoncomplianceReportRow(
            received_at=now,
            description=text,
            concerning_role=concerning_role,
            routed_to=routed,
            material_risk=material_risk,
            status="received",
            anonymous=reporter is None,
            reporter=reporter.name if reporter is not None else None,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        workspace.record(
            session,
            who,
            "noncompliance.received",
            f"noncompliance:{row.id}",
            _sealed(
                policy,
                row,
                {
                    "report_id": row.id,
                    "routed_to": routed,
                    "concerning_role": concerning_role,
                    "material_risk": material_risk,
                },
            ),
            rows=[row],
        )
        report_id = row.id
    notified = _escalate(workspace, report_id, notifier) if material_risk else None
    return Receipt(report_id, routed, "received", material_risk, notified)


def _escalate(workspace: Workspace, report_id: int, notifier: Notifier | None) -> bool:
    """Promptly tell the material-risk role; a failure leaves the notice pending on the calendar."""
    with workspace.reading() as ctx:
        policy, session = ctx.policy, ctx.session
        role = policy.governance.noncompliance.material_risk_notify_role
        if role is None:
            return False
        row = _get(session, report_id)
        seal = report_seal(policy, row)
        body = (
            f"Noncompliance report #{row.id} received {row.received_at.isoformat()} was flagged as posing "
            f"material risk.\nConcerning role: {row.concerning_role or '-'}; routed to: {row.routed_to}; "
            f"status: {row.status}.\n\n{row.description}\n"
        )
    try:
        sent = notify_role(
            workspace,
            SYSTEM,
            role,
            kind="noncompliance",
            subject=f"noncompliance:{report_id}",
            title=f"[scalegate] material-risk noncompliance report #{report_id}",
            body=body,
            notifier=notifier,
            timing="promptly",
            report_id=report_id,
            seal=seal,
        )
    except ScalegateError:
        return False
    return sent.status == "delivered"


def _sealed(policy: Policy, row: NoncomplianceReportRow, data: JsonObject) -> JsonObject:
    """Entry data about a report, sealed when the report concerns a role it was routed away from."""
    seal = report_seal(policy, row)
    if seal is None:
        return data
    # Spelled out: a JsonObject's values are JSON, which a TypedDict is not to the checker.
    return {
        **data,
        SEAL_KEY: {"open_to": seal["open_to"], "closed_to": seal["closed_to"], "nonce": seal["nonce"]},
    }


def _get(session: Session, report_id: int) -> NoncomplianceReportRow:
    row = session.get(NoncomplianceReportRow, report_id)
    if row is None:
        raise NotFoundError(f"no noncompliance report {report_id}", where="noncompliance_reports")
    return row


def _visible(policy: Policy, actor: Actor, row: NoncomplianceReportRow) -> bool:
    """Routed to one of the actor's roles, or a material-risk report for the role told of those."""
    escalation = policy.governance.noncompliance.material_risk_notify_role
    if (
        row.concerning_role is not None
        and row.concerning_role in actor.roles
        and row.routed_to not in actor.roles
    ):
        return False
    return row.routed_to in actor.roles or (row.material_risk and escalation in actor.roles)


def _checked(policy: Policy, session: Session, actor: Actor, report_id: int) -> NoncomplianceReportRow:
    row = _get(session, report_id)
    if not _visible(policy, actor, row):
        raise PermissionDenied(
            f"{actor.label} may not see noncompliance report {report_id}: it is routed to {row.routed_to}"
        )
    return row


@dataclass(frozen=True)
class Receipt:
    """What a reporter gets back: the report's id and where it went, never who filed it."""

    id: int
    routed_to: str
    status: str
    material_risk: bool
    board_notified: bool | None
    """Whether the material-risk role was told (None: not material risk)."""


@dataclass(frozen=True)
class ReportEvent:
    """One step of a report's lifecycle."""

    from_status: str = field(metadata={"json_name": "from"})
    to: str
    handler: str
    at: datetime
    note: str


@dataclass(frozen=True)
class ReportNotice:
    """A notice sent about a report (the Board told of material risk)."""

    id: int
    role: str | None
    status: str
    delivered_at: datetime | None


@dataclass(frozen=True)
class ReportView:
    """A noncompliance report as its handlers see it: where it stands, what may come next, its history and
    the notices sent about it."""

    id: int
    received_at: datetime
    description: str
    concerning_role: str | None
    routed_to: str
    material_risk: bool
    status: str
    anonymous: bool
    reporter: str | None
    updated_at: datetime
    next: list[str]
    events: list[ReportEvent]
    notifications: list[ReportNotice]


def _report_view(session: Session, row: NoncomplianceReportRow) -> ReportView:
    events = session.execute(
        select(NoncomplianceEventRow)
        .where(NoncomplianceEventRow.report_id == row.id)
        .order_by(NoncomplianceEventRow.id)
    ).scalars()
    notes = session.execute(select(NotificationRow).where(NotificationRow.report_id == row.id)).scalars()
    return ReportView(
        id=row.id,
        received_at=row.received_at,
        description=row.description,
        concerning_role=row.concerning_role,
        routed_to=row.routed_to,
        material_risk=row.material_risk,
        status=row.status,
        anonymous=row.anonymous,
        reporter=row.reporter,
        updated_at=row.updated_at,
        next=list(TRANSITIONS[row.status]),
        events=[ReportEvent(e.from_status, e.to_status, e.handler, e.at, e.note) for e in events],
        notifications=[ReportNotice(n.id, n.role, n.status, n.delivered_at) for n in notes],
    )


def list_reports(workspace: Workspace, actor: Actor) -> list[ReportView]:
    """Reports the actor may see (routed to one of their roles), newest first."""
    with workspace.reading() as ctx:
        policy, session = ctx.policy, ctx.session
        require(actor, "noncompliance.read", policy)
        rows = session.execute(
            select(NoncomplianceReportRow).order_by(NoncomplianceReportRow.id.desc())
        ).scalars()
        return [_report_view(session, r) for r in rows if _visible(policy, actor, r)]


def show_report(workspace: Workspace, actor: Actor, report_id: int) -> ReportView:
    """One report with its history."""
    with workspace.reading() as ctx:
        policy, session = ctx.policy, ctx.session
        require(actor, "noncompliance.read", policy)
        return _report_view(session, _checked(policy, session, actor, report_id))


def may_move(policy: Policy, actor: Actor, routed_to: str) -> bool:
    """Whether ``actor`` may move a report routed to ``routed_to`` along its lifecycle: the
    ``noncompliance.handle`` permission and the report routed to one of their roles. A role told of a
    material-risk report (the Board) reads it but does not handle it. ``transition`` checks exactly this, and
    the dashboard shows the transition buttons only where it holds."""
    return allowed(actor, "noncompliance.handle", policy) and routed_to in actor.roles


def transition(
    workspace: Workspace,
    actor: Actor,
    report_id: int,
    to: str,
    *,
    note: str = "",
    material_risk: bool | None = None,
    notifier: Notifier | None = None,
) -> ReportView:
    """Move a report along its lifecycle; flagging material risk on the way notifies the Board promptly."""
    if to not in REPORT_STATUSES:
        raise InputError(f"unknown status {to!r}; one of {', '.join(REPORT_STATUSES)}", where="status")
    with workspace.writing(actor) as ctx:
        session, policy = ctx.session, ctx.policy
        require(actor, "noncompliance.handle", policy)
        row = _checked(policy, session, actor, report_id)
        if not may_move(policy, actor, row.routed_to):
            raise PermissionDenied(f"noncompliance report {report_id} is handled by {row.routed_to}")
        if to not in TRANSITIONS[row.status]:
            allowed = ", ".join(TRANSITIONS[row.status]) or "none (closed)"
            raise ConflictError(f"report {report_id} cannot move from {row.status} to {to}; next: {allowed}")
        now = workspace.now()
        escalate = bool(material_risk) and not row.material_risk
        event = NoncomplianceEventRow(
            report_id=row.id, from_status=row.status, to_status=to, handler=actor.name, at=now, note=note
        )
        row.status, row.updated_at = to, now
        if material_risk is not None:
            row.material_risk = material_risk
        session.add(event)
        session.flush()
        workspace.record(
            session,
            actor,
            "noncompliance.transition",
            f"noncompliance:{row.id}",
            _sealed(
                policy,
                row,
                {
                    "report_id": row.id,
                    "from": event.from_status,
                    "to": to,
                    "material_risk": row.material_risk,
                },
            ),
            rows=[row, event],
        )
    if escalate:
        _escalate(workspace, report_id, notifier)
    return show_report(workspace, actor, report_id)


def summarize(
    workspace: Workspace,
    actor: Actor,
    *,
    period_end: datetime | None = None,
    notifier: Notifier | None = None,
) -> SummaryView:
    """Roll up reports without material risk received since the last summary into counts for the Board;
    records the summary (fulfilling the summary cadence) and, with a notifier, sends it."""
    with workspace.writing(actor) as ctx:
        session, policy = ctx.session, ctx.policy
        require(actor, "noncompliance.summary", policy)
        months = policy.governance.noncompliance.summary_interval_months or 3
        end = period_end or ctx.now
        last = session.execute(
            select(NoncomplianceSummaryRow).order_by(NoncomplianceSummaryRow.period_end.desc()).limit(1)
        ).scalar_one_or_none()
        start = last.period_end if last else add_months(end, -months)
        if end <= start:
            raise ConflictError(f"the last summary already covers up to {start.isoformat()}")
        rows = _in_period(session, start, end, material=False)
        counts = _summary_counts(session, rows)
        summary = NoncomplianceSummaryRow(
            period_start=start,
            period_end=end,
            counts=to_jsonable(counts),
            generated_at=workspace.now(),
            generated_by=actor.label,
        )
        session.add(summary)
        session.flush()
        done: list[Any] = []
        cadence = next((c for c in cadences(policy) if c.kind == "summary"), None)
        if cadence is not None:
            _, done, _ = write_completion(ctx, cadence, ctx.now, note=f"noncompliance summary #{summary.id}")
        ctx.record(
            "noncompliance.summarized",
            f"noncompliance-summary:{summary.id}",
            {"summary_id": summary.id, "counts": to_jsonable(counts)},
            rows=[summary, *done],
        )
        view = SummaryView(summary.id, start, end, counts)
    role = policy.governance.noncompliance.material_risk_notify_role
    if notifier is not None and role is not None:
        body = (
            f"Quarterly summary of noncompliance reports without material risk, "
            f"{start.date()} to {end.date()}"
            f":\n{_render_counts(counts)}"
        )
        notify_role(
            workspace,
            actor,
            role,
            kind="summary",
            subject=f"noncompliance-summary:{view.id}",
            title="[scalegate] noncompliance summary",
            body=body,
            notifier=notifier,
            timing="after_decision",
        )
    return view


def _in_period(
    session: Session, start: datetime, end: datetime, *, material: bool | None
) -> list[NoncomplianceReportRow]:
    stmt = select(NoncomplianceReportRow).where(
        NoncomplianceReportRow.received_at >= start, NoncomplianceReportRow.received_at < end
    )
    if material is not None:
        stmt = stmt.where(NoncomplianceReportRow.material_risk.is_(material))
    return list(session.execute(stmt).scalars())


def _substantiated_ids(session: Session) -> set[int]:
    stmt = select(NoncomplianceEventRow.report_id).where(NoncomplianceEventRow.to_status == "substantiated")
    return set(session.execute(stmt).scalars())


@dataclass(frozen=True)
class ReportCounts:
    """Reports counted: numbers only, never the text, roles or dates of a single report."""

    total: int
    by_status: dict[str, int]
    substantiated: int
    material_risk: int


@dataclass(frozen=True)
class Disclosure:
    """Every report counted, as of a time, for public disclosure (``ReportCounts`` with its time first)."""

    as_of: datetime
    total: int
    by_status: dict[str, int]
    substantiated: int
    material_risk: int


@dataclass(frozen=True)
class SummaryView:
    """A recorded periodic summary for the Board."""

    id: int
    period_start: datetime
    period_end: datetime
    counts: ReportCounts


def _summary_counts(session: Session, rows: list[NoncomplianceReportRow]) -> ReportCounts:
    by_status = Counter(r.status for r in rows)
    substantiated = _substantiated_ids(session)
    return ReportCounts(
        total=len(rows),
        by_status={s: by_status.get(s, 0) for s in REPORT_STATUSES},
        substantiated=sum(1 for r in rows if r.id in substantiated),
        material_risk=sum(1 for r in rows if r.material_risk),
    )


def _render_counts(counts: ReportCounts) -> str:
    lines = [f"total: {counts.total}", f"substantiated: {counts.substantiated}"]
    lines += [f"{status}: {n}" for status, n in counts.by_status.items()]
    return "\n".join(lines) + "\n"


def disclosure(workspace: Workspace, actor: Actor) -> Disclosure:
    """Aggregate counts for public disclosure: numbers only, no text, roles or dates of single reports."""
    with workspace.reading() as ctx:
        require(actor, "noncompliance.disclose", ctx.policy)
        rows = list(ctx.session.execute(select(NoncomplianceReportRow)).scalars())
        counts = _summary_counts(ctx.session, rows)
        return Disclosure(as_of=ctx.now, **vars(counts))
