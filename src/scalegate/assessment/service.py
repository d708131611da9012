"""The assessment of a checkpoint: triggers, findings, forecast, required safeguards, decisions, gaps.

``assess`` is what the CLI (`scalegate assess`), the API and the reports show, and what the gate decides on:
one typed ``Assessment`` per checkpoint, computed once and then decided for each action
(``scalegate.gate.decide``). It is turned into JSON only at the doors (``Assessment.to_dict``).

Evidence basis: a checkpoint's own results when it has any; otherwise, while no assessment trigger has fired,
the results of the model's latest earlier checkpoint that has results (it is not notably more capable than
that). Once a trigger fires, only the checkpoint's own results count: with none, nothing can be ruled out.
Continued training is the one exception the policies make: while fired triggers are within their deadlines,
the last results stand for training (``Assessment.while_pending``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypedDict

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from scalegate.assessment.findings import (
    EvidenceLike,
    ThresholdFinding,
    ThresholdFindingDocument,
    threshold_findings,
)
from scalegate.assessment.forecast import Forecast, ForecastDocument, family_forecasts
from scalegate.assessment.requirements import (
    RequiredLevel,
    RequiredLevelDocument,
    Requirements,
    RequirementsDocument,
    required_levels,
)
from scalegate.audit.log import log_size
from scalegate.canonical import digest
from scalegate.context import Context, reading
from scalegate.errors import NotFoundError
from scalegate.evidence.series import checkpoint_evidence, checkpoints_evidence
from scalegate.evidence.types import QualityFlag
from scalegate.governance.decisions import DecisionStatus, decision_status, status_of
from scalegate.governance.notifications import government_notice_sent
from scalegate.jsonable import JsonObject, to_jsonable
from scalegate.registry.lookup import get_model, resolve_checkpoint
from scalegate.registry.triggers import (
    TriggerDocument,
    TriggerFiring,
    as_recorded,
    evaluate_triggers,
    evaluate_triggers_many,
)
from scalegate.safeguards.service import StandardStatus, StandardStatusDocument, standard_status
from scalegate.store.models.assessments import AssessmentRow
from scalegate.store.models.evidence import EvidenceBlobChunkRow, EvidenceBlobRow, EvidenceRow
from scalegate.store.models.governance import DecisionRow, NotificationRow
from scalegate.store.models.registry import CheckpointRow, ModelRow

if TYPE_CHECKING:
    from scalegate.workspace import Workspace

__all__ = [
    "Assessment",
    "AssessmentDocument",
    "Basis",
    "CheckpointInfo",
    "CheckpointInfoDocument",
    "PolicyIdentity",
    "RequiredStandard",
    "assess",
    "assess_checkpoints",
    "assess_family",
    "checkpoint_subject",
    "evidence_of",
]

ALWAYS_READ_DECISIONS = ("affirmative_case", "interim_measures")
"""Decision types about a checkpoint every assessment reads. With those the policy's action rules require,
they bind to the checkpoint's findings only (the capability determination binds to the findings and the
evidence set; safeguards determinations are about a standard, not a checkpoint)."""


def checkpoint_subject(checkpoint_id: int) -> str:
    """The decision subject of a checkpoint's capability determination and affirmative case."""
    return f"checkpoint:{checkpoint_id}"


class CheckpointInfoDocument(TypedDict):
    """The assessed checkpoint as JSON (``CheckpointInfo.to_dict``): its fields, then its reference."""

    id: int
    model: str
    family: str
    name: str
    step: int | None
    stage: str
    training_flops: float | None
    recorded_at: str
    effective_compute: float | None
    effective_compute_low: float | None
    effective_compute_high: float | None
    effective_compute_method: str | None
    ref: str


@dataclass(frozen=True)
class CheckpointInfo:
    """The assessed checkpoint, as recorded in the registry."""

    id: int
    model: str
    family: str
    name: str
    step: int | None
    stage: str
    training_flops: float | None
    recorded_at: datetime
    effective_compute: float | None
    effective_compute_low: float | None
    effective_compute_high: float | None
    effective_compute_method: str | None

    @property
    def ref(self) -> str:
        return f"{self.model}@{self.name}"

    @classmethod
    def of(cls, row: CheckpointRow) -> CheckpointInfo:
        return cls(
            id=row.id,
            model=row.model.name,
            family=row.model.family,
            name=row.name,
            step=row.step,
            stage=row.stage,
            training_flops=row.training_flops,
            recorded_at=row.recorded_at,
            effective_compute=row.effective_compute,
            effective_compute_low=row.effective_compute_low,
            effective_compute_high=row.effective_compute_high,
            effective_compute_method=row.effective_compute_method,
        )

    def to_dict(self) -> CheckpointInfoDocument:
        return {
            "id": self.id,
            "model": self.model,
            "family": self.family,
            "name": self.name,
            "step": self.step,
            "stage": self.stage,
            "training_flops": self.training_flops,
            "recorded_at": self.recorded_at.isoformat(),
            "effective_compute": self.effective_compute,
            "effective_compute_low": self.effective_compute_low,
            "effective_compute_high": self.effective_compute_high,
            "effective_compute_method": self.effective_compute_method,
            "ref": self.ref,
        }


