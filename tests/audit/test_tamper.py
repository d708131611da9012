"""The tamper test: every column of every table edited with SQL, one at a time, and a forged row inserted into
every table, on SQLite and PostgreSQL; `audit verify` must report each one.

The store is built once per backend (``tests.audit.populated``: the demo scenario plus a row in every table
the demo leaves empty) and cloned per table (a file copy; ``CREATE DATABASE ... TEMPLATE``). Within a table,
each edit is made, verified and undone by restoring the table's rows as they were, so one clone serves all its
columns. The tables are read from the ORM metadata: a table added later is tampered with too, and a table
without a declared kind (``scalegate.audit.coverage``) fails ``test_every_table_has_a_declared_kind``.

Edits are made as a database administrator would: foreign keys off (SQLite's default for a new connection;
``session_replication_role = replica`` on PostgreSQL). Every edit changes what the row means (a flipped
character, a moved time, a number, a flipped flag, a key added to a document); on SQLite, where a column
holds any text, times and JSON documents are also replaced by text no column type can read, which must be a
problem line and not a traceback.

The verdict cache (``gate_verdicts``, kept on SQLite only) is a derived table: for each of its edits the gate
must ignore the edited row, answer exactly as the engine does, and rebuild the row.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, Table, create_engine, delete, insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import JSON, Boolean, DateTime, Float, Integer, LargeBinary

from scalegate.audit.coverage import COVERAGE, coverage_of
from scalegate.audit.keys import KEY_DIR_ENV
from scalegate.audit.verify import VerifyReport, verify
from scalegate.clock import FixedClock
from scalegate.gate import fast
from scalegate.gate.render import render_text
from scalegate.gate.service import evaluate_gate
from scalegate.store.models import every_table
from scalegate.workspace import Workspace, open_workspace
from tests.audit.populated import populate
from tests.support.templates import SqliteTemplate, create_database

pytestmark = pytest.mark.slow

TABLES = sorted(every_table())
START = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Built:
    """A populated store to clone: its URL, the directory of its keys, and the time its clock stopped at."""

    backend: str
    url: str
    keys: Path
    now: datetime


def _build(url: str, directory: Path) -> Built:
    keys = directory / "keys"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(KEY_DIR_ENV, str(keys))
        clock = FixedClock(START)
        ws = populate(url, directory, clock)
        ws.close()
    return Built(url.split(":", 1)[0].split("+")[0], url, keys, clock.now())


@pytest.fixture(scope="session")
def built_sqlite(tmp_path_factory: pytest.TempPathFactory, sqlite_template: SqliteTemplate) -> Built:
    directory = tmp_path_factory.mktemp("tamper-sqlite")
    return _build(sqlite_template.url_at(directory / "pristine.db"), directory)


@pytest.fixture(scope="session")
def built_postgres(
    tmp_path_factory: pytest.TempPathFactory, postgres_url: str, postgres_template: str
) -> Built:
    directory = tmp_path_factory.mktemp("tamper-postgres")
    return _build(create_database(postgres_url, postgres_template), directory)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Built]:
    """A fresh clone of the populated store for one test, with its keys and its clock's time in force."""
    if request.param == "sqlite":
        built: Built = request.getfixturevalue("built_sqlite")
        path = tmp_path / "scalegate.db"
        shutil.copyfile(built.url.removeprefix("sqlite:///"), path)
        url = f"sqlite:///{path}"
    else:
        built = request.getfixturevalue("built_postgres")
        url = create_database(request.getfixturevalue("postgres_url"), built.url)
    monkeypatch.setenv(KEY_DIR_ENV, str(built.keys))
    monkeypatch.setenv("SCALEGATE_NOW", built.now.isoformat())
    yield Built(built.backend, url, built.keys, built.now)


def test_every_table_has_a_declared_kind() -> None:
    """Each table is declared covered or a cache, and the declaration names no table the store lacks."""
    undeclared = [name for name in TABLES if not coverage_of(name).declared]
    assert undeclared == [], f"declare these tables in scalegate.audit.coverage: {undeclared}"
    assert set(COVERAGE) == set(TABLES)


# -- making edits --------------------------------------------------------------------------------------------


def _engine(url: str) -> Engine:
    """A plain connection, as a database administrator has (SQLite: no pragmas, so foreign keys off)."""
    return create_engine(url)


