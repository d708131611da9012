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
store counts as no result), so a signed determination cannot hide it (fail closed). Its results are read in a
few statements for all candidates (``assessment.service.evidence_of``).

A checkpoint whose effective compute is unknown cannot be shown to be below any model: it is compared with
every evaluated checkpoint (fail closed). A candidate whose effective compute is unknown cannot be placed and
is left out, which its own gate covers (its effective-compute trigger fires).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from scalegate.assessment.findings import threshold_findings
from scalegate.assessment.requirements import required_levels
from scalegate.assessment.service import evidence_of
from scalegate.context import Context
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
    evidence = evidence_of(ctx, [c.id for c in candidates])
    out: list[Comparable] = []
    for row in candidates:
        findings = threshold_findings(policy, evidence.get(row.id, {}))
        required = required_levels(policy, findings, "continue-training").levels.get(rule.kind)
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
        assert row.effective_compute is not None
        out.append(Comparable(row.ref, row.effective_compute, required.level, list(required.because)))
    return sorted(out, key=lambda c: -c.effective_compute)


def _candidates(
    ctx: Context, checkpoint_id: int, effective_compute: float | None, multiple: float
) -> list[CheckpointRow]:
    """Other checkpoints with results of their own and a known effective compute at or below the bound."""
    query = (
        select(CheckpointRow)
        .join(ModelRow, CheckpointRow.model_id == ModelRow.id)
        .options(contains_eager(CheckpointRow.model))
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
    return list(ctx.session.execute(query).scalars().unique())
