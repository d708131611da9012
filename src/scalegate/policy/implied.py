"""Sign-off rules a policy's obligations imply, so the generic decision engine can run them.

A framework that binds by process (``Policy.obligations``) says who approves a Risk Report, who must also
approve it when a marginal-risk argument plays a major role, who approves the selection of external
reviewers and who records a competitor-scenario determination. Each of these is a human decision signed
with the signer's own key; this module states them as ``DecisionRule`` values, read from the obligations,
the way change control implies the rule of a policy change. The permission matrix and the decision engine
take them alongside the policy's explicit ``decisions``; an explicit rule of the same type wins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scalegate.policy.rules import DecisionRule

if TYPE_CHECKING:
    from scalegate.policy.obligations import DocumentObligation
    from scalegate.policy.schema import Policy

__all__ = ["implied_decision_rules", "report_obligation"]


def report_obligation(policy: Policy) -> DocumentObligation | None:
    """The policy's periodic Risk Report obligation, if it has one."""
    ob = policy.obligations
    if ob is None:
        return None
    found = ob.documents_of("risk_report")
    return found[0] if found else None


def implied_decision_rules(policy: Policy) -> list[DecisionRule]:
    """The sign-off rules the obligations imply, leaving out types the policy rules explicitly."""
    ob = policy.obligations
    if ob is None:
        return []
    out: list[DecisionRule] = []
    report = report_obligation(policy)
    if report is not None and report.approver_roles:
        out.append(
            DecisionRule(
                decision="risk_report",
                signoff_roles=list(report.approver_roles),
                notify=list(report.notify),
                source=report.source,
            )
        )
        marginal = next(
            (c for c in report.conditional_approvals if c.when == "marginal_risk_major_role"), None
        )
        if marginal is not None:
            out.append(
                DecisionRule(
                    decision="risk_report_board", signoff_roles=list(marginal.roles), source=marginal.source
                )
            )
    for review in ob.reviews:
        if review.selection is not None and review.selection.approver_roles:
            out.append(
                DecisionRule(
                    decision="reviewer_selection",
                    signoff_roles=list(review.selection.approver_roles),
                    source=review.selection.source,
                )
            )
            break
    scenarios = [o for o in ob.outcomes if o.determination == "competitor_scenario"]
    if scenarios:
        rule = ob.determination("competitor_scenario")
        signers = list(rule.roles) if rule else list(report.approver_roles if report else [])
        if signers:
            source = rule.source if rule else scenarios[0].source
            out.append(DecisionRule(decision="competitor_scenario", signoff_roles=signers, source=source))
    explicit = {d.decision for d in policy.decisions}
    return [r for r in out if r.decision not in explicit]
