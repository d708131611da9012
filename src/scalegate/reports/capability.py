"""The Capability Report of a checkpoint (RSP v2.2 §3.3): how far the model is from each Capability Threshold.

Everything in it is read from the service objects: the assessment (triggers, findings with their numbers,
forecasts, required levels, safeguard status, the determination's status), each indicator's evidence as the
evidence domain returns it (elicitation, quality flags, interval method, file hash, audit entry), the gate's
verdict for every action, and the governance record of sign-offs and notifications. The builder copies those
objects' ``to_dict()`` into the report's data block and never recomputes a rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

from scalegate.assessment.service import Assessment, AssessmentDocument, assess, checkpoint_subject
from scalegate.assessment.standing import CurrentState
from scalegate.canonical import digest
from scalegate.context import reading
from scalegate.evidence.series import checkpoint_evidence, family_series
from scalegate.evidence.types import IndicatorEvidenceDocument
from scalegate.gate.service import decide
from scalegate.gate.verdict import ACTIONS, VerdictDocument
from scalegate.governance.decisions import status_of
from scalegate.governance.notifications import government_notice_status
from scalegate.jsonable import JsonObject, to_jsonable
from scalegate.reports.document import Report
from scalegate.reports.plots import Figure, ForecastPoint, IndicatorSeries, SeriesPoint, indicator_figure
from scalegate.reports.provenance import Citation, build_provenance
from scalegate.store.models.governance import DecisionRow

if TYPE_CHECKING:
    from scalegate.context import Context
    from scalegate.workspace import Workspace

__all__ = ["CapabilityData", "FamilyPoint", "GovernanceRecord", "capability_data", "capability_report"]


class GovernanceRecord(TypedDict):
    """The governance record of a checkpoint: its decisions with their sign-offs, every notification (naming
    its decision) and the government notice status."""

    subject: str
    decisions: list[JsonObject]
    notifications: list[JsonObject]
    government_notice: JsonObject


class FamilyPoint(TypedDict):
    """One measured point of the model family for an indicator, as the plots draw it (only points with an
    effective compute are drawn)."""

    checkpoint: str
    effective_compute: float
    estimate: float
    ci_low: float
    ci_high: float
    evidence_id: int


class CapabilityData(TypedDict):
    """The data block of a Capability Report: the assessment, each indicator's evidence, the family's series,
    the gate's verdict per action and the governance record, each as its own domain returns it."""

    report: str
    assessment: AssessmentDocument
    evidence: dict[str, IndicatorEvidenceDocument | None]
    series: dict[str, list[FamilyPoint]]
    verdicts: dict[str, VerdictDocument]
    governance: GovernanceRecord


def capability_report(workspace: Workspace, ref: str, *, figures: bool = True) -> Report:
    """Build the Capability Report of ``ref`` (``MODEL`` or ``MODEL@CHECKPOINT``)."""
    data, cited = capability_data(workspace, ref)
    checkpoint = data["assessment"]["checkpoint"]
    report = Report(
        kind="capability",
        title=f"Capability Report: {checkpoint['ref']}",
        subject=checkpoint["ref"],
        data=data,
        provenance=build_provenance(workspace, data, cited),
    )
    if figures:
        report.figures = _figures(data)
    return report


def capability_data(where: Workspace | Context, ref: str) -> tuple[CapabilityData, list[Citation]]:
    """The data block of the Capability Report and the records it cites: one assessment, decided for every
    action, read in one snapshot (the caller's context, or a new reading one)."""
    with reading(where) as ctx:
        assessment = assess(ctx, ref)
        verdicts: dict[str, VerdictDocument] = {
            action: decide(assessment, action, ctx).to_dict() for action in ACTIONS
        }
        evidence = _basis_evidence(ctx, assessment)
        series = _series(ctx, assessment)
        governance = _governance(ctx, assessment)
    data: CapabilityData = {
        "report": "capability",
        "assessment": assessment.to_dict(),
        "evidence": evidence,
        "series": series,
        "verdicts": verdicts,
        "governance": governance,
    }
    cited = [
        Citation("evidence", str(e["evidence_id"]), e["sha256"], e.get("audit_seq"))
        for e in evidence.values()
        if e is not None
    ]
    det = to_jsonable(assessment.determination) if assessment.determination else None
    if det:
        cited.append(Citation("decision", str(det["decision_id"]), digest(det)))
    cited += [
        Citation("decision", str(d["decision_id"]), digest(d))
        for d in governance["decisions"]
        if det is None or d["decision_id"] != det["decision_id"]
    ]
    return data, cited


