"""Models of comparable or greater capabilities: the training pause applied across models.

RSP v2.2 §6.2: "We will not train models with comparable or greater capabilities to the one that requires the
ASL-3 Security Standard", and its footnote: "'Comparable or greater capabilities' is operationalized as 1x or
more in Effective Compute". The rule is about *any* model that requires a standard not yet met, not only the
run being gated: a sibling run at 2x the effective compute of a model whose required security standard is
unmet must pause as well, whatever its own evaluations say.

The policy states the rule as data (``training_pause``: the kind, the multiple, a sufficient level); this
module finds, for a checkpoint about to continue training, every other checkpoint (of any model) at or below
its effective compute divided by the multiple whose own results require a level of that kind that is not met.
Each such checkpoint's requirement is the engine's, from its own current results (a file missing from the
store counts as no result), so a signed determination cannot hide it (fail closed).

The cost does not grow with the number of checkpoints compared. The results come from each candidate
family's series (``evidence.series.family_series``: every checkpoint's point per indicator, exactly what
``indicator_evidence`` gives, read in a constant number of statements and kept under the audit root), so a
gate at 10,000 checkpoints reads no record, score or log entry per candidate; one more statement finds the
candidates' files the store cannot produce. A candidate's required level depends only on what each indicator's
finding reads of its point (estimate, interval, samples, whether any flag), so candidates whose points agree
on that share one computation.

A checkpoint whose effective compute is unknown cannot be shown to be below any model: it is compared with
every evaluated checkpoint (fail closed). A candidate whose effective compute is unknown cannot be placed and
is left out, which its own gate covers (its effective-compute trigger fires).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from scalegate.assessment.findings import EvidenceLike, threshold_findings
from scalegate.assessment.requirements import RequiredLevel, required_levels
from scalegate.assessment.service import _missing_files
from scalegate.context import Context
from scalegate.evidence.series import SeriesPoint, family_series
from scalegate.evidence.types import QualityFlag
from scalegate.policy import Policy
from scalegate.policy.rules import TrainingPause
from scalegate.registry.triggers import RATIO_TOLERANCE
from scalegate.safeguards.service import StandardStatus
from scalegate.store.models.evidence import EvidenceRow
from scalegate.store.models.registry import CheckpointRow, ModelRow

__all__ = ["Comparable", "comparable_unmet"]


@dataclass(frozen=True)
class Comparable:
    """A checkpoint the gated run is comparable to or more capable than, whose required standard is unmet."""

    ref: str
    effective_compute: float
    level: str
    """The level of the rule's kind its own results require."""
    because: list[str]
    """The thresholds that raise it there."""


@dataclass(frozen=True)
class _Candidate:
    id: int
    ref: str
    effective_compute: float
    family: str


@dataclass(frozen=True)
class _PointEvidence:
    """A series point as the findings read evidence (``EvidenceLike``)."""

    evidence_id: int
    sha256: str
    estimate: float
    ci_low: float
    ci_high: float
    confidence_level: float
    n_samples: int
    epochs: int
    interval_method: str
    flags: list[QualityFlag]


