"""Appending to the audit log, in the same transaction as the state change it records.

Every service function that changes state calls ``append`` with its open session, so the change and its log
entry commit or roll back together: there is no window in which one exists without the other.

``append_many`` writes several entries with one head update and one bulk insert, for importers that record
many changes in one transaction; it produces exactly the entries that as many ``append`` calls would.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from scalegate.canonical import canonical_json, leaf_hash
from scalegate.store.models.audit import AuditEntryRow, AuditHeadRow

__all__ = ["NewEntry", "append", "append_many", "ensure_head", "entry_body", "log_size"]


@dataclass(frozen=True)
class NewEntry:
    """An entry to append: what happened, to what, by whom, when, with which details."""

    event: str
    subject: str
    actor: str
    data: dict[str, Any]
    at: datetime


def ensure_head(session: Session) -> None:
    """Create the head row of an empty log (called once by ``init``)."""
    if session.get(AuditHeadRow, 1) is None:
        session.add(AuditHeadRow(id=1, size=0))
        session.flush()


def entry_body(seq: int, entry: NewEntry) -> bytes:
    """The canonical body of entry ``seq``: the exact bytes whose RFC 6962 leaf hash goes into the tree."""
    return canonical_json(
        {
            "seq": seq,
            "at": entry.at.isoformat(),
            "event": entry.event,
            "subject": entry.subject,
            "actor": entry.actor,
            "data": entry.data,
        }
    )


_RESERVE = (
    update(AuditHeadRow)
    .where(AuditHeadRow.id == 1)
    .values(size=AuditHeadRow.size + bindparam("count"))
    .returning(AuditHeadRow.size)
)
_INSERT = insert(AuditEntryRow)
# Built once: constructing these statements per append costs more than the append itself.


def _reserve(session: Session, count: int) -> int:
    """Advance the head by ``count`` and return the first reserved sequence number.

    Updating the head row first takes its row lock (PostgreSQL) or the write lock (SQLite), so concurrent
    appenders get consecutive, gap-free sequence numbers.
    """
    return int(session.connection().execute(_RESERVE, {"count": count}).scalar_one()) - count


def append(
    session: Session, *, event: str, subject: str, actor: str, data: dict[str, Any], at: datetime
) -> AuditEntryRow:
    """Append one entry; returns the row as written (its ``seq`` is the entry's index in the log).

    The row is inserted with a Core statement rather than through the unit of work (which would double the
    cost of an append); the returned object is not attached to ``session``.
    """
    seq = _reserve(session, 1)
    body = entry_body(seq, NewEntry(event, subject, actor, data, at))
    values = {
        "seq": seq,
        "recorded_at": at,
        "event": event,
        "subject": subject,
        "actor": actor,
        "body": body.decode("utf-8"),
        "leaf_hash": leaf_hash(body),
    }
    session.connection().execute(_INSERT, values)
    return AuditEntryRow(**values)


def append_many(session: Session, entries: Sequence[NewEntry]) -> list[int]:
    """Append ``entries`` in order with one head update; returns their sequence numbers."""
    if not entries:
        return []
    first = _reserve(session, len(entries))
    values = []
    for offset, entry in enumerate(entries):
        body = entry_body(first + offset, entry)
        values.append(
            {
                "seq": first + offset,
                "recorded_at": entry.at,
                "event": entry.event,
                "subject": entry.subject,
                "actor": entry.actor,
                "body": body.decode("utf-8"),
                "leaf_hash": leaf_hash(body),
            }
        )
    session.connection().execute(_INSERT, values)
    return list(range(first, first + len(entries)))


def log_size(session: Session) -> int:
    """Number of entries in the log."""
    return session.execute(select(AuditHeadRow.size).where(AuditHeadRow.id == 1)).scalar_one_or_none() or 0
