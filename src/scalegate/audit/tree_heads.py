"""Signed tree heads (RFC 6962 section 3.5): the log had ``size`` entries with this root, says key ``key_id``.

The command line and the stored table call them "checkpoints" (``scalegate audit checkpoint``,
``audit_checkpoints``), as does the signed text's first line; in the code they are tree heads, so that
"checkpoint" means a model checkpoint everywhere else. Key rotation lives here too: its handover is a tree
head signed by the retiring key.

A signed tree head is what makes the log tamper-evident against someone with write access to the store: to
rewrite history they would have to forge an Ed25519 signature, and a tree head held outside the store (an
export, a reviewer's copy) pins every entry before it. The signed bytes are the tree head text, UTF-8, every
line ending in a newline (``docs/audit.md`` gives the byte-level format)::

    scalegate-audit-checkpoint/v3
    origin scalegate/<first 32 hex digits of the leaf hash of entry 0>
    size <decimal number of entries>
    root <hex RFC 6962 root hash>
    time <UTC, YYYY-MM-DDTHH:MM:SS.ffffffZ>
    key <hex key id>
    id <the checkpoint's number in the store>
    by <who had it signed>

The format line says what the signer checked. A v3 tree head is signed only once every entry it covers is
dated no earlier than the entry before it (``scalegate.audit.times``), so verification checks time order
only after the last v3 tree head. v2 (signed before v3) has the same lines but vouches for no order; v1
(before v2) also lacks the last two lines, so its number and signer are not signed. A stored checkpoint names
its format, and one switched to another format no longer verifies.

Checkpoints are kept beside the log, not in it: an entry recording a checkpoint would change the tree the
checkpoint signs, and each checkpoint authenticates itself by its signature. ``audit verify`` checks every
stored checkpoint against the replayed log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from scalegate.actor import SYSTEM, Actor
from scalegate.audit.keys import KeyInfo, active_key, ensure_signing_key, key_data, load_private_key, new_key
from scalegate.audit.log import log_size, within
from scalegate.audit.replay import Replay, replay
from scalegate.errors import ConflictError, IntegrityError, NotFoundError
from scalegate.store.models.audit import AuditCheckpointRow, AuditKeyRow

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from scalegate.workspace import Workspace

__all__ = [
    "LEGACY_FORMAT",
    "TREE_HEAD_FORMAT",
    "UNORDERED_FORMAT",
    "Rotation",
    "TreeHead",
    "format_time",
    "latest_tree_head",
    "list_tree_heads",
    "log_origin",
    "rotate_key",
    "sign_current",
    "sign_tree_head",
    "signature_valid",
    "tree_head_text",
    "vouches_for_times",
]

TREE_HEAD_FORMAT = "scalegate-audit-checkpoint/v3"
"""First line of every checkpoint text signed now; names the format version (v3: times checked in order)."""

UNORDERED_FORMAT = "scalegate-audit-checkpoint/v2"
"""The format of checkpoints signed before v3: the same lines, signed without checking the times' order."""

LEGACY_FORMAT = "scalegate-audit-checkpoint/v1"
"""The format of checkpoints signed before v2: without the ``id`` and ``by`` lines."""


def format_time(at: datetime) -> str:
    """A checkpoint time: UTC with microseconds and a ``Z``."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def log_origin(first_leaf: bytes) -> str:
    """The log's name in checkpoints, derived from its first entry so two workspaces never share one."""
    return f"scalegate/{first_leaf.hex()[:32]}"


def tree_head_text(
    origin: str,
    size: int,
    root: bytes,
    at: datetime,
    key_id: str,
    *,
    number: int | None = None,
    signer: str | None = None,
    version: str = TREE_HEAD_FORMAT,
) -> bytes:
    """The exact bytes a checkpoint signature covers: ``number`` and ``signer`` are the checkpoint's id and
    ``created_by`` (formats v2 and v3); ``version=LEGACY_FORMAT`` gives the v1 text without them."""
    lines = [
        version,
        f"origin {origin}",
        f"size {size}",
        f"root {root.hex()}",
        f"time {format_time(at)}",
        f"key {key_id}",
    ]
    if version != LEGACY_FORMAT:
        lines += [f"id {number}", f"by {signer}"]
    return "".join(line + "\n" for line in lines).encode("utf-8")


