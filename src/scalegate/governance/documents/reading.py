"""Reading the policy's obligations (``scalegate.policy.obligations``) into the workflows' typed terms
(``governance.documents.terms``): the one place that knows the policy file's shape."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scalegate.governance.documents.terms import (
    Audience,
    CompetitorTerms,
    DocumentTerms,
    OffCycleTerms,
    ReportTerms,
    ReviewTerms,
    RoadmapTerms,
    Scenario,
)
from scalegate.policy.implied import report_obligation

if TYPE_CHECKING:
    from scalegate.policy import Policy
    from scalegate.policy.obligations import DocumentObligation, Obligations, ReviewObligation

__all__ = ["terms_of"]

_DEPLOYMENT = {"internal_model_exceeds_analysis": "internal", "public_model_exceeds_analysis": "public"}
_ROADMAP_AREAS = ()
"""The policy states no closed list of areas; any area a goal names is accepted."""


def terms_of(policy: Policy) -> DocumentTerms | None:
    """The document obligations of ``policy`` as the workflows' terms; None when it states none (a v2-style
    policy)."""
    ob = policy.obligations
    if ob is None:
        return None
    report = report_obligation(policy)
    return DocumentTerms(
        policy_id=policy.id,
        report=_report(ob, report) if report is not None else None,
        offcycle=tuple(_offcycle(d) for d in ob.documents_of("offcycle_analysis") if d.trigger),
        review=_review(ob.reviews[0]) if ob.reviews else None,
        roadmap=_roadmap(ob, report),
        competitors=_competitors(policy, ob, report),
    )


def _report(ob: Obligations, doc: DocumentObligation) -> ReportTerms:
    marginal = next((c for c in doc.conditional_approvals if c.when == "marginal_risk_major_role"), None)
    deemers = ob.determination("significantly_redacted")
    public = next((t for t in doc.disclosure if t.audience == "public"), None)
    if doc.cadence is None:
        raise ValueError(f"obligations.documents[{doc.id}] is a Risk Report without a cadence")
    cite = doc.source.cite()
    return ReportTerms(
        obligation=doc.id,
        title=doc.title,
        min_interval_months=doc.cadence.min_months or doc.cadence.max_months,
        max_interval_months=doc.cadence.max_months,
        coverage_max_days=doc.coverage.max_days_before_publication if doc.coverage else 10_000,
        approvers=tuple(doc.approver_roles),
        notify=tuple(n.role for n in doc.notify),
        approve_when_marginal_risk=tuple(marginal.roles) if marginal else (),
        redacted_deemers=tuple(deemers.roles) if deemers else (),
        audiences=tuple(
            Audience(t.audience, t.version, t.min_recipients, t.redaction_notes, t.source.cite())
            for t in doc.disclosure
            if t.strength == "binding"
        ),
        redaction_reasons=tuple(doc.redaction_reasons),
        binding=doc.strength == "binding",
        cadence_clause=doc.cadence.source.cite(),
        coverage_clause=doc.coverage.source.cite() if doc.coverage else cite,
        approval_clause=cite,
        notify_clause=doc.notify[0].source.cite() if doc.notify else cite,
        marginal_risk_clause=marginal.source.cite() if marginal else cite,
        publication_clause=public.source.cite() if public else cite,
    )


def _offcycle(doc: DocumentObligation) -> OffCycleTerms:
    assert doc.trigger is not None
    return OffCycleTerms(
        obligation=doc.id,
        deadline_days=doc.trigger.deadline_days,
        deployment=_DEPLOYMENT.get(doc.trigger.determination, doc.trigger.determination),
        binding=doc.strength == "binding",
        clause=doc.trigger.source.cite(),
    )


def _review(rev: ReviewObligation) -> ReviewTerms:
    send = next((d for d in rev.deadlines if d.after == "governance_submission"), None)
    commentary = next(
        (d for d in rev.deadlines if d.after == "reviewer_receipt" or (send and d.after == send.id)), None
    )
    selection = rev.selection
    timing = send or commentary
    return ReviewTerms(
        obligation=rev.id,
        send_within_days=send.days if send else 7,
        commentary_within_days=commentary.days if commentary else 30,
        selection_approvers=tuple(selection.approver_roles) if selection else (),
        selection_consulted=tuple(selection.consulted_roles) if selection else (),
        requesters=tuple(rev.trigger.requested_by),
        split_allowed=rev.split_allowed,
        binding=rev.strength == "binding",
        trigger_clause=rev.trigger.source.cite(),
        selection_clause=selection.source.cite() if selection else rev.source.cite(),
        timing_clause=timing.source.cite() if timing else rev.source.cite(),
    )


def _roadmap(ob: Obligations, report: DocumentObligation | None) -> RoadmapTerms | None:
    docs = ob.documents_of("roadmap")
    if not docs:
        return None
    doc = docs[0]
    misses = next((c for c in (report.contents if report else []) if "roadmap" in c.id), None)
    return RoadmapTerms(
        areas=_ROADMAP_AREAS,
        binding=False,
        clause=doc.source.cite(),
        misses_clause=misses.source.cite() if misses else doc.source.cite(),
    )


def _competitors(
    policy: Policy, ob: Obligations, report: DocumentObligation | None
) -> CompetitorTerms | None:
    options = [o for o in ob.outcomes if o.determination == "competitor_scenario"]
    if not options:
        return None
    rule = ob.determination("competitor_scenario")
    signers = tuple(rule.roles) if rule else tuple(report.approver_roles if report else ())
    return CompetitorTerms(
        signers=signers,
        scenarios=tuple(
            Scenario(
                o.id,
                o.title,
                "delay" if o.outcome == "delay" and o.strength == "binding" else o.outcome,
                o.source.cite(),
            )
            for o in options
        ),
        clause=options[0].source.cite(),
    )
