"""What a Risk Report draft records of each covered model: the assessment's threshold findings, the gate's
verdict for each action, and whether the record makes the model highly capable. Installed into
``governance.documents.risk_reports`` by ``scalegate.wiring``: the documents sit below the gate."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scalegate.assessment.service import assess
from scalegate.errors import ScalegateError
from scalegate.gate.service import decide
from scalegate.governance.documents.contents import ModelStanding, ThresholdStanding, VerdictStanding

if TYPE_CHECKING:
    from scalegate.context import Context

__all__ = ["model_standing"]


def model_standing(ctx: Context, model: str) -> ModelStanding:
    """A covered model's threshold findings and gate verdicts as the assessment gives them when drafting,
    and whether the record makes it highly capable: the assessment finds the threshold the policy's
    ``highly_capable`` term names crossed or not ruled out (either branch of its test counts). A model with
    no checkpoint to assess has no findings; under a policy with such a term it counts as highly capable,
    since nothing rules the threshold out."""
    term = ctx.policy.obligations.term("highly_capable") if ctx.policy.obligations else None
    defining = term.threshold if term is not None else None
    try:
        assessment = assess(ctx, model, with_forecasts=False)
    except ScalegateError:
        return {"thresholds": [], "verdicts": [], "highly_capable": defining is not None}
    thresholds: list[ThresholdStanding] = [
        {
            "threshold": f.threshold_id,
            "state": f.state,
            "ruled_out": f.ruled_out,
            "clause": f.clause,
            "reason": f.reason,
            "indicators": [
                {
                    "indicator": i.indicator_id,
                    "state": i.state,
                    "estimate": i.estimate,
                    "ci_low": i.ci_low,
                    "ci_high": i.ci_high,
                    "confidence_level": i.confidence_level,
                    "threshold": i.threshold,
                    "clause": i.clause,
                }
                for i in f.indicators
            ],
        }
        for f in assessment.findings
    ]
    verdicts: list[VerdictStanding] = []
    for rule in ctx.policy.actions:
        verdict = decide(assessment, rule.action, ctx)
        verdicts.append(
            {
                "action": rule.action,
                "outcome": verdict.outcome,
                "reasons": [
                    {"code": r.code, "effect": r.effect, "clause": r.clause, "text": r.text}
                    for r in verdict.reasons
                ],
            }
        )
    crossed = defining is not None and not any(
        f.ruled_out for f in assessment.findings if f.threshold_id == defining
    )
    return {
        "checkpoint": assessment.ref,
        "thresholds": thresholds,
        "verdicts": verdicts,
        "highly_capable": crossed,
    }