def _unchecked(conn: Connection) -> None:
    """No foreign keys enforced in this transaction (PostgreSQL; new SQLite connections have them off)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL session_replication_role = replica"))


def _rows(conn: Connection, table: Table) -> list[dict[str, Any]]:
    """Every row, as the values written (a generated column is the database's to compute, not written)."""
    order = list(table.primary_key.columns)
    written = [c for c in table.columns if c.computed is None]
    return [dict(r) for r in conn.execute(select(*written).order_by(*order)).mappings()]


def _restore(engine: Engine, table: Table, rows: list[dict[str, Any]]) -> None:
    with engine.begin() as conn:
        _unchecked(conn)
        conn.execute(delete(table))
        if rows:
            conn.execute(insert(table), rows)


def _changed(column: Any, value: Any, now: datetime) -> Any:
    """A value of the column's type that means something else than ``value``."""
    if value is None:
        kind = column.type
        if isinstance(kind, DateTime) or "DateTime" in type(kind).__name__:
            return now
        if isinstance(kind, Boolean):
            return True
        if isinstance(kind, Integer):
            return 7
        if isinstance(kind, Float):
            return 0.5
        if isinstance(kind, LargeBinary):
            return b"x"
        if isinstance(kind, JSON) or isinstance(getattr(kind, "impl", None), JSON):
            return {"tampered": True}
        return "x"
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1000
    if isinstance(value, float):
        return value * 1.5 + 1
    if isinstance(value, datetime):
        return value + timedelta(seconds=1)
    if isinstance(value, bytes | memoryview):
        data = bytes(value)
        return data[:-1] + bytes([data[-1] ^ 1]) if data else b"x"
    if isinstance(value, dict):
        return {**value, "tampered": True}
    if isinstance(value, list):
        return [*value, "tampered"]
    if isinstance(value, str):
        return value[:-1] + ("0" if value[-1:] != "0" else "1") if value else "x"
    raise TypeError(f"no edit for {value!r} in {column}")


def _unreadable(column: Any) -> str | None:
    """Text that no reader of the column's type can read (SQLite only: it stores any text in any column)."""
    kind = column.type
    if isinstance(kind, DateTime) or "DateTime" in type(kind).__name__:
        return "2026-13-45 99:61:00.000000"
    if isinstance(kind, JSON) or isinstance(getattr(kind, "impl", None), JSON):
        return '{"unterminated": '
    return None


def _where(table: Table, row: dict[str, Any]) -> Any:
    clauses = [c == row[c.key] for c in table.primary_key.columns]
    return clauses[0] if len(clauses) == 1 else clauses[0] & clauses[1]


def _forged(conn: Connection, table: Table, like: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A new row like ``like``, with a primary key and unique values of its own (foreign keys kept)."""
    forged = dict(like)
    unique = {c.key for c in table.columns if c.unique or c.primary_key}
    for constraint in table.constraints:
        if type(constraint).__name__ == "UniqueConstraint":
            unique |= {c.key for c in constraint.columns}  # type: ignore[attr-defined]
    for column in table.columns:
        # a unique reference then names no row: foreign keys are off
        if column.key in unique and column.key in like:
            forged[column.key] = _changed(column, like[column.key], now)
    if table.name == "evidence_blob_chunks":  # one more chunk of an existing file
        forged["sha256"] = like["sha256"]
    return forged


# -- judging -------------------------------------------------------------------------------------------------

_LOG_TABLES = {"audit_entries", "audit_head", "audit_checkpoints"}


def _detected(report: VerifyReport, table: str) -> bool:
    """Verify failed, and a problem names this table (for the log tables: an entry or a checkpoint)."""
    names = {p.table for p in report.problems}
    return not report.ok and (table in names or (table in _LOG_TABLES and None in names))


def _verify(ws: Workspace) -> VerifyReport:
    """Verify without writing (one workspace per test: verify keeps nothing between runs but the engine)."""
    return verify(ws, checkpoint=False)


# -- the test ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("table_name", [t for t in TABLES if coverage_of(t).kind != "transient"])
def test_every_edit_and_every_forged_row_is_detected(
    store: Built, table_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    table = every_table()[table_name]
    engine = _engine(store.url)
    ws = open_workspace(store.url)
    try:
        with engine.connect() as conn:
            original = _rows(conn, table)
        assert _verify(ws).ok
        cached_here = store.backend == "sqlite" or table_name != "gate_verdicts"
        assert original or not cached_here, f"{table_name} is empty: the populated store must fill it"
        missed: list[str] = []
        edits = 0
        if original:
            target = original[0]
            verdicts = _verdicts(store) if table_name == "audit_row_index" else None
            if table_name == "gate_verdicts":  # the row is in use before it is edited
                ref, action = target["ref"], target["action"]
                assert fast.cached(store.url.removeprefix("sqlite:///"), ref, action, as_json=False)
            unreadable_kinds: set[str] = set()  # one unreadable time and one document per table
            for column in table.columns:
                if column.computed is not None:  # generated from other columns: the store refuses an edit
                    with pytest.raises(DBAPIError, match=r"(?i)generated"):
                        _edit(engine, table, target, column.key, "x", typed=False)
                    continue
                values = [_changed(column, target[column.key], store.now)]
                if table_name == "audit_entries" and column.key == "body":
                    # still JSON: the store derives its index columns from the body, so refuses non-JSON
                    values = [str(target["body"]).replace("}", ',"x":1}', 1)]
                raw = _unreadable(column) if store.backend == "sqlite" else None
                if raw is not None and raw[:1] in unreadable_kinds:
                    raw = None
                if raw is not None:
                    unreadable_kinds.add(raw[:1])
                for value in [*values, *([raw] if raw is not None else [])]:
                    edits += 1
                    _edit(engine, table, target, column.key, value, typed=value is not raw)
                    report = _verify(ws)
                    if not _detected(report, table_name):
                        missed.append(
                            f"{column.key} = {value!r:.60}: {[p.line() for p in report.problems][:2]}"
                        )
                    if table_name == "gate_verdicts":
                        _the_gate_ignores_and_rebuilds(store, target, capsys)
                    elif verdicts is not None:
                        _the_gate_answers_from_the_log(store, verdicts)
                    _restore(engine, table, original)
        with engine.begin() as conn:
            _unchecked(conn)
            like = original[-1] if original else None
            if like is None:  # the cache is kept on SQLite only: forge a row from nothing
                like = {c.key: _changed(c, None, store.now) for c in table.columns if c.computed is None}
            conn.execute(insert(table).values(**_forged(conn, table, like, store.now)))
        report = _verify(ws)
        if not _detected(report, table_name):
            missed.append(f"inserted row: {[p.line() for p in report.problems][:2]}")
        _restore(engine, table, original)
        assert missed == [], f"{len(missed)} of {edits + 1} tamperings with {table_name} passed verify"
        assert _verify(ws).ok  # every edit was undone: the failures above were the edits'
    finally:
        ws.close()
        engine.dispose()


def _edit(engine: Engine, table: Table, row: dict[str, Any], column: str, value: Any, *, typed: bool) -> None:
    with engine.begin() as conn:
        _unchecked(conn)
        if typed:
            conn.execute(table.update().where(_where(table, row)).values({column: value}))
        else:
            keys = [c.key for c in table.primary_key.columns]
            where = " AND ".join(f"{k} = :pk_{k}" for k in keys)
            params = {f"pk_{k}": row[k] for k in keys}
            conn.execute(
                text(f"UPDATE {table.name} SET {column} = :value WHERE {where}"), {"value": value, **params}
            )


def _verdicts(store: Built) -> dict[str, tuple[str, int]]:
    """Every checkpoint's gate outcome per action, decided afresh (no verdict cache)."""
    from scalegate.gate.service import evaluate_actions

    ws: Workspace = open_workspace(store.url)
    try:
        with ws.read() as session:
            refs = [
                f"{m}@{c}"
                for m, c in session.execute(
                    text("SELECT m.name, c.name FROM checkpoints c JOIN models m ON m.id = c.model_id")
                )
            ]
        return {
            f"{ref} {action}": (v.outcome, v.exit_code)
            for ref in refs
            for action, v in evaluate_actions(ws, ref).items()
        }
    finally:
        ws.close()


def _the_gate_answers_from_the_log(store: Built, before: dict[str, tuple[str, int]]) -> None:
    """With the row index edited, every fresh verdict is what it was: the gate trusts an index row only when
    the entry it names holds the reference, and asks the log itself otherwise (``tests/gate/
    test_forged_rows.py`` shows it rebuilding the index)."""
    assert _verdicts(store) == before


def _the_gate_ignores_and_rebuilds(
    store: Built, row: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """The gate, asked the edited row's question, ignores it, answers as the engine does, rebuilds it."""
    ref, action = row["ref"], row["action"]
    ws: Workspace = open_workspace(store.url)
    try:
        fresh = evaluate_gate(ws, ref, action)
    finally:
        ws.close()
    path = store.url.removeprefix("sqlite:///")
    capsys.readouterr()
    code = fast.main([ref, "--action", action, "--db", store.url])
    assert (code, capsys.readouterr().out) == (fresh.exit_code, render_text(fresh.to_dict()))
    assert fast.cached(path, ref, action, as_json=False) == (render_text(fresh.to_dict()), fresh.exit_code)
