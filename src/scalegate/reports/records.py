"""Finding the audit-log entry that recorded a stored record, so a report or safety case can cite it.

Entries are matched on their event, subject and data fields (read from the entry body, which is canonical
JSON). Reading the log this way is what a reviewer does with an exported log; nothing here changes state.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scalegate.jsonable import JsonObject
from scalegate.store.models.audit import AuditEntryRow

__all__ = ["audit_entry", "find_entry", "row_digest_in_entry"]


def find_entry(
    session: Session,
    *,
    event: str | None = None,
    subject: str | None = None,
    match: dict[str, Any] | None = None,
    contains: str | None = None,
    last: bool = False,
) -> AuditEntryRow | None:
    """The first (or ``last``) entry with this event/subject whose data has every ``match`` item, or whose
    body contains ``contains`` (e.g. a SHA-256)."""
    stmt = select(AuditEntryRow)
    if event is not None:
        stmt = stmt.where(AuditEntryRow.event == event)
    if subject is not None:
        stmt = stmt.where(AuditEntryRow.subject == subject)
    if contains is not None:
        stmt = stmt.where(AuditEntryRow.body.contains(contains))
    stmt = stmt.order_by(AuditEntryRow.seq.desc() if last else AuditEntryRow.seq)
    for row in session.execute(stmt).scalars():
        if not match:
            return row
        data = json.loads(row.body).get("data", {})
        if all(data.get(k) == v for k, v in match.items()):
            return row
    return None


def audit_entry(session: Session, seq: int) -> JsonObject | None:
    """The parsed body of entry ``seq`` (JSON as the log stored it), or None when there is no such entry."""
    row = session.get(AuditEntryRow, seq)
    return None if row is None else dict(json.loads(row.body))


def row_digest_in_entry(entry: AuditEntryRow, table: str, pk: Any) -> str | None:
    """The digest an entry recorded for row ``pk`` of ``table`` (see ``Workspace.record(rows=...)``)."""
    for ref in json.loads(entry.body).get("data", {}).get("rows", []):
        if ref.get("table") == table and ref.get("pk") == pk:
            return str(ref.get("digest"))
    return None
