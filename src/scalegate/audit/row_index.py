"""The row index: for each row any entry names, the latest entry naming it, so a reader can check a row
against the log without replaying it.

``audit verify`` proves every covered row against the log by replaying every entry, which a gate called on
every training step cannot afford. The index (``audit_row_index``) keeps, per ``(table, pk)``, the seq of
the latest entry naming the row and the digest it recorded; ``append`` updates it in the entry's own
transaction. It is a cache, not a record: someone who writes the store with SQL can edit it as easily as the
row, so a lookup trusts an index row only after finding that exact reference (``{"digest", "pk", "table"}``,
in canonical JSON) in the body of entry ``seq``. An edited row then fails (its digest is not the logged
one); a row inserted with SQL has no index row, or one whose entry does not name it; an edited index row
points at a body that does not say what it claims. Forging an entry's body too breaks the Merkle tree,
which ``audit verify`` checks against the signed checkpoints.

A key the index cannot vouch for is looked up in the log itself (``claims_in_log``: the same replay as
``audit verify``), and the index is rebuilt from it (``rebuild``) when the two disagree, so an edited index
costs speed, never a wrong answer. What the index cannot see: a row and its index entry both set back to an
*earlier* logged state (the body of that earlier entry does name it). ``audit verify`` reports that row,
whose digest is not the latest claim.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select, tuple_, update
from sqlalchemy.orm import Session

from scalegate.audit.replay import Problem, replay
from scalegate.canonical import canonical_json
from scalegate.store.models.audit import AuditEntryRow, AuditHeadRow, AuditRowIndexRow

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from scalegate.audit.replay import Problem, RowClaim

__all__ = [
    "Key",
    "Lookup",
    "claims_in_log",
    "index_problems",
    "index_refs",
    "logged_digests",
    "rebuild",
    "ref_bytes",
    "refs_of",
]

Key = tuple[str, str]
"""A row: its table and its primary key as canonical JSON (as ``audit verify``'s claims name it)."""

_CHUNK = 400
"""Keys per lookup statement: two bound parameters each, well under every backend's limit."""

_UPSERTS: dict[str, Any] = {}


def refs_of(data: Mapping[str, Any]) -> list[tuple[str, str, str | None]]:
    """``(table, pk JSON, digest)`` of every row reference in an entry's data (``data["rows"]``)."""
    out = []
    for ref in data.get("rows", ()) or ():
        if isinstance(ref, dict) and isinstance(ref.get("table"), str) and "pk" in ref:
            out.append((ref["table"], canonical_json(ref["pk"]).decode(), ref.get("digest")))
    return out


def ref_bytes(table: str, pk: str, digest: str | None) -> bytes:
    """The exact bytes of a row reference inside a canonical entry body."""
    return canonical_json({"digest": digest, "pk": json.loads(pk), "table": table})


def _upsert(dialect: str) -> Any:
    """``INSERT ... ON CONFLICT (table_name, pk) DO UPDATE`` for the backend, built once."""
    found = _UPSERTS.get(dialect)
    if found is None:
        # imported here: the PostgreSQL dialect costs a tenth of a second to import, which a SQLite
        # workspace (every CLI ingest into one) should not pay
        if dialect == "postgresql":
            from sqlalchemy.dialects import postgresql as module
        else:
            from sqlalchemy.dialects import sqlite as module  # type: ignore[no-redef]
        stmt = module.insert(AuditRowIndexRow)
        found = _UPSERTS[dialect] = stmt.on_conflict_do_update(
            index_elements=["table_name", "pk"],
            set_={"seq": stmt.excluded.seq, "digest": stmt.excluded.digest},
        )
    return found


def index_refs(connection: Connection, entries: Iterable[tuple[int, Mapping[str, Any]]]) -> None:
    """Point the index at the entries just appended (``(seq, data)`` in log order) for the rows they name."""
    latest: dict[Key, dict[str, Any]] = {}
    for seq, data in entries:
        for table, pk, digest in refs_of(data):
            latest[(table, pk)] = {"table_name": table, "pk": pk, "seq": seq, "digest": digest}
    if latest:
        connection.execute(_upsert(connection.dialect.name), list(latest.values()))


class Lookup:
    """What the log says of a set of rows: ``logged`` maps a key to its logged digest (None: deleted); a key
    in ``unlogged`` is named by no entry; ``index_stale`` says the index disagreed with the log."""

    def __init__(self) -> None:
        self.logged: dict[Key, str | None] = {}
        self.unlogged: set[Key] = set()
        self.index_stale = False


def logged_digests(session: Session, keys: Iterable[Key]) -> Lookup:
    """The latest logged digest of each of ``keys``: from the index where the entry it names confirms it, from
    a replay of the log for the rest (see the module docstring). Two statements per 400 keys while the index
    holds; a replay when it does not."""
    wanted = sorted(set(keys))
    found: dict[Key, tuple[int, str | None]] = {}
    for lo in range(0, len(wanted), _CHUNK):
        chunk = wanted[lo : lo + _CHUNK]
        stmt = select(
            AuditRowIndexRow.table_name, AuditRowIndexRow.pk, AuditRowIndexRow.seq, AuditRowIndexRow.digest
        ).where(tuple_(AuditRowIndexRow.table_name, AuditRowIndexRow.pk).in_(chunk))
        for table, pk, seq, digest in session.execute(stmt):
            found[(table, pk)] = (int(seq), digest)
    bodies = _bodies(session, sorted({seq for seq, _ in found.values()}))
    out = Lookup()
    doubtful = []
    for key in wanted:
        hit = found.get(key)
        if hit is not None and ref_bytes(key[0], key[1], hit[1]) in bodies.get(hit[0], b""):
            out.logged[key] = hit[1]
        else:
            doubtful.append(key)
    if doubtful:
        claims = claims_in_log(session)
        for key in doubtful:
            claim = claims.get(key)
            if claim is None:
                out.unlogged.add(key)
            else:
                out.logged[key] = claim.digest
            hit = found.get(key)
            if (claim is None) != (hit is None) or (claim is not None and hit != (claim.seq, claim.digest)):
                out.index_stale = True
    return out


def _bodies(session: Session, seqs: Sequence[int]) -> dict[int, bytes]:
    out: dict[int, bytes] = {}
    for lo in range(0, len(seqs), _CHUNK):
        stmt = select(AuditEntryRow.seq, AuditEntryRow.body).where(
            AuditEntryRow.seq.in_(seqs[lo : lo + _CHUNK])
        )
        for seq, body in session.execute(stmt):
            out[int(seq)] = body.encode() if isinstance(body, str) else bytes(body)
    return out


def claims_in_log(session: Session) -> dict[Key, RowClaim]:
    """The latest claim of every row any entry names, replayed from the whole log (as ``audit verify``)."""
    # The head's size, read here rather than through ``audit.log`` (which imports this module).
    head = session.execute(select(AuditHeadRow.size).where(AuditHeadRow.id == 1)).scalar_one_or_none()
    return replay(session, head=head or 0, rows=True).claims


def rebuild(session: Session) -> int:
    """Rewrite the index from the log, in ``session``'s write transaction; returns the number of rows.

    The head row is updated first, as an append does, so no entry can be appended while the log is read.
    """
    session.execute(update(AuditHeadRow).where(AuditHeadRow.id == 1).values(size=AuditHeadRow.size))
    claims = claims_in_log(session)
    session.execute(delete(AuditRowIndexRow))
    rows = [
        {"table_name": t, "pk": pk, "seq": c.seq, "digest": c.digest} for (t, pk), c in sorted(claims.items())
    ]
    for lo in range(0, len(rows), 5000):
        session.execute(insert(AuditRowIndexRow), rows[lo : lo + 5000])
    return len(rows)


def index_problems(session: Session, claims: Mapping[Key, RowClaim]) -> list[Problem]:
    """``audit verify``'s check of the index: every index row is the latest claim of its row, and every
    claimed row has one. A disagreement is a ``cache_invalid`` problem (readers fall back to the log)."""
    stmt = select(
        AuditRowIndexRow.table_name, AuditRowIndexRow.pk, AuditRowIndexRow.seq, AuditRowIndexRow.digest
    )
    indexed = {(t, pk): (int(seq), digest) for t, pk, seq, digest in session.execute(stmt)}
    wrong = [k for k, c in claims.items() if indexed.pop(k, None) != (c.seq, c.digest)]
    wrong += list(indexed)
    if not wrong:
        return []
    message = (
        f"{len(wrong)} index rows disagree with the log (first: {wrong[0][0]}[{wrong[0][1]}]); readers check "
        "the log instead, and the gate rebuilds the index"
    )
    return [Problem("cache_invalid", message, table="audit_row_index")]
