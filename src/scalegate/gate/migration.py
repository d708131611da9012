"""Moving the workspace to another policy knowing what the move does: ``policy migrate``, the approval check.

``migrate(workspace, actor, target, dry_run=True)`` computes the impact (``gate.impact``) and writes nothing.
Without ``dry_run`` it proposes the change through the policy-change workflow (``governance.policy_change``,
the same as ``policy-change propose``) and records the impact with the proposal, in the proposal's audit
entry, in the same transaction; a change to the record between computing and proposing refuses the proposal
(nothing is written) and it is tried again.

The approval step then checks that the impact the approvers read is still what the change does:

- ``check_impact_current`` runs before every approver's signature (the Board's; the proposers' co-signatures
  are not approvals) on a `policy_change` decision (``HOOKS``, installed by ``scalegate.wiring``). A change
  with no impact recorded is refused, naming the command that records it. Otherwise it computes the impact
  again on the state the signature is made on (in the signing transaction) and compares fingerprints
  (``Impact.digest``: which obligations, verdicts, sign-offs and deadlines change, with the codes and clauses
  that decide them; not when it was computed). If they differ, the signature is refused, naming both
  fingerprints and the new headline.
- The proposer then reviews the new impact (``change_impact``: the current impact beside the recorded one)
  and records it (``record_change_impact``: an audit entry of its own, ``policy.change_impact_recorded``);
  the approvers sign against that.

Refusing rather than silently recomputing keeps the rule "the Board approves what it was shown": a signature
on a change whose consequences moved since the Board read them would approve something nobody read, and one
on a change whose consequences were never computed would approve something nobody could read. Every door that
proposes a change (``policy-change propose``, ``policy migrate``, ``POST /policy-changes``,
``POST /policy-migrations``, the demo) goes through ``migrate``, so the impact is recorded with the proposal;
a change proposed through ``governance.policy_change.propose`` directly, or before impacts were recorded,
gets its impact with ``record_change_impact`` before the Board can approve it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from scalegate.context import verified_policy
from scalegate.errors import ConflictError, NotFoundError
from scalegate.gate.impact import Impact, impact_in, policy_impact
from scalegate.governance import policy_change
from scalegate.governance.hooks import DecisionHooks
from scalegate.permissions import require
from scalegate.store.models.governance import PolicyChangeRow
from scalegate.store.models.workspace import PolicyVersionRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from scalegate.actor import Actor
    from scalegate.context import Context
    from scalegate.policy import Policy
    from scalegate.store.models.governance import DecisionRow
    from scalegate.workspace import Workspace

__all__ = [
    "HOOKS",
    "ChangeImpact",
    "Migration",
    "change_impact",
    "check_impact_current",
    "migrate",
    "record_change_impact",
]

_ATTEMPTS = 3
"""Times a proposal is tried again when the record changed between computing its impact and proposing."""


@dataclass(frozen=True)
class Migration:
    """The impact of moving to a policy, and the change proposed (None for a dry run)."""

    dry_run: bool
    impact: Impact
    change: policy_change.ChangeView | None = None


@dataclass(frozen=True)
class ChangeImpact:
    """A proposed change's impact on the current record beside the impact recorded with it."""

    change_id: int
    impact: Impact
    recorded: policy_change.ImpactRecord | None
    """The impact last recorded for the change (``Impact.record()``); None when none was."""

    @property
    def current(self) -> bool:
        """Whether the recorded impact is still what the change does."""
        return self.recorded is not None and self.recorded.get("digest") == self.impact.digest


