"""The audit log: its entries, newest first, and each entry's canonical body."""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import Depends, Path, Query, Request
from pydantic import BaseModel, Field

from scalegate.actor import Actor
from scalegate.audit import entries as log_entries
from scalegate.audit.keys import KeyDocument, list_keys
from scalegate.audit.proofs import ConsistencyProofDocument, InclusionProofDocument, consistency_proof
from scalegate.audit.tree_heads import TreeHeadDocument, list_tree_heads, sign_tree_head
from scalegate.audit.verify import VerifyDocument, verify
from scalegate.governance import audit_access
from scalegate.web.api._common import Limit, Offset, api_router, workspace_of
from scalegate.web.auth import requires

__all__ = ["AuditEntry", "AuditPage", "router"]

router = api_router("audit")
READ: Final = "audit.read"


class AuditEntry(BaseModel):
    """One entry of the append-only log."""

    seq: int = Field(description="Index in the log (0-based).")
    recorded_at: str | None = Field(description="When (ISO-8601); null for a sealed entry.")
    event: str = Field(description="What happened, e.g. `decision.signed`; `sealed` for a sealed entry.")
    subject: str = Field(description="What it concerns, e.g. `model:gpt-x`.")
    actor: str = Field(description="Who: `user:NAME`, `system` or `anonymous`.")
    data: dict[str, Any] = Field(description="Event details, including digests of the rows written.")
    leaf_hash: str = Field(description="RFC 6962 leaf hash of the canonical body (hex).")
    sealed: bool = Field(
        default=False,
        description="True when the entry concerns a noncompliance report the caller's roles may not read: "
        "only `seq` and `leaf_hash` (the commitment to the body) are given, with `data.commitment`.",
    )


class AuditPage(BaseModel):
    """A page of entries, newest first."""

    size: int = Field(description="Entries in the whole log.")
    total: int = Field(description="Entries matching the filters (`event`, `subject`).")
    next_before: int | None = Field(
        description="Pass as `before` to read the next (older) page; null on the last page."
    )
    entries: list[AuditEntry]


def entry_of(entry: log_entries.Entry) -> AuditEntry:
    """The API shape of a log entry (every field read from the entry's body by the audit service)."""
    return AuditEntry(
        seq=entry.seq,
        recorded_at=entry.at,
        event=entry.event,
        subject=entry.subject,
        actor=entry.actor,
        data=entry.data,
        leaf_hash=entry.leaf_hash,
        sealed=entry.sealed,
    )


@router.get("/audit/entries", summary="Audit log entries", response_model=AuditPage)
def entries(
    request: Request,
    limit: Limit = 50,
    offset: Offset = 0,
    event: str | None = Query(None, max_length=100, description="Only entries of this event."),
    subject: str | None = Query(None, max_length=300, description="Only entries about this subject."),
    before: int | None = Query(
        None,
        ge=0,
        le=2**53,
        description="Only entries older than this index (the previous page's `next_before`).",
    ),
    actor: Actor = Depends(requires(READ)),
) -> AuditPage:
    """Entries newest first, optionally filtered by event or subject; page with `before` (keyset: each page
    costs the same however deep) or `offset`. Entries about a noncompliance report that the caller's roles
    may not read are sealed (`sealed: true`), and never match a filter."""
    found = audit_access.entries_page(
        workspace_of(request),
        actor,
        offset=offset,
        limit=limit,
        event=event,
        subject=subject,
        before=before,
    )
    return AuditPage(
        size=found.size,
        total=found.total,
        next_before=found.next_before,
        entries=[entry_of(e) for e in found.entries],
    )


@router.get("/audit/entries/{seq}", summary="One audit log entry", response_model=AuditEntry)
def entry(
    request: Request,
    seq: Annotated[int, Path(ge=0, le=2**53, description="Entry index.")],
    actor: Actor = Depends(requires(READ)),
) -> AuditEntry:
    """The entry at index ``seq`` (sealed when the caller's roles may not read it)."""
    return entry_of(audit_access.entry(workspace_of(request), actor, seq))


@router.get("/audit/verification", summary="Verify the audit log", response_model=dict[str, Any])
def verification(request: Request, _: Actor = Depends(requires("audit.verify"))) -> VerifyDocument:
    """Replay the whole log, check every signed checkpoint and every row the log covers; `ok` is true only
    when nothing was altered. Read-only: it signs no checkpoint (POST /audit/checkpoints does)."""
    return verify(workspace_of(request), checkpoint=False).to_dict()


@router.get(
    "/audit/checkpoints", summary="Signed checkpoints of the log", response_model=list[dict[str, Any]]
)
def checkpoints(request: Request, _: Actor = Depends(requires("audit.read"))) -> list[TreeHeadDocument]:
    """Every signed tree head (size, root, Ed25519 signature, key id)."""
    return [c.to_dict() for c in list_tree_heads(workspace_of(request))]


@router.post(
    "/audit/checkpoints",
    summary="Sign a checkpoint of the log",
    status_code=201,
    response_model=dict[str, Any],
)
def sign_checkpoint(
    request: Request, actor: Actor = Depends(requires("audit.checkpoint"))
) -> TreeHeadDocument:
    """Replay the log and sign its current head with the workspace's active key."""
    return sign_tree_head(workspace_of(request), actor).to_dict()


@router.get("/audit/keys", summary="Public keys that sign checkpoints", response_model=list[dict[str, Any]])
def keys(request: Request, _: Actor = Depends(requires("audit.read"))) -> list[KeyDocument]:
    """Every signing key's public half, with when it was created and retired."""
    return [k.to_dict() for k in list_keys(workspace_of(request))]


@router.get("/audit/proofs/inclusion", summary="Inclusion proof of an entry", response_model=dict[str, Any])
def inclusion(
    request: Request,
    seq: int = Query(..., ge=0, le=2**53, description="Entry index."),
    size: int | None = Query(None, ge=1, le=2**53, description="Tree size (default: the whole log)."),
    actor: Actor = Depends(requires("audit.read")),
) -> InclusionProofDocument:
    """The RFC 6962 audit path proving entry `seq` is in the tree of `size` entries, and the checkpoint at
    that size if one was signed. For a sealed entry `body` is null: the leaf hash alone is proven."""
    return audit_access.inclusion_proof(workspace_of(request), actor, seq, size).to_dict()


@router.get(
    "/audit/proofs/consistency", summary="Consistency proof between two sizes", response_model=dict[str, Any]
)
def consistency(
    request: Request,
    old: int = Query(..., ge=0, le=2**53, description="Older tree size."),
    new: int | None = Query(None, ge=0, le=2**53, description="Newer tree size (default: the whole log)."),
    _: Actor = Depends(requires("audit.read")),
) -> ConsistencyProofDocument:
    """The RFC 6962 proof that the log of `old` entries is a prefix of the log of `new` entries."""
    return consistency_proof(workspace_of(request), old, new).to_dict()
