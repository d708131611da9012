"""What an approved capability determination sets off: the checkpoint's comprehensive assessment is complete.

RSP v2.2 §3.3: the CEO and RSO make the capability determination, and with it the comprehensive assessment
is done. It then becomes the family's baseline for the next effective-compute and calendar triggers, and
closes the assessments it satisfies (``registry.assessments_due.mark_assessment_completed``).

The sign-off engine does not know this; ``HOOKS`` tells it (``governance.hooks``), and ``scalegate.wiring``
installs it. The completion runs in the transaction of the signature that approves the determination,
whichever door signs, so the approval and the completion commit together or not at all.

This module is apart from ``determination`` (which proposes determinations and needs the whole assessment
engine) so that installing the hooks, which every door does when it opens a workspace, stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scalegate.errors import ConflictError, InternalError
from scalegate.governance.hooks import DecisionHooks
from scalegate.registry.assessments_due import mark_assessment_completed

if TYPE_CHECKING:
    from scalegate.context import Context
    from scalegate.store.base import Base
    from scalegate.store.models.governance import DecisionRow

__all__ = ["HOOKS", "complete_assessment"]


def complete_assessment(ctx: Context, decision: DecisionRow) -> list[Base]:
    """Complete the comprehensive assessment of an approved determination's checkpoint, at the signature's
    time (the ``on_closed`` hook). A rejected determination completes nothing.

    A determination whose subject names no checkpoint of this workspace is refused rather than approved with
    nothing completed. The completion records its own audit entry, so no rows are returned.
    """
    if decision.status != "approved":
        return []
    kind, _, key = decision.subject.partition(":")
    if kind != "checkpoint" or not key.isdigit():
        raise ConflictError(
            f"capability determination {decision.id} is about {decision.subject!r}, not a checkpoint: "
            "there is no assessment for its approval to complete"
        )
    if ctx.actor is None:
        raise InternalError("a capability determination is approved only in a writing context")
    mark_assessment_completed(ctx.workspace, ctx.session, ctx.actor, int(key), ctx.now)
    return []


HOOKS = DecisionHooks("capability_determination", on_closed=complete_assessment)
"""Approving a capability determination completes its assessment; installed by ``scalegate.wiring``."""