def migrate(
    workspace: Workspace,
    actor: Actor,
    target: Policy,
    *,
    dry_run: bool,
    effective_at: datetime | None = None,
    rationale: str = "",
    origin: str = "migration",
) -> Migration:
    """The impact of moving to ``target``; without ``dry_run``, also propose it with that impact recorded."""
    with workspace.reading() as ctx:
        require(actor, "policy.read" if dry_run else "policy.propose", ctx.active)
        if dry_run:
            return Migration(True, impact_in(ctx, target))
    # ``propose`` checks the permission again in its own write transaction, which records the impact
    for attempt in range(_ATTEMPTS):
        impact = policy_impact(workspace, target)
        try:
            change = policy_change.propose(
                workspace,
                actor,
                target,
                effective_at=effective_at,
                rationale=rationale,
                origin=origin,
                impact=impact.record(),
            )
        except ConflictError as exc:
            if "record changed" not in str(exc) or attempt == _ATTEMPTS - 1:
                raise
            continue
        return Migration(False, impact, change)
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def _proposed(session: Session, change_id: int) -> tuple[Policy, policy_change.ImpactRecord | None]:
    """The proposed policy of a change (hash-checked) and the impact recorded with it."""
    change = session.get(PolicyChangeRow, change_id)
    if change is None:
        raise NotFoundError(f"no policy change {change_id}", where="policy_changes")
    row = session.get(PolicyVersionRow, change.proposed_version_id)
    assert row is not None
    policy = verified_policy(row.document, row.content_hash, row.id, "proposed policy")
    return policy, policy_change.recorded_impact(session, change_id)


def change_impact(workspace: Workspace, actor: Actor, change_id: int) -> ChangeImpact:
    """A proposed change's impact on the current record, beside the impact recorded with it (writes
    nothing)."""
    with workspace.reading() as ctx:
        require(actor, "policy.read", ctx.active)
        policy, recorded = _proposed(ctx.session, change_id)
        return ChangeImpact(change_id, impact_in(ctx, policy), recorded)


def record_change_impact(workspace: Workspace, actor: Actor, change_id: int) -> ChangeImpact:
    """Compute a proposed change's impact on the current record and record it for the approvers."""
    with workspace.reading() as ctx:  # ``record_impact`` checks again in the transaction that records it
        require(actor, "policy.propose", ctx.active)
        policy, _ = _proposed(ctx.session, change_id)
    for attempt in range(_ATTEMPTS):
        impact = policy_impact(workspace, policy)
        try:
            view = policy_change.record_impact(workspace, actor, change_id, impact.record())
        except ConflictError as exc:
            if "record changed" not in str(exc) or attempt == _ATTEMPTS - 1:
                raise
            continue
        return ChangeImpact(change_id, impact, view.impact)
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def check_impact_current(ctx: Context, decision: DecisionRow) -> None:
    """Refuse an approver's signature on a policy change whose recorded impact no longer holds (the
    ``on_ready`` hook; see the module docstring)."""
    change = ctx.session.execute(
        select(PolicyChangeRow).where(PolicyChangeRow.decision_id == decision.id)
    ).scalar_one_or_none()
    if change is None:
        return
    recorded = policy_change.recorded_impact(ctx.session, change.id)
    if recorded is None:
        raise ConflictError(
            f"policy change {change.id}: no impact is recorded with it, so the approvers cannot know what it "
            f"does; record it with `scalegate policy-change impact {change.id} --record` before approving"
        )
    row = ctx.session.get(PolicyVersionRow, change.proposed_version_id)
    assert row is not None
    policy = verified_policy(row.document, row.content_hash, row.id, "proposed policy")
    fresh = impact_in(ctx, policy)  # the state this signature is made on
    if fresh.digest != recorded.get("digest"):
        raise ConflictError(
            f"policy change {change.id}: the impact recorded with it ({str(recorded.get('digest'))[:12]}) is "
            f"no longer what the change does ({fresh.digest[:12]}: {fresh.headline()}); review it with "
            f"`scalegate policy-change impact {change.id}` and record it with "
            f"`scalegate policy-change impact {change.id} --record` before approving"
        )


HOOKS = DecisionHooks("policy_change", on_ready=check_impact_current)
"""The approval check of a policy change's recorded impact; installed by ``scalegate.wiring``."""
