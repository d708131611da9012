"""The assessment of a checkpoint: triggers, findings, forecast, required safeguards, determination, gaps.

``assess`` is what the CLI (`scalegate assess`), the API and the reports show, and what the gate decides on.
Evidence basis: a checkpoint's own results when it has any; otherwise, while no assessment trigger has fired,
the results of the model's latest earlier checkpoint that has results (it is not notably more capable than
that). Once a trigger fires, only the checkpoint's own results count: with none, nothing can be ruled out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from scalegate.assessment.findings import EvidenceLike, ThresholdFinding, threshold_findings
from scalegate.assessment.forecast import Forecast, ForecastPoint, forecast_indicator
from scalegate.assessment.requirements import Requirements, required_levels
from scalegate.canonical import digest

if TYPE_CHECKING:
    from scalegate.workspace import Workspace

__all__ = ["Assessment", "assess", "assess_in_session", "checkpoint_subject"]


def checkpoint_subject(checkpoint_id: int) -> str:
    """The decision subject of a checkpoint's capability determination and affirmative case."""
    return f"checkpoint:{checkpoint_id}"


@dataclass
class Assessment:
    """Everything the engine concludes about one checkpoint, with its numbers."""

    ref: str
    checkpoint: dict[str, Any]
    basis: dict[str, Any]
    triggers: list[dict[str, Any]]
    findings: list[ThresholdFinding]
    requirements: Requirements
    forecasts: list[Forecast]
    safeguards: dict[str, dict[str, Any]]
    determination: dict[str, Any] | None
    bound_state: dict[str, str]
    policy: dict[str, str]
    assessed_at: datetime
    errors: list[str] = field(default_factory=list)
    valid_until: datetime | None = None

    @property
    def checkpoint_id(self) -> int:
        return int(self.checkpoint["id"])

    def to_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "assessed_at": self.assessed_at.isoformat(),
            "policy": self.policy,
            "checkpoint": self.checkpoint,
            "basis": self.basis,
            "triggers": self.triggers,
            "findings": [f.to_dict() for f in self.findings],
            "requirements": self.requirements.to_dict(),
            "forecasts": [f.to_dict() for f in self.forecasts],
            "safeguards": self.safeguards,
            "determination": self.determination,
            "bound_state": self.bound_state,
            "errors": self.errors,
        }


def assess(workspace: Workspace, ref: str, *, with_forecasts: bool = True) -> Assessment:
    """Assess a checkpoint (``MODEL`` or ``MODEL@CHECKPOINT``); forecasts are optional because they fit a
    trend per indicator across the family, which pages that show only findings do not need."""
    with workspace.read() as session:
        return assess_in_session(workspace, session, ref, with_forecasts=with_forecasts)


def _checkpoint_info(checkpoint: Any, model: Any) -> dict[str, Any]:
    return {
        "id": checkpoint.id,
        "model": model.name,
        "family": model.family,
        "name": checkpoint.name,
        "ref": f"{model.name}@{checkpoint.name}",
        "step": checkpoint.step,
        "stage": checkpoint.stage,
        "training_flops": checkpoint.training_flops,
        "recorded_at": checkpoint.recorded_at.isoformat(),
        "effective_compute": checkpoint.effective_compute,
        "effective_compute_low": checkpoint.effective_compute_low,
        "effective_compute_high": checkpoint.effective_compute_high,
        "effective_compute_method": checkpoint.effective_compute_method,
    }


def _evidence_map(
    workspace: Workspace, session: Session, checkpoint_id: int
) -> dict[str, EvidenceLike | None]:
    from scalegate.evidence.service import indicator_evidence

    found = {
        indicator.id: indicator_evidence(workspace, session, checkpoint_id, indicator)
        for _, indicator in workspace.policy().indicators()
    }
    return {key: _present(session, value) for key, value in found.items()}


def _present(session: Session, evidence: Any) -> Any:
    """The evidence, flagged insufficient when its stored file is gone or incomplete (fail closed: a result
    whose file cannot be produced cannot support a decision)."""
    import dataclasses

    from sqlalchemy import func, select

    from scalegate.evidence.types import QualityFlag
    from scalegate.store.models.evidence import EvidenceBlobChunkRow, EvidenceBlobRow

    if evidence is None:
        return None
    blob = session.get(EvidenceBlobRow, evidence.sha256)
    chunks = session.execute(
        select(func.count())
        .select_from(EvidenceBlobChunkRow)
        .where(EvidenceBlobChunkRow.sha256 == evidence.sha256)
    ).scalar_one()
    if blob is not None and chunks == blob.chunks:
        return evidence
    flag = QualityFlag(
        "evidence_missing", f"the evidence file {evidence.sha256[:12]} is missing from the store"
    )
    return dataclasses.replace(evidence, flags=[*evidence.flags, flag])