def _basis_evidence(ctx: Context, assessment: Assessment) -> dict[str, IndicatorEvidenceDocument | None]:
    """Each indicator's evidence on the checkpoint the findings rest on, as the evidence domain returns it
    (read for every indicator at once)."""
    found = checkpoint_evidence(ctx.session, ctx.policy, assessment.basis.checkpoint_id)
    return {key: e.to_dict() if e is not None else None for key, e in found.items()}


def _series(ctx: Context, assessment: Assessment) -> dict[str, list[FamilyPoint]]:
    """Per indicator, the measured points of the model family with their intervals (what the plots draw and
    the forecast fits), read for the whole family at once."""
    if not assessment.forecasts:
        return {}
    family = family_series(ctx.session, ctx.policy, assessment.checkpoint.family)
    return {
        forecast.indicator_id: [
            {
                "checkpoint": p.ref,
                "effective_compute": p.effective_compute,
                "estimate": p.estimate,
                "ci_low": p.ci_low,
                "ci_high": p.ci_high,
                "evidence_id": p.evidence_id,
            }
            for p in family.get(forecast.indicator_id, [])
            if p.sufficient and p.effective_compute
        ]
        for forecast in assessment.forecasts
    }


def _governance(ctx: Context, assessment: Assessment) -> GovernanceRecord:
    """Every decision about this checkpoint with its sign-offs (the justifications given are the feedback
    received) and notifications, and the government notice status, as the governance domain reports them.

    Each decision is judged against the state the gate judges it by (``assessment.standing``), so the report
    calls a determination stale exactly when its own verdicts give ``decision.stale``."""
    from sqlalchemy import select

    workspace, session = ctx.workspace, ctx.session
    subject = checkpoint_subject(assessment.checkpoint_id)
    rows = session.execute(
        select(DecisionRow).where(DecisionRow.subject == subject).order_by(DecisionRow.id)
    ).scalars()
    judge = CurrentState(assessment)
    decisions = [
        to_jsonable(status_of(workspace, session, row, judge(ctx, row), active=ctx.active)) for row in rows
    ]
    required = {kind: level.level for kind, level in assessment.requirements.levels.items()}
    return {
        "subject": subject,
        "decisions": decisions,
        "notifications": [
            dict(n, decision_id=d["decision_id"]) for d in decisions for n in d["notifications"]
        ],
        "government_notice": to_jsonable(government_notice_status(workspace, session, subject, required)),
    }


def _figures(data: CapabilityData) -> list[Figure]:
    """One plot per indicator that has a result or a trajectory."""
    assessment = data["assessment"]
    findings = {i["indicator_id"]: i for f in assessment["findings"] for i in f["indicators"]}
    forecasts = {f["indicator_id"]: f for f in assessment["forecasts"]}
    current = assessment["checkpoint"]
    out = []
    for indicator_id, finding in findings.items():
        points = [
            SeriesPoint(
                p["effective_compute"],
                p["estimate"],
                p["ci_low"],
                p["ci_high"],
                p["checkpoint"].split("@")[-1],
                current=p["checkpoint"] == current["ref"],
            )
            for p in data["series"].get(indicator_id, [])
        ]
        compute = current["effective_compute"]
        if finding["estimate"] is not None and compute and not any(p.current for p in points):
            points.append(
                SeriesPoint(
                    compute,
                    finding["estimate"],
                    finding["ci_low"],
                    finding["ci_high"],
                    current["name"],
                    current=True,
                )
            )
        forecast = forecasts.get(indicator_id)
        band = [
            ForecastPoint(b["effective_compute"], b["fit"], b["low"], b["high"])
            for b in (forecast["band"] if forecast else [])
        ]
        if not points and not band:
            continue
        ev = data["evidence"].get(indicator_id)
        series = IndicatorSeries(
            indicator=indicator_id,
            metric=(ev["metric"] if ev else None) or "score",
            higher_is_more_capable=finding["direction"] == "higher_is_more_capable",
            threshold=finding["threshold"],
            alert=finding["alert"],
            points=points,
            forecast=band,
        )
        out.append(indicator_figure(series))
    return out
