"""Elicitation-quality flags: reasons a result counts as insufficient evidence instead of reassurance.

A capability evaluation can only rule a capability out if the model was really tried. An eval where many
samples errored, were refused, or stopped at a token/time/message limit, that ran fewer epochs or samples than
the policy asks, on another task version than the threshold was calibrated on, or without the elicitation the
policy requires (best-of-N, chain of thought, a helpful-only model...), under-elicits the model. Each such
shortfall is a ``QualityFlag``; any flag makes the result insufficient, and the assessment reads that as
"cannot rule out".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scalegate.evidence.types import FlagCode, QualityFlag

if TYPE_CHECKING:  # only annotations: ingestion imports this module and never reads a policy
    from scalegate.policy.schema import ElicitationQuality
    from scalegate.policy.thresholds import Indicator

__all__ = ["ResultFacts", "quality_flags"]


@dataclass(frozen=True)
class ResultFacts:
    """The facts of a stored result that the flags look at."""

    status: str
    n_samples: int
    epochs: int
    counts: dict[str, Any]
    task_version: str | None
    elicitation: list[str]
    has_interval: bool


def quality_flags(facts: ResultFacts, indicator: Indicator, limits: ElicitationQuality) -> list[QualityFlag]:
    """Every flag that applies, in a fixed order."""
    flags: list[QualityFlag] = []
    if facts.status != "success":
        flags.append(QualityFlag("non_success_status", f"the run ended with status {facts.status!r}"))
    if facts.n_samples < indicator.min_samples:
        flags.append(
            QualityFlag(
                "too_few_samples",
                f"{facts.n_samples} samples scored; indicator {indicator.id} needs {indicator.min_samples}",
            )
        )
    if facts.epochs < indicator.min_epochs:
        flags.append(
            QualityFlag(
                "too_few_epochs",
                f"{facts.epochs} epoch(s); indicator {indicator.id} needs {indicator.min_epochs}",
            )
        )
    flags += _rate_flags(facts.counts, limits)
    expected = indicator.evaluation.task_version
    if expected is not None and facts.task_version != expected:
        flags.append(
            QualityFlag(
                "task_version_mismatch",
                f"task version {facts.task_version!r}; the threshold was calibrated on {expected!r}",
            )
        )
    missing = [e for e in indicator.required_elicitation if e not in facts.elicitation]
    if missing:
        flags.append(
            QualityFlag(
                "missing_elicitation",
                f"the result does not declare required elicitation {', '.join(missing)}",
            )
        )
    if not facts.has_interval:
        flags.append(
            QualityFlag("no_uncertainty", "no per-sample scores or standard error to bound the estimate")
        )
    return flags


def _rate_flags(counts: dict[str, Any], limits: ElicitationQuality) -> list[QualityFlag]:
    total = int(counts.get("samples") or 0)
    if total <= 0:
        return []
    checks: tuple[tuple[FlagCode, str, str, float], ...] = (
        ("high_error_rate", "errors", "ended in an error", limits.max_error_rate),
        ("high_refusal_rate", "refusals", "were refused", limits.max_refusal_rate),
        ("limits_hit", "limits", "hit a token, time or message limit", limits.max_limit_hit_rate),
    )
    flags: list[QualityFlag] = []
    for code, key, what, allowed in checks:
        count = int(counts.get(key) or 0)
        if count / total > allowed:
            flags.append(
                QualityFlag(
                    code,
                    f"{count} of {total} sample runs {what} ({count / total:.1%} > {allowed:.1%})",
                )
            )
    return flags
