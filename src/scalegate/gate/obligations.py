"""The gate under a policy that binds by process: what an unmet obligation does to an action.

An action rule names the binding obligations it needs met for the model (``requires_obligations``); a
policy's outcome options apply once a determination is signed. For each, the reasons (codes in
``docs/gate.md`` §7):

- the Risk Report: ``risk_report.overdue`` (no report within the cadence's longest interval),
  ``risk_report.not_covered`` (for an external deployment: the model existed at the current report's coverage
  date and the report does not cover it), ``risk_report.board_approval_missing`` (the report covering the
  model relies on a marginal-risk argument and lacks the explicit approval the policy requires),
  ``risk_report.current`` when all is well;
- the off-cycle analysis: ``offcycle.overdue`` past its days from the determination, ``offcycle.pending``
  (information, and the verdict's ``valid_until``) before;
- the external review: ``external_review.overdue`` when the reviewers were not approved or the report not
  sent in time, ``external_review.pending`` before, and ``external_review.commentary_late`` (information:
  the lab asks for commentary, the reviewer delivers it);
- a threshold's consequences: ``threshold.consequence_binding`` (information) when the assessment finds a
  threshold crossed or not ruled out and one of its ``consequences`` names an obligation the action's rule
  does not already require; that obligation then binds the model like a required one, and the reason cites the
  threshold's clause and the finding's numbers. A threshold ruled out brings nothing. They bind the actions
  whose rule names obligations, the actions the policy gates by process;
- competitor-contingent outcomes: ``competitor.delay`` when a signed, current determination of a scenario
  whose outcome is a delay names the model; ``competitor.best_effort`` and ``competitor.unsigned`` inform.

Only what the policy makes binding blocks: a goal, an aim or a request never does. Nothing here is
framework-specific; a policy without obligations gets no reason from this module.

The reasons depend on rows that are absent as much as on rows that are present (no later report, no open
analysis, no review), and the queries that find them filter in SQL: a report set to ``rejected`` with SQL is
simply not read. So, under a policy with document obligations, every row of the tables read here is loaded
through the ORM (``relied_document_rows``), and the gate checks each against the audit log with every other
row it relied on (``scalegate.gate.relied``). These tables hold a few rows a year.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from scalegate.gate.verdict import Reason
from scalegate.governance.decisions import decision_status
from scalegate.governance.documents import competitors
from scalegate.governance.documents.reading import terms_of
from scalegate.governance.documents.risk_reports import BOARD_APPROVAL
from scalegate.governance.documents.standing import (
    covering_report,
    next_report_due,
    open_offcycle,
    review_clocks,
)
from scalegate.governance.documents.terms import DocumentTerms
from scalegate.store.models.documents import (
    ExternalReviewRow,
    OffCycleAnalysisRow,
    ReviewerRow,
    RiskReportRow,
)
from scalegate.store.models.registry import ModelRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from scalegate.assessment.findings import ThresholdFinding
    from scalegate.assessment.service import Assessment
    from scalegate.context import Context
    from scalegate.policy.schema import Policy

__all__ = [
    "RELIED_DOCUMENT_TABLES",
    "finding_numbers",
    "obligation_reasons",
    "relied_document_rows",
    "threshold_obligations",
]

RELIED_DOCUMENT_TABLES = (RiskReportRow, OffCycleAnalysisRow, ExternalReviewRow, ReviewerRow)
"""The document tables the reasons below read (roadmap goals are read by the calendar, never the gate)."""


def relied_document_rows(session: Session) -> list[object]:
    """Every row of ``RELIED_DOCUMENT_TABLES``, loaded through the ORM so the relied-row check sees them,
    including those the reasons' queries filter out (see the module docstring)."""
    out: list[object] = []
    for table in RELIED_DOCUMENT_TABLES:
        out += session.execute(select(table)).scalars()
    return out


def obligation_reasons(
    assessment: Assessment, action: str, ctx: Context, bounds: list[datetime]
) -> list[Reason]:
    """Reasons from the obligations the action's rule requires and the outcomes that apply to it; adds the
    times at which one would change by itself to ``bounds``."""
    terms = terms_of(ctx.policy)
    if terms is None:
        return []
    relied_document_rows(ctx.session)  # loaded for the relied-row check; the reasons query what they need
    rule = next((a for a in ctx.policy.actions if a.action == action), None)
    required = set(rule.requires_obligations) if rule is not None else set()
    model = assessment.checkpoint.model
    out: list[Reason] = []
    if required:
        for obligation, brought in threshold_obligations(assessment, ctx.policy).items():
            if obligation in required:
                continue
            out += [_consequence_reason(model, obligation, finding) for finding in brought]
            required.add(obligation)
    if terms.report is not None and terms.report.obligation in required and terms.report.binding:
        out += _report_reasons(terms, model, action, ctx, bounds)
    for off in terms.offcycle:
        if off.obligation in required and off.binding:
            out += _offcycle_reasons(off.obligation, off.clause, model, ctx, bounds)
    if terms.review is not None and terms.review.obligation in required and terms.review.binding:
        out += _review_reasons(terms, model, ctx, bounds)
    out += _competitor_reasons(terms, model, action, ctx)
    return out


