"""Replaying the stored log: recompute every leaf hash from its body, check the sequence, rebuild the tree.

This is the hot loop of ``audit verify`` and of checkpoint signing, so it works a batch of rows at a time:
leaf hashes are computed in one list comprehension and compared to the stored ones, sequence numbers
checked for gaps with one indexed query, and the tree built by ``TreeBuilder`` a perfect subtree at a time.
Per-entry Python work is kept to what cannot be batched, and to the entries no signed tree head pins yet:
the check that each body names its own ``seq``, the time order (``scalegate.audit.times``), and collecting
row references. The index columns are not read: the database derives them from the bodies
(``scalegate.audit.columns``).

On SQLite each batch is read as one row of aggregates built in C (``_aggregated``): the bodies joined and the
stored leaf hashes joined, compared as wholes, which costs a bytes object per column per batch where fetching
rows costs a tuple and one per column per entry. That read may only conclude that a batch is clean; a batch
it cannot settle is read again row by row (``_stream``, as on PostgreSQL, where a server-side cursor streams
the rows) and checked entry by entry, which names every entry at fault.

A body is canonical JSON with sorted keys, so its top-level keys come in the order actor, at, data, event,
seq, subject, and ``"seq":N,"subject":`` is a byte string only the top level can hold (inside a JSON string a
quote is escaped). ``deep=True`` parses every body instead and checks that it is canonical, that it has
exactly the entry keys, and that the indexed columns (event, subject, actor, time) agree with it.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from hashlib import sha256
from itertools import accumulate
from operator import itemgetter
from typing import Any

from sqlalchemy import LargeBinary, cast, func, literal, select
from sqlalchemy.orm import Session

from scalegate.audit.merkle import TreeBuilder
from scalegate.audit.problems import Problem, ProblemKind
from scalegate.audit.times import TimeOrder
from scalegate.canonical import canonical_json
from scalegate.store.models.audit import AuditEntryRow

__all__ = ["BATCH", "Problem", "ProblemKind", "Replay", "RowClaim", "replay"]

BATCH = 5_000
"""Rows fetched per round trip while streaming the log. A batch's bodies (about 2 MB) then stay in the CPU's
caches between the read, the split and the hashing: batches of 20,000 made ``audit verify`` about 5% slower,
and of 50,000 about 15%."""

_ENTRY_KEYS = {"actor", "at", "data", "event", "seq", "subject"}
_DEMO_KEYS = _ENTRY_KEYS | {"demo"}
"""An entry of a demo workspace also carries ``"demo": true`` (``scalegate.audit.log``)."""

_PK = rb'(-?[0-9]+|"(?:[^"\\]|\\.)*"|\[[^\[\]{}]*\])'
_REF = rb'\{"digest":(null|"[0-9a-f]{64}"),"pk":' + _PK + rb',"table":"([A-Za-z0-9_]+)"\}'
_REF_RE = re.compile(_REF)
_REF_LIST_RE = re.compile(rb"(?:" + _REF + rb")(?:,(?:" + _REF + rb"))*\]")
_ROWS = b'"rows":['
_ROWS_KEY = b'"rows":'
_FIRST = itemgetter(0)


@dataclass(frozen=True)
class RowClaim:
    """What the latest entry naming a row says of it: its digest (None: deleted), and that entry's seq."""

    digest: str | None
    seq: int


@dataclass
class Replay:
    """The outcome of replaying entries ``start..`` of the log."""

    builder: TreeBuilder
    problems: list[Problem] = field(default_factory=list)
    bytes_hashed: int = 0
    first_leaf: bytes | None = None
    prefix_roots: dict[int, bytes] = field(default_factory=dict)
    claims: dict[tuple[str, str], RowClaim] = field(default_factory=dict)
    """Latest claim per (table, canonical JSON of the primary key)."""
    times: TimeOrder | None = None
    """The time-order check (``times_from``), with the problems it found also in ``problems``; else None."""

    @property
    def size(self) -> int:
        return self.builder.size


