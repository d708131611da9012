"""The doors' way in to the audit operations that need a permission: check the role, then call the log.

The audit log is the ground every domain records into, so it knows no roles: ``scalegate.audit`` signs tree
heads, rotates keys, lists and exports entries for whoever calls it. Which role may do each is governance's
rule (``audit.read``, ``audit.checkpoint``, ``audit.verify`` in the policy's permissions), applied here once,
so that every door that offers these operations applies the same rule. The web API applies the same
permissions through its ``requires(...)`` dependency and may call ``scalegate.audit`` directly.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from scalegate.actor import Actor
from scalegate.audit import entries, export, tree_heads
from scalegate.audit.entries import Entry
from scalegate.audit.export import ExportResult
from scalegate.audit.tree_heads import Rotation, TreeHead
from scalegate.governance.permissions import require

if TYPE_CHECKING:
    from scalegate.workspace import Workspace

__all__ = ["export_log", "recent_entries", "rotate_key", "sign_tree_head"]


def recent_entries(
    workspace: Workspace,
    actor: Actor,
    *,
    limit: int = 20,
    subject: str | None = None,
    event: str | None = None,
) -> list[Entry]:
    """The newest ``limit`` entries (``scalegate.audit.entries.recent_entries``), for a reader of the log."""
    require(actor, "audit.read", workspace.policy())
    return entries.recent_entries(workspace, limit=limit, subject=subject, event=event)


def sign_tree_head(workspace: Workspace, actor: Actor) -> TreeHead:
    """Sign the log's current tree head, for a role allowed to sign."""
    require(actor, "audit.checkpoint", workspace.policy())
    return tree_heads.sign_tree_head(workspace, actor)


def rotate_key(workspace: Workspace, actor: Actor) -> Rotation:
    """Retire the signing key and activate a new one, for a role allowed to sign."""
    require(actor, "audit.checkpoint", workspace.policy())
    return tree_heads.rotate_key(workspace, actor)


def export_log(
    workspace: Workspace, directory: str | Path, actor: Actor, *, checkpoint: bool = True
) -> ExportResult:
    """Export the log for offline verification, for a role allowed to verify it."""
    require(actor, "audit.verify", workspace.policy())
    return export.export_log(workspace, directory, checkpoint=checkpoint)
