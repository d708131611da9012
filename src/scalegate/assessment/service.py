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
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from scalegate.assessment.findings import EvidenceLike, ThresholdFinding, threshold_findings
from scalegate.assessment.forecast import Forecast, family_forecasts
from scalegate.assessment.requirements import RequiredLevel, Requirements, required_levels
from scalegate.audit.log import log_size
from scalegate.canonical import digest
from scalegate.context import Context, reading
from scalegate.evidence.series import checkpoint_evidence
from scalegate.evidence.types import QualityFlag
from scalegate.governance.decisions import DecisionStatus, decision_status
from scalegate.governance.notifications import government_notice_sent
from scalegate.registry.lookup import resolve_checkpoint
from scalegate.registry.triggers import TriggerFiring, evaluate_triggers
from scalegate.safeguards.service import StandardStatus, standard_status
from scalegate.store.models.evidence import EvidenceBlobChunkRow, EvidenceBlobRow, EvidenceRow
from scalegate.store.models.registry import CheckpointRow

if TYPE_CHECKING:
    from scalegate.workspace import Workspace

__all__ = [
    "Assessment",
    "Basis",
    "CheckpointInfo",
    "PolicyIdentity",
    "RequiredStandard",
    "assess",
    "checkpoint_subject",
]

ALWAYS_READ_DECISIONS = ("affirmative_case", "interim_measures")
"""Decision types about a checkpoint every assessment reads. With those the policy's action rules require,
they bind to the checkpoint's findings only (the capability determination binds to the findings and the
evidence set; safeguards determinations are about a standard, not a checkpoint)."""


def checkpoint_subject(checkpoint_id: int) -> str:
    """The decision subject of a checkpoint's capability determination and affirmative case."""
    return f"checkpoint:{checkpoint_id}"


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

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["ref"] = self.ref
        out["recorded_at"] = self.recorded_at.isoformat()
        return out


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


@dataclass(frozen=True)
class RequiredStandard:
    """A required level of one kind and the status of its standard."""

    required: RequiredLevel
    status: StandardStatus

    def to_dict(self) -> dict[str, Any]:
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

    def to_dict(self) -> dict[str, Any]:
        """The assessment as the doors show it (JSON)."""
        return {
            "ref": self.ref,
            "assessed_at": self.assessed_at.isoformat(),
            "policy": dataclasses.asdict(self.policy),
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
            "determination": self.determination.to_dict() if self.determination else None,
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
        fired = [f for f in firings if f.fired]
        evidence = _evidence_map(ctx, checkpoint.id)
        info = CheckpointInfo.of(checkpoint)
        basis = Basis(info.ref, info.id, False, "results of this checkpoint")
        pending: tuple[Basis, dict[str, EvidenceLike | None]] | None = None
        if not any(evidence.values()):
            within = all(f.deadline is None or f.deadline > ctx.now for f in fired)
            earlier = _latest_assessed_earlier(ctx, checkpoint) if within else None
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
        assessment = _conclude(ctx, info, basis, evidence, firings, forecasts)
        if pending is not None:
            assessment.while_pending = _conclude(ctx, info, *pending, firings, forecasts)
        return assessment


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
) -> Assessment:
    """Findings, requirements, safeguards and decisions from one evidence basis."""
    policy = ctx.policy
    findings = threshold_findings(policy, evidence)
    requirements = required_levels(policy, findings)
    safeguards = {
        kind: RequiredStandard(required, standard_status(ctx.workspace, ctx.session, kind, required.level))
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
    determination = decision_status(
        ctx.workspace, ctx.session, "capability_determination", subject, bound_state
    )
    kinds = {*ALWAYS_READ_DECISIONS, *(d for rule in policy.actions for d in rule.requires_decisions)}
    kinds -= {"capability_determination", "safeguards_determination"}
    decisions = {
        kind: decision_status(ctx.workspace, ctx.session, kind, subject, {"findings": findings_digest})
        for kind in sorted(kinds)
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
        government_notified=government_notice_sent(ctx.workspace, ctx.session, subject) is not None,
        bound_state=bound_state,
        policy=PolicyIdentity(policy.id, policy.framework.version, ctx.active.content_hash),
        assessed_at=ctx.now,
        state_version=log_size(ctx.session),
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
    cannot be produced cannot support a decision); one statement."""
    if not hashes:
        return set()
    whole = {
        sha
        for sha, expected, stored in ctx.session.execute(
            select(EvidenceBlobRow.sha256, EvidenceBlobRow.chunks, func.count(EvidenceBlobChunkRow.seq))
            .outerjoin(EvidenceBlobChunkRow, EvidenceBlobChunkRow.sha256 == EvidenceBlobRow.sha256)
            .where(EvidenceBlobRow.sha256.in_(sorted(hashes)))
            .group_by(EvidenceBlobRow.sha256, EvidenceBlobRow.chunks)
        )
        if expected == stored
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
