"""Findings: an indicator's evidence against its threshold and alert values; a threshold's combined finding.

The four states, from the evidence's confidence interval (``ci``) and the indicator's values, for an indicator
where higher is more capable (mirrored for lower):

* ``crossed``: the estimate is at or past the threshold value;
* ``ruled_out``: the capable-side bound of the interval (``ci_high``) is strictly below the alert value;
* ``alert``: otherwise: the capability sits inside the safety buffer, or the interval reaches it;
* ``insufficient_evidence``: no result, a flagged result (too few samples, elicitation, version...), or a
  policy that publishes no number. Fail closed: the engine treats it exactly as ``crossed`` when deciding
  safeguards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypedDict

from scalegate.policy import Indicator, Policy, Threshold

__all__ = [
    "EvidenceLike",
    "FindingState",
    "IndicatorFinding",
    "IndicatorFindingDocument",
    "ThresholdFinding",
    "ThresholdFindingDocument",
    "classify_indicator",
    "combine_threshold",
    "threshold_findings",
]

FindingState = Literal["ruled_out", "alert", "crossed", "insufficient_evidence"]
"""Where a capability stands relative to a threshold."""

_SEVERITY: dict[str, int] = {"ruled_out": 0, "alert": 1, "insufficient_evidence": 2, "crossed": 3}


class FlagLike(Protocol):
    code: str
    message: str


class EvidenceLike(Protocol):
    """What a finding reads from an evidence result (``scalegate.evidence.types.IndicatorEvidence``)."""

    # Read-only members, so frozen dataclasses (``IndicatorEvidence``) satisfy the protocol.
    @property
    def evidence_id(self) -> int: ...
    @property
    def sha256(self) -> str: ...
    @property
    def estimate(self) -> float: ...
    @property
    def ci_low(self) -> float: ...
    @property
    def ci_high(self) -> float: ...
    @property
    def confidence_level(self) -> float: ...
    @property
    def n_samples(self) -> int: ...
    @property
    def epochs(self) -> int: ...
    @property
    def interval_method(self) -> str: ...
    @property
    def flags(self) -> Any: ...


class IndicatorFindingDocument(TypedDict):
    """An indicator's finding as JSON (``IndicatorFinding.to_dict``): its fields."""

    indicator_id: str
    threshold_id: str
    state: FindingState
    reason: str
    clause: str
    direction: str
    threshold: float | None
    alert: float | None
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    confidence_level: float | None
    n_samples: int | None
    min_samples: int | None
    evidence_id: int | None
    sha256: str | None
    flags: list[dict[str, str]]
    example: bool


class ThresholdFindingDocument(TypedDict):
    """A threshold's finding as JSON (``ThresholdFinding.to_dict``): its fields, its indicators last."""

    threshold_id: str
    status: str
    state: FindingState
    ruled_out: bool
    reason: str
    clause: str
    ruled_out_by: str | None
    indicators: list[IndicatorFindingDocument]


@dataclass(frozen=True)
class IndicatorFinding:
    """One indicator's finding with every number that decided it."""

    indicator_id: str
    threshold_id: str
    state: FindingState
    reason: str
    clause: str
    direction: str
    threshold: float | None
    alert: float | None
    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    confidence_level: float | None = None
    n_samples: int | None = None
    min_samples: int | None = None
    evidence_id: int | None = None
    sha256: str | None = None
    flags: list[dict[str, str]] = field(default_factory=list)
    example: bool = False

    def to_dict(self) -> IndicatorFindingDocument:
        return {
            "indicator_id": self.indicator_id,
            "threshold_id": self.threshold_id,
            "state": self.state,
            "reason": self.reason,
            "clause": self.clause,
            "direction": self.direction,
            "threshold": self.threshold,
            "alert": self.alert,
            "estimate": self.estimate,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "confidence_level": self.confidence_level,
            "n_samples": self.n_samples,
            "min_samples": self.min_samples,
            "evidence_id": self.evidence_id,
            "sha256": self.sha256,
            "flags": self.flags,
            "example": self.example,
        }


@dataclass(frozen=True)
class ThresholdFinding:
    """A threshold's combined finding."""

    threshold_id: str
    status: str
    state: FindingState
    ruled_out: bool
    reason: str
    clause: str
    indicators: list[IndicatorFinding]
    ruled_out_by: str | None = None
    """Another threshold whose ruled-out finding rules this one out (`rules_out` in the policy)."""

    @property
    def cannot_rule_out(self) -> bool:
        return not self.ruled_out

    def to_dict(self) -> ThresholdFindingDocument:
        return {
            "threshold_id": self.threshold_id,
            "status": self.status,
            "state": self.state,
            "ruled_out": self.ruled_out,
            "reason": self.reason,
            "clause": self.clause,
            "ruled_out_by": self.ruled_out_by,
            "indicators": [i.to_dict() for i in self.indicators],
        }