def comparable_unmet(
    ctx: Context,
    checkpoint_id: int,
    effective_compute: float | None,
    rule: TrainingPause,
    standard: Callable[[str, str], StandardStatus],
) -> list[Comparable]:
    """The other checkpoints at or below ``effective_compute / rule.effective_compute_multiple`` whose
    required ``rule.kind`` standard is not met (nor the rule's sufficient level), highest effective compute
    first.

    ``standard(kind, level)`` gives a standard's status (the caller's, so each is read once per decision).
    """
    candidates = _candidates(ctx, checkpoint_id, effective_compute, rule.effective_compute_multiple)
    if not candidates:
        return []
    policy = ctx.policy
    sufficient = policy.level(rule.kind, rule.sufficient_level) if rule.sufficient_level else None
    evidence = _evidence(ctx, candidates)
    levels: dict[tuple[object, ...], RequiredLevel | None] = {}
    out: list[Comparable] = []
    for row in candidates:
        points = evidence[row.id]
        key = tuple(_finding_key(points.get(i.id)) for _, i in policy.indicators())
        if key not in levels:
            findings = threshold_findings(policy, dict[str, EvidenceLike | None](points))
            levels[key] = required_levels(policy, findings, "continue-training").levels.get(rule.kind)
        required = levels[key]
        if required is None or any(
            standard(rule.kind, level.id).met
            for level in policy.levels_of(rule.kind)
            if level.rank >= required.rank
        ):
            continue  # a met standard at the required level or above it (higher standards include lower)
        if (
            sufficient is not None
            and required.rank >= sufficient.rank
            and standard(rule.kind, sufficient.id).met
        ):
            continue
        out.append(Comparable(row.ref, row.effective_compute, required.level, list(required.because)))
    return sorted(out, key=lambda c: -c.effective_compute)


def _finding_key(point: EvidenceLike | None) -> object:
    """What a finding reads of a point: its numbers, and whether any flag makes it insufficient."""
    if point is None:
        return None
    return (point.estimate, point.ci_low, point.ci_high, point.n_samples, bool(point.flags))


def _evidence(ctx: Context, candidates: Sequence[_Candidate]) -> dict[int, dict[str, EvidenceLike]]:
    """Each candidate's result per indicator id, from its family's series; a result whose file the store
    cannot produce is flagged (``assessment.service`` does the same for one checkpoint)."""
    policy: Policy = ctx.policy
    wanted = {c.id for c in candidates}
    found: dict[int, dict[str, SeriesPoint]] = {c.id: {} for c in candidates}
    for family in sorted({c.family for c in candidates}):
        for indicator_id, points in family_series(ctx.session, policy, family).items():
            for point in points:
                if point.checkpoint_id in wanted:
                    found[point.checkpoint_id][indicator_id] = point
    missing = _missing_files(ctx, {p.sha256 for m in found.values() for p in m.values()})
    level = policy.statistics.confidence_level
    return {
        cid: {k: _as_evidence(p, level, p.sha256 in missing) for k, p in points.items()}
        for cid, points in found.items()
    }


def _as_evidence(point: SeriesPoint, level: float, missing: bool) -> _PointEvidence:
    flags = [QualityFlag(code, code.replace("_", " ")) for code in point.flags]
    if missing:
        message = f"the evidence file {point.sha256[:12]} is missing from the store"
        flags.append(QualityFlag("evidence_missing", message))
    return _PointEvidence(
        point.evidence_id,
        point.sha256,
        point.estimate,
        point.ci_low,
        point.ci_high,
        level,
        point.n_samples,
        point.epochs,
        point.interval_method,
        flags,
    )


def _candidates(
    ctx: Context, checkpoint_id: int, effective_compute: float | None, multiple: float
) -> list[_Candidate]:
    """Other checkpoints with results of their own and a known effective compute at or below the bound
    (plain columns, one statement)."""
    query = (
        select(
            CheckpointRow.id,
            ModelRow.name,
            CheckpointRow.name,
            CheckpointRow.effective_compute,
            ModelRow.family,
        )
        .join(ModelRow, CheckpointRow.model_id == ModelRow.id)
        .where(
            CheckpointRow.id != checkpoint_id,
            CheckpointRow.effective_compute.is_not(None),
            select(EvidenceRow.id).where(EvidenceRow.checkpoint_id == CheckpointRow.id).exists(),
        )
        .order_by(CheckpointRow.id)
    )
    if effective_compute is not None:
        bound = effective_compute / multiple * (1 + RATIO_TOLERANCE)
        query = query.where(CheckpointRow.effective_compute <= bound)
    return [
        _Candidate(int(cid), f"{model}@{name}", float(compute or 0.0), str(family))
        for cid, model, name, compute, family in ctx.session.execute(query)
    ]
