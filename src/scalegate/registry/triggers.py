"""Which assessment triggers fire for a checkpoint, with their numbers, deadlines and clauses.

Every number comes from the active policy's ``triggers`` section, never from code: the effective-compute ratio
since the last comprehensive assessment, the calendar interval, the safety buffer, who may call for an
assessment at their discretion, and how many days the assessment may take. The baseline is the checkpoint of
the family's last completed comprehensive assessment (RSP v2.2 §3.1: "notably more capable than the last model
that underwent a comprehensive assessment").

Evaluation is fail-closed: with no assessed baseline, or an effective compute that is unknown, the compute
trigger fires and says why, because "not notably more capable" cannot be shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal, TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from scalegate.jsonable import JsonObject
from scalegate.months import add_days, add_months, whole_months_between
from scalegate.policy.rules import AssessmentTriggers
from scalegate.registry.lookup import effective_recorded_at
from scalegate.store.models.assessments import AssessmentRow, EnhancementRow
from scalegate.store.models.registry import CheckpointRow, ModelRow
from scalegate.workspace import Workspace

__all__ = [
    "RATIO_TOLERANCE",
    "Baseline",
    "FiringName",
    "TriggerFiring",
    "as_recorded",
    "calendar_firing",
    "evaluate_triggers",
    "evaluate_triggers_many",
    "family_baseline",
    "latest_family_checkpoint",
]

FiringName = Literal["effective_compute", "calendar", "safety_buffer", "discretionary", "event"]
"""The triggers a policy can state (``rules.AssessmentTriggers``)."""

RATIO_TOLERANCE = 1e-9
"""Relative slack on ratio comparisons: 4x computed as 3.9999999999 still counts as 4x (fail closed)."""


class TriggerDocument(TypedDict):
    """A trigger evaluated for a checkpoint, as JSON (``TriggerFiring.to_dict``); ``kind`` repeats
    ``trigger`` for readers of the older documents."""

    trigger: FiringName
    kind: FiringName
    fired: bool
    text: str
    clause: str | None
    value: float | None
    threshold: float | None
    unit: str
    triggered_at: str | None
    deadline: str | None
    deadline_clause: str | None
    detail: JsonObject


@dataclass(frozen=True)
class TriggerFiring:
    """One trigger evaluated for a checkpoint: whether it fired, the numbers behind it, and the deadline."""

    trigger: FiringName
    fired: bool
    text: str
    clause: str | None
    value: float | None = None
    threshold: float | None = None
    unit: str = ""
    triggered_at: datetime | None = None
    deadline: datetime | None = None
    deadline_clause: str | None = None
    key: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> TriggerDocument:
        return {
            "trigger": self.trigger,
            "kind": self.trigger,
            "fired": self.fired,
            "text": self.text,
            "clause": self.clause,
            "value": self.value,
            "threshold": self.threshold,
            "unit": self.unit,
            "triggered_at": _iso(self.triggered_at),
            "deadline": _iso(self.deadline),
            "deadline_clause": self.deadline_clause,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Baseline:
    """The family's last completed comprehensive assessment and its checkpoint."""

    assessment: AssessmentRow
    checkpoint: CheckpointRow

    @property
    def anchor(self) -> datetime:
        """When the calendar interval starts counting: the completion of that assessment."""
        assert self.assessment.completed_at is not None
        return self.assessment.completed_at


