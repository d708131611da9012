"""Fixtures of the audit tests: a private key directory per test, rows of any table, direct SQL edits."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import Boolean, DateTime, Float, Integer, LargeBinary, String, Table, Text, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.type_api import TypeEngine

from scalegate.actor import SYSTEM
from scalegate.audit.keys import KEY_DIR_ENV
from scalegate.store.base import Base, JSONDoc
from scalegate.store.models import every_table
from scalegate.store.models.evidence import EvidenceBlobChunkRow, EvidenceBlobRow
from scalegate.store.models.workspace import PolicyVersionRow
from scalegate.workspace import Workspace

_unique = itertools.count(1)


@pytest.fixture(autouse=True)
def key_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Private signing keys of this test live in its own directory (PostgreSQL has no file to sit beside)."""
    directory = tmp_path / "audit-keys"
    monkeypatch.setenv(KEY_DIR_ENV, str(directory))
    yield directory


def mapper_of(table: str) -> type[Base]:
    """The ORM class of a table."""
    every_table()  # every table module loaded, so that every table has its class
    for mapper in Base.registry.mappers:
        if cast(Table, mapper.local_table).name == table:
            return cast(type[Base], mapper.class_)
    raise KeyError(table)


def _value(column: Any, at: datetime) -> Any:
    kind: TypeEngine[Any] = column.type
    n = next(_unique)
    if isinstance(kind, JSONDoc):
        return {"n": n}
    if isinstance(kind, DateTime) or "DateTime" in type(kind).__name__:
        return at
    if isinstance(kind, Boolean):
        return False
    if isinstance(kind, Integer):
        return n
    if isinstance(kind, Float):
        return n + 0.5
    if isinstance(kind, LargeBinary):
        return f"bytes-{n}".encode()
    if isinstance(kind, String | Text):
        length = getattr(kind, "length", None) or 64
        return f"v{n:x}".ljust(min(length, 12), "0")[:length]
    raise TypeError(f"no synthetic value for {kind!r} ({column})")


def make_row(session: Session, table: str, at: datetime, created: list[Base] | None = None) -> Base:
    """A new row of ``table`` with made-up values, creating the rows its foreign keys need (flushed).

    Every row written (parents first) is appended to ``created``.
    """
    cls = mapper_of(table)
    values: dict[str, Any] = {}
    for column in cls.__table__.columns:
        if column.computed is not None:  # the database derives it
            continue
        if column.foreign_keys:
            if column.nullable:
                values[column.key] = None
                continue
            target = next(iter(column.foreign_keys)).column
            parent = make_row(session, target.table.name, at, created)
            values[column.key] = getattr(parent, target.key)
        elif column.primary_key and column.autoincrement is not False and isinstance(column.type, Integer):
            continue
        elif column.nullable:
            values[column.key] = None
        else:
            values[column.key] = _value(column, at)
    if cls is PolicyVersionRow:
        values["content_hash"] = f"{next(_unique):064x}"
    content = f"file-{next(_unique)}".encode()
    if cls is EvidenceBlobRow:  # a real stored file: its bytes must hash to its address
        values.update(sha256=hashlib.sha256(content).hexdigest(), size=len(content), chunks=1)
    row = cls(**values)
    session.add(row)
    session.flush()
    if cls is EvidenceBlobRow:
        session.add(EvidenceBlobChunkRow(sha256=values["sha256"], seq=0, data=content))
        session.flush()
    if created is not None:
        created.append(row)
    return row


SIGNED_TABLES = {"signatures"}
"""Tables whose rows carry their signer's signature: a made-up row would not verify, so the row is signed
through the service that signs it (and an edit of it also fails the signature check)."""


def record_new_row(workspace: Workspace, table: str) -> Base:
    """Create a row (and its parents) in one transaction, each recorded in the log as a real change does."""
    if table in SIGNED_TABLES:
        return _signed_signoff(workspace)
    with workspace.transaction() as session:
        written: list[Base] = []
        row = make_row(session, table, workspace.now(), written)
        workspace.record(session, SYSTEM, "test.row_written", f"{table}:row", {"table": table}, rows=written)
        return row


def _signed_signoff(workspace: Workspace) -> Base:
    """A sign-off made as every door makes one: by a user with an approved key, with their password."""
    from scalegate.governance.decisions import sign
    from tests.governance.conftest import make_people
    from tests.governance.test_decisions import open_cd
    from tests.support.signing import PASSWORD

    people = make_people(workspace, {"signer": ["rso"]})
    return sign(workspace, people["signer"], open_cd(workspace, SYSTEM), "rso", password=PASSWORD)


def sql(workspace: Workspace, statement: str, **params: Any) -> None:
    """A direct SQL statement, committed: what someone with database access could do."""
    with workspace.engine.begin() as connection:
        connection.execute(text(statement), params)


def body_of(workspace: Workspace, seq: int) -> str:
    with workspace.engine.connect() as connection:
        return str(
            connection.execute(text("SELECT body FROM audit_entries WHERE seq = :s"), {"s": seq}).scalar_one()
        )


def append_events(workspace: Workspace, count: int, prefix: str = "test.event") -> list[int]:
    """Append ``count`` entries, one transaction each; returns their seqs."""
    seqs = []
    for n in range(count):
        with workspace.transaction() as session:
            seqs.append(workspace.record(session, SYSTEM, prefix, f"item:{n}", {"n": n}))
    return seqs


_PLAIN = (
    "CREATE TABLE audit_entries_plain (seq INTEGER NOT NULL, body TEXT NOT NULL, leaf_hash BLOB NOT NULL, "
    "recorded_at DATETIME, event VARCHAR(100), subject VARCHAR(300), actor VARCHAR(200), "
    "CONSTRAINT pk_audit_entries PRIMARY KEY (seq))"
)


def make_columns_plain(workspace: Workspace) -> None:
    """Redefine the log's table so that its index columns are plain copies, holding the values they had:
    what someone with SQL access must do before an index column can be edited at all."""
    with workspace.engine.begin() as connection:
        if workspace.backend == "postgresql":
            for column in ("recorded_at", "event", "subject", "actor"):
                connection.execute(text(f"ALTER TABLE audit_entries ALTER COLUMN {column} DROP EXPRESSION"))
            return
        connection.execute(text(_PLAIN))
        connection.execute(
            text(
                "INSERT INTO audit_entries_plain "
                "SELECT seq, body, leaf_hash, recorded_at, event, subject, actor FROM audit_entries"
            )
        )
        connection.execute(text("DROP TABLE audit_entries"))
        connection.execute(text("ALTER TABLE audit_entries_plain RENAME TO audit_entries"))
        for column in ("recorded_at", "event", "subject"):
            connection.execute(text(f"CREATE INDEX ix_audit_entries_{column} ON audit_entries ({column})"))


def forge_body(workspace: Workspace, seq: int, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` in the body of entry ``seq`` and store the matching leaf hash: an entry
    rewritten consistently, which only the tree heads and the body checks can catch."""
    body = body_of(workspace, seq)
    assert old in body, (old, body)
    forged = body.replace(old, new)
    leaf = hashlib.sha256(b"\x00" + forged.encode()).digest()
    sql(
        workspace,
        "UPDATE audit_entries SET body = :b, leaf_hash = :h WHERE seq = :s",
        b=forged,
        h=leaf,
        s=seq,
    )