def replay(
    session: Session,
    *,
    head: int,
    start: int = 0,
    builder: TreeBuilder | None = None,
    marks: Iterable[int] = (),
    rows: bool = False,
    deep: bool = False,
    seq_checks_from: int = 0,
    times_from: int | None = None,
    last_time: datetime | None = None,
    _with_seq: bool = False,
) -> Replay:
    """Replay stored entries with ``seq >= start`` in order; ``head`` is the size the head row claims.

    ``builder`` continues a tree already verified up to ``start``. ``marks`` are tree sizes whose root to
    record (checkpoint sizes). With ``rows``, row references in entry data are collected as ``claims``. The
    check that a body names its own seq runs for entries from ``seq_checks_from`` on: before that, a
    checkpoint's root pins every entry to its position (the caller compares ``prefix_roots`` with it).

    Sequence numbers are not fetched when the first and last stored seq show the span could be gap-free: the
    entries are then start, start+1, ... exactly when as many rows arrive as the span holds (seq is the
    primary key, so unique). If fewer arrive, the replay runs again fetching every seq, to name the gaps.

    With ``times_from``, entry times are checked for order from that seq on (``Replay.times``); ``last_time``
    is the time of entry ``start - 1`` when the caller has it from a replay it continues.
    """
    result = Replay(builder=builder.copy() if builder is not None else TreeBuilder())
    wanted = set(marks)
    pending = sorted(m for m in wanted if m > result.size)
    if result.size in wanted:
        result.prefix_roots[result.size] = result.builder.root()
    low, high = _bounds(session, start)
    with_seq = deep or _with_seq or (low is not None and low != start)
    if times_from is not None:
        result.times = TimeOrder(max(times_from, start), last_time if times_from <= start else None)
    scan = _Scan(result, pending, rows, deep, max(seq_checks_from, start), not with_seq)
    if with_seq or deep or high is None or session.get_bind().dialect.name != "sqlite":
        expected = start
        for part in _stream(session, start, with_seq, deep):
            expected = scan.batch(part, expected)
    else:
        expected = _aggregated(session, scan, start, high + 1)
    if not with_seq and high is not None and expected != high + 1:
        return replay(
            session, head=head, start=start, builder=builder, marks=marks, rows=rows, deep=deep,
            seq_checks_from=seq_checks_from, times_from=times_from, last_time=last_time, _with_seq=True,
        )  # fmt: skip
    if result.times is not None:
        result.problems += result.times.problems
    if expected != head:
        result.problems.append(
            Problem(
                "head_mismatch", f"the head says the log holds {head} entries but entries run to {expected}"
            )
        )
    return result


def _bounds(session: Session, start: int) -> tuple[int | None, int | None]:
    """The first and last stored seq from ``start`` on: two index lookups (one min/max query would scan)."""
    where = AuditEntryRow.seq >= start
    low = session.execute(select(func.min(AuditEntryRow.seq)).where(where)).scalar_one_or_none()
    high = session.execute(select(func.max(AuditEntryRow.seq)).where(where)).scalar_one_or_none()
    return low, high