def assess_in_session(
    workspace: Workspace,
    session: Session,
    ref: str,
    *,
    carry_over_pending: bool = False,
    with_forecasts: bool = True,
) -> Assessment:
    """``assess`` inside an open session (the gate reuses its session).

    ``carry_over_pending``: while fired triggers are still within their deadlines, let the last results stand
    (the gate uses this for continued training: the policy gives the assessment until its deadline).
    """
    from scalegate.registry import triggers as trigger_rules
    from scalegate.registry.lookup import resolve_checkpoint

    policy = workspace.policy()
    active = workspace.active()
    checkpoint = resolve_checkpoint(session, ref)
    model = checkpoint.model
    firings = trigger_rules.evaluate_triggers(workspace, session, checkpoint)
    fired = [f for f in firings if f.fired]
    evidence = _evidence_map(workspace, session, checkpoint.id)
    basis: dict[str, Any] = {
        "checkpoint": f"{model.name}@{checkpoint.name}",
        "carried_over": False,
        "reason": "results of this checkpoint",
    }
    pending = carry_over_pending and all(f.deadline is None or f.deadline > workspace.now() for f in fired)
    if not any(evidence.values()) and (not fired or pending):
        found = _latest_assessed_earlier(workspace, session, checkpoint)
        if found is not None:
            earlier, evidence = found
            why = (
                "an assessment is due but its deadline has not passed"
                if fired
                else "no assessment trigger has fired"
            )
            basis = {
                "checkpoint": f"{model.name}@{earlier.name}",
                "carried_over": True,
                "reason": f"no results for this checkpoint and {why}: the results of "
                f"{model.name}@{earlier.name} stand",
            }
    if not any(evidence.values()) and fired and not basis["carried_over"]:
        basis["reason"] = (
            "an assessment trigger fired and this checkpoint has no results: nothing can be ruled out"
        )
    findings = threshold_findings(policy, evidence)
    requirements = required_levels(policy, findings)
    forecasts = _forecasts(workspace, session, checkpoint, model) if with_forecasts else []
    safeguards, valid_until = _safeguards(workspace, session, requirements)
    used = sorted({e.sha256 for e in evidence.values() if e is not None})
    bound_state = {
        "findings": digest(
            [
                (f.threshold_id, f.state, [(i.indicator_id, i.state, i.evidence_id) for i in f.indicators])
                for f in findings
            ]
        ),
        "evidence_set": digest(used),
    }
    determination = _determination(workspace, session, checkpoint.id, bound_state)
    return Assessment(
        ref=f"{model.name}@{checkpoint.name}",
        checkpoint=_checkpoint_info(checkpoint, model),
        basis=basis,
        triggers=[f.to_dict() for f in firings],
        findings=findings,
        requirements=requirements,
        forecasts=forecasts,
        safeguards=safeguards,
        determination=determination,
        bound_state=bound_state,
        policy={"id": policy.id, "version": policy.framework.version, "content_hash": active.content_hash},
        assessed_at=workspace.now(),
        valid_until=valid_until,
    )


def _latest_assessed_earlier(
    workspace: Workspace, session: Session, checkpoint: Any
) -> tuple[Any, dict[str, EvidenceLike | None]] | None:
    """The model's latest earlier checkpoint with results, and those results."""
    from scalegate.registry.lookup import family_checkpoints

    candidates = [
        c
        for c in family_checkpoints(session, checkpoint.model.family)
        if c.model_id == checkpoint.model_id
        and c.id != checkpoint.id
        and c.recorded_at <= checkpoint.recorded_at
    ]
    for candidate in sorted(candidates, key=lambda c: (c.recorded_at, c.step or 0), reverse=True):
        evidence = _evidence_map(workspace, session, candidate.id)
        if any(evidence.values()):
            return candidate, evidence
    return None


def _forecasts(workspace: Workspace, session: Session, checkpoint: Any, model: Any) -> list[Forecast]:
    from scalegate.evidence.service import indicator_evidence
    from scalegate.registry.lookup import family_checkpoints

    policy = workspace.policy()
    family = [
        (c, float(c.effective_compute))
        for c in family_checkpoints(session, model.family)
        if c.effective_compute
    ]
    out = []
    for _, indicator in policy.indicators():
        points = []
        for c, compute in family:
            ev = indicator_evidence(workspace, session, c.id, indicator)
            if ev is not None and not ev.flags:
                points.append(ForecastPoint(f"{c.model.name}@{c.name}", compute, ev.estimate))
        out.append(
            forecast_indicator(
                indicator.id,
                points,
                threshold=indicator.threshold,
                alert=indicator.alert,
                higher_is_more_capable=indicator.direction == "higher_is_more_capable",
                current_effective_compute=checkpoint.effective_compute,
                confidence_level=policy.statistics.confidence_level,
            )
        )
    return out


def _safeguards(
    workspace: Workspace, session: Session, requirements: Requirements
) -> tuple[dict[str, dict[str, Any]], datetime | None]:
    from scalegate.safeguards.service import standard_status

    out: dict[str, dict[str, Any]] = {}
    bounds: list[datetime] = []
    for kind, required in requirements.levels.items():
        status = standard_status(workspace, session, kind, required.level)
        out[kind] = {"required": required.to_dict(), **status.to_dict()}
        if status.valid_until:
            bounds.append(status.valid_until)
    return out, (min(bounds) if bounds else None)


def _determination(
    workspace: Workspace, session: Session, checkpoint_id: int, bound_state: dict[str, str]
) -> dict[str, Any] | None:
    from scalegate.governance.decisions import decision_status

    status = decision_status(
        workspace, session, "capability_determination", checkpoint_subject(checkpoint_id), bound_state
    )
    return status.to_dict() if status else None
