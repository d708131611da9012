"""Where a decision on record stands: judged against the same current state the gate judges it by.

A decision is stale when a digest it was bound to differs from the current state (``governance.decisions``
compares them). What "the current state" is depends on the subject, and only the engine can say it:

- ``checkpoint:N``: the checkpoint's assessment, as the gate makes it. The capability determination binds the
  findings and the evidence set (``Assessment.bound_state``); the other decisions about a checkpoint (interim
  measures, the affirmative case...) bind the findings only.
- ``standard:KIND:LEVEL``: the digest of the standard's approved, unexpired evidence, as the safeguards
  status computes it.
- anything else (a policy change): the policy alone.

``decisions`` and ``decision`` (``list_decisions`` and ``show_decision`` judged by ``CurrentState``) are what
every door calls (CLI, API, dashboard, SDK), so ``decision show`` says ``stale: true`` exactly when the gate
gives ``decision.stale``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scalegate.assessment.service import Assessment, CheckpointInfo, assess
from scalegate.governance.decisions import DecisionStatus, list_decisions, show_decision
from scalegate.safeguards.service import standard_status
from scalegate.store.models.registry import CheckpointRow

if TYPE_CHECKING:
    from scalegate.actor import Actor
    from scalegate.context import Context
    from scalegate.store.models.governance import DecisionRow
    from scalegate.workspace import Workspace

__all__ = ["CurrentState", "current_state", "decision", "decisions"]


class CurrentState:
    """The digests the gate would bind a decision to now; one instance judges a whole listing, assessing each
    checkpoint once however many decisions name it."""

    def __init__(self, *known: Assessment) -> None:
        """``known``: assessments already made in the caller's snapshot, used instead of assessing again."""
        self._assessments: dict[int, Assessment | None] = {a.checkpoint_id: a for a in known}

    def __call__(self, ctx: Context, row: DecisionRow) -> dict[str, str] | None:
        """The current state for ``row``'s decision (None: judged against the policy only)."""
        kind, _, rest = row.subject.partition(":")
        if kind == "checkpoint" and rest.isdigit():
            assessment = self._assessment(ctx, int(rest))
            if assessment is None:
                return None
            if row.decision_type == "capability_determination":
                return dict(assessment.bound_state)
            return {"findings": assessment.bound_state["findings"]}
        if kind == "standard" and rest.count(":") == 1:
            standard_kind, level = rest.split(":")
            status = standard_status(ctx, standard_kind, level)
            return {"evidence_set": status.evidence_digest}
        return None

    def _assessment(self, ctx: Context, checkpoint_id: int) -> Assessment | None:
        if checkpoint_id not in self._assessments:
            row = ctx.session.get(CheckpointRow, checkpoint_id)
            ref = None if row is None else CheckpointInfo.of(row).ref
            self._assessments[checkpoint_id] = None if ref is None else assess(ctx, ref, with_forecasts=False)
        return self._assessments[checkpoint_id]


def current_state(ctx: Context, row: DecisionRow) -> dict[str, str] | None:
    """The digests the gate would bind ``row``'s decision to now (None: judged against the policy only)."""
    return CurrentState()(ctx, row)


def decisions(
    workspace: Workspace,
    actor: Actor,
    *,
    decision_type: str | None = None,
    subject: str | None = None,
    status: str | None = None,
) -> list[DecisionStatus]:
    """Decisions, newest first, each judged against the current state (``decision list``)."""
    return list_decisions(
        workspace,
        actor,
        decision_type=decision_type,
        subject=subject,
        status=status,
        state_of=CurrentState(),
    )


def decision(workspace: Workspace, actor: Actor, decision_id: int) -> DecisionStatus:
    """One decision, judged against the current state (``decision show``)."""
    return show_decision(workspace, actor, decision_id, state_of=current_state)
