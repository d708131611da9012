"""Inclusion and consistency proofs served from the store, in RFC 9162 form (hashes listed bottom up).

An inclusion proof shows one entry is in the tree of the first ``size`` entries; a consistency proof shows the
tree of ``old_size`` entries is a prefix of the tree of ``new_size``. Both come with the roots they prove
against and, when one exists at that size, the signed checkpoint vouching for the root, so a reader who trusts
the signing key needs nothing else. Leaf hashes are read from the store; the proven entry's own body is
re-hashed first, so a proof is never issued for an entry whose body no longer matches its hash.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from scalegate.audit.log import log_size, within
from scalegate.audit.merkle import (
    consistency_path,
    inclusion_path,
    merkle_root,
    verify_consistency,
    verify_inclusion,
)
from scalegate.audit.tree_heads import TreeHead, TreeHeadDocument
from scalegate.canonical import leaf_hash
from scalegate.errors import InputError, IntegrityError
from scalegate.store.models.audit import AuditCheckpointRow, AuditEntryRow

if TYPE_CHECKING:
    from scalegate.workspace import Workspace

__all__ = [
    "ConsistencyProof",
    "ConsistencyProofDocument",
    "InclusionProof",
    "InclusionProofDocument",
    "consistency_proof",
    "inclusion_proof",
]


class InclusionProofDocument(TypedDict):
    """An inclusion proof as JSON, hashes in hex, with whether it verified."""

    seq: int
    tree_size: int
    leaf_hash: str
    body: str | None
    root: str
    audit_path: list[str]
    checkpoint: TreeHeadDocument | None
    verified: bool


class ConsistencyProofDocument(TypedDict):
    """A consistency proof as JSON, hashes in hex, with whether it verified."""

    old_size: int
    new_size: int
    old_root: str
    new_root: str
    consistency_path: list[str]
    old_checkpoint: TreeHeadDocument | None
    new_checkpoint: TreeHeadDocument | None
    verified: bool


@dataclass(frozen=True)
class InclusionProof:
    """Entry ``seq`` (leaf hash ``leaf``, canonical ``body``) is leaf ``seq`` of the tree of ``size``."""

    seq: int
    size: int
    leaf: bytes
    body: str | None
    """None when the entry is sealed for the reader: the leaf hash alone is proven."""
    root: bytes
    path: list[bytes]
    checkpoint: TreeHead | None

    def verify(self) -> bool:
        """Check the proof (and, when the body is given, that it hashes to the leaf)."""
        body_ok = self.body is None or leaf_hash(self.body.encode("utf-8")) == self.leaf
        return body_ok and verify_inclusion(self.leaf, self.seq, self.size, self.path, self.root)

    def to_dict(self) -> InclusionProofDocument:
        return {
            "seq": self.seq,
            "tree_size": self.size,
            "leaf_hash": self.leaf.hex(),
            "body": self.body,
            "root": self.root.hex(),
            "audit_path": [h.hex() for h in self.path],
            "checkpoint": self.checkpoint.to_dict() if self.checkpoint else None,
            "verified": self.verify(),
        }


@dataclass(frozen=True)
class ConsistencyProof:
    """The tree of ``old_size`` entries (``old_root``) is a prefix of that of ``new_size`` (``new_root``)."""

    old_size: int
    new_size: int
    old_root: bytes
    new_root: bytes
    path: list[bytes]
    old_checkpoint: TreeHead | None
    new_checkpoint: TreeHead | None

    def verify(self) -> bool:
        return verify_consistency(self.old_size, self.new_size, self.old_root, self.new_root, self.path)

    def to_dict(self) -> ConsistencyProofDocument:
        return {
            "old_size": self.old_size,
            "new_size": self.new_size,
            "old_root": self.old_root.hex(),
            "new_root": self.new_root.hex(),
            "consistency_path": [h.hex() for h in self.path],
            "old_checkpoint": self.old_checkpoint.to_dict() if self.old_checkpoint else None,
            "new_checkpoint": self.new_checkpoint.to_dict() if self.new_checkpoint else None,
            "verified": self.verify(),
        }


def inclusion_proof(
    workspace: Workspace, seq: int, size: int | None = None, *, session: Session | None = None
) -> InclusionProof:
    """The audit path of entry ``seq`` in the tree of the first ``size`` entries (default: the whole log),
    read in ``session`` when the caller gives its own."""
    with within(workspace, session) as session:
        size = _size(session, size)
        if not 0 <= seq < size:
            raise InputError(f"entry {seq} is not in a tree of {size} entries", where="seq")
        leaves = _leaves(session, size)
        entry = session.get(AuditEntryRow, seq)
        if entry is None or leaf_hash(entry.body.encode("utf-8")) != leaves[seq]:
            raise IntegrityError(f"entry {seq} does not match its leaf hash: the log does not verify")
        return InclusionProof(
            seq,
            size,
            leaves[seq],
            entry.body,
            merkle_root(leaves),
            inclusion_path(seq, leaves),
            _checkpoint_at(session, size),
        )


def consistency_proof(workspace: Workspace, old_size: int, new_size: int | None = None) -> ConsistencyProof:
    """The consistency proof from the tree of ``old_size`` entries to that of ``new_size`` (default: now)."""
    with workspace.read() as session:
        new_size = _size(session, new_size)
        if not 0 <= old_size <= new_size:
            raise InputError(
                f"old size {old_size} must be between 0 and the new size {new_size}", where="old"
            )
        leaves = _leaves(session, new_size)
        return ConsistencyProof(
            old_size,
            new_size,
            merkle_root(leaves[:old_size]),
            merkle_root(leaves),
            consistency_path(old_size, leaves),
            _checkpoint_at(session, old_size),
            _checkpoint_at(session, new_size),
        )


def _size(session: Session, size: int | None) -> int:
    current = log_size(session)
    if size is None:
        return current
    if not 0 <= size <= current:
        raise InputError(f"tree size {size} is outside 0..{current} (the log's size)", where="size")
    return size


def _leaves(session: Session, size: int) -> list[bytes]:
    rows = session.execute(
        select(AuditEntryRow.seq, AuditEntryRow.leaf_hash)
        .where(AuditEntryRow.seq < size)
        .order_by(AuditEntryRow.seq),
        execution_options={"yield_per": 50_000},
    )
    leaves: list[bytes] = []
    for expected, (seq, leaf) in enumerate(rows):
        if seq != expected:
            raise IntegrityError(f"entry {expected} is missing from the log: the log does not verify")
        leaves.append(bytes(leaf))
    if len(leaves) != size:
        raise IntegrityError(f"the log holds {len(leaves)} of its {size} entries: the log does not verify")
    return leaves


def _checkpoint_at(session: Session, size: int) -> TreeHead | None:
    row = (
        session.execute(
            select(AuditCheckpointRow)
            .where(AuditCheckpointRow.size == size)
            .order_by(AuditCheckpointRow.id.desc())
        )
        .scalars()
        .first()
    )
    return TreeHead.of(row) if row is not None else None