@dataclass(frozen=True)
class Basis:
    """Whose results the findings rest on, and why."""

    checkpoint: str
    """``MODEL@CHECKPOINT`` whose results were used."""
    checkpoint_id: int
    carried_over: bool
    reason: str


@dataclass(frozen=True)
class PolicyIdentity:
    """The policy version an assessment was made under."""

    id: str
    version: str
    content_hash: str


class RequiredStandardDocument(StandardStatusDocument):
    """A required level and its standard's status as JSON (``RequiredStandard.to_dict``): the level, then
    the keys of ``StandardStatus.to_dict``."""

    required: RequiredLevelDocument


class PolicyDocument(TypedDict):
    """The policy version an assessment was made under, as JSON."""

    id: str
    version: str
    content_hash: str


class BasisDocument(TypedDict):
    """Whose results an assessment's findings rest on, as JSON."""

    checkpoint: str
    carried_over: bool
    reason: str


class AssessmentDocument(TypedDict):
    """An assessment as the doors show it (``Assessment.to_dict``)."""

    ref: str
    assessed_at: str
    policy: PolicyDocument
    checkpoint: CheckpointInfoDocument
    basis: BasisDocument
    triggers: list[TriggerDocument]
    findings: list[ThresholdFindingDocument]
    requirements: RequirementsDocument
    forecasts: list[ForecastDocument]
    safeguards: dict[str, RequiredStandardDocument]
    determination: JsonObject | None
    bound_state: dict[str, str]
    errors: list[str]


@dataclass(frozen=True)
class RequiredStandard:
    """A required level of one kind and the status of its standard."""

    required: RequiredLevel
    status: StandardStatus

    def to_dict(self) -> RequiredStandardDocument:
        return {"required": self.required.to_dict(), **self.status.to_dict()}


@dataclass
class Assessment:
    """Everything the engine concludes about one checkpoint, with its numbers, typed."""

    checkpoint: CheckpointInfo
    basis: Basis
    triggers: list[TriggerFiring]
    findings: list[ThresholdFinding]
    requirements: Requirements
    forecasts: list[Forecast]
    safeguards: dict[str, RequiredStandard]
    determination: DecisionStatus | None
    """The capability determination, judged against the current findings and evidence set."""
    decisions: dict[str, DecisionStatus | None]
    """The other decisions about this checkpoint (``ALWAYS_READ_DECISIONS`` and those the action rules
    require), judged against the findings."""
    government_notified: bool
    bound_state: dict[str, str]
    policy: PolicyIdentity
    assessed_at: datetime
    state_version: int
    """The audit log's size in the snapshot this assessment was made from (every change appends to it)."""
    errors: list[str] = field(default_factory=list)
    valid_until: datetime | None = None
    """The earliest time at which the safeguards part could change by itself (an expiry, a re-approval)."""
    while_pending: Assessment | None = None
    """For continued training: the assessment on the last results while fired triggers are within their
    deadlines (None when it would be the same as this one)."""

    @property
    def ref(self) -> str:
        return self.checkpoint.ref

    @property
    def checkpoint_id(self) -> int:
        return self.checkpoint.id

    @property
    def fired(self) -> list[TriggerFiring]:
        return [t for t in self.triggers if t.fired]

    def to_dict(self) -> AssessmentDocument:
        """The assessment as the doors show it (JSON)."""
        return {
            "ref": self.ref,
            "assessed_at": self.assessed_at.isoformat(),
            "policy": {
                "id": self.policy.id,
                "version": self.policy.version,
                "content_hash": self.policy.content_hash,
            },
            "checkpoint": self.checkpoint.to_dict(),
            "basis": {
                "checkpoint": self.basis.checkpoint,
                "carried_over": self.basis.carried_over,
                "reason": self.basis.reason,
            },
            "triggers": [t.to_dict() for t in self.triggers],
            "findings": [f.to_dict() for f in self.findings],
            "requirements": self.requirements.to_dict(),
            "forecasts": [f.to_dict() for f in self.forecasts],
            "safeguards": {k: v.to_dict() for k, v in self.safeguards.items()},
            "determination": to_jsonable(self.determination) if self.determination else None,
            "bound_state": self.bound_state,
            "errors": self.errors,
        }