def family_baseline(session: Session, family: str) -> Baseline | None:
    """The last completed comprehensive assessment in ``family`` (latest completion wins)."""
    row = session.execute(
        select(AssessmentRow)
        .join(ModelRow, AssessmentRow.model_id == ModelRow.id)
        .where(
            ModelRow.family == family,
            AssessmentRow.kind == "comprehensive",
            AssessmentRow.status == "completed",
        )
        .order_by(AssessmentRow.completed_at.desc(), AssessmentRow.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return None if row is None else Baseline(row, row.checkpoint)


def latest_family_checkpoint(
    session: Session, family: str, at_or_before: datetime | None = None
) -> CheckpointRow | None:
    """The most recently recorded checkpoint of a family (optionally as of a moment)."""
    query = (
        select(CheckpointRow)
        .join(ModelRow, CheckpointRow.model_id == ModelRow.id)
        .where(ModelRow.family == family)
    )
    if at_or_before is not None:
        query = query.where(CheckpointRow.recorded_at <= at_or_before)
    query = query.order_by(
        CheckpointRow.recorded_at.desc(), CheckpointRow.step.desc(), CheckpointRow.id.desc()
    )
    return session.execute(query.limit(1)).scalars().first()


def evaluate_triggers(
    workspace: Workspace, session: Session, checkpoint: CheckpointRow
) -> list[TriggerFiring]:
    """Every trigger of the active policy, evaluated for ``checkpoint`` as of the workspace clock."""
    firings = evaluate_triggers_many(workspace, session, [checkpoint])[0]
    return [_as_recorded(session, f) for f in firings]


def evaluate_triggers_many(
    workspace: Workspace, session: Session, checkpoints: Sequence[CheckpointRow]
) -> list[list[TriggerFiring]]:
    """Every trigger, evaluated for each of ``checkpoints`` (all of one model), not yet compared with the
    assessments on record (``as_recorded`` does that).

    What the checkpoints share (the family's baseline, its calendar mark, the model's discretionary requests)
    is read once, so a batch of a thousand checkpoints costs a handful of statements, not thousands. The
    calendar trigger is read once the batch's checkpoints are in the session: its subject is the latest of
    the family's checkpoints taken before the mark, those of the batch included.
    """
    if not checkpoints:
        return []
    triggers = workspace.active_in(session).policy.triggers
    now = workspace.now()
    first = checkpoints[0]
    baseline = family_baseline(session, first.model.family)
    calendar = calendar_firing(workspace, session, first.model.family) if triggers.calendar else None
    discretion = _discretionary_firing(session, triggers, first) if triggers.discretionary else None
    assessed = _assessed(session, [c.id for c in checkpoints]) if triggers.events else set()
    out: list[list[TriggerFiring]] = []
    for checkpoint in checkpoints:
        firings: list[TriggerFiring] = []
        if triggers.effective_compute:
            firings.append(_compute_firing(triggers, checkpoint, baseline, now))
        if triggers.calendar:
            firings.append(calendar or _calendar_without_baseline(triggers, checkpoint))
        if triggers.safety_buffer:
            firings.append(_buffer_firing(triggers, checkpoint, baseline))
        if discretion is not None:
            firings.append(discretion)
        firings += [
            _event_firing(now, triggers, checkpoint, i, checkpoint.id in assessed)
            for i in range(len(triggers.events))
        ]
        out.append(firings)
    return out


def _assessed(session: Session, checkpoint_ids: list[int]) -> set[int]:
    """Which of these checkpoints completed a comprehensive assessment."""
    found: set[int] = set()
    for lo in range(0, len(checkpoint_ids), 500):
        found |= set(
            session.execute(
                select(AssessmentRow.checkpoint_id).where(
                    AssessmentRow.checkpoint_id.in_(checkpoint_ids[lo : lo + 500]),
                    AssessmentRow.kind == "comprehensive",
                    AssessmentRow.status == "completed",
                )
            ).scalars()
        )
    return found


def _as_recorded(session: Session, firing: TriggerFiring) -> TriggerFiring:
    """A firing already recorded as an assessment keeps the moment it first fired and that deadline: a later,
    larger checkpoint does not push the obligation back."""
    if not firing.fired or firing.key is None:
        return firing
    row = session.execute(
        select(AssessmentRow).where(AssessmentRow.trigger_key == firing.key)
    ).scalar_one_or_none()
    return as_recorded(firing, {} if row is None else {firing.key: row})


def as_recorded(firing: TriggerFiring, recorded: Mapping[str, AssessmentRow]) -> TriggerFiring:
    """``firing`` as the assessments on record see it (``recorded``: assessments by trigger key, read once
    for a batch): one recorded and completed no longer fires; one recorded and open keeps its first moment
    and deadline."""
    if not firing.fired or firing.key is None:
        return firing
    row = recorded.get(firing.key)
    if row is None:
        return firing
    if row.completed_at is not None:
        done = f"; assessed: {row.checkpoint.ref}, completed {row.completed_at.date().isoformat()}"
        detail = {**firing.detail, "assessment_id": row.id}
        return replace(
            firing, fired=False, text=firing.text + done, triggered_at=None, deadline=None, detail=detail
        )
    detail = {**firing.detail, "assessment_id": row.id, "first_fired_on": row.checkpoint.ref}
    return replace(firing, triggered_at=row.triggered_at, deadline=row.due_at, detail=detail)


# -- effective compute ---------------------------------------------------------------------------------------


def _ratio(checkpoint: CheckpointRow, baseline: Baseline | None) -> tuple[float | None, str]:
    """Effective-compute ratio to the baseline, or None with the reason it cannot be computed."""
    if baseline is None:
        return (
            None,
            f"no checkpoint of family {checkpoint.model.family!r} has completed a comprehensive assessment",
        )
    if checkpoint.effective_compute is None:
        return (
            None,
            f"effective compute of {checkpoint.ref} is unknown (no loss with a fit, no declared multiplier)",
        )
    base = baseline.checkpoint.effective_compute
    if base is None or base <= 0:
        return None, f"effective compute of the assessed baseline {baseline.checkpoint.ref} is unknown"
    return checkpoint.effective_compute / base, ""


def _compute_firing(
    triggers: AssessmentTriggers, checkpoint: CheckpointRow, baseline: Baseline | None, now: datetime
) -> TriggerFiring:
    """The ratio trigger. A measured crossing fires when the checkpoint was taken; a ratio that cannot be
    computed fires (fail closed) when scalegate learns of the checkpoint, which cannot be late before then."""
    rule = triggers.effective_compute
    assert rule is not None
    ratio, why = _ratio(checkpoint, baseline)
    base_id = baseline.assessment.id if baseline else "none"
    key = f"effective_compute:{checkpoint.model.name}:after:{base_id}"
    at = effective_recorded_at(checkpoint)  # a date stored ahead cannot push the deadline out
    if ratio is None:
        text = f"{why}: cannot show it is below {rule.ratio:g}x, so an assessment is due"
        fired, at = True, max(at, now)
    else:
        fired = ratio >= rule.ratio * (1 - RATIO_TOLERANCE)
        assert baseline is not None
        text = (
            f"effective compute {checkpoint.effective_compute:.4g} FLOP is {ratio:.2f}x that of the last "
            f"comprehensively assessed checkpoint {baseline.checkpoint.ref}; "
            f"{'at or above' if fired else 'below'} the {rule.ratio:g}x trigger"
        )
    return _fired_at(
        triggers,
        "effective_compute",
        fired,
        text,
        rule.source.cite(),
        at,
        key,
        value=ratio,
        threshold=rule.ratio,
        unit="x",
        detail=_compute_detail(checkpoint, baseline),
    )


def _compute_detail(checkpoint: CheckpointRow, baseline: Baseline | None) -> JsonObject:
    """The effective-compute trigger's ``detail``: the numbers behind the ratio, as every trigger's detail
    is (a JsonObject: each kind of trigger records its own)."""
    detail: JsonObject = {
        "checkpoint": checkpoint.ref,
        "effective_compute": checkpoint.effective_compute,
        "method": checkpoint.effective_compute_method,
    }
    if baseline is not None:
        base = baseline.checkpoint
        detail |= {
            "baseline": base.ref,
            "baseline_effective_compute": base.effective_compute,
            "baseline_assessment_id": baseline.assessment.id,
        }
        if checkpoint.effective_compute_high is not None and base.effective_compute_low:
            detail["ratio_high"] = checkpoint.effective_compute_high / base.effective_compute_low
        if checkpoint.effective_compute_low is not None and base.effective_compute_high:
            detail["ratio_low"] = checkpoint.effective_compute_low / base.effective_compute_high
    return detail


# -- calendar ------------------------------------------------------------------------------------------------


def calendar_firing(workspace: Workspace, session: Session, family: str) -> TriggerFiring | None:
    """The calendar trigger of a family as of now (None when the policy has no calendar trigger or the family
    has no assessed baseline to count from).

    Its callers hold a bare session of their own transaction (the trigger evaluation of a registration, the
    calendar's scan of every family), so the policy is the one that session sees (``active_in``)."""
    triggers = workspace.active_in(session).policy.triggers
    baseline = family_baseline(session, family)
    if triggers.calendar is None or baseline is None:
        return None
    rule = triggers.calendar
    now = workspace.now()
    mark = add_months(baseline.anchor, rule.months)
    months = whole_months_between(baseline.anchor, now)
    fired = now >= mark
    subject = latest_family_checkpoint(session, family, at_or_before=mark) or baseline.checkpoint
    text = (
        f"{months} month(s) since the last comprehensive assessment of family {family!r} "
        f"({baseline.checkpoint.ref}, completed {baseline.anchor.date().isoformat()}); "
        "the policy calls for one "
        f"every {rule.months} months ({'reached' if fired else 'next'} on {mark.date().isoformat()})"
    )
    detail: dict[str, Any] = {
        "family": family,
        "basis": rule.basis,
        "since": baseline.anchor.isoformat(),
        "mark": mark.isoformat(),
        "baseline": baseline.checkpoint.ref,
        "checkpoint": subject.ref,
        "checkpoint_id": subject.id,
    }
    if rule.basis == "post_training_accumulated":
        detail["enhancements_since"] = _enhancements_since(session, family, baseline.anchor)
    return _fired_at(
        triggers,
        "calendar",
        fired,
        text,
        rule.source.cite(),
        mark,
        f"calendar:{family}:after:{baseline.assessment.id}",
        value=float(months),
        threshold=float(rule.months),
        unit="months",
        detail=detail,
    )


def _calendar_without_baseline(triggers: AssessmentTriggers, checkpoint: CheckpointRow) -> TriggerFiring:
    """The calendar trigger of a family with no assessed baseline to count months from."""
    rule = triggers.calendar
    assert rule is not None
    if triggers.effective_compute is not None:
        text = "no comprehensive assessment to count months from; the effective-compute trigger applies"
        return TriggerFiring(
            "calendar", False, text, rule.source.cite(), threshold=float(rule.months), unit="months"
        )
    text = (
        f"no comprehensive assessment of family {checkpoint.model.family!r} on record: an assessment is due"
    )
    key = f"calendar:{checkpoint.model.family}:after:none"
    return _fired_at(
        triggers,
        "calendar",
        True,
        text,
        rule.source.cite(),
        effective_recorded_at(checkpoint),
        key,
        threshold=float(rule.months),
        unit="months",
        detail={"checkpoint": checkpoint.ref},
    )


class EnhancementShown(TypedDict):
    """An enhancement of a family's model in use since a date, as a trigger's detail names it."""

    model: str
    kind: str
    description: str
    started_at: str


def _enhancements_since(session: Session, family: str, since: datetime) -> list[EnhancementShown]:
    rows = session.execute(
        select(EnhancementRow, ModelRow.name)
        .join(ModelRow, EnhancementRow.model_id == ModelRow.id)
        .where(ModelRow.family == family)
        .where((EnhancementRow.ended_at.is_(None)) | (EnhancementRow.ended_at >= since))
        .order_by(EnhancementRow.started_at)
    ).all()
    return [
        {"model": name, "kind": e.kind, "description": e.description, "started_at": e.started_at.isoformat()}
        for e, name in rows
    ]


# -- safety buffer, discretion, events -----------------------------------------------------------------------


def _buffer_firing(
    triggers: AssessmentTriggers, checkpoint: CheckpointRow, baseline: Baseline | None
) -> TriggerFiring:
    rule = triggers.safety_buffer
    assert rule is not None
    buffer, clause = rule.effective_compute_multiple, rule.source.cite()
    interval = triggers.effective_compute.ratio if triggers.effective_compute else None
    if interval is not None and interval >= buffer:
        text = (
            f"the assessment interval {interval:g}x is not below the {buffer:g}x safety buffer: "
            "the next assessment point would exceed the buffer"
        )
        return TriggerFiring("safety_buffer", True, text, clause, value=interval, threshold=buffer, unit="x")
    ratio, why = _ratio(checkpoint, baseline)
    if ratio is None:
        text = f"{why}; the buffer cannot be checked (the effective-compute trigger covers this checkpoint)"
        return TriggerFiring("safety_buffer", False, text, clause, threshold=buffer, unit="x")
    fired = ratio >= buffer * (1 - RATIO_TOLERANCE)
    assert baseline is not None
    text = (
        f"{ratio:.2f}x effective compute since the last comprehensive assessment "
        f"{'exceeds' if fired else 'is within'} the {buffer:g}x safety buffer"
        + ("" if interval is None else f" (assessments are due every {interval:g}x)")
    )
    key = f"safety_buffer:{checkpoint.model.name}:after:{baseline.assessment.id}"
    return _fired_at(
        triggers,
        "safety_buffer",
        fired,
        text,
        clause,
        effective_recorded_at(checkpoint),
        key,
        value=ratio,
        threshold=buffer,
        unit="x",
        detail={"headroom": buffer / ratio},
    )


def _discretionary_firing(
    session: Session, triggers: AssessmentTriggers, checkpoint: CheckpointRow
) -> TriggerFiring:
    rule = triggers.discretionary
    assert rule is not None
    request = session.execute(
        select(AssessmentRow)
        .where(
            AssessmentRow.model_id == checkpoint.model_id,
            AssessmentRow.trigger == "discretionary",
            AssessmentRow.status == "open",
        )
        .order_by(AssessmentRow.triggered_at.desc())
        .limit(1)
    ).scalar_one_or_none()
    roles = ", ".join(rule.roles)
    if request is None:
        return TriggerFiring("discretionary", False, f"no open request by {roles}", rule.source.cite())
    when = request.triggered_at.date().isoformat()
    text = f"requested by {request.requested_by} on {when}: {request.detail.get('reason', '')}"
    return TriggerFiring(
        "discretionary",
        True,
        text,
        rule.source.cite(),
        triggered_at=request.triggered_at,
        deadline=request.due_at,
        deadline_clause=request.detail.get("deadline_clause"),
        detail={"assessment_id": request.id},
    )


def _event_firing(
    now: datetime, triggers: AssessmentTriggers, checkpoint: CheckpointRow, index: int, assessed: bool
) -> TriggerFiring:
    event = triggers.events[index]
    clause = event.source.cite()
    if event.event != "before_deployment":
        return TriggerFiring(
            "event",
            False,
            f"{event.id}: not detected automatically; request an assessment when it happens",
            clause,
            detail={"event": event.id},
        )
    fired = checkpoint.stage == "deployed" and not assessed
    text = f"{event.id}: {checkpoint.ref} is {checkpoint.stage}" + (
        " without a completed assessment"
        if fired
        else ("" if checkpoint.stage != "deployed" else ", assessed")
    )
    return _fired_at(
        triggers,
        "event",
        fired,
        text,
        clause,
        now,
        f"event:{event.id}:{checkpoint.ref}",
        detail={"event": event.id},
    )


def _fired_at(
    triggers: AssessmentTriggers,
    name: FiringName,
    fired: bool,
    text: str,
    clause: str,
    at: datetime,
    key: str,
    **extra: Any,
) -> TriggerFiring:
    """A firing with its deadline: the firing moment plus the policy's ``deadline_days`` (none: at once)."""
    deadline_clause = triggers.deadline_source.cite() if triggers.deadline_source else None
    if not fired:
        return TriggerFiring(name, False, text, clause, deadline_clause=deadline_clause, key=key, **extra)
    return TriggerFiring(
        name,
        True,
        text,
        clause,
        triggered_at=at,
        deadline=add_days(at, triggers.deadline_days),
        deadline_clause=deadline_clause,
        key=key,
        **extra,
    )


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
