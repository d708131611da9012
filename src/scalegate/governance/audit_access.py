"""The doors' way in to the audit operations that need a permission: check the role, then call the log.

The audit log is the ground every domain records into, so it knows no roles: ``scalegate.audit`` signs tree
heads, rotates keys, lists and exports entries for whoever calls it. Which role may do each is governance's
rule (``audit.read``, ``audit.checkpoint``, ``audit.verify`` in the policy's permissions), applied here once,
so that every door that offers these operations applies the same rule.

Reading entries also goes through here, because what a reader is shown of an entry is a governance rule as
well: an entry sealed about a noncompliance report is shown whole only to the roles the policy names for it,
and as its hash commitment to everyone else (``scalegate.governance.sealing``). Every door (the CLI's
``audit log``, the API's entries and inclusion proofs, the dashboard's audit page) reads through these
functions.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from scalegate.actor import Actor
from scalegate.audit import entries, export, proofs, tree_heads
from scalegate.audit.entries import Entry, EntryPage
from scalegate.audit.export import ExportResult
from scalegate.audit.proofs import InclusionProof
from scalegate.audit.tree_heads import Rotation, TreeHead
from scalegate.governance.permissions import require
from scalegate.governance.sealing import hidden_subjects, may_open, reader_view

if TYPE_CHECKING:
    from scalegate.context import Context
    from scalegate.workspace import Workspace

__all__ = [
    "entries_page",
    "entry",
    "export_log",
    "inclusion_proof",
    "recent_entries",
    "rotate_key",
    "sign_tree_head",
]


def recent_entries(
    workspace: Workspace,
    actor: Actor,
    *,
    limit: int = 20,
    subject: str | None = None,
    event: str | None = None,
) -> list[Entry]:
    """The newest ``limit`` entries (``scalegate.audit.entries.recent_entries``), for a reader of the log,
    each as the reader may see it."""
    with workspace.reading() as ctx:
        require(actor, "audit.read", ctx.policy)
        hidden = _hidden(ctx, actor) if subject is not None or event is not None else []
        found = entries.recent_entries(
            workspace, limit=limit, subject=subject, event=event, hidden_subjects=hidden, session=ctx.session
        )
    return [reader_view(e, actor) for e in found]


def entries_page(
    workspace: Workspace,
    actor: Actor,
    *,
    offset: int = 0,
    limit: int = 50,
    event: str | None = None,
    subject: str | None = None,
    before: int | None = None,
) -> EntryPage:
    """A page of entries (``scalegate.audit.entries.page``), each as the reader may see it; a filter never
    matches an entry the reader may not open."""
    with workspace.reading() as ctx:
        require(actor, "audit.read", ctx.policy)
        hidden = _hidden(ctx, actor) if event or subject else []
        found = entries.page(
            workspace,
            offset=offset,
            limit=limit,
            event=event,
            subject=subject,
            before=before,
            hidden_subjects=hidden,
            session=ctx.session,
        )
    return dataclasses.replace(found, entries=[reader_view(e, actor) for e in found.entries])


def entry(workspace: Workspace, actor: Actor, seq: int) -> Entry:
    """Entry ``seq`` as the reader may see it."""
    with workspace.reading() as ctx:
        require(actor, "audit.read", ctx.policy)
        return reader_view(entries.entry(workspace, seq, session=ctx.session), actor)


def inclusion_proof(workspace: Workspace, actor: Actor, seq: int, size: int | None = None) -> InclusionProof:
    """The proof that entry ``seq`` is in the log; for an entry the reader may not open, the body is left
    out (the leaf hash still proves the entry's place, and commits to the body)."""
    with workspace.reading() as ctx:
        require(actor, "audit.read", ctx.policy)
        proof = proofs.inclusion_proof(workspace, seq, size, session=ctx.session)
        sealed = reader_view(entries.entry(workspace, seq, session=ctx.session), actor).sealed
    return dataclasses.replace(proof, body=None) if sealed else proof


def _hidden(ctx: Context, actor: Actor) -> list[str]:
    return hidden_subjects(ctx.session, ctx.policy, actor)


def sign_tree_head(workspace: Workspace, actor: Actor) -> TreeHead:
    """Sign the log's current tree head, for a role allowed to sign."""
    with workspace.writing(actor) as ctx:
        require(actor, "audit.checkpoint", ctx.policy)
        return tree_heads.sign_tree_head(workspace, actor, session=ctx.session)


def rotate_key(workspace: Workspace, actor: Actor) -> Rotation:
    """Retire the signing key and activate a new one, for a role allowed to sign."""
    with workspace.writing(actor) as ctx:
        require(actor, "audit.checkpoint", ctx.policy)
        return tree_heads.rotate_key(workspace, actor, session=ctx.session)


def export_log(
    workspace: Workspace, directory: str | Path, actor: Actor, *, checkpoint: bool = True
) -> ExportResult:
    """Export the log for offline verification, for a role allowed to verify it; entries sealed for the
    exporter's roles are exported as their leaf hash only (the offline verifier still checks every root).

    The permission is checked in a context of its own: the export signs a tree head and then reads the log in
    transactions of the log's own, and holds no policy-dependent state beyond this check."""
    with workspace.reading() as ctx:
        require(actor, "audit.verify", ctx.policy)
    return export.export_log(
        workspace, directory, checkpoint=checkpoint, may_open=lambda seal: may_open(seal, actor.roles)
    )
