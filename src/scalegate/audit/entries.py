"""Reading the log: the newest entries, decoded from their canonical bodies.

The ``event``, ``subject`` and ``actor`` columns are an index for filtering; what an entry says is read from
its body, the bytes the tree commits to, so an edited column cannot change what a reader is shown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

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
    """A page of entries, newest first, with the size of the whole log (for paging)."""

    size: int
    entries: list[Entry]


def page(
    workspace: Workspace,
    *,
    offset: int = 0,
    limit: int = 50,
    event: str | None = None,
    subject: str | None = None,
) -> EntryPage:
    """Entries newest first, ``limit`` of them after skipping ``offset``, optionally only those of type
    ``event`` or about ``subject``.

    The columns only select and order the rows; every field shown comes from the entry's body, so an edited
    ``event`` or ``actor`` column cannot change what the reader sees. Permission to read the log is the
    caller's check (the log knows no roles).
    """
    query = select(AuditEntryRow).order_by(AuditEntryRow.seq.desc())
    if event:
        query = query.where(AuditEntryRow.event == event)
    if subject:
        query = query.where(AuditEntryRow.subject == subject)
    with workspace.read() as session:
        rows = session.execute(query.offset(offset).limit(limit)).scalars().all()
        return EntryPage(size=log_size(session), entries=[_decode(row) for row in rows])


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
