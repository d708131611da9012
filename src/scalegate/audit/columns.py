"""A quick check that the index columns of every entry agree with its body, run inside the database.

``event``, ``subject``, ``actor`` and ``recorded_at`` are copies of body fields, kept as columns so that
filtered listings (``audit log --event``) need no JSON parsing. Readers show the body, but a filter selects by
the columns, so an edited column can hide an entry from a listing: ``audit verify`` checks them on every run,
not only with ``--deep``. Parsing every body in Python would cost more than hashing the log, so the database
compares them (SQLite: the body's first and last bytes against the columns, JSON-quoted; PostgreSQL: its
``json`` operators), with times compared as UTC text to the microsecond. Any disagreement, or a body the
database cannot parse, sends verification to the deep replay, which parses each body and names every entry at
fault exactly.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

__all__ = ["columns_disagree"]

# The body's time is Python's isoformat of a UTC time: YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00. As text in the
# column's own format (SQLite: what SQLAlchemy stores; PostgreSQL: formatted from the timestamp) it reads
# YYYY-MM-DD HH:MM:SS.ffffff.
_NORMAL = (
    "replace(substr(a, 1, 19), 'T', ' ') || '.' || "
    "CASE WHEN substr(a, 20, 1) = '.' THEN substr(a, 21, 6) ELSE '000000' END"
)

# SQLite compares text instead of parsing JSON (parsing every body costs as much as hashing the log): a
# canonical body starts {"actor":A,"at":"T", and ends ,"event":E,"seq":N,"subject":S} with each string
# JSON-quoted; the time is rebuilt from the column as Python's isoformat writes it. Any unusual quoting or
# time only sends the replay deep, which decides exactly.
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
) WHERE substr(body, 1, length(head)) IS NOT head OR substr(body, -length(tail)) IS NOT tail
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
