"""Reading the log: the newest entries, decoded from their canonical bodies.

The ``event``, ``subject`` and ``actor`` columns are an index for filtering; what an entry says is read from
its body, the bytes the tree commits to, so an edited column cannot change what a reader is shown.

An entry whose data holds a ``seal`` (``SEAL_KEY``) may be shown to some readers only; which ones is
governance's rule (``scalegate.governance.sealing``). To the others it is shown as ``Entry.sealed_view()``:
its index in the log and its leaf hash, which commits to the whole body (and, through the seal's random
nonce, reveals nothing of it), and nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from sqlalchemy import func, select

from scalegate.audit.log import log_size, within
from scalegate.errors import NotFoundError
from scalegate.jsonable import JsonObject
from scalegate.store.models.audit import AuditEntryRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from scalegate.workspace import Workspace

__all__ = ["SEAL_KEY", "Entry", "EntryDocument", "EntryPage", "entry", "page", "recent_entries"]

SEAL_KEY = "seal"
"""Key of entry data marking a sealed entry: ``{"open_to": [roles], "closed_to": role, "nonce": hex}``."""


class EntryDocument(TypedDict):
    """An entry as the doors show it (``Entry.to_dict``); ``data`` is what its change recorded."""

    seq: int
    at: str | None
    event: str
    subject: str
    actor: str
    data: JsonObject
    leaf_hash: str
    sealed: bool


@dataclass(frozen=True)
class Entry:
    """One decoded log entry."""

    seq: int
    at: str | None
    """When (ISO-8601); None for a sealed entry."""
    event: str
    subject: str
    actor: str
    data: dict[str, Any]
    leaf_hash: str
    sealed: bool = False
    """Shown as its hash commitment only (``sealed_view``)."""

    @property
    def seal(self) -> JsonObject | None:
        """The entry's seal, if its body carries one."""
        found = self.data.get(SEAL_KEY)
        return found if isinstance(found, dict) else None

    def sealed_view(self) -> Entry:
        """What a reader who may not open the entry sees: its place in the log and its leaf hash (the
        commitment to the body), no time, event, subject, actor or data."""
        commitment = {"sealed": True, "commitment": self.leaf_hash}
        return Entry(self.seq, None, "sealed", "sealed", "sealed", commitment, self.leaf_hash, sealed=True)

    def to_dict(self) -> EntryDocument:
        return {
            "seq": self.seq,
            "at": self.at,
            "event": self.event,
            "subject": self.subject,
            "actor": self.actor,
            "data": self.data,
            "leaf_hash": self.leaf_hash,
            "sealed": self.sealed,
        }


def recent_entries(
    workspace: Workspace,
    *,
    limit: int = 20,
    subject: str | None = None,
    event: str | None = None,
    hidden_subjects: Sequence[str] = (),
    session: Session | None = None,
) -> list[Entry]:
    """The newest ``limit`` entries, optionally only those about ``subject`` or of type ``event`` (then
    never those about ``hidden_subjects``, as for ``page``).

    Permission to read the log is the caller's check (the log knows no roles); ``session``: the caller's.
    """
    query = select(AuditEntryRow).order_by(AuditEntryRow.seq.desc()).limit(limit)
    if subject is not None:
        query = query.where(AuditEntryRow.subject == subject)
    if event is not None:
        query = query.where(AuditEntryRow.event == event)
    if (subject is not None or event is not None) and hidden_subjects:
        query = query.where(AuditEntryRow.subject.not_in(list(hidden_subjects)))
    with within(workspace, session) as s:
        return [_decode(row) for row in s.execute(query).scalars()]


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
    hidden_subjects: Sequence[str] = (),
    session: Session | None = None,
) -> EntryPage:
    """Entries newest first, ``limit`` of them after skipping ``offset``, optionally only those of type
    ``event`` or about ``subject``, and only those older than entry ``before`` (keyset paging: a page deep in
    a long log costs what the first does, where a large ``offset`` makes the store walk the skipped rows).

    The columns only select and order the rows; every field shown comes from the entry's body, so an edited
    ``event`` or ``actor`` column cannot change what the reader sees. Permission to read the log is the
    caller's check (the log knows no roles).

    ``hidden_subjects``: with a filter, entries about these subjects neither match nor count (a reader who may
    not open sealed entries must not learn from a filter which of them are about what). ``session``: the
    caller's, when it checked the reader's permission in it.
    """
    query = select(AuditEntryRow).order_by(AuditEntryRow.seq.desc())
    matching = select(func.count()).select_from(AuditEntryRow)
    if event:
        query = query.where(AuditEntryRow.event == event)
        matching = matching.where(AuditEntryRow.event == event)
    if subject:
        query = query.where(AuditEntryRow.subject == subject)
        matching = matching.where(AuditEntryRow.subject == subject)
    if (event or subject) and hidden_subjects:
        query = query.where(AuditEntryRow.subject.not_in(list(hidden_subjects)))
        matching = matching.where(AuditEntryRow.subject.not_in(list(hidden_subjects)))
    if before is not None:
        query = query.where(AuditEntryRow.seq < before)
    with within(workspace, session) as s:
        rows = s.execute(query.offset(offset).limit(limit + 1)).scalars().all()
        size = log_size(s)
        total = s.execute(matching).scalar_one() if event or subject else size
        entries = [_decode(row) for row in rows[:limit]]
    more = len(rows) > limit and bool(entries)
    return EntryPage(size, entries, total, entries[-1].seq if more else None)


def entry(workspace: Workspace, seq: int, *, session: Session | None = None) -> Entry:
    """The entry at index ``seq``, decoded from its body; ``NotFoundError`` when the log has none."""
    with within(workspace, session) as s:
        row = s.get(AuditEntryRow, seq)
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
