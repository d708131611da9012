"""Whether the index columns of the log can disagree with the bodies, and which entries' do.

``event``, ``subject``, ``actor`` and ``recorded_at`` are kept as columns so that filtered listings and the
gate's lookups need no JSON parsing. Readers show the body, but a filter selects by the columns, so a column
that disagreed with its body could hide an entry from a listing or a lookup. The database generates them from
the body (``scalegate.store.models.audit.ENTRY_FIELDS``): it refuses a write to them and recomputes them
when the body changes. So what ``audit verify`` checks on every run is the table's definition, in one read
(``derived``): on SQLite the stored ``CREATE TABLE`` text must be exactly the one the migration wrote. A
table rebuilt with plain columns, or with other expressions, fails it.

When the definition is not the shipped one (and on PostgreSQL, whose catalog prints expressions in its own
words), the columns are compared with every body inside the database (``columns_disagree``: on SQLite the
body's first and last bytes against the columns, JSON-quoted; on PostgreSQL its ``json`` operators), and
any disagreement sends verification to the deep replay, which parses each body and names every entry at
fault.

What the definition cannot vouch for is the indexes' copies of the values, which SQLite keeps in its own
pages: an insider who edits the database file's bytes, or its schema with ``PRAGMA writable_schema``, can
make an index disagree with the table. That is outside what the log proves (it is also true of an index on
any column); ``audit verify --deep`` runs SQLite's own check of the table and its indexes
(``table_problems``), which finds it.
"""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from scalegate.audit.problems import Problem
from scalegate.store.models.audit import ENTRY_FIELDS

__all__ = ["SQLITE_TABLE", "columns_disagree", "derived", "table_problems"]

_SQLITE_TYPES = {
    "recorded_at": "DATETIME",
    "event": "VARCHAR(100)",
    "subject": "VARCHAR(300)",
    "actor": "VARCHAR(200)",
}
SQLITE_TABLE = (
    'CREATE TABLE "audit_entries" (seq INTEGER NOT NULL, body TEXT NOT NULL, leaf_hash BLOB NOT NULL, '
    + ", ".join(
        f"{name} {kind} GENERATED ALWAYS AS ({ENTRY_FIELDS['sqlite'][name]}) VIRTUAL"
        for name, kind in _SQLITE_TYPES.items()
    )
    + ", CONSTRAINT pk_audit_entries PRIMARY KEY (seq))"
)
"""The definition of the log's table on SQLite, as the migration that generated its columns left it."""


def derived(session: Session) -> bool:
    """Whether the store's definition of the log's table is the shipped one, so that every index column is
    what the database derives from its body (on SQLite; False on PostgreSQL, which compares the values)."""
    if session.get_bind().dialect.name != "sqlite":
        return False
    found = session.execute(
        text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'audit_entries'")
    ).scalar_one_or_none()
    return found == SQLITE_TABLE


_NORMAL = (
    "replace(substr(a, 1, 19), 'T', ' ') || '.' || "
    "CASE WHEN substr(a, 20, 1) = '.' THEN substr(a, 21, 6) ELSE '000000' END"
)

# SQLite compares text instead of parsing JSON (parsing every body costs as much as hashing the log): a
# canonical body starts {"actor":A,"at":"T", and ends ,"event":E,"seq":N,"subject":S} with each string
# JSON-quoted; the time is rebuilt from the column as Python's isoformat writes it. Any unusual quoting or
# time only sends the replay deep, which decides exactly; so does a NULL time, which makes the head
# NULL (substr would then compare as equal).
_SQLITE_AT = (
    "replace(substr(recorded_at, 1, 19), ' ', 'T') || CASE WHEN substr(recorded_at, 21, 6) = '000000' "
    "THEN '' ELSE '.' || substr(recorded_at, 21, 6) END || '+00:00'"
)
_SQLITE = f"""
SELECT count(*) FROM (
  SELECT body,
         '{{"actor":' || json_quote(actor) || ',"at":"' || ({_SQLITE_AT}) || '",' AS head,
         ',"event":' || json_quote(event) || ',"seq":' || seq || ',"subject":' || json_quote(subject) || '}}'
           AS tail
  FROM audit_entries
) WHERE head IS NULL OR tail IS NULL
     OR substr(body, 1, length(head)) IS NOT head OR substr(body, -length(tail)) IS NOT tail
"""

_POSTGRES = f"""
SELECT count(*) FROM (
  SELECT event, subject, actor, to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS t,
         j ->> 'event' AS e, j ->> 'subject' AS s, j ->> 'actor' AS r, j ->> 'at' AS a
  FROM (SELECT *, body::json AS j FROM audit_entries) AS parsed
) AS x WHERE e IS DISTINCT FROM event OR s IS DISTINCT FROM subject OR r IS DISTINCT FROM actor
     OR a NOT LIKE '%+00:00' OR t IS DISTINCT FROM ({_NORMAL})
"""


def columns_disagree(session: Session) -> bool:
    """Whether any entry's index columns may disagree with its body (True also when a body cannot be
    parsed by the database): the caller then replays deep to name the entries."""
    statement = _POSTGRES if session.get_bind().dialect.name == "postgresql" else _SQLITE
    try:
        with session.begin_nested():
            return bool(session.execute(text(statement)).scalar_one())
    except DBAPIError:
        return True


_ROW = re.compile(r"\brow (\d+)\b")


def table_problems(session: Session) -> list[Problem]:
    """SQLite's own check of the log's table and its indexes (``--deep``; none on PostgreSQL): each line it
    reports, as a ``column_mismatch`` at the entry it names (the table's rowid is the seq)."""
    if session.get_bind().dialect.name != "sqlite":
        return []
    lines = [str(line) for line in session.execute(text("PRAGMA integrity_check(audit_entries)")).scalars()]
    if lines == ["ok"]:
        return []
    problems = []
    for line in lines:
        row = _ROW.search(line)
        problems.append(
            Problem(
                "column_mismatch",
                f"SQLite's check of the log's table and its indexes: {line}",
                int(row.group(1)) if row else None,
            )
        )
    return problems