def _report_reasons(
    terms: DocumentTerms, model: str, action: str, ctx: Context, bounds: list[datetime]
) -> list[Reason]:
    report = terms.report
    assert report is not None
    due = next_report_due(ctx.session, report, ctx.active.version_id)
    data = {"obligation": report.obligation, "due_at": due.due_at.isoformat(), "model": model}
    out: list[Reason] = []
    if ctx.now > due.due_at:
        text = (
            f"no current {report.title}: the next was due {due.due_at.date()} ({report.max_interval_months} "
            f"months after {due.since.date()}) and none has been published since"
        )
        out.append(Reason("risk_report.overdue", text, report.cadence_clause, "blocks", data))
    else:
        bounds.append(due.due_at)
    covering = covering_report(ctx.session, model)
    current = _current(ctx, due.last_report_id)
    if action == "deploy-external" and current is not None and model not in current.models:
        # The row, not the column: the relied-row check sees rows loaded through the ORM.
        found = ctx.session.execute(select(ModelRow).where(ModelRow.name == model)).scalar()
        created = found.created_at if found is not None else None
        if created is not None and created <= current.coverage_date:
            text = (
                f"{model} existed at the coverage date ({current.coverage_date.date()}) of the current "
                f"{report.title} #{current.id}, which does not cover it"
            )
            out.append(Reason("risk_report.not_covered", text, report.cadence_clause, "blocks", data))
    if covering is not None and covering.marginal_risk_major and report.approve_when_marginal_risk:
        board = decision_status(
            ctx.workspace,
            ctx.session,
            BOARD_APPROVAL,
            f"risk-report:{covering.id}",
            {"report": covering.contents_sha256},
            active=ctx.active,
        )
        if board is None or not board.approved or board.stale:
            roles = ", ".join(report.approve_when_marginal_risk)
            state = "stale" if board is not None and board.stale else "missing"
            text = (
                f"{report.title} #{covering.id} relies on a marginal-risk argument: the explicit approval of "
                f"{roles} is {state}"
            )
            out.append(
                Reason(
                    "risk_report.board_approval_missing",
                    text,
                    report.marginal_risk_clause,
                    "blocks",
                    {**data, "report_id": covering.id, "decision_id": board.decision_id if board else None},
                )
            )
    if not out:
        which = f"#{current.id}" if current is not None else "not yet required"
        text = f"{report.title} {which}; the next is due {due.due_at.date()}"
        out.append(Reason("risk_report.current", text, report.cadence_clause, "satisfied", data))
    return out


def _current(ctx: Context, report_id: int | None) -> RiskReportRow | None:
    return ctx.session.get(RiskReportRow, report_id) if report_id is not None else None


def _offcycle_reasons(
    obligation: str, clause: str, model: str, ctx: Context, bounds: list[datetime]
) -> list[Reason]:
    out = []
    for row in open_offcycle(ctx.session, model):
        if row.obligation != obligation or row.due_at is None:
            continue
        data = {"obligation": obligation, "analysis_id": row.id, "due_at": row.due_at.isoformat()}
        if ctx.now > row.due_at:
            text = (
                f"off-cycle analysis #{row.id} of {model} was due {row.due_at.date()} (determined "
                f"{row.determined_at.date()}) and is not published"
            )
            out.append(Reason("offcycle.overdue", text, clause, "blocks", data))
        else:
            bounds.append(row.due_at)
            text = f"off-cycle analysis #{row.id} of {model} is due {row.due_at.date()}"
            out.append(Reason("offcycle.pending", text, clause, "info", data))
    return out


