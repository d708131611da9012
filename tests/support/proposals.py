"""Proposing a policy change as every door does: through ``gate.migration.migrate``, its impact recorded."""

from __future__ import annotations

from datetime import datetime

from scalegate.actor import Actor
from scalegate.gate.migration import migrate
from scalegate.governance.policy_change import ChangeView
from scalegate.policy import Policy
from scalegate.workspace import Workspace


def propose_change(
    workspace: Workspace,
    actor: Actor,
    new: Policy,
    *,
    effective_at: datetime | None = None,
    rationale: str = "",
    origin: str = "proposal",
) -> ChangeView:
    """Propose ``new`` with its impact recorded, as ``policy-change propose`` does; the approval step
    refuses a change without one."""
    change = migrate(
        workspace, actor, new, dry_run=False, effective_at=effective_at, rationale=rationale, origin=origin
    ).change
    assert change is not None
    return change
