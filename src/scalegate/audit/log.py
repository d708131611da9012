"""Appending to the audit log, in the same transaction as the state change it records.

Every service function that changes state calls ``append`` with its open session, so the change and its log
entry commit or roll back together: there is no window in which one exists without the other.

``append_many`` writes several entries with one head update and one bulk insert, for importers that record
many changes in one transaction; it produces exactly the entries that as many ``append`` calls would.

Both point the row index (``scalegate.audit.row_index``) at the new entries for every row they name, in the
same transaction, so the gate can check the rows it relies on against the log without replaying it.

Entry times never decrease: an entry is dated no earlier than the entry before it (two writers whose contexts
opened in one order may commit in the other, and a clock may step back), so the log's order and its times
agree, and ``audit verify`` checks that they do (``scalegate.audit.times``). An entry of a demo workspace
carries ``"demo": true`` in its body, so a record made where time and identity are relaxed can never pass
for a real one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import LargeBinary, bindparam, insert, select, text, update
from sqlalchemy.orm import Session

from scalegate.audit.row_index import index_refs
from scalegate.canonical import canonical_json, leaf_hash
from scalegate.store.base import UTCDateTime
from scalegate.store.models.audit import AuditEntryRow, AuditHeadRow

if TYPE_CHECKING:
    from scalegate.workspace import Workspace

__all__ = [
    "LOG_SIZE_SQL",
    "NewEntry",
    "append",
    "append_many",
    "ensure_head",
    "entry_body",
    "log_size",
    "within",
]


@contextmanager
def within(workspace: Workspace, session: Session | None, *, write: bool = False) -> Iterator[Session]:
    """The caller's session, or a new transaction on ``workspace`` (a read one unless ``write``).

    A caller that checked a permission in its own unit of work passes that unit's session, so the check and
    the log it reads or signs are one snapshot (the log knows no roles, so it cannot open a context itself).
    """
    if session is not None:
        yield session
    elif write:
        with workspace.transaction() as opened:
            yield opened
    else:
        with workspace.read() as opened:
            yield opened


@dataclass(frozen=True)
class NewEntry:
    """An entry to append: what happened, to what, by whom, when, with which details."""

    event: str
    subject: str
    actor: str
    data: dict[str, Any]
    at: datetime
    demo: bool = False
    """Made in a demo workspace (``scalegate.workspace_mode``): the body says so."""


def ensure_head(session: Session) -> None:
    """Create the head row of an empty log (called once by ``init``)."""
    if session.get(AuditHeadRow, 1) is None:
        session.add(AuditHeadRow(id=1, size=0))
        session.flush()


def entry_body(seq: int, entry: NewEntry) -> bytes:
    """The canonical body of entry ``seq``: the exact bytes whose RFC 6962 leaf hash goes into the tree."""
    body: dict[str, Any] = {
        "seq": seq,
        "at": entry.at.isoformat(),
        "event": entry.event,
        "subject": entry.subject,
        "actor": entry.actor,
        "data": entry.data,
    }
    if entry.demo:
        body["demo"] = True
    return canonical_json(body)


_RESERVE = (
    update(AuditHeadRow)
    .where(AuditHeadRow.id == 1)
    .values(size=AuditHeadRow.size + bindparam("count"))
    .returning(AuditHeadRow.size)
)
_INSERT = insert(AuditEntryRow)
_LEGACY_INSERT = text(
    "INSERT INTO audit_entries (seq, recorded_at, event, subject, actor, body, leaf_hash) "
    "VALUES (:seq, :recorded_at, :event, :subject, :actor, :body, :leaf_hash)"
).bindparams(bindparam("recorded_at", type_=UTCDateTime()), bindparam("leaf_hash", type_=LargeBinary()))
_PREVIOUS_AT = select(AuditEntryRow.recorded_at).where(AuditEntryRow.seq == bindparam("seq"))
# Built once: constructing these statements per append costs more than the append itself.


def _reserve(session: Session, count: int) -> int:
    """Advance the head by ``count`` and return the first reserved sequence number.

    The transaction already holds the store's write lock: SQLite's (``BEGIN IMMEDIATE``) or, on PostgreSQL,
    the writer lock every write transaction takes first (``scalegate.store.write_lock``), so appenders in
    any number of processes and hosts get consecutive, gap-free sequence numbers; the head row's own row
    lock would serialise them too, but only from this statement on, after checks made on an older state.
    """
    return int(session.connection().execute(_RESERVE, {"count": count}).scalar_one()) - count


def _not_before_previous(session: Session, first: int, at: datetime) -> datetime:
    """``at``, or the time of entry ``first - 1`` if that is later (read after the head is reserved, so the
    entry before is committed and no other writer can append in between)."""
    if first == 0:
        return at
    previous = session.execute(_PREVIOUS_AT, {"seq": first - 1}).scalar_one_or_none()
    return previous if previous is not None and previous > at else at


def append(
    session: Session,
    *,
    event: str,
    subject: str,
    actor: str,
    data: dict[str, Any],
    at: datetime,
    demo: bool = False,
) -> AuditEntryRow:
    """Append one entry; returns the row as written (its ``seq`` is the entry's index in the log).

    The entry is dated ``at``, or the previous entry's time if that is later (times never decrease). The row
    is inserted with a Core statement rather than through the unit of work (which would double the cost of an
    append): its body and leaf hash, the database deriving the index columns from the body
    (``scalegate.store.models.audit.ENTRY_FIELDS``). The returned object is not attached to ``session``.
    """
    seq = _reserve(session, 1)
    at = _not_before_previous(session, seq, at)
    body = entry_body(seq, NewEntry(event, subject, actor, data, at, demo))
    values = {"seq": seq, "body": body.decode("utf-8"), "leaf_hash": leaf_hash(body)}
    session.connection().execute(_INSERT, values)
    if data.get("rows"):
        index_refs(session.connection(), [(seq, data)])
    return AuditEntryRow(**values, recorded_at=at, event=event, subject=subject, actor=actor)


def append_many(
    session: Session, entries: Sequence[NewEntry], *, index: bool = True, columns: bool = False
) -> list[int]:
    """Append ``entries`` in order with one head update; returns their sequence numbers.

    ``index=False`` leaves the row index alone, and ``columns=True`` writes the index columns beside the body:
    both only for migrations older than the row index's own and than generated columns (``0010``), whose
    tables expect them.
    """
    if not entries:
        return []
    first = _reserve(session, len(entries))
    values = []
    floor = _not_before_previous(session, first, entries[0].at)
    for offset, entry in enumerate(entries):
        floor = max(floor, entry.at)
        entry = replace(entry, at=floor)
        body = entry_body(first + offset, entry)
        row: dict[str, Any] = {
            "seq": first + offset,
            "body": body.decode("utf-8"),
            "leaf_hash": leaf_hash(body),
        }
        if columns:
            row.update(recorded_at=entry.at, event=entry.event, subject=entry.subject, actor=entry.actor)
        values.append(row)
    session.connection().execute(_LEGACY_INSERT if columns else _INSERT, values)
    if index:
        index_refs(
            session.connection(), [(first + i, e.data) for i, e in enumerate(entries) if e.data.get("rows")]
        )
    return list(range(first, first + len(entries)))


LOG_SIZE_SQL = "SELECT size FROM audit_head WHERE id = 1"
"""``log_size`` as plain SQL, for readers that hold a bare driver connection (the server's state version,
read on every request, skips the ORM)."""


def log_size(session: Session) -> int:
    """Number of entries in the log."""
    return session.execute(select(AuditHeadRow.size).where(AuditHeadRow.id == 1)).scalar_one_or_none() or 0