def _review_reasons(terms: DocumentTerms, model: str, ctx: Context, bounds: list[datetime]) -> list[Reason]:
    review = terms.review
    assert review is not None
    covering = covering_report(ctx.session, model)
    if covering is None:
        return []
    out = []
    for clock in review_clocks(ctx.session, review, covering):
        if clock.done_at is not None:
            continue
        who = f" to {clock.reviewer}" if clock.reviewer else ""
        data = {"report_id": covering.id, "step": clock.step, "reviewer": clock.reviewer}
        clause = review.selection_clause if clock.step == "start" else review.timing_clause
        if not clock.binding:
            if ctx.now > clock.due_at:
                text = (
                    f"public commentary from {clock.reviewer} on report #{covering.id} was requested by "
                    f"{clock.due_at.date()}"
                )
                out.append(Reason("external_review.commentary_late", text, clause, "info", data))
            continue
        step = "reviewers approved" if clock.step == "start" else f"report sent{who}"
        if ctx.now > clock.due_at:
            text = f"external review of report #{covering.id} is overdue: {step} by {clock.due_at.date()}"
            out.append(Reason("external_review.overdue", text, clause, "blocks", data))
        else:
            bounds.append(clock.due_at)
            text = f"external review of report #{covering.id}: {step} due {clock.due_at.date()}"
            out.append(Reason("external_review.pending", text, clause, "info", data))
    return out


def _competitor_reasons(terms: DocumentTerms, model: str, action: str, ctx: Context) -> list[Reason]:
    if terms.competitors is None:
        return []
    status = competitors.current(ctx.workspace, ctx.session, model)
    if status is None:
        return []
    payload = status.payload
    scenario = next((s for s in terms.competitors.scenarios if s.id == payload.get("scenario")), None)
    option = next(
        (
            o
            for o in (ctx.policy.obligations.outcomes if ctx.policy.obligations else [])
            if o.id == payload.get("scenario")
        ),
        None,
    )
    if scenario is None or (option is not None and option.applies_to and action not in option.applies_to):
        return []
    data = {"decision_id": status.decision_id, "scenario": scenario.id, "outcome": scenario.outcome}
    if not status.approved or status.stale:
        text = (
            f"competitor determination #{status.decision_id} ({scenario.title}) is not signed and current: "
            "it has no outcome until it is"
        )
        return [Reason("competitor.unsigned", text, scenario.clause, "info", data)]
    if scenario.outcome == "delay":
        text = (
            f"signed competitor determination #{status.decision_id}: {scenario.title}; the policy delays "
            f"{action}"
        )
        return [Reason("competitor.delay", text, scenario.clause, "blocks", data)]
    text = f"signed competitor determination #{status.decision_id}: {scenario.title}; best effort, no delay"
    return [Reason("competitor.best_effort", text, scenario.clause, "info", data)]


def threshold_obligations(assessment: Assessment, policy: Policy) -> dict[str, list[ThresholdFinding]]:
    """The obligations the policy's thresholds make binding for the assessed model, each with the findings
    that bring it: a binding consequence naming an obligation, of a threshold the assessment finds crossed
    or not ruled out. A threshold with no finding counts as not ruled out (fail closed); one ruled out brings
    nothing."""
    findings = {f.threshold_id: f for f in assessment.findings}
    out: dict[str, list[ThresholdFinding]] = {}
    for threshold in policy.thresholds:
        finding = findings.get(threshold.id)
        if finding is not None and finding.ruled_out:
            continue
        for consequence in threshold.consequences:
            if consequence.obligation is None or consequence.strength != "binding":
                continue
            brought = out.setdefault(consequence.obligation, [])
            if finding is not None and finding not in brought:
                brought.append(finding)
    return out


def finding_numbers(finding: ThresholdFinding) -> str:
    """The numbers that decided a threshold finding, for a reason's text: each indicator's estimate, interval
    and threshold (or why it has none)."""
    parts = []
    for i in finding.indicators:
        if i.estimate is None:
            parts.append(f"{i.indicator_id}: {i.state}")
            continue
        interval = f" [{i.ci_low:g}, {i.ci_high:g}]" if i.ci_low is not None and i.ci_high is not None else ""
        bar = f" vs threshold {i.threshold:g}" if i.threshold is not None else ""
        parts.append(f"{i.indicator_id} {i.estimate:g}{interval}{bar}")
    return "; ".join(parts) or finding.reason


def _consequence_reason(model: str, obligation: str, finding: ThresholdFinding) -> Reason:
    text = (
        f"{finding.threshold_id} is {finding.state} for {model} ({finding_numbers(finding)}): its "
        f"consequence {obligation} binds"
    )
    data = {
        "obligation": obligation,
        "threshold": finding.threshold_id,
        "state": finding.state,
        "indicators": [
            {
                "indicator": i.indicator_id,
                "estimate": i.estimate,
                "ci_low": i.ci_low,
                "ci_high": i.ci_high,
                "threshold": i.threshold,
            }
            for i in finding.indicators
        ],
    }
    return Reason("threshold.consequence_binding", text, finding.clause, "info", data)
