"""Audit tables: the append-only log entries, its head, the signing keys and the signed checkpoints."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from scalegate.store.base import Base

__all__ = ["AuditCheckpointRow", "AuditEntryRow", "AuditHeadRow", "AuditKeyRow", "AuditRowIndexRow"]


class AuditEntryRow(Base):
    """One entry of the Merkle log. ``body`` is the canonical JSON whose RFC 6962 leaf hash is
    ``leaf_hash``."""

    __tablename__ = "audit_entries"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    recorded_at: Mapped[datetime]
    event: Mapped[str] = mapped_column(String(100), index=True)
    subject: Mapped[str] = mapped_column(String(300), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditHeadRow(Base):
    """A single row holding the log's size; updating it first serialises concurrent appenders on every
    backend."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))


class AuditKeyRow(Base):
    """A checkpoint-signing public key. ``key_id`` is the hex SHA-256 of the raw 32-byte Ed25519 public key.

    The private half never enters the store (it lives in the workspace's key directory). A retired key signs
    no new checkpoint but still verifies the ones it signed.
    """

    __tablename__ = "audit_keys"

    key_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(20))
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]


class AuditCheckpointRow(Base):
    """A signed tree head: the log had ``size`` entries with root ``root_hash`` at ``created_at``.

    ``signature`` is Ed25519 over the checkpoint text (see ``scalegate.audit.tree_heads.tree_head_text``).
    """

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    origin: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), index=True)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime]
    key_id: Mapped[str] = mapped_column(ForeignKey("audit_keys.key_id"))
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))
    created_by: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(40), default="scalegate-audit-checkpoint/v2")
    """The signed text's format: v2 signs ``id`` and ``created_by`` too; v1 (older checkpoints) does not."""


class AuditRowIndexRow(Base):
    """Which entry of the log last named a row: a derived index over the entries' row references.

    One row per ``(table_name, pk)`` any entry names: ``seq`` is the latest such entry and ``digest`` what it
    recorded (None: the row's deletion). Appending an entry updates it in the same transaction
    (``scalegate.audit.log``). It is a cache, not a record (``scalegate.audit.row_index``): a reader
    trusts it only after finding the same reference in the body of entry ``seq``, and rebuilds it from the log
    when it disagrees.
    """

    __tablename__ = "audit_row_index"

    table_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    pk: Mapped[str] = mapped_column(String(300), primary_key=True)
    """The primary key as canonical JSON (an integer, a string, or a list for a composite key)."""
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    digest: Mapped[str | None] = mapped_column(String(64))
