"""Reading the log: the newest entries, decoded from their canonical bodies.

The ``event``, ``subject`` and ``actor`` columns are an index for filtering; what an entry says is read from
its body, the bytes the tree commits to, so an edited column cannot change what a reader is shown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from scalegate.audit.log import log_size
from scalegate.errors import NotFoundError
from scalegate.store.models.audit import AuditEntryRow

if TYPE_CHECKING:
    from scalegate.workspace import Workspace

__all__ = ["Entry", "EntryPage", "entry", "page", "recent_entries"]


@dataclass(frozen=True)
class Entry:
    """One decoded log entry."""

    seq: int
    at: str
    event: str
    subject: str
    actor: str
    data: dict[str, Any]
    leaf_hash: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "event": self.event,
            "subject": self.subject,
            "actor": self.actor,
            "data": self.data,
            "leaf_hash": self.leaf_hash,
        }


def recent_entries(
    workspace: Workspace,
    *,
    limit: int = 20,
    subject: str | None = None,
    event: str | None = None,
) -> list[Entry]:
    """The newest ``limit`` entries, optionally only those about ``subject`` or of type ``event``.

    Permission to read the log is the caller's check (the log knows no roles).
    """
    query = select(AuditEntryRow).order_by(AuditEntryRow.seq.desc()).limit(limit)
    if subject is not None:
        query = query.where(AuditEntryRow.subject == subject)
    if event is not None:
        query = query.where(AuditEntryRow.event == event)
    with workspace.read() as session:
        return [_decode(row) for row in session.execute(query).scalars()]


@dataclass(frozen=True)
class EntryPage:
    """A page of entries, newest first: the size of the whole log, how many entries match the filters
    (``total``), and ``next_before``, the ``before`` that reads the next (older) page (None on the last)."""

    size: int
    entries: list[Entry]
    total: int = 0
    next_before: int | None = None


def page(
    workspace: Workspace,
    *,
    offset: int = 0,
    limit: int = 50,
    event: str | None = None,
    subject: str | None = None,
    before: int | None = None,
) -> EntryPage:
    """Entries newest first, ``limit`` of them after skipping ``offset``, optionally only those of type
    ``event`` or about ``subject``, and only those older than entry ``before`` (keyset paging: a page deep in
    a long log costs what the first does, where a large ``offset`` makes the store walk the skipped rows).

    The columns only select and order the rows; every field shown comes from the entry's body, so an edited
    ``event`` or ``actor`` column cannot change what the reader sees. Permission to read the log is the
    caller's check (the log knows no roles).
    """
    query = select(AuditEntryRow).order_by(AuditEntryRow.seq.desc())
    matching = select(func.count()).select_from(AuditEntryRow)
    if event:
        query = query.where(AuditEntryRow.event == event)
        matching = matching.where(AuditEntryRow.event == event)
    if subject:
        query = query.where(AuditEntryRow.subject == subject)
        matching = matching.where(AuditEntryRow.subject == subject)
    if before is not None:
        query = query.where(AuditEntryRow.seq < before)
    with workspace.read() as session:
        rows = session.execute(query.offset(offset).limit(limit + 1)).scalars().all()
        size = log_size(session)
        total = session.execute(matching).scalar_one() if event or subject else size
        entries = [_decode(row) for row in rows[:limit]]
    more = len(rows) > limit and bool(entries)
    return EntryPage(size, entries, total, entries[-1].seq if more else None)


def entry(workspace: Workspace, seq: int) -> Entry:
    """The entry at index ``seq``, decoded from its body; ``NotFoundError`` when the log has none."""
    with workspace.read() as session:
        row = session.get(AuditEntryRow, seq)
        if row is None:
            raise NotFoundError(f"no audit entry {seq}", where="seq")
        return _decode(row)


def _decode(row: AuditEntryRow) -> Entry:
    body = json.loads(row.body)
    return Entry(
        body["seq"],
        body["at"],
        body["event"],
        body["subject"],
        body["actor"],
        body["data"],
        bytes(row.leaf_hash).hex(),
    )