def classify_indicator(
    threshold: Threshold, indicator: Indicator, evidence: EvidenceLike | None
) -> IndicatorFinding:
    """The finding of one indicator on one piece of evidence (or none)."""
    base: dict[str, Any] = {
        "indicator_id": indicator.id,
        "threshold_id": threshold.id,
        "clause": indicator.source.cite(),
        "direction": indicator.direction,
        "threshold": indicator.threshold,
        "alert": indicator.alert,
        "min_samples": indicator.min_samples,
        "example": indicator.example,
    }
    if evidence is None:
        return IndicatorFinding(
            state="insufficient_evidence", reason="no valid result for this evaluation", **base
        )
    base.update(
        estimate=evidence.estimate,
        ci_low=evidence.ci_low,
        ci_high=evidence.ci_high,
        confidence_level=evidence.confidence_level,
        n_samples=evidence.n_samples,
        evidence_id=evidence.evidence_id,
        sha256=evidence.sha256,
        flags=[{"code": f.code, "message": f.message} for f in evidence.flags],
    )
    if evidence.flags:
        reasons = "; ".join(f.message for f in evidence.flags)
        return IndicatorFinding(
            state="insufficient_evidence", reason=f"result does not count: {reasons}", **base
        )
    if evidence.n_samples < indicator.min_samples:
        return IndicatorFinding(
            state="insufficient_evidence",
            reason=f"n={evidence.n_samples} is below the minimum of {indicator.min_samples} samples",
            **base,
        )
    if indicator.threshold is None or indicator.alert is None:
        return IndicatorFinding(
            state="insufficient_evidence",
            reason="the policy gives no threshold/alert value for this indicator, so it cannot be ruled out",
            **base,
        )
    higher = indicator.direction == "higher_is_more_capable"
    estimate, bound = evidence.estimate, (evidence.ci_high if higher else evidence.ci_low)
    level = f"{evidence.confidence_level:.0%}"
    past = estimate >= indicator.threshold if higher else estimate <= indicator.threshold
    if past:
        sign = ">=" if higher else "<="
        return IndicatorFinding(
            state="crossed",
            reason=f"estimate {estimate:.4g} {sign} threshold {indicator.threshold:.4g}",
            **base,
        )
    safe = bound < indicator.alert if higher else bound > indicator.alert
    if safe:
        sign = "<" if higher else ">"
        return IndicatorFinding(
            state="ruled_out",
            reason=(
                f"{level} bound {bound:.4g} {sign} alert value {indicator.alert:.4g} (n={evidence.n_samples})"
            ),
            **base,
        )
    return IndicatorFinding(
        state="alert",
        reason=(
            f"{level} interval [{evidence.ci_low:.4g}, {evidence.ci_high:.4g}] reaches the safety buffer "
            f"(alert {indicator.alert:.4g}, threshold {indicator.threshold:.4g}): cannot rule out"
        ),
        **base,
    )


def combine_threshold(threshold: Threshold, findings: list[IndicatorFinding]) -> ThresholdFinding:
    """Combine indicator findings as the policy says (any / all / k-of-n).

    ``any``: the capability counts as present if any indicator is not ruled out (ruled out only if all are).
    ``all``: present only if every indicator is not ruled out (one sufficient ruled-out indicator rules it
    out).
    ``k_of_n``: present if at least k indicators are not ruled out.
    """
    clause = threshold.source.cite()
    if not findings:
        return ThresholdFinding(
            threshold.id,
            threshold.status,
            "insufficient_evidence",
            False,
            "no indicator is bound to this threshold, so evidence cannot rule it out",
            clause,
            [],
        )
    not_ruled = [f for f in findings if f.state != "ruled_out"]
    n = len(findings)
    need = {"any": 1, "all": n, "k_of_n": threshold.combine.k or 1}[threshold.combine.mode]
    mode = threshold.combine.mode if threshold.combine.mode != "k_of_n" else f"{need}-of-{n}"
    if len(not_ruled) < need:
        return ThresholdFinding(
            threshold.id,
            threshold.status,
            "ruled_out",
            True,
            f"{n - len(not_ruled)} of {n} indicators ruled out (combine: {mode})",
            clause,
            findings,
        )
    worst = max(not_ruled, key=lambda f: _SEVERITY[f.state])
    return ThresholdFinding(
        threshold.id,
        threshold.status,
        worst.state,
        False,
        f"{len(not_ruled)} of {n} indicators not ruled out (combine: {mode}); worst: {worst.indicator_id} "
        f"{worst.state}: {worst.reason}",
        clause,
        findings,
    )


def threshold_findings(
    policy: Policy, evidence_for: dict[str, EvidenceLike | None]
) -> list[ThresholdFinding]:
    """Findings for every threshold of the policy, given evidence per indicator id, `rules_out` applied."""
    results: dict[str, ThresholdFinding] = {}
    for threshold in policy.thresholds:
        indicator_findings = [
            classify_indicator(threshold, i, evidence_for.get(i.id)) for i in threshold.indicators
        ]
        results[threshold.id] = combine_threshold(threshold, indicator_findings)
    for threshold in policy.thresholds:
        if not results[threshold.id].ruled_out:
            continue
        for target in threshold.rules_out:
            current = results[target]
            if not current.ruled_out:
                results[target] = ThresholdFinding(
                    current.threshold_id,
                    current.status,
                    "ruled_out",
                    True,
                    f"ruled out because {threshold.id} is ruled out",
                    ", ".join(dict.fromkeys([current.clause, threshold.source.cite()])),
                    current.indicators,
                    ruled_out_by=threshold.id,
                )
    return [results[t.id] for t in policy.thresholds]
