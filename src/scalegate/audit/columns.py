"""A quick check that the index columns of every entry agree with its body, run inside the database.

``event``, ``subject``, ``actor`` and ``recorded_at`` are copies of body fields, kept as columns so that
filtered listings (``audit log --event``) need no JSON parsing. Readers show the body, but a filter selects by
the columns, so an edited column can hide an entry from a listing: ``audit verify`` checks them on every run,
not only with ``--deep``. Parsing every body in Python would cost more than hashing the log, so the database
compares them (SQLite: the body's first and last bytes against the columns, JSON-quoted; PostgreSQL: its
``json`` operators), with times compared as UTC text to the microsecond. Any disagreement, or a body the
database cannot parse, sends verification to the deep replay, which parses each body and names every entry at
fault exactly.

On SQLite the replay does the same comparison itself (``ColumnCheck``), on the batches it already reads:
the columns arrive beside the bodies, and the expected first and last bytes are built and compared a batch
at a time in C-level ``map`` calls (string formatting, ``bytes.startswith``/``endswith``), which costs about
half of what the database spends building and cutting the same strings in SQL, and saves a second pass over
the table. It also checks that the times never decrease (``scalegate.audit.times``) on the same column
values. A batch it cannot settle exactly (a time not in the column's own format, or a value needing JSON
escapes it then quotes one by one) is never passed: the SQL checks above then run as before.

The replay first reads each batch as one row of aggregates, every column's values joined by newlines
(``ColumnCheck.settle``); that read only ever settles a clean batch of plain values, and gives any other
to ``ColumnCheck.batch``, row by row, which settles or fails it as described above.

Everything the stream does per batch beyond formatting and comparing the bytes is a whole-batch C-level
pass: the times' format is read by slicing the joined times at the fixed places of their separators (a
regular expression over every byte cost about a sixth of what hashing the log does), the dates are parsed
once per run of equal dates, and the values are searched for characters JSON escapes by deleting them
(``bytes.translate``).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from json.encoder import encode_basestring
from operator import itemgetter
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

__all__ = ["ColumnCheck", "columns_disagree"]

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


_COLUMN_TIMES = re.compile(rb"(?:\d{4}-\d\d-\d\d (?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{6}\n)*")
"""Newline-terminated times exactly as SQLAlchemy stores them on SQLite (``YYYY-MM-DD HH:MM:SS.ffffff``), with
hours, minutes and seconds in range: text in this shape orders as the times it names."""
_ESCAPED = bytes(range(0x20)) + b'"\\'
"""What canonical JSON escapes in a string (ensure_ascii off): control characters, a quote, a backslash. A
batch holds none when deleting them (``bytes.translate``, a table lookup per byte) changes no length."""
_WIDTH = 27
"""A column time and its newline: ``YYYY-MM-DD HH:MM:SS.ffffff\\n``."""
_DIGITS = b"0123456789"
_SEPARATORS = b"-- ::.\n"
_SEPARATOR_AT = ((4, b"-"), (7, b"-"), (10, b" "), (13, b":"), (16, b":"), (19, b"."), (26, b"\n"))
_HOURS = re.compile(rb"(?:[01]\d|2[0-3])*")
_DAY = itemgetter(slice(0, 10))
_HEAD = b'\x00{"actor":"%b","at":"%b+00:00",'
_TAIL = b',"event":"%b","seq":%d,"subject":"%b"}'
_HEAD_QUOTED = b'\x00{"actor":%b,"at":"%b+00:00",'
_TAIL_QUOTED = b',"event":%b,"seq":%d,"subject":%b}'

Rows = Sequence[Sequence[Any]]


@dataclass
class ColumnCheck:
    """The index-column and time-order checks, run by the replay on each streamed batch (SQLite).

    ``agree`` stays True while every entry's ``actor``, ``recorded_at``, ``event`` and ``subject`` columns
    are exactly the first and last bytes of its body; ``ordered`` while no entry is dated before the one
    before it. Either turns False at the first batch that fails or that this check cannot settle, and the
    caller then runs the exact SQL check (``columns_disagree``, ``check_times``), which names the entries.
    The columns arrive as bytes (``CAST(... AS BLOB)``), so a value that is not UTF-8 cannot stop the stream.
    """

    agree: bool = True
    ordered: bool = True
    _last: bytes = b""

    def batch(self, data: Sequence[bytes], seqs: Sequence[int], rows: Rows, at: int) -> None:
        """Check one batch: ``data`` the leaf data (``0x00 || body``) and ``seqs`` the entries' seqs;
        ``rows`` the streamed rows, carrying recorded_at, actor, event and subject from column ``at`` on."""
        if not (self.agree or self.ordered):
            return
        times: list[bytes] = list(map(itemgetter(at), rows))
        try:
            joined = b"\n".join(times) + b"\n"
        except TypeError:  # a NULL time
            joined = b"-"
        well_formed = _column_times(joined)
        in_order = well_formed and times == sorted(times)
        if not well_formed or not _real_dates(times, in_order):
            self.agree = self.ordered = False  # the SQL checks read (or fail to read) the column as a time
            return
        if self.ordered:
            self.ordered = in_order and self._last <= times[0]
            self._last = times[-1]
        if self.agree:
            self.agree = _agree(data, seqs, rows, at, joined)

    def settle(self, data: Sequence[bytes], seqs: Sequence[int], joined: Sequence[bytes]) -> bool:
        """Whether a batch is clean, from its columns joined by the database (``scalegate.audit.replay``).

        ``joined`` holds recorded_at, actor, event and subject, each column's values joined by newlines, a
        NULL read as a newline. True means every time is in the column's format, a real date and in order
        (also after the previous batch), and every value plain and equal to its body's: the state then
        moves on exactly as ``batch`` would move it. False changes nothing: the caller then gives the same
        batch to ``batch``, row by row, which decides it exactly (a NULL or a newline adds a line, and a
        value JSON escapes is left to ``batch``, which quotes it)."""
        n = len(data)
        times, *named = joined
        stamped = times + b"\n"
        if len(stamped) != _WIDTH * n or not _column_times(stamped):
            return False
        stamps = stamped.split(b"\n")[:-1]
        if stamps != sorted(stamps) or self._last > stamps[0] or not _real_dates(stamps, True):
            return False
        values = [column.split(b"\n") for column in named]
        if any(len(v) != n for v in values):
            return False
        if any(len(c.translate(None, _ESCAPED)) != len(c) - (n - 1) for c in named):
            return False  # only the n - 1 separators may go
        if not _heads_and_tails(data, seqs, stamped, values, True):
            return False
        self._last = stamps[-1]
        return True


def _column_times(joined: bytes) -> bool:
    """Whether ``joined`` is newline-terminated times exactly as SQLAlchemy stores them on SQLite
    (``YYYY-MM-DD HH:MM:SS.ffffff``), hours, minutes and seconds in range: text in this shape orders as the
    times it names.

    The same test as the pattern ``_COLUMN_TIMES``, made with a few C-level passes over the whole batch
    instead of a regular expression scanning every byte, at about a quarter of its cost: each time is 27
    bytes with its separators at fixed places, so the separators are read by extended slices, deleting the
    digits must leave exactly the separators, and the first digits of the minutes and seconds are read the
    same way. Only the hours need a pattern, over their two digits alone, when one is from 20 on."""
    n, rest = divmod(len(joined), _WIDTH)
    if rest or not n or joined.translate(None, _DIGITS) != _SEPARATORS * n:
        return False
    if any(joined[at::_WIDTH] != char * n for at, char in _SEPARATOR_AT):
        return False
    if joined[14::_WIDTH].translate(None, b"012345") or joined[17::_WIDTH].translate(None, b"012345"):
        return False  # a minute or second from 60 on
    tens = joined[11::_WIDTH]
    if not tens.translate(None, b"01"):
        return True
    hours = bytearray(2 * n)
    hours[0::2], hours[1::2] = tens, joined[12::_WIDTH]
    return _HOURS.fullmatch(hours) is not None


def _real_dates(times: list[bytes], ordered: bool) -> bool:
    """Every date named is a calendar date (the format alone admits 2025-02-30). In a batch already in
    order the dates come in runs, found by bisection: one parse per distinct date, not one slice per time."""
    try:
        if not ordered:
            for day in set(map(_DAY, times)):
                date.fromisoformat(day.decode())
            return True
        i = 0
        while i < len(times):
            day = times[i][:10]
            date.fromisoformat(day.decode())
            i = bisect_right(times, day + b"\xff", i)  # every time of that date sorts before this key
    except ValueError:
        return False
    return True


def _agree(data: Sequence[bytes], seqs: Sequence[int], rows: Rows, at: int, joined: bytes) -> bool:
    """Whether each body starts ``{"actor":A,"at":"T",`` and ends ``,"event":E,"seq":N,"subject":S}``.

    The values go between quotes as they are when no value of the batch holds a character that JSON escapes
    (one deletion over them all), and are quoted one by one otherwise.
    """
    values = [list(map(itemgetter(at + k), rows)) for k in (1, 2, 3)]
    try:
        every = b"".join(values[0] + values[1] + values[2])
        plain = len(every.translate(None, _ESCAPED)) == len(every)
        if not plain:
            values = [[encode_basestring(v.decode()).encode() for v in column] for column in values]
    except (TypeError, UnicodeDecodeError):
        return False  # not text: the SQL check decides
    return _heads_and_tails(data, seqs, joined, values, plain)


def _heads_and_tails(
    data: Sequence[bytes], seqs: Sequence[int], joined: bytes, values: list[list[bytes]], plain: bool
) -> bool:
    """The comparison of ``_agree``, on the actors, events and subjects already JSON-quoted unless ``plain``.

    The times become the body's form (Python's isoformat of a UTC time) in two replaces over the joined
    batch, which holds nothing but times."""
    iso = joined.replace(b" ", b"T").replace(b".000000\n", b"\n").split(b"\n")[:-1]
    head, tail = (_HEAD, _TAIL) if plain else (_HEAD_QUOTED, _TAIL_QUOTED)
    actors, events, subjects = values
    heads = map(head.__mod__, zip(actors, iso, strict=True))
    tails = map(tail.__mod__, zip(events, seqs, subjects, strict=True))
    return all(map(bytes.startswith, data, heads)) and all(map(bytes.endswith, data, tails))
