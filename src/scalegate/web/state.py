"""The store's state version, read cheaply, so the server can reuse answers while nothing has changed.

Every state change in scalegate appends an entry to the audit log in the same transaction (an invariant of the
whole system, checked by ``audit verify``), so the log's size is a version number of the recorded state: an
answer computed at size N stays the answer while the size is N, unless it depends on time, in which case the
service says until when (a verdict's ``valid_until``). This is what an HTTP ETag would be for the whole
workspace.

Reading the size goes around the ORM session (which on SQLite begins every transaction with ``BEGIN
IMMEDIATE`` and would serialise every request on the write lock): each thread keeps one plain connection,
read-only on SQLite, in autocommit on PostgreSQL (so it never holds a transaction open).
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url

from scalegate.audit.log import LOG_SIZE_SQL
from scalegate.errors import StoreError
from scalegate.workspace import Workspace

__all__ = ["StateVersion", "VersionedCache", "request_version"]

_SIZE = LOG_SIZE_SQL
ASYNC_CONNECTIONS = 4
"""Asynchronous PostgreSQL connections a reader may open (on the server's event loop)."""


async def _discard(conn: Any) -> None:
    with contextlib.suppress(Exception):
        await conn.close()


class StateVersion:
    """Reads the audit log's size of one workspace."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        url = make_url(workspace.url)
        self._sqlite_path = url.database if url.get_backend_name() == "sqlite" else None
        self._local = threading.local()
        self._lock = threading.Lock()
        self._engine_: Engine | None = None
        self._idle: Any = None
        self._async_open = 0

    @property
    def local(self) -> bool:
        """Whether the store is a local SQLite file (a version read costs microseconds)."""
        return self._sqlite_path is not None

    def current(self) -> int:
        """The number of entries in the audit log now."""
        try:
            return self._sqlite() if self._sqlite_path else self._engine()
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot read the audit log size: {exc}") from exc

    def _sqlite(self) -> int:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                f"file:{self._sqlite_path}?mode=ro",
                uri=True,
                timeout=30,
                check_same_thread=True,
                isolation_level=None,
            )
            self._local.conn = conn
        row = conn.execute(_SIZE).fetchone()
        return int(row[0]) if row else 0

    def _engine(self) -> int:
        """One query on a small pool of its own in autocommit (no transaction stays open, and the workspace's
        pool is left to the service layer); a broken connection is replaced once."""
        from sqlalchemy.exc import SQLAlchemyError

        engine = self._own_engine()
        for attempt in (1, 2):
            try:
                with engine.connect() as conn:
                    return int(conn.exec_driver_sql(_SIZE).scalar() or 0)
            except SQLAlchemyError as exc:
                if attempt == 2:
                    raise StoreError(f"cannot read the audit log size: {getattr(exc, 'orig', exc)}") from exc
        raise AssertionError("unreachable")

    def _own_engine(self) -> Engine:
        with self._lock:
            if self._engine_ is None:
                self._engine_ = create_engine(
                    self.workspace.url,
                    pool_size=8,
                    max_overflow=8,
                    pool_timeout=10,
                    isolation_level="AUTOCOMMIT",
                    pool_pre_ping=False,
                )
            return self._engine_

    async def acurrent(self) -> int:
        """``current`` without leaving the event loop: SQLite is read directly (microseconds), PostgreSQL
        through a few asynchronous connections of this reader's own."""
        if self.local:
            return self.current()
        for attempt in (1, 2):
            conn = await self._checkout()
            try:
                cursor = await conn.execute(_SIZE)
                row = await cursor.fetchone()
            except Exception as exc:
                await _discard(conn)
                self._async_open -= 1
                if attempt == 2:
                    raise StoreError(f"cannot read the audit log size: {exc}") from exc
                continue
            self._idle.put_nowait(conn)
            return int(row[0]) if row else 0
        raise AssertionError("unreachable")

    async def _checkout(self) -> Any:
        import asyncio

        import psycopg

        if self._idle is None:
            self._idle = asyncio.Queue()
        if self._idle.empty() and self._async_open < ASYNC_CONNECTIONS:
            self._async_open += 1
            try:
                dsn = make_url(self.workspace.url).set(drivername="postgresql")
                return await psycopg.AsyncConnection.connect(
                    dsn.render_as_string(hide_password=False), autocommit=True
                )
            except Exception as exc:
                self._async_open -= 1
                raise StoreError(f"cannot read the audit log size: {exc}") from exc
        return await self._idle.get()

    async def aclose(self) -> None:
        """Close the asynchronous connections (on the event loop that opened them), then the rest."""
        while self._idle is not None and not self._idle.empty():
            await _discard(self._idle.get_nowait())
            self._async_open -= 1
        self.close()

    def close(self) -> None:
        """Release the connections this reader opened."""
        if self._engine_ is not None:
            self._engine_.dispose()


@dataclass(frozen=True)
class _Entry:
    version: int
    valid_until: datetime | None
    value: Any


class VersionedCache:
    """Answers of the service layer, each kept while the state version is unchanged and its own validity time
    (if it states one) has not come. Nothing is decided here: a miss calls the service."""

    def __init__(self, workspace: Workspace, version: StateVersion, size: int = 4096) -> None:
        self.workspace, self.version, self.size = workspace, version, size
        self._entries: dict[Any, _Entry] = {}
        self._flights: dict[Any, threading.Lock] = {}
        self._lock = threading.Lock()

    def lookup(self, key: Any, version: int | None = None) -> tuple[int, Any | None]:
        """The version (read now unless given: one read serves a whole request) and the answer kept for
        ``key`` if it is still valid (else None)."""
        version = self.version.current() if version is None else version
        entry = self._entries.get(key)
        if (
            entry is not None
            and entry.version == version
            and (entry.valid_until is None or self.workspace.now() < entry.valid_until)
        ):
            return version, entry.value
        return version, None

    def store(self, key: Any, version: int, value: Any, valid_until: datetime | None) -> None:
        """Keep ``value`` for ``key`` as computed at ``version`` (read before computing, so a change during
        the computation only causes a miss later)."""
        with self._lock:
            if len(self._entries) >= self.size:
                self._entries.clear()
            self._entries[key] = _Entry(version, valid_until, value)

    def get(
        self,
        key: Any,
        compute: Callable[[], Any],
        valid_until: Callable[[Any], datetime | None],
        version: int | None = None,
    ) -> Any:
        """The kept answer for ``key`` if still valid, else ``compute()`` (then kept)."""
        version, value = self.lookup(key, version)
        if value is not None:
            return value
        with self._flight(key):  # one computation per key at a time; the others wait for its answer
            version, value = self.lookup(key)
            if value is None:
                value = compute()
                self.store(key, version, value, valid_until(value))
        return value

    def _flight(self, key: Any) -> threading.Lock:
        with self._lock:
            if len(self._flights) >= self.size:
                self._flights.clear()
            return self._flights.setdefault(key, threading.Lock())


def request_version(request: Any) -> int | None:
    """The state version read earlier in this request, if any (so one request reads it once)."""
    value = getattr(request.state, "state_version", None)
    return value if isinstance(value, int) else None