def _body_bytes(session: Session) -> Any:
    """The body column as UTF-8 bytes, converted by the database (saves a Python-level encode per entry)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.convert_to(AuditEntryRow.body, "UTF8")
    return cast(AuditEntryRow.body, LargeBinary)


def _leaf_data(session: Session) -> Any:
    """``0x00 || body``, the exact bytes of the RFC 6962 leaf hash, assembled by the database."""
    if session.get_bind().dialect.name == "postgresql":
        return literal(b"\x00", LargeBinary).concat(func.convert_to(AuditEntryRow.body, "UTF8"))
    return cast(literal(b"\x00", LargeBinary).concat(AuditEntryRow.body), LargeBinary)


def _stream(
    session: Session, start: int, with_seq: bool, deep: bool, stop: int | None = None
) -> Iterator[Sequence[Sequence[Any]]]:
    """Batches of ``([seq,] data, leaf hash[, event, subject, actor, recorded_at])`` in seq order, from
    ``start`` to the end of the log or to ``stop`` (excluded).

    ``data`` is the body as bytes with ``deep`` (which also reads the index columns, to compare them with
    the parsed body), else the leaf data ``0x00 || body``.

    The rows come straight from the driver (a server-side cursor on PostgreSQL, ``fetchmany`` on SQLite): at
    these rates SQLAlchemy's per-row result processing would cost more than hashing the log. ``deep`` goes
    through SQLAlchemy, which converts the timestamps.
    """
    columns: list[Any] = [AuditEntryRow.seq] if with_seq else []
    columns += [_body_bytes(session) if deep else _leaf_data(session), AuditEntryRow.leaf_hash]
    if deep:
        columns += [
            AuditEntryRow.event,
            AuditEntryRow.subject,
            AuditEntryRow.actor,
            AuditEntryRow.recorded_at,
        ]
    query = select(*columns).where(AuditEntryRow.seq >= start).order_by(AuditEntryRow.seq)
    if stop is not None:
        query = query.where(AuditEntryRow.seq < stop)
    connection = session.connection()
    if deep:
        yield from connection.execute(query, execution_options={"yield_per": BATCH}).partitions()
        return
    compiled = query.compile(dialect=connection.dialect)
    params = compiled.construct_params()
    driver = connection.connection.driver_connection
    assert driver is not None
    if connection.dialect.name == "postgresql":
        cursor = driver.cursor(
            name="scalegate_audit_replay"
        )  # server-side: streams, holds no copy of the log
        cursor.execute(str(compiled), params)
    else:
        cursor = driver.cursor()
        cursor.execute(str(compiled), [params[name] for name in compiled.positiontup or ()])
    try:
        while part := cursor.fetchmany(BATCH):
            yield part
    finally:
        cursor.close()


_AGGREGATE = (
    "SELECT count(*), CAST(group_concat(body, x'0a00') AS BLOB), "
    "CAST(group_concat(leaf_hash, x'') AS BLOB), "
    "count(*) FILTER (WHERE typeof(leaf_hash) = 'blob' AND length(leaf_hash) = 32) "
    "FROM audit_entries WHERE seq >= ? AND seq < ?"
)
_MMAP = 1 << 40
"""Map the database file for the aggregated reads (SQLite's ``mmap_size``; capped by its compile-time
limit): pages are then read in place instead of copied into the page cache one by one."""


def _aggregated(session: Session, scan: _Scan, start: int, stop: int) -> int:
    """Replay entries ``start..stop-1`` on SQLite a batch at a time, each batch read as one row of aggregates
    that SQLite builds in C; returns the next expected seq.

    Fetching rows costs a tuple and a bytes object per column per entry, more than the hashing; the
    aggregates cost one bytes object per column per batch: the bodies joined by ``\\n\\x00`` (canonical
    JSON never holds a raw newline, so after a leading ``\\x00`` a split gives the leaf data of each entry),
    and the stored leaf hashes joined. ``_Scan.settle`` may only conclude that a batch is clean; any batch it
    cannot settle (a NULL, a newline in a body, a gap, a leaf hash that differs) is read again row by row and
    checked by ``_Scan.batch``, which names every entry at fault. The rows are read in rowid order by the
    range scan, which is seq order (seq is the rowid).
    """
    driver = session.connection().connection.driver_connection
    assert driver is not None
    mapped = driver.execute("PRAGMA mmap_size").fetchone()[0]
    driver.execute(f"PRAGMA mmap_size={_MMAP}")
    try:
        expected = start
        for low in range(start, stop, BATCH):
            high = min(low + BATCH, stop)
            row = driver.execute(_AGGREGATE, (low, high)).fetchone()
            if expected != low or not scan.settle(row, low, high):
                for part in _stream(session, low, False, False, stop=high):
                    expected = scan.batch(part, expected)
            else:
                expected = high
    finally:
        driver.execute(f"PRAGMA mmap_size={int(mapped)}")
    return expected


@dataclass
class _Scan:
    """The per-batch work of ``replay``."""

    result: Replay
    pending: list[int]
    rows: bool
    deep: bool
    seq_checks_from: int
    contiguous: bool

    def batch(self, part: Sequence[Sequence[Any]], expected: int) -> int:
        """Check one batch whose first entry should be ``expected``; returns the next expected seq."""
        result, with_seq = self.result, self.deep or not self.contiguous
        offset = 1 if with_seq else 0
        seqs: Sequence[int] = list(map(_FIRST, part)) if with_seq else range(expected, expected + len(part))
        # Outside deep mode the rows carry 0x00 || body: the substring checks below do not mind the prefix.
        bodies: list[bytes] = list(map(itemgetter(offset), part))
        stored = list(map(itemgetter(offset + 1), part))
        if self.deep:
            leaves = [sha256(b"\x00" + b).digest() for b in bodies]
        else:
            leaves = [sha256(b).digest() for b in bodies]
        joined = b"\n".join(bodies)
        result.bytes_hashed += len(joined) - (len(bodies) - 1) - (0 if self.deep else len(bodies))
        if result.first_leaf is None and seqs[0] == 0:
            result.first_leaf = leaves[0]
        if with_seq and (seqs[0] != expected or seqs[-1] != expected + len(seqs) - 1):
            _gaps(result, seqs, expected)
        if leaves != stored:
            _leaf_mismatches(result, seqs, leaves, stored)
        if self.deep:
            _deep(result, part, seqs, bodies)
        elif seqs[-1] >= self.seq_checks_from:
            _seq_mismatches(result, seqs, bodies, self.seq_checks_from)
        if result.times is not None:
            result.times.feed(seqs, bodies)
        if self.rows:
            for i in _holding(joined, bodies):
                _claims(result, seqs[i], bodies[i])
        _grow(result, leaves, self.pending)
        return seqs[-1] + 1

    def settle(self, row: Sequence[Any], low: int, high: int) -> bool:
        """Whether the batch of entries ``low..high-1``, read as one row of aggregates (``_aggregated``), is
        clean; if so the replay moves on exactly as ``batch`` would. False changes nothing."""
        count, bodies, stored, sized = row
        if count != high - low or sized != count or bodies is None:
            return False  # a gap, a leaf hash that is not 32 bytes, or no rows
        joined = b"\x00" + bodies
        data = joined.split(b"\n")
        if len(data) != count:
            return False  # a NULL or a newline in a body
        leaves = [sha256(d).digest() for d in data]
        if b"".join(leaves) != stored:
            return False
        result, seqs = self.result, range(low, high)
        if high > self.seq_checks_from and _seq_mismatched(seqs, data, self.seq_checks_from):
            return False
        if result.times is not None:
            result.times.feed(seqs, data)
        result.bytes_hashed += len(joined) - 2 * count + 1  # the n leading 0x00s and n - 1 newlines
        if result.first_leaf is None and low == 0:
            result.first_leaf = leaves[0]
        if self.rows:
            for i in _holding(joined, data):
                _claims(result, seqs[i], data[i])
        _grow(result, leaves, self.pending)
        return True


def _holding(joined: bytes, bodies: Sequence[bytes]) -> list[int]:
    """Indexes of the bodies holding a row-reference list, found in their newline-joined bytes.

    The search is for ``[`` (a ``memchr``), keeping those preceded by ``"rows":``: searching for the whole
    ``"rows":[`` directly is about three times slower, because its characters are common in JSON and the
    substring search then advances one byte at a time. Lists are rare in entry bodies other than row lists.
    """
    ends: list[int] | None = None
    hits: set[int] = set()
    at = joined.find(b"[")
    while at >= 0:
        if joined.endswith(_ROWS_KEY, 0, at):
            if ends is None:  # end of body i, separator included
                ends = list(accumulate(map((1).__add__, map(len, bodies))))
            hits.add(bisect_right(ends, at))
        at = joined.find(b"[", at + 1)
    return sorted(hits)


def _leaf_mismatches(result: Replay, seqs: Sequence[int], leaves: list[bytes], stored: list[Any]) -> None:
    for seq, mine, theirs in zip(seqs, leaves, stored, strict=True):
        if mine != theirs:
            result.problems.append(
                Problem(
                    "leaf_hash_mismatch",
                    "the body does not hash to the stored leaf hash (body or hash altered)",
                    seq,
                )
            )


def _seq_mismatches(result: Replay, seqs: Sequence[int], bodies: Sequence[bytes], since: int) -> None:
    for seq in _seq_mismatched(seqs, bodies, since):
        result.problems.append(Problem("seq_mismatch", "the body does not carry this entry's seq", seq))


def _seq_mismatched(seqs: Sequence[int], bodies: Sequence[bytes], since: int) -> list[int]:
    """The seqs from ``since`` on whose body lacks ``"seq":N,"subject":`` (which only the top level holds)."""
    skip = max(0, since - seqs[0]) if isinstance(seqs, range) else 0
    pairs = zip(seqs[skip:], bodies[skip:], strict=True)
    return [s for s, b in pairs if s >= since and b'"seq":%d,"subject":' % s not in b]


def _grow(result: Replay, leaves: list[bytes], pending: list[int]) -> None:
    """Extend the tree, stopping at each pending mark to record the root of that prefix."""
    builder, i = result.builder, 0
    while pending and pending[0] <= builder.size + len(leaves) - i:
        cut = pending.pop(0) - builder.size + i
        builder.extend(leaves[i:cut])
        result.prefix_roots[builder.size] = builder.root()
        i = cut
    builder.extend(leaves[i:] if i else leaves)


def _gaps(result: Replay, seqs: Sequence[int], expected: int) -> None:
    for seq in seqs:
        if seq != expected:
            missing = (
                f"entry {expected} is missing"
                if seq == expected + 1
                else f"entries {expected}..{seq - 1} are missing"
            )
            result.problems.append(Problem("seq_gap", missing, expected))
        expected = seq + 1


def _deep(
    result: Replay, part: Sequence[Sequence[Any]], seqs: Sequence[int], bodies: Sequence[bytes]
) -> None:
    for row, seq, body in zip(part, seqs, bodies, strict=True):
        try:
            doc = json.loads(body)
        except ValueError:
            result.problems.append(Problem("malformed_entry", "the body is not JSON", seq))
            continue
        if not isinstance(doc, dict) or not _has_entry_keys(doc):
            result.problems.append(
                Problem("malformed_entry", "the body does not have exactly the entry keys", seq)
            )
            continue
        if canonical_json(doc) != body:
            result.problems.append(Problem("malformed_entry", "the body is not canonical JSON", seq))
        if doc["seq"] != seq:
            result.problems.append(Problem("seq_mismatch", f"the body says seq {doc['seq']}", seq))
        at: datetime = row[6]
        if (doc["event"], doc["subject"], doc["actor"]) != (row[3], row[4], row[5]) or not _same_time(
            doc["at"], at
        ):
            result.problems.append(
                Problem("column_mismatch", "the event/subject/actor/time columns disagree with the body", seq)
            )


def _has_entry_keys(doc: dict[str, Any]) -> bool:
    """Exactly the entry keys, or those and ``"demo": true``."""
    keys = set(doc)
    return keys == _ENTRY_KEYS or (keys == _DEMO_KEYS and doc["demo"] is True)


def _same_time(text: Any, at: datetime) -> bool:
    try:
        return isinstance(text, str) and datetime.fromisoformat(text) == at
    except ValueError:
        return False


def _claims(result: Replay, seq: int, body: bytes) -> None:
    """Collect the row references of one entry, by regular expression when the shape is the usual one."""
    pos = body.find(_ROWS) + len(_ROWS)
    listed = _REF_LIST_RE.match(body, pos) if body.count(b'"rows":') == 1 else None
    if listed is not None:
        for digest, pk, table in _REF_RE.findall(body, pos, listed.end()):
            claim = None if digest == b"null" else digest[1:-1].decode()
            result.claims[(table.decode(), pk.decode())] = RowClaim(claim, seq)
        return
    _claims_parsed(result, seq, body.lstrip(b"\x00"))


def _claims_parsed(result: Replay, seq: int, body: bytes) -> None:
    try:
        refs = json.loads(body).get("data", {}).get("rows", [])
    except (ValueError, AttributeError):
        result.problems.append(Problem("malformed_entry", "the body is not a JSON entry", seq))
        return
    if not isinstance(refs, list):
        return
    for ref in refs:
        if not (
            isinstance(ref, dict) and isinstance(ref.get("table"), str) and "pk" in ref and "digest" in ref
        ):
            result.problems.append(
                Problem("malformed_entry", "a row reference lacks table, pk or digest", seq)
            )
            continue
        result.claims[(ref["table"], canonical_json(ref["pk"]).decode())] = RowClaim(ref["digest"], seq)