def assess(where: Workspace | Context, ref: str, *, with_forecasts: bool = True) -> Assessment:
    """Assess a checkpoint (``MODEL`` or ``MODEL@CHECKPOINT``) in the caller's context or a new reading one.

    Forecasts are optional because they fit a trend per indicator across the family, which the gate and the
    pages that show only findings do not need.
    """
    with reading(where) as ctx:
        checkpoint = resolve_checkpoint(ctx.session, ref)
        firings = evaluate_triggers(ctx.workspace, ctx.session, checkpoint)
        evidence = _evidence_map(ctx, checkpoint.id)
        return _assess_one(
            ctx,
            checkpoint,
            firings,
            evidence,
            lambda: _latest_assessed_earlier(ctx, checkpoint),
            with_forecasts,
            _Lookups(ctx),
        )


def assess_family(
    where: Workspace | Context, family: str, *, with_forecasts: bool = False
) -> list[Assessment]:
    """Assess every checkpoint of a model family in one snapshot, in ``family_checkpoints`` order.

    Each assessment is exactly what ``assess`` gives for that checkpoint; what the checkpoints share is read
    once for all of them (the triggers' baselines, each checkpoint's evidence with one check of the stored
    files, the decisions and notices about them, the safeguard standards, the log size), so assessing a
    family costs a few statements per checkpoint instead of dozens.
    """
    with reading(where) as ctx:
        checkpoints = _family_rows(ctx, family)
        firings = _family_firings(ctx, checkpoints)
        evidence = evidence_of(ctx, [c.id for c in checkpoints])
        lookups = _Lookups(ctx, [checkpoint_subject(c.id) for c in checkpoints])
        by_model: dict[int, list[CheckpointRow]] = {}
        for c in checkpoints:
            by_model.setdefault(c.model_id, []).append(c)
        out = []
        for checkpoint, fired in zip(checkpoints, firings, strict=True):
            siblings = by_model[checkpoint.model_id]
            out.append(
                _assess_one(
                    ctx,
                    checkpoint,
                    fired,
                    evidence[checkpoint.id],
                    lambda c=checkpoint, s=siblings: _earlier_in(c, s, evidence),  # type: ignore[misc]
                    with_forecasts,
                    lookups,
                )
            )
        return out


def assess_checkpoints(
    where: Workspace | Context, model: str, names: Sequence[str], *, with_forecasts: bool = False
) -> list[Assessment]:
    """Assess some checkpoints of one model (a page's window of them) in one snapshot, in the order of
    ``names``; each assessment is exactly what ``assess`` gives for that checkpoint.

    What ``assess_family`` reads once for a family is read once for the window: the checkpoints in one
    statement, their triggers (``evaluate_triggers_many``), their evidence, and the decisions and notices
    about them. So a heat map of twenty columns costs a few dozen statements, not twenty assessments' worth,
    and its columns cannot disagree by coming from different snapshots. Only a checkpoint whose triggers
    have not fired reads, as ``assess`` does, the latest earlier checkpoint with results (it may lie outside
    the window).
    """
    with reading(where) as ctx:
        owner = get_model(ctx.session, model)
        rows = {
            row.name: row
            for row in ctx.session.execute(
                select(CheckpointRow)
                .join(ModelRow, CheckpointRow.model_id == ModelRow.id)
                .where(CheckpointRow.model_id == owner.id, CheckpointRow.name.in_(list(names)))
                .options(contains_eager(CheckpointRow.model))
            ).scalars()
        }
        missing = [n for n in names if n not in rows]
        if missing:
            raise NotFoundError(f"model {model!r} has no checkpoint {missing[0]!r}", where="checkpoint")
        checkpoints = [rows[n] for n in names]
        firings = _family_firings(ctx, checkpoints)
        evidence = evidence_of(ctx, [c.id for c in checkpoints])
        lookups = _Lookups(ctx, [checkpoint_subject(c.id) for c in checkpoints])
        return [
            _assess_one(
                ctx,
                checkpoint,
                fired,
                evidence[checkpoint.id],
                lambda c=checkpoint: _latest_assessed_earlier(ctx, c),  # type: ignore[misc]
                with_forecasts,
                lookups,
            )
            for checkpoint, fired in zip(checkpoints, firings, strict=True)
        ]