@dataclass(frozen=True)
class Rotation:
    """The outcome of a rotation: the retired key, the new key, the handover tree head if one was signed."""

    retired: KeyInfo | None
    active: KeyInfo
    handover: TreeHead | None = field(metadata={"json_name": "handover_checkpoint"})
    note: str | None = None


class TreeHeadDocument(TypedDict):
    """A signed checkpoint as JSON (``TreeHead.to_dict``): hex root and signature, and its signed text."""

    id: int
    origin: str
    size: int
    root: str
    time: str
    key_id: str
    signature: str
    created_by: str
    format: str
    text: str


@dataclass(frozen=True)
class TreeHead:
    """A stored signed tree head."""

    id: int
    origin: str
    size: int
    root: bytes
    created_at: datetime
    key_id: str
    signature: bytes
    created_by: str
    format: str = TREE_HEAD_FORMAT
    """The text format signed (``LEGACY_FORMAT`` signs neither ``id`` nor ``created_by``)."""

    @classmethod
    def of(cls, row: AuditCheckpointRow) -> TreeHead:
        return cls(
            row.id,
            row.origin,
            row.size,
            bytes(row.root_hash),
            row.created_at,
            row.key_id,
            bytes(row.signature),
            row.created_by,
            row.format,
        )

    @property
    def text(self) -> bytes:
        return tree_head_text(
            self.origin,
            self.size,
            self.root,
            self.created_at,
            self.key_id,
            number=self.id,
            signer=self.created_by,
            version=self.format,
        )

    def to_dict(self) -> TreeHeadDocument:
        return {
            "id": self.id,
            "origin": self.origin,
            "size": self.size,
            "root": self.root.hex(),
            "time": format_time(self.created_at),
            "key_id": self.key_id,
            "signature": self.signature.hex(),
            "created_by": self.created_by,
            "format": self.format,
            "text": self.text.decode("utf-8"),
        }


