"""The provenance block every report embeds: what it cites, under which policy, at which point of the log.

A reader holding a report and the reviewer bundle can check each claim: the SHA-256 of every cited record (an
evidence file, a decision, a safeguard document), the policy version's content hash, and the audit-log tree
head (size and RFC 6962 root, plus the latest signed checkpoint when one exists) the report was generated
against. The SHA-256 of the report's machine-readable data block is included so the printed numbers can be
tied to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypedDict

from sqlalchemy import select

from scalegate import __version__
from scalegate.audit.merkle import merkle_root
from scalegate.audit.tree_heads import latest_tree_head
from scalegate.canonical import digest
from scalegate.store.models.audit import AuditEntryRow
from scalegate.workspace import Workspace

__all__ = [
    "AuditState",
    "Citation",
    "CitationDocument",
    "PolicyCited",
    "Provenance",
    "ProvenanceDocument",
    "SignedTreeHeadCited",
    "audit_state",
    "build_provenance",
]


class CitationDocument(TypedDict):
    """A ``Citation`` as JSON."""

    kind: str
    id: str
    sha256: str
    audit_seq: int | None


class PolicyCited(TypedDict):
    """The policy version a report was generated under."""

    id: str
    version: str
    version_id: int
    content_hash: str


class SignedTreeHeadCited(TypedDict):
    """The latest signed checkpoint of the audit log, as a report cites it."""

    id: int
    size: int
    root: str
    time: str
    key_id: str
    signature: str


class AuditState(TypedDict):
    """The audit log's tree head (size, hex RFC 6962 root) and its latest signed checkpoint, if any."""

    size: int
    root: str
    checkpoint: SignedTreeHeadCited | None


class ProvenanceDocument(TypedDict):
    """A ``Provenance`` as JSON: the block every report embeds."""

    generated_at: str
    generator: str
    policy: PolicyCited
    audit: AuditState
    data_sha256: str
    cited: list[CitationDocument]
    workspace_mode: str


@dataclass(frozen=True)
class Citation:
    """One record a report cites."""

    kind: str
    """`evidence`, `safeguard_evidence`, `decision`, `assessment`, `verdict`, `notification`..."""
    id: str
    """The record's id in its domain."""
    sha256: str
    """SHA-256 of the file or of the record's canonical JSON."""
    audit_seq: int | None = None
    """Audit-log entry that recorded it, when known."""

    def to_dict(self) -> CitationDocument:
        return {"kind": self.kind, "id": self.id, "sha256": self.sha256, "audit_seq": self.audit_seq}


@dataclass
class Provenance:
    """What a report rests on."""

    generated_at: datetime
    generator: str
    policy: PolicyCited
    audit: AuditState
    data_sha256: str
    cited: list[Citation] = field(default_factory=list)
    workspace_mode: str = "production"
    """``demo`` when the workspace is a demo (``scalegate.workspace_mode``): the report then says so."""

    def to_dict(self) -> ProvenanceDocument:
        return {
            "generated_at": self.generated_at.isoformat(),
            "generator": self.generator,
            "policy": self.policy,
            "audit": self.audit,
            "data_sha256": self.data_sha256,
            "cited": [c.to_dict() for c in _unique(self.cited)],
            "workspace_mode": self.workspace_mode,
        }


def _unique(citations: list[Citation]) -> list[Citation]:
    seen: dict[tuple[str, str, str], Citation] = {}
    for c in citations:
        seen.setdefault((c.kind, c.id, c.sha256), c)
    return list(seen.values())


def audit_state(workspace: Workspace) -> AuditState:
    """The audit log's current tree head (size, RFC 6962 root) and its latest signed checkpoint, if any."""
    with workspace.read() as session:
        leaves = [
            bytes(h)
            for h in session.execute(select(AuditEntryRow.leaf_hash).order_by(AuditEntryRow.seq)).scalars()
        ]
        checkpoint = latest_tree_head(session)
    signed: SignedTreeHeadCited | None = None
    if checkpoint is not None:
        head = checkpoint.to_dict()
        signed = {
            "id": head["id"],
            "size": head["size"],
            "root": head["root"],
            "time": head["time"],
            "key_id": head["key_id"],
            "signature": head["signature"],
        }
    return {"size": len(leaves), "root": merkle_root(leaves).hex(), "checkpoint": signed}


def build_provenance(
    workspace: Workspace, data: Mapping[str, object], cited: list[Citation], generator: str | None = None
) -> Provenance:
    """Provenance for a report whose machine-readable content is ``data``: the policy a reading context
    sees now (the report's data was read in a context of its own, under the same version unless a policy was
    activated in between, which the version id and hash recorded here then show)."""
    with workspace.reading() as ctx:
        active = ctx.active
    return Provenance(
        generated_at=workspace.now(),
        generator=generator or f"scalegate {__version__}",
        policy={
            "id": active.policy.id,
            "version": active.policy.framework.version,
            "version_id": active.version_id,
            "content_hash": active.content_hash,
        },
        audit=audit_state(workspace),
        data_sha256=digest(data),
        cited=cited,
        workspace_mode=workspace.mode,
    )
