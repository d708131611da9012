"""Engines for the two supported stores: SQLite (embedded default, WAL, foreign keys on) and PostgreSQL.

SQLite write transactions are begun with ``BEGIN IMMEDIATE`` so that two writers never deadlock upgrading a
read lock to a write lock; read-only sessions (``scalegate_read`` execution option) begin deferred and, thanks
to WAL, never wait for writers.

A new SQLite file is created with mode 0600 (and a new workspace directory 0700) before SQLite opens it: the
store holds password hashes and the whole record, so no other local account may read it. SQLite gives its
``-wal`` and ``-shm`` files the mode of the database file. An existing file keeps the mode it has.

PostgreSQL write transactions begin by taking the writer lock (``scalegate.store.write_lock``), so any number
of server processes and hosts write one at a time, as SQLite's writers do.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from scalegate.errors import InputError
from scalegate.extras import requires_extra
from scalegate.store.write_lock import install_write_lock

__all__ = [
    "DEFAULT_DIR",
    "PRIVATE_FILE_MODE",
    "create_private_file",
    "default_url",
    "make_engine",
    "resolve_url",
]

PRIVATE_FILE_MODE = 0o600
"""Mode of the files scalegate creates that hold secrets or the record: readable by their owner only."""

DEFAULT_DIR = ".scalegate"
"""Workspace directory created in the current directory by default."""


def default_url(directory: str | Path | None = None) -> str:
    """The SQLite URL of the workspace in ``directory`` (the current directory by default)."""
    base = Path(directory) if directory else Path.cwd()
    return f"sqlite:///{(base / DEFAULT_DIR / 'scalegate.db').resolve()}"


def resolve_url(url: str | None) -> str:
    """``--db`` if given, else ``SCALEGATE_DATABASE_URL``, else the SQLite file in ``./.scalegate/``.

    A bare path is accepted as a SQLite file.
    """
    chosen = url or os.environ.get("SCALEGATE_DATABASE_URL") or default_url()
    if "://" not in chosen:
        chosen = f"sqlite:///{Path(chosen).resolve()}"
    if chosen.startswith("postgresql://") or chosen.startswith("postgres://"):
        chosen = "postgresql+psycopg://" + chosen.split("://", 1)[1]
    return chosen


def create_private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 (its missing parent directories 0700) unless it exists.

    ``O_EXCL`` makes the creation atomic: a file that appears meanwhile is left as it is, never truncated.
    """
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        return
    os.close(fd)
    os.chmod(path, PRIVATE_FILE_MODE)  # whatever the umask


STORE_BACKENDS = ("sqlite", "postgresql")
"""The databases a workspace can live in."""


def store_url(url: str) -> URL:
    """``url`` parsed, if it names a backend a workspace can live in; else ``InputError`` saying which URLs
    are: a mistyped scheme (``mysql://``, ``foo://``) is bad input, not an internal error."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise InputError(f"not a store URL ({exc})", where="--db") from None
    if parsed.get_backend_name() not in STORE_BACKENDS:
        raise InputError(
            f"unsupported store {parsed.drivername!r}: use sqlite:///PATH or postgresql://USER@HOST/DB",
            where="--db",
        )
    return parsed


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine with scalegate's connection settings for the URL's backend."""
    parsed = store_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            create_private_file(Path(parsed.database))
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)
        _configure_sqlite(engine)
        return engine

    with requires_extra("postgres", "a PostgreSQL store"):
        engine = create_engine(url, pool_pre_ping=True, **kwargs)
    install_write_lock(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Readers take a deferred (shared) transaction: under WAL they never wait for a writer, and a read
        # inside another open transaction of the same thread cannot deadlock on the write lock.
        conn.exec_driver_sql(
            "BEGIN" if conn.get_execution_options().get("scalegate_read") else "BEGIN IMMEDIATE"
        )