def signature_valid(checkpoint: TreeHead, public_key: bytes) -> bool:
    """Whether the checkpoint's signature verifies under the raw Ed25519 ``public_key``."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(checkpoint.signature, checkpoint.text)
    except (InvalidSignature, ValueError):
        return False
    return True


def list_tree_heads(workspace: Workspace) -> list[TreeHead]:
    """Every stored checkpoint, by size then id."""
    with workspace.read() as session:
        return _all(session)


def _all(session: Session) -> list[TreeHead]:
    rows = session.execute(
        select(AuditCheckpointRow).order_by(AuditCheckpointRow.size, AuditCheckpointRow.id)
    )
    return [TreeHead.of(row) for row in rows.scalars()]


def latest_tree_head(session: Session) -> TreeHead | None:
    """The checkpoint covering the most entries (the newest among equals)."""
    row = (
        session.execute(
            select(AuditCheckpointRow).order_by(AuditCheckpointRow.size.desc(), AuditCheckpointRow.id.desc())
        )
        .scalars()
        .first()
    )
    return TreeHead.of(row) if row is not None else None


def sign_tree_head(
    workspace: Workspace,
    actor: Actor = SYSTEM,
    *,
    verified: Replay | None = None,
    session: Session | None = None,
) -> TreeHead:
    """Sign the current tree head with the active key (creating the workspace's first key if need be).

    The log is replayed first, from ``verified`` when the caller has just verified a prefix (``audit verify``
    passes its replay), so a tree head never vouches for entries whose bodies do not match their hashes. Who
    may sign is the caller's check (``scalegate.governance.audit_access``): the log knows no roles; it passes
    the ``session`` of the write transaction it checked in.
    """
    with within(workspace, session, write=True) as s:
        key = ensure_signing_key(workspace, s, actor)
        return sign_current(workspace, s, actor, key=key, verified=verified)


def sign_current(
    workspace: Workspace,
    session: Session,
    actor: Actor,
    *,
    key: tuple[AuditKeyRow, Ed25519PrivateKey],
    verified: Replay | None = None,
    at: datetime | None = None,
) -> TreeHead:
    """Replay what is not yet verified, then sign and store the head, all in the caller's transaction.

    ``at`` is the checkpoint time (default: now); a rotation's handover uses the old key's retirement time.
    """
    head = log_size(session)
    if head == 0:
        raise ConflictError("the audit log is empty; there is nothing to sign")
    state = _continue(session, head, verified)
    if state.problems:
        first = state.problems[0]
        raise IntegrityError(
            f"refusing to sign a checkpoint: the log fails verification ({len(state.problems)} problems; "
            f"first: {first.line()})"
        )
    assert state.first_leaf is not None
    existing = latest_tree_head(session)
    root = state.builder.root()
    row_key, private = key
    if existing is not None and (existing.size, existing.root, existing.key_id) == (
        head,
        root,
        row_key.key_id,
    ):
        return existing
    at = at or workspace.now()
    origin = log_origin(state.first_leaf)
    row = AuditCheckpointRow(
        origin=origin,
        size=head,
        root_hash=root,
        created_at=at,
        key_id=row_key.key_id,
        signature=bytes(64),
        created_by=actor.label,
        format=TREE_HEAD_FORMAT,
    )
    session.add(row)
    session.flush()  # the id is part of the signed text
    row.signature = private.sign(
        tree_head_text(origin, head, root, at, row_key.key_id, number=row.id, signer=actor.label)
    )
    session.flush()
    return TreeHead.of(row)


def vouches_for_times(tree_head: TreeHead, head: int) -> bool:
    """Whether ``tree_head`` says that the times of its entries never decrease (format v3), for a log of
    ``head`` entries (a tree head beyond the log vouches for nothing)."""
    return tree_head.format == TREE_HEAD_FORMAT and tree_head.size <= head


def _continue(session: Session, head: int, verified: Replay | None) -> Replay:
    """Replay the log from where ``verified`` stopped (or from the start) up to ``head``, checking the time
    order of every entry the replays have not vouched for (``verified`` checked its own)."""
    if (
        verified is None
        or verified.problems
        or verified.size > head
        or verified.first_leaf is None
        or verified.times is None
    ):
        return replay(session, head=head, times_from=0)
    more = replay(
        session,
        head=head,
        start=verified.size,
        builder=verified.builder,
        times_from=verified.size,
        last_time=verified.times.last,
    )
    more.first_leaf = verified.first_leaf
    more.bytes_hashed += verified.bytes_hashed
    return more


def rotate_key(workspace: Workspace, actor: Actor, *, session: Session | None = None) -> Rotation:
    """Retire the active key and activate a new one; the old key signs a handover tree head if it can.

    Who may rotate is the caller's check (``scalegate.governance.audit_access``): the log knows no roles; it
    passes the ``session`` of the write transaction it checked in.
    """
    with within(workspace, session, write=True) as session:
        old = active_key(session)
        old_private, note = None, None
        if old is not None:
            try:
                old_private = load_private_key(workspace, old.key_id)
            except (NotFoundError, IntegrityError) as exc:
                note = f"no handover checkpoint: {exc.message}"
        new, _ = new_key(workspace, session)
        data = {**key_data(new), "retired_key_id": old.key_id if old is not None else None}
        rows = [new] if old is None else [old, new]
        if old is not None:
            old.retired_at = workspace.now()
            session.flush()
        workspace.record(session, actor, "audit.key_rotated", f"audit-key:{new.key_id}", data, rows=rows)
        handover: TreeHead | None = None
        if old is not None and old_private is not None:
            handover = sign_current(workspace, session, actor, key=(old, old_private), at=old.retired_at)
        return Rotation(KeyInfo.of(old) if old else None, KeyInfo.of(new), handover, note)