def evidence_of(ctx: Context, checkpoint_ids: list[int]) -> dict[int, dict[str, EvidenceLike | None]]:
    """Each checkpoint's evidence per indicator id, read for all of them at once, flagged insufficient when
    its stored file is gone or incomplete (as ``assess`` reads one checkpoint's)."""
    found = checkpoints_evidence(ctx.session, ctx.policy, checkpoint_ids)
    missing = _missing_files(ctx, {e.sha256 for m in found.values() for e in m.values() if e is not None})
    return {
        cid: {k: _flag_missing(e) if e is not None and e.sha256 in missing else e for k, e in m.items()}
        for cid, m in found.items()
    }


def _family_rows(ctx: Context, family: str) -> list[CheckpointRow]:
    """The family's checkpoints with their models, in ``family_checkpoints`` order, in one statement."""
    rows = (
        ctx.session.execute(
            select(CheckpointRow)
            .join(ModelRow, CheckpointRow.model_id == ModelRow.id)
            .where(ModelRow.family == family)
            .options(contains_eager(CheckpointRow.model))
            .order_by(CheckpointRow.recorded_at, CheckpointRow.step, CheckpointRow.id)
        )
        .scalars()
        .all()
    )
    return sorted(rows, key=lambda r: (r.effective_compute is None, r.effective_compute or 0.0))


def _family_firings(ctx: Context, checkpoints: list[CheckpointRow]) -> list[list[TriggerFiring]]:
    """Every checkpoint's triggers, as ``evaluate_triggers`` gives them, reading what a model's checkpoints
    share once and the assessments on record for every fired trigger in one pass."""
    by_model: dict[int, list[CheckpointRow]] = {}
    for c in checkpoints:
        by_model.setdefault(c.model_id, []).append(c)
    raw: dict[int, list[TriggerFiring]] = {}
    for group in by_model.values():
        for c, fired in zip(group, evaluate_triggers_many(ctx.workspace, ctx.session, group), strict=True):
            raw[c.id] = fired
    keys = sorted({f.key for fired in raw.values() for f in fired if f.fired and f.key is not None})
    recorded: dict[str, AssessmentRow] = {}
    for lo in range(0, len(keys), 500):
        for row in ctx.session.execute(
            select(AssessmentRow).where(AssessmentRow.trigger_key.in_(keys[lo : lo + 500]))
        ).scalars():
            if row.trigger_key is not None:
                recorded[row.trigger_key] = row
    return [[as_recorded(f, recorded) for f in raw[c.id]] for c in checkpoints]


def _earlier_in(
    checkpoint: CheckpointRow,
    siblings: list[CheckpointRow],
    evidence: dict[int, dict[str, EvidenceLike | None]],
) -> tuple[CheckpointRow, dict[str, EvidenceLike | None]] | None:
    """``_latest_assessed_earlier`` over evidence already read for the whole family."""
    candidates = [
        c
        for c in siblings
        if c.id != checkpoint.id and c.recorded_at <= checkpoint.recorded_at and any(evidence[c.id].values())
    ]
    if not candidates:
        return None
    latest = max(candidates, key=lambda c: (c.recorded_at, c.step or 0, c.id))
    return latest, evidence[latest.id]


def _assess_one(
    ctx: Context,
    checkpoint: CheckpointRow,
    firings: list[TriggerFiring],
    evidence: dict[str, EvidenceLike | None],
    earlier_results: Callable[[], tuple[CheckpointRow, dict[str, EvidenceLike | None]] | None],
    with_forecasts: bool,
    lookups: _Lookups,
) -> Assessment:
    """The evidence basis (own results, or the last results while they may stand) and its conclusions."""
    fired = [f for f in firings if f.fired]
    info = CheckpointInfo.of(checkpoint)
    basis = Basis(info.ref, info.id, False, "results of this checkpoint")
    pending: tuple[Basis, dict[str, EvidenceLike | None]] | None = None
    if not any(evidence.values()):
        within = all(f.deadline is None or f.deadline > ctx.now for f in fired)
        earlier = earlier_results() if within else None
        if fired:
            basis = dataclasses.replace(
                basis,
                reason="an assessment trigger fired and this checkpoint has no results: "
                "nothing can be ruled out",
            )
            if earlier is not None:
                pending = _carried(earlier, info, "an assessment is due but its deadline has not passed")
        elif earlier is not None:
            basis, evidence = _carried(earlier, info, "no assessment trigger has fired")
    forecasts = _forecasts(ctx, checkpoint) if with_forecasts else []
    assessment = _conclude(ctx, info, basis, evidence, firings, forecasts, lookups)
    if pending is not None:
        assessment.while_pending = _conclude(ctx, info, *pending, firings, forecasts, lookups)
    return assessment


