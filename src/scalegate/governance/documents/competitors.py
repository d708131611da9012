"""Competitor-contingent outcomes: a recorded, signed determination of which scenario holds, never a guess.

RSP v3.x Appendix A conditions a delay of development and deployment on scenarios about other developers
("Anthropic in the lead", "Competitors have strong safety measures") and asks only best effort in another
("General upleveling"). scalegate does not infer a scenario: someone records a determination for a model with
the evidence it rests on, the policy's signers sign it with their own keys (``competitor_scenario``), and
only a signed determination bound to that evidence has an outcome the gate applies. An unsigned one is shown,
and changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from scalegate.canonical import digest
from scalegate.errors import ConflictError, InputError, NotFoundError
from scalegate.governance.decisions import DecisionStatus, decision_status, open_decision
from scalegate.governance.documents.reading import terms_of
from scalegate.governance.documents.terms import CompetitorTerms, Scenario
from scalegate.store.models.registry import ModelRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from scalegate.actor import Actor
    from scalegate.policy import Policy
    from scalegate.workspace import Workspace

__all__ = ["DETERMINATION", "competitor_terms", "current", "determine", "scenario_of", "subject_of"]

DETERMINATION: Final = "competitor_scenario"
"""Decision type of a competitor-scenario determination."""


def competitor_terms(policy: Policy) -> CompetitorTerms:
    """The competitor-contingent outcomes of ``policy``; ``ConflictError`` when it has none."""
    terms = terms_of(policy)
    if terms is None or terms.competitors is None:
        raise ConflictError(f"policy {policy.id} has no competitor-contingent outcomes", where="policy")
    return terms.competitors


def scenario_of(terms: CompetitorTerms, scenario_id: str) -> Scenario:
    """A scenario by id; ``InputError`` naming the known ones otherwise."""
    found = next((s for s in terms.scenarios if s.id == scenario_id), None)
    if found is None:
        known = ", ".join(s.id for s in terms.scenarios)
        raise InputError(f"unknown scenario {scenario_id!r}; scenarios: {known}", where="scenario")
    return found


def subject_of(model: str) -> str:
    """The decision subject of a model's determination."""
    return f"competitor:{model}"


def determine(workspace: Workspace, actor: Actor, *, model: str, scenario: str, evidence: str) -> int:
    """Open a determination that ``scenario`` holds for ``model``, bound to its evidence; returns the decision
    id for the signers."""
    if not evidence.strip():
        raise InputError("a determination rests on evidence: describe it", where="evidence")
    with workspace.writing(actor) as ctx:
        terms = competitor_terms(ctx.policy)
        found = scenario_of(terms, scenario)
        from sqlalchemy import select

        if ctx.session.execute(select(ModelRow.id).where(ModelRow.name == model)).first() is None:
            raise NotFoundError(f"no model {model!r}", where="models")
        row = open_decision(
            workspace,
            ctx.session,
            actor,
            decision_type=DETERMINATION,
            subject=subject_of(model),
            payload={
                "model": model,
                "scenario": found.id,
                "title": found.title,
                "outcome": found.outcome,
                "evidence": evidence.strip(),
                "clause": found.clause,
            },
            bound_state={"evidence": digest(evidence.strip())},
        )
        return row.id


def current(workspace: Workspace, session: Session, model: str) -> DecisionStatus | None:
    """The latest determination about ``model``, judged against its own evidence (None: none recorded)."""
    found = decision_status(workspace, session, DETERMINATION, subject_of(model), {})
    return found
