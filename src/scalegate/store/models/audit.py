"""Audit tables: the append-only log entries, its head, the signing keys and the signed checkpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Computed, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from scalegate.store.base import Base, UTCDateTime

__all__ = [
    "ENTRY_FIELDS",
    "AuditCheckpointRow",
    "AuditEntryRow",
    "AuditHeadRow",
    "AuditKeyRow",
    "AuditRowIndexRow",
]

_AT_SQLITE = "json_extract(body, '$.at')"
_SECOND = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]"
_AT_PG = "(body::jsonb ->> 'at')"
ENTRY_FIELDS: dict[str, dict[str, str]] = {
    "sqlite": {
        "recorded_at": (
            f"CASE WHEN {_AT_SQLITE} GLOB '{_SECOND}+00:00' "
            f"THEN substr({_AT_SQLITE}, 1, 10) || ' ' || substr({_AT_SQLITE}, 12, 8) || '.000000' "
            f"WHEN {_AT_SQLITE} GLOB '{_SECOND}.[0-9][0-9][0-9][0-9][0-9][0-9]+00:00' "
            f"THEN substr({_AT_SQLITE}, 1, 10) || ' ' || substr({_AT_SQLITE}, 12, 15) END"
        ),
        "event": "json_extract(body, '$.event')",
        "subject": "json_extract(body, '$.subject')",
        "actor": "json_extract(body, '$.actor')",
    },
    "postgresql": {
        "recorded_at": (
            f"make_timestamp(substr({_AT_PG}, 1, 4)::int, substr({_AT_PG}, 6, 2)::int, "
            f"substr({_AT_PG}, 9, 2)::int, substr({_AT_PG}, 12, 2)::int, substr({_AT_PG}, 15, 2)::int, "
            f"split_part(substr({_AT_PG}, 18), '+', 1)::float8) AT TIME ZONE 'UTC'"
        ),
        "event": "body::jsonb ->> 'event'",
        "subject": "body::jsonb ->> 'subject'",
        "actor": "body::jsonb ->> 'actor'",
    },
}
"""How the database derives each index column of an entry from its body, per backend.

The columns exist so that filtered listings and the gate's lookups (``event``, ``subject``, a time range) use
an index instead of parsing JSON, and they are *generated*: the database computes them from the body, refuses
a write to them, and recomputes them when the body changes. So they cannot disagree with the hashed body
while the table's definition stands, and ``audit verify`` checks that definition instead of every entry
(``scalegate.audit.columns``). On SQLite they are virtual (computed when read; the indexes hold copies); on
PostgreSQL, stored. A body whose time is not UTC in ISO form gives no time on SQLite and cannot be written
on PostgreSQL. The migration that made them (``0010``) holds a frozen copy of these expressions.
"""


class _EntryField(ColumnElement[Any]):
    """The expression deriving one index column from the body, written for the backend at hand."""

    inherit_cache = True

    def __init__(self, name: str) -> None:
        self.name = name


@compiles(_EntryField)
def _entry_field(element: _EntryField, compiler: Any, **kw: Any) -> str:
    return ENTRY_FIELDS[compiler.dialect.name][element.name]


class AuditEntryRow(Base):
    """One entry of the Merkle log. ``body`` is the canonical JSON whose RFC 6962 leaf hash is
    ``leaf_hash``; the other columns are generated from the body by the database (``ENTRY_FIELDS``)."""

    __tablename__ = "audit_entries"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    body: Mapped[str] = mapped_column(Text)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    recorded_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), Computed(_EntryField("recorded_at")), index=True, nullable=True
    )
    event: Mapped[str] = mapped_column(String(100), Computed(_EntryField("event")), index=True, nullable=True)
    subject: Mapped[str] = mapped_column(
        String(300), Computed(_EntryField("subject")), index=True, nullable=True
    )
    actor: Mapped[str] = mapped_column(String(200), Computed(_EntryField("actor")), nullable=True)


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
    format: Mapped[str] = mapped_column(String(40), default="scalegate-audit-checkpoint/v3")
    """The signed text's format: v3 was signed once the entries' times were found in order; v2 (older) has the
    same lines; v1 (older still) signs neither ``id`` nor ``created_by``."""


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