class _Lookups:
    """What ``_conclude`` reads beyond the evidence: standards, decisions, notices and the log size.

    Standards are the same for every checkpoint and are read once per (kind, level). Given the subjects of a
    whole family, the latest decision of each type about each subject and the delivered government notices
    are read up front in a few statements; otherwise each is read when asked.
    """

    def __init__(self, ctx: Context, subjects: list[str] | None = None) -> None:
        self.ctx = ctx
        self._standards: dict[tuple[str, str], StandardStatus] = {}
        self._size: int | None = None
        self._latest: dict[tuple[str, str], DecisionRow] | None = None
        self._notified: set[str] | None = None
        if subjects is not None:
            self._prefetch(subjects)

    def _prefetch(self, subjects: list[str]) -> None:
        session = self.ctx.session
        latest: dict[tuple[str, str], DecisionRow] = {}
        notified: set[str] = set()
        for lo in range(0, len(subjects), 500):
            chunk = subjects[lo : lo + 500]
            for row in session.execute(
                select(DecisionRow).where(DecisionRow.subject.in_(chunk)).order_by(DecisionRow.id)
            ).scalars():
                latest[(row.decision_type, row.subject)] = row
            notified |= set(
                session.execute(
                    select(NotificationRow.subject).where(
                        NotificationRow.kind == "government",
                        NotificationRow.status == "delivered",
                        NotificationRow.subject.in_(chunk),
                    )
                ).scalars()
            )
        self._latest, self._notified = latest, notified

    def standard(self, kind: str, level: str) -> StandardStatus:
        key = (kind, level)
        if key not in self._standards:
            self._standards[key] = standard_status(self.ctx, kind, level)
        return self._standards[key]

    def decision(self, kind: str, subject: str, state: dict[str, str]) -> DecisionStatus | None:
        ctx = self.ctx
        if self._latest is None:
            return decision_status(ctx.workspace, ctx.session, kind, subject, state, active=ctx.active)
        row = self._latest.get((kind, subject))
        return None if row is None else status_of(ctx.workspace, ctx.session, row, state, active=ctx.active)

    def notified(self, subject: str) -> bool:
        if self._notified is None:
            return government_notice_sent(self.ctx.workspace, self.ctx.session, subject) is not None
        return subject in self._notified

    def state_version(self) -> int:
        if self._size is None:
            self._size = log_size(self.ctx.session)
        return self._size


def _carried(
    earlier: tuple[CheckpointRow, dict[str, EvidenceLike | None]], info: CheckpointInfo, why: str
) -> tuple[Basis, dict[str, EvidenceLike | None]]:
    row, evidence = earlier
    ref = f"{info.model}@{row.name}"
    reason = f"no results for this checkpoint and {why}: the results of {ref} stand"
    return Basis(ref, row.id, True, reason), evidence


def _conclude(
    ctx: Context,
    info: CheckpointInfo,
    basis: Basis,
    evidence: dict[str, EvidenceLike | None],
    firings: list[TriggerFiring],
    forecasts: list[Forecast],
    lookups: _Lookups,
) -> Assessment:
    """Findings, requirements, safeguards and decisions from one evidence basis."""
    policy = ctx.policy
    findings = threshold_findings(policy, evidence)
    requirements = required_levels(policy, findings)
    safeguards = {
        kind: RequiredStandard(required, lookups.standard(kind, required.level))
        for kind, required in requirements.levels.items()
    }
    bounds = [s.status.valid_until for s in safeguards.values() if s.status.valid_until]
    used = sorted({e.sha256 for e in evidence.values() if e is not None})
    findings_digest = digest(
        [
            (f.threshold_id, f.state, [(i.indicator_id, i.state, i.evidence_id) for i in f.indicators])
            for f in findings
        ]
    )
    bound_state = {"findings": findings_digest, "evidence_set": digest(used)}
    subject = checkpoint_subject(info.id)
    determination = lookups.decision("capability_determination", subject, bound_state)
    kinds = {*ALWAYS_READ_DECISIONS, *(d for rule in policy.actions for d in rule.requires_decisions)}
    kinds -= {"capability_determination", "safeguards_determination"}
    decisions = {
        kind: lookups.decision(kind, subject, {"findings": findings_digest}) for kind in sorted(kinds)
    }
    return Assessment(
        checkpoint=info,
        basis=basis,
        triggers=firings,
        findings=findings,
        requirements=requirements,
        forecasts=forecasts,
        safeguards=safeguards,
        determination=determination,
        decisions=decisions,
        government_notified=lookups.notified(subject),
        bound_state=bound_state,
        policy=PolicyIdentity(policy.id, policy.framework.version, ctx.active.content_hash),
        assessed_at=ctx.now,
        state_version=lookups.state_version(),
        valid_until=min(bounds) if bounds else None,
    )


