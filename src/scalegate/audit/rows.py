"""The row check of ``audit verify``: every row of a covered table is exactly what the log last said of it.

Entries name the rows their change wrote as ``{"table", "pk", "digest"}`` (``Workspace.record``); replaying
the log gives the latest claim per row. Every table covered by row digests (``scalegate.audit.coverage``) is
read whole, whether or not any entry names it yet, so a row inserted with SQL into a table the log never
touched is reported too, as is a row inserted, edited or deleted anywhere else.

Rows are read as the driver returns them and converted column by column, each row on its own: a value no
column type can read (a malformed timestamp or JSON document written with SQL) is one ``malformed_row``
problem, never an exception that stops verification.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Select, Table, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from scalegate.audit.coverage import coverage_of
from scalegate.audit.replay import Problem, RowClaim
from scalegate.canonical import canonical_json
from scalegate.store.base import row_digest
from scalegate.store.models import every_table

__all__ = ["UNREADABLE", "RowCheck", "check_rows", "row_tables", "table_digests", "unreadable_rows"]

RowCheck = tuple[list[Problem], dict[str, int]]
"""Problems found, and the number of rows read per table."""

UNREADABLE = (ValueError, TypeError, OverflowError)
"""What a column type raises for a stored value it cannot read (``json.JSONDecodeError`` is a ValueError)."""


def row_tables(claimed: Iterable[str]) -> list[str]:
    """Tables whose every row is checked: those covered by row digests, and any table an entry names."""
    defined = every_table()
    wanted = {name for name in defined if coverage_of(name).mechanism == "rows"}
    return sorted(wanted | {name for name in claimed if name in defined})


def check_rows(session: Session, claims: dict[tuple[str, str], RowClaim]) -> RowCheck:
    """Compare the current rows of every checked table with the latest claims; see the module docstring."""
    by_table: dict[str, dict[str, RowClaim]] = {}
    for (table, pk), claim in claims.items():
        by_table.setdefault(table, {})[pk] = claim
    problems: list[Problem] = []
    for name in sorted(set(by_table) - set(every_table())):
        latest = max(c.seq for c in by_table[name].values())
        message = "entries reference a table the store does not define"
        problems.append(Problem("unknown_table", message, seq=latest, table=name))
    counts: dict[str, int] = {}
    for name in row_tables(by_table):
        current, malformed = _current_digests(session, every_table()[name])
        counts[name] = len(current) + len(malformed)
        problems += malformed.values()
        problems += _compare(name, by_table.get(name, {}), current, set(malformed))
    return problems, counts


_RAW: dict[str, Select[*tuple[Any, ...]]] = {}


def _raw_select(table: Table) -> Select[*tuple[Any, ...]]:
    """Every column of ``table`` as the driver returns it (no type conversion), built once per table: a
    statement kept keeps its compiled form, which a fresh one would pay for again on every verify."""
    found = _RAW.get(table.name)
    if found is None:
        found = _RAW[table.name] = select(*(type_coerce(c, NullType()).label(c.key) for c in table.columns))
    return found


def _processors(session: Session, table: Table) -> list[Callable[[Any], Any] | None]:
    """The conversion each column's type applies to what the driver returns (None: none)."""
    dialect = session.get_bind().dialect
    return [_processor(c.type, dialect) for c in table.columns]


def _processor(kind: Any, dialect: Any) -> Callable[[Any], Any] | None:
    try:
        processor: Callable[[Any], Any] | None = kind.dialect_impl(dialect).result_processor(dialect, None)
    except TypeError:
        # A processor that depends on the database's column type (psycopg's numbers): the driver already
        # returns the Python value (a float8 as a float), so there is nothing to convert.
        return None
    return processor


def _current_digests(session: Session, table: Table) -> tuple[dict[str, str], dict[str, Problem]]:
    """``{canonical JSON of pk: row digest}`` for every readable row, and a problem per unreadable one
    (under the same key).

    The digest is computed exactly as ``row_digest`` computes it from an ORM row.
    """
    columns = list(table.columns)
    keys = [c.key for c in columns]
    pk_at = [keys.index(c.key) for c in table.primary_key.columns]
    processors = _processors(session, table)
    raw = _raw_select(table)
    out: dict[str, str] = {}
    malformed: dict[str, Problem] = {}
    for values in session.execute(raw):
        pk = [values[i] for i in pk_at]
        key = canonical_json(pk[0] if len(pk) == 1 else pk).decode()
        try:
            typed = [v if p is None or v is None else p(v) for p, v in zip(processors, values, strict=True)]
            row = SimpleNamespace(__table__=table, **dict(zip(keys, typed, strict=True)))
            out[key] = row_digest(row)  # type: ignore[arg-type]  # duck-typed: row_values reads __table__ and attributes
        except UNREADABLE as exc:
            column = _unreadable(processors, values, keys)
            detail = " ".join(str(exc).split())[:120]
            malformed[key] = Problem(
                "malformed_row",
                f"column {column} cannot be read ({detail}): written outside scalegate",
                table=table.name,
                pk=json.loads(key),
            )
    return out, malformed


def _unreadable(processors: list[Callable[[Any], Any] | None], values: Any, keys: list[str]) -> str:
    """The first column whose stored value its type cannot read."""
    for key, process, value in zip(keys, processors, values, strict=True):
        if process is None or value is None:
            continue
        try:
            process(value)
        except UNREADABLE:
            return key
    return "?"


def table_digests(session: Session, name: str) -> dict[str, str]:
    """``{canonical JSON of pk: row digest}`` of every readable row of table ``name``."""
    return _current_digests(session, every_table()[name])[0]


def unreadable_rows(session: Session) -> list[Problem]:
    """A ``malformed_row`` problem for every row of every table holding a value its column cannot read."""
    problems: list[Problem] = []
    for name in sorted(every_table()):
        problems += _current_digests(session, every_table()[name])[1].values()
    return problems


def _compare(
    table: str, wanted: dict[str, RowClaim], current: dict[str, str], unreadable: set[str]
) -> list[Problem]:
    problems: list[Problem] = []
    for pk_json, claim in wanted.items():
        pk = json.loads(pk_json)
        digest = current.pop(pk_json, None)
        if pk_json in unreadable:
            continue  # already reported as malformed
        if claim.digest is None:
            if digest is not None:
                problems.append(
                    Problem(
                        "row_deleted_but_present",
                        "entry recorded this row's deletion, but it exists",
                        seq=claim.seq,
                        table=table,
                        pk=pk,
                    )
                )
        elif digest is None:
            problems.append(
                Problem(
                    "row_missing", "the row recorded by this entry is gone", seq=claim.seq, table=table, pk=pk
                )
            )
        elif digest != claim.digest:
            problems.append(
                Problem(
                    "row_mismatch",
                    "the row differs from what this entry recorded (edited outside scalegate)",
                    seq=claim.seq,
                    table=table,
                    pk=pk,
                )
            )
    for pk_json in current:
        problems.append(
            Problem(
                "row_unlogged",
                "no entry records this row of a covered table (a row written before the log covered its "
                "table is adopted, by an admin, with `scalegate audit adopt`)",
                table=table,
                pk=json.loads(pk_json),
            )
        )
    return problems
