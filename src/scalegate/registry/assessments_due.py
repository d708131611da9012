"""Assessment triggers turned into records: what is due, by when, what was done late.

A fired trigger opens an assessment record with its deadline (``open_assessments``); a completed comprehensive
assessment closes the records it satisfies and becomes the family's new baseline
(``mark_assessment_completed``);
an assessment past its deadline becomes a compliance finding with the exact number of days late
(``record_overdue_findings``). Calendar triggers fire with the passage of time, not with a checkpoint, so
``sync_assessments`` opens them when their month mark has passed; ``due_assessments`` shows them even before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from scalegate.actor import SYSTEM, Actor
from scalegate.calendar_types import CalendarItem
from scalegate.errors import InputError, PermissionDenied
from scalegate.jsonable import JsonObject
from scalegate.months import add_days, days_late
from scalegate.registry.lookup import resolve_checkpoint
from scalegate.registry.triggers import TriggerFiring, calendar_firing
from scalegate.store.models.assessments import AssessmentKind, AssessmentRow, ComplianceFindingRow
from scalegate.store.models.registry import CheckpointRow, ModelRow
from scalegate.workspace import Workspace

if TYPE_CHECKING:
    from scalegate.policy.rules import AssessmentTriggers

__all__ = [
    "OVERDUE_FINDING",
    "DueAssessment",
    "calendar_items",
    "due_assessments",
    "list_findings",
    "mark_assessment_completed",
    "open_assessments",
    "record_overdue_findings",
    "record_prior_assessment",
    "request_assessment",
    "sync_assessments",
]

OVERDUE_FINDING = "assessment_overdue"
"""``compliance_findings.kind`` of an assessment completed after, or still open past, its deadline."""

DueStatus = Literal["due", "overdue"]


@dataclass(frozen=True)
class DueAssessment:
    """An assessment that is due or overdue now (``id`` None: a calendar firing not yet recorded)."""

    id: int | None
    model: str
    family: str
    checkpoint: str
    kind: str
    trigger: str
    triggered_at: datetime
    due_at: datetime
    status: DueStatus
    days_overdue: int
    days_left: int
    clause: str
    text: str


# -- opening -------------------------------------------------------------------------------------------------


def open_assessments(
    workspace: Workspace,
    session: Session,
    actor: Actor,
    checkpoint: CheckpointRow,
    firings: Sequence[TriggerFiring],
    *,
    recorded: dict[str, AssessmentRow] | None = None,
) -> list[AssessmentRow]:
    """Open one comprehensive assessment per fired trigger not yet recorded (idempotent by trigger key).

    ``recorded``: the assessments on record by trigger key, when the caller has read them already (a batch
    of checkpoints reads them once); the ones opened here are added to it.
    """
    opened: list[AssessmentRow] = []
    for firing in firings:
        if not firing.fired or firing.key is None:
            continue
        if firing.key in recorded if recorded is not None else _exists(session, firing.key):
            continue
        subject = checkpoint
        if "checkpoint_id" in firing.detail:
            subject = session.get(CheckpointRow, firing.detail["checkpoint_id"]) or checkpoint
        row = _open(workspace, session, actor, subject, firing)
        if recorded is not None:
            recorded[firing.key] = row
        opened.append(row)
    return opened


def _exists(session: Session, key: str) -> bool:
    return (
        session.execute(select(AssessmentRow.id).where(AssessmentRow.trigger_key == key)).first() is not None
    )


def _open(
    workspace: Workspace, session: Session, actor: Actor, checkpoint: CheckpointRow, firing: TriggerFiring
) -> AssessmentRow:
    assert firing.triggered_at is not None and firing.deadline is not None
    row = AssessmentRow(
        model_id=checkpoint.model_id,
        checkpoint_id=checkpoint.id,
        kind="comprehensive",
        trigger=firing.trigger,
        trigger_key=firing.key,
        triggered_at=firing.triggered_at,
        due_at=firing.deadline,
        completed_at=None,
        status="open",
        clause=firing.clause or "",
        requested_by=None,
        created_at=workspace.now(),
        detail={
            "text": firing.text,
            "value": firing.value,
            "threshold": firing.threshold,
            "unit": firing.unit,
            "deadline_clause": firing.deadline_clause,
            **_plain(firing.detail),
        },
    )
    session.add(row)
    session.flush()
    workspace.record(
        session,
        actor,
        "assessment.opened",
        f"checkpoint:{checkpoint.ref}",
        {"trigger": firing.trigger, "due_at": row.due_at.isoformat(), "text": firing.text},
        rows=[row],
    )
    return row


def _plain(detail: dict[str, Any]) -> JsonObject:
    """A trigger's detail without the internal checkpoint id, for the opened assessment's row."""
    return {k: v for k, v in detail.items() if k != "checkpoint_id"}


def sync_assessments(workspace: Workspace, actor: Actor = SYSTEM) -> list[AssessmentRow]:
    """Open the calendar assessments whose month mark has passed (idempotent)."""
    opened: list[AssessmentRow] = []
    with workspace.writing(actor) as ctx:
        session = ctx.session
        for family in _families(session):
            firing = calendar_firing(workspace, session, family)
            if firing is None or not firing.fired or firing.key is None or _exists(session, firing.key):
                continue
            subject = session.get(CheckpointRow, firing.detail["checkpoint_id"])
            assert subject is not None
            opened.append(_open(workspace, session, actor, subject, firing))
    return opened


def _families(session: Session) -> list[str]:
    return list(session.execute(select(ModelRow.family).distinct().order_by(ModelRow.family)).scalars())


def request_assessment(
    workspace: Workspace, actor: Actor, ref: str, reason: str, kind: AssessmentKind = "comprehensive"
) -> AssessmentRow:
    """A discretionary request for an assessment; only the roles the policy names may make one."""
    with workspace.writing(actor) as ctx:
        rule = ctx.policy.triggers.discretionary
        if rule is None:
            raise PermissionDenied(f"policy {ctx.policy.id} grants no one a discretionary assessment trigger")
        if not actor.roles & set(rule.roles):
            raise PermissionDenied(
                f"{actor.label} may not request an assessment: the policy allows roles "
                f"{', '.join(rule.roles)} ({rule.source.cite()})"
            )
        if not reason.strip():
            raise InputError("a discretionary request needs a reason", where="reason")
        triggers = ctx.policy.triggers
        session = ctx.session
        checkpoint = resolve_checkpoint(session, ref)
        now = workspace.now()
        deadline_clause = triggers.deadline_source.cite() if triggers.deadline_source else None
        row = AssessmentRow(
            model_id=checkpoint.model_id,
            checkpoint_id=checkpoint.id,
            kind=kind,
            trigger="discretionary",
            trigger_key=None,
            triggered_at=now,
            due_at=add_days(now, triggers.deadline_days),
            completed_at=None,
            status="open",
            clause=rule.source.cite(),
            requested_by=actor.name,
            created_at=now,
            detail={
                "reason": reason.strip(),
                "deadline_clause": deadline_clause,
                "checkpoint": checkpoint.ref,
            },
        )
        session.add(row)
        session.flush()
        workspace.record(
            session,
            actor,
            "assessment.requested",
            f"checkpoint:{checkpoint.ref}",
            {"kind": kind, "reason": reason.strip(), "due_at": row.due_at.isoformat()},
            rows=[row],
        )
    return row


# -- completing ----------------------------------------------------------------------------------------------


def mark_assessment_completed(
    workspace: Workspace,
    session: Session,
    actor: Actor,
    checkpoint_id: int,
    completed_at: datetime,
    kind: AssessmentKind = "comprehensive",
) -> AssessmentRow:
    """Record that ``checkpoint_id`` completed an assessment at ``completed_at``, in the caller's transaction.

    Open assessments it satisfies are closed (same checkpoint; an earlier checkpoint of the same model; any
    checkpoint of the family with no more effective compute). A comprehensive completion makes this checkpoint
    the family's new baseline. Completions after a deadline are recorded as findings with the days late.
    Returns the record of this checkpoint's assessment.
    """
    checkpoint = session.get(CheckpointRow, checkpoint_id)
    if checkpoint is None:
        raise InputError(f"no checkpoint with id {checkpoint_id}", where="checkpoint_id")
    if completed_at.tzinfo is None:
        raise InputError("completion time must be timezone-aware", where="completed_at")
    if completed_at > workspace.now():
        raise InputError(f"completion time {completed_at.isoformat()} is in the future", where="completed_at")
    if completed_at < checkpoint.recorded_at:
        raise InputError(
            f"{checkpoint.ref} was recorded {checkpoint.recorded_at.isoformat()}, after the completion time",
            where="completed_at",
        )
    if kind == "comprehensive":
        _open_missed_calendar(workspace, session, actor, checkpoint.model.family, completed_at)
    closed = [
        row for row in _open_rows(session, checkpoint.model.family, kind) if _satisfies(checkpoint, row)
    ]
    own = next((row for row in closed if row.checkpoint_id == checkpoint.id), None)
    if own is None:
        own = AssessmentRow(
            model_id=checkpoint.model_id,
            checkpoint_id=checkpoint.id,
            kind=kind,
            trigger="unscheduled",
            trigger_key=None,
            triggered_at=completed_at,
            due_at=completed_at,
            completed_at=None,
            status="open",
            clause="",
            requested_by=None,
            created_at=workspace.now(),
            detail={"checkpoint": checkpoint.ref},
        )
        session.add(own)
        closed.append(own)
    for row in closed:
        row.completed_at, row.status = completed_at, "completed"
    session.flush()
    workspace.record(
        session,
        actor,
        "assessment.completed",
        f"checkpoint:{checkpoint.ref}",
        {"kind": kind, "completed_at": completed_at.isoformat(), "closed": [r.id for r in closed]},
        rows=closed,
    )
    for row in closed:
        _finding_for(workspace, session, actor, row)
    return own


def _open_missed_calendar(
    workspace: Workspace, session: Session, actor: Actor, family: str, before: datetime
) -> None:
    """Record the calendar assessment whose mark passed before this completion, so its lateness counts."""
    firing = calendar_firing(workspace, session, family)
    if firing is None or not firing.fired or firing.key is None or _exists(session, firing.key):
        return
    if firing.triggered_at is not None and firing.triggered_at <= before:
        subject = session.get(CheckpointRow, firing.detail["checkpoint_id"])
        assert subject is not None
        _open(workspace, session, actor, subject, firing)


def _open_rows(session: Session, family: str, kind: str) -> list[AssessmentRow]:
    return list(
        session.execute(
            select(AssessmentRow)
            .join(ModelRow, AssessmentRow.model_id == ModelRow.id)
            .where(ModelRow.family == family, AssessmentRow.status == "open", AssessmentRow.kind == kind)
            .order_by(AssessmentRow.id)
        ).scalars()
    )


def _satisfies(assessed: CheckpointRow, row: AssessmentRow) -> bool:
    other = row.checkpoint
    if other.id == assessed.id:
        return True
    if other.model_id == assessed.model_id and other.recorded_at <= assessed.recorded_at:
        return True
    return (
        other.effective_compute is not None
        and assessed.effective_compute is not None
        and other.effective_compute <= assessed.effective_compute
    )


def record_prior_assessment(
    workspace: Workspace, actor: Actor, ref: str, completed_at: datetime
) -> AssessmentRow:
    """Record a comprehensive assessment completed before scalegate tracked it (sets the baseline).

    Only the roles allowed to call for assessments or to sign capability determinations may record one.
    """
    with workspace.writing(actor) as ctx:
        policy = ctx.policy
        rule, signers = policy.triggers.discretionary, policy.decision_rule("capability_determination")
        roles = set(rule.roles if rule else []) | set(signers.signoff_roles if signers else [])
        if not actor.roles & roles:
            raise PermissionDenied(
                f"{actor.label} may not record a prior assessment: "
                f"needs role {', '.join(sorted(roles)) or '(none defined)'}"
            )
        session = ctx.session
        checkpoint = resolve_checkpoint(session, ref)
        return mark_assessment_completed(workspace, session, actor, checkpoint.id, completed_at)


# -- what is due, findings, calendar -------------------------------------------------------------------------


def due_assessments(workspace: Workspace) -> list[DueAssessment]:
    """Every open assessment, and every calendar firing not yet recorded, with days left or days overdue."""
    with workspace.reading() as ctx:
        session, now = ctx.session, ctx.now
        rows = session.execute(select(AssessmentRow).where(AssessmentRow.status == "open")).scalars().all()
        items = [_due_item(now, row) for row in rows]
        for family in _families(session):
            firing = calendar_firing(workspace, session, family)
            if firing is not None and firing.fired and firing.key and not _exists(session, firing.key):
                items.append(_pending_item(now, session, family, firing))
    return sorted(items, key=lambda i: (i.due_at, i.model, i.trigger))


def _due_item(now: datetime, row: AssessmentRow) -> DueAssessment:
    late = days_late(row.due_at, now)
    return DueAssessment(
        id=row.id,
        model=row.checkpoint.model.name,
        family=row.checkpoint.model.family,
        checkpoint=row.checkpoint.ref,
        kind=row.kind,
        trigger=row.trigger,
        triggered_at=row.triggered_at,
        due_at=row.due_at,
        status="overdue" if late else "due",
        days_overdue=late,
        days_left=_days_left(now, row.due_at),
        clause=row.detail.get("deadline_clause") or row.clause,
        text=row.detail.get("text") or row.detail.get("reason") or "",
    )


def _pending_item(now: datetime, session: Session, family: str, firing: TriggerFiring) -> DueAssessment:
    checkpoint = session.get(CheckpointRow, firing.detail["checkpoint_id"])
    assert checkpoint is not None and firing.triggered_at is not None and firing.deadline is not None
    late = days_late(firing.deadline, now)
    return DueAssessment(
        id=None,
        model=checkpoint.model.name,
        family=family,
        checkpoint=checkpoint.ref,
        kind="comprehensive",
        trigger="calendar",
        triggered_at=firing.triggered_at,
        due_at=firing.deadline,
        status="overdue" if late else "due",
        days_overdue=late,
        days_left=_days_left(now, firing.deadline),
        clause=firing.deadline_clause or firing.clause or "",
        text=firing.text,
    )


def _days_left(now: datetime, due: datetime) -> int:
    return max(0, (due.date() - now.date()).days) if due >= now else 0


def record_overdue_findings(workspace: Workspace) -> list[ComplianceFindingRow]:
    """Record one ``assessment_overdue`` finding per assessment past its deadline; returns those created or
    updated by this call (empty when nothing changed, so repeated calls are harmless)."""
    sync_assessments(workspace)
    changed: list[ComplianceFindingRow] = []
    with workspace.transaction() as session:
        now = workspace.now()
        rows = session.execute(select(AssessmentRow).order_by(AssessmentRow.id)).scalars().all()
        for row in rows:
            late = row.completed_at is not None and row.completed_at > row.due_at
            if late or (row.completed_at is None and now > row.due_at):
                finding = _finding_for(workspace, session, SYSTEM, row)
                if finding is not None:
                    changed.append(finding)
    return changed


def _finding_for(
    workspace: Workspace, session: Session, actor: Actor, row: AssessmentRow
) -> ComplianceFindingRow | None:
    """Create or finalise the finding of one late assessment; None when nothing is late or nothing changed."""
    done = row.completed_at
    late = days_late(row.due_at, done or workspace.now())
    if late == 0:
        return None
    subject = f"assessment:{row.id}"
    detail = {
        "assessment_id": row.id,
        "model": row.checkpoint.model.name,
        "checkpoint": row.checkpoint.ref,
        "trigger": row.trigger,
        "triggered_at": row.triggered_at.isoformat(),
        "due_at": row.due_at.isoformat(),
        "completed_at": done.isoformat() if done else None,
        "state": "completed_late" if done else "open",
    }
    finding = session.execute(
        select(ComplianceFindingRow).where(
            ComplianceFindingRow.kind == OVERDUE_FINDING, ComplianceFindingRow.subject == subject
        )
    ).scalar_one_or_none()
    if finding is not None and (finding.detail.get("state") == "completed_late" or finding.detail == detail):
        return None
    event = "finding.recorded" if finding is None else "finding.updated"
    if finding is None:
        finding = ComplianceFindingRow(
            kind=OVERDUE_FINDING,
            subject=subject,
            detected_at=workspace.now(),
            clause=row.detail.get("deadline_clause") or row.clause,
            detail=detail,
            days_late=late,
        )
        session.add(finding)
    else:
        finding.detail, finding.days_late = detail, late
    session.flush()
    workspace.record(
        session, actor, event, subject, {"kind": OVERDUE_FINDING, "days_late": late}, rows=[finding]
    )
    return finding


def list_findings(workspace: Workspace, kind: str | None = None) -> list[ComplianceFindingRow]:
    """Compliance findings, oldest first."""
    with workspace.read() as session:
        query = select(ComplianceFindingRow).order_by(
            ComplianceFindingRow.detected_at, ComplianceFindingRow.id
        )
        if kind:
            query = query.where(ComplianceFindingRow.kind == kind)
        return list(session.execute(query).scalars())


def calendar_items(workspace: Workspace) -> list[CalendarItem]:
    """Assessment deadlines for the compliance calendar: upcoming marks, due, overdue, met and missed."""
    items: list[CalendarItem] = []
    with workspace.reading() as ctx:
        session, now = ctx.session, ctx.now
        for row in session.execute(select(AssessmentRow).order_by(AssessmentRow.id)).scalars():
            items.append(_calendar_item(now, row))
        for family in _families(session):
            firing = calendar_firing(workspace, session, family)
            if firing is not None and firing.key and not _exists(session, firing.key):
                items.append(_pending_calendar_item(now, ctx.policy.triggers, family, firing))
    return sorted(items, key=lambda i: (i.due_at, i.id))


def _calendar_item(now: datetime, row: AssessmentRow) -> CalendarItem:
    done = row.completed_at
    late = days_late(row.due_at, done or now)
    if done is not None:
        status: Any = "missed" if late else "met"
    else:
        status = "overdue" if late else "due"
    return CalendarItem(
        id=f"assessment:{row.trigger_key or row.id}",
        kind="assessment",
        title=f"{row.kind.capitalize()} assessment of {row.checkpoint.ref} ({row.trigger.replace('_', ' ')})",
        due_at=row.due_at,
        status=status,
        clause=row.detail.get("deadline_clause") or row.clause or "",
        subject=row.checkpoint.ref,
        completed_at=done,
        days_overdue=late,
        details={
            "assessment_id": row.id,
            "trigger": row.trigger,
            "triggered_at": row.triggered_at.isoformat(),
        },
    )


def _pending_calendar_item(
    now: datetime, triggers: AssessmentTriggers, family: str, firing: TriggerFiring
) -> CalendarItem:
    from datetime import datetime as _dt

    mark = _dt.fromisoformat(firing.detail["mark"])
    due = firing.deadline or add_days(mark, triggers.deadline_days)
    late = days_late(due, now)
    status: Any = ("overdue" if late else "due") if firing.fired else "upcoming"
    return CalendarItem(
        id=f"assessment:{firing.key}",
        kind="assessment",
        title=f"Comprehensive assessment of family {family} (every {int(firing.threshold or 0)} months)",
        due_at=due,
        status=status,
        clause=firing.deadline_clause or firing.clause or "",
        subject=firing.detail.get("checkpoint"),
        days_overdue=late,
        details={"family": family, "mark": firing.detail["mark"], "since": firing.detail["since"]},
    )