def _evidence_map(ctx: Context, checkpoint_id: int) -> dict[str, EvidenceLike | None]:
    """Each indicator's evidence on a checkpoint, read for all indicators at once (a constant number of
    statements), and flagged insufficient when its stored file is gone or incomplete."""
    found = checkpoint_evidence(ctx.session, ctx.policy, checkpoint_id)
    missing = _missing_files(ctx, {e.sha256 for e in found.values() if e is not None})
    out: dict[str, EvidenceLike | None] = {}
    for key, evidence in found.items():
        gone = evidence is not None and evidence.sha256 in missing
        out[key] = _flag_missing(evidence) if gone else evidence
    return out


def _missing_files(ctx: Context, hashes: set[str]) -> set[str]:
    """The files among ``hashes`` that the store cannot produce whole (fail closed: a result whose file
    cannot be produced cannot support a decision): a chunk missing, or chunks whose bytes do not add up to
    the recorded size (a file truncated or padded in place); one statement. A file altered in place to the
    same length is found by ``audit verify``, which re-hashes every stored file."""
    if not hashes:
        return set()
    whole = {
        sha
        for sha, chunks, size, stored, length in ctx.session.execute(
            select(
                EvidenceBlobRow.sha256,
                EvidenceBlobRow.chunks,
                EvidenceBlobRow.size,
                func.count(EvidenceBlobChunkRow.seq),
                func.coalesce(func.sum(func.length(EvidenceBlobChunkRow.data)), 0),
            )
            .outerjoin(EvidenceBlobChunkRow, EvidenceBlobChunkRow.sha256 == EvidenceBlobRow.sha256)
            .where(EvidenceBlobRow.sha256.in_(sorted(hashes)))
            .group_by(EvidenceBlobRow.sha256, EvidenceBlobRow.chunks, EvidenceBlobRow.size)
        )
        if chunks == stored and size == int(length)
    }
    return hashes - whole


def _flag_missing(evidence: Any) -> Any:
    flag = QualityFlag(
        "evidence_missing", f"the evidence file {evidence.sha256[:12]} is missing from the store"
    )
    return dataclasses.replace(evidence, flags=[*evidence.flags, flag])


def _latest_assessed_earlier(
    ctx: Context, checkpoint: CheckpointRow
) -> tuple[CheckpointRow, dict[str, EvidenceLike | None]] | None:
    """The model's latest earlier checkpoint with results, and those results (only checkpoints that hold
    evidence records are read, latest first)."""
    candidates = ctx.session.execute(
        select(CheckpointRow)
        .where(
            CheckpointRow.model_id == checkpoint.model_id,
            CheckpointRow.id != checkpoint.id,
            CheckpointRow.recorded_at <= checkpoint.recorded_at,
            select(EvidenceRow.id).where(EvidenceRow.checkpoint_id == CheckpointRow.id).exists(),
        )
        .order_by(
            CheckpointRow.recorded_at.desc(),
            func.coalesce(CheckpointRow.step, 0).desc(),
            CheckpointRow.id.desc(),
        )
    ).scalars()
    for candidate in candidates:
        evidence = _evidence_map(ctx, candidate.id)
        if any(evidence.values()):
            return candidate, evidence
    return None


def _forecasts(ctx: Context, checkpoint: CheckpointRow) -> list[Forecast]:
    """Each indicator's trend across the family: the series is read in a constant number of statements and
    fitted once per audit root (``scalegate.evidence.series``), so the cost does not grow with the family."""
    return family_forecasts(ctx.session, ctx.policy, checkpoint.model.family, checkpoint.effective_compute)
