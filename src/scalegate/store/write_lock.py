"""One writer at a time on PostgreSQL, whatever the number of server processes and hosts: the writer lock.

Every write transaction on PostgreSQL begins by taking one transaction-scoped advisory lock,
``pg_advisory_xact_lock(WRITE_LOCK_KEY)``, before its first statement; it is released when the transaction
commits or rolls back (or when its connection dies, as it does when a server process is killed). This gives
PostgreSQL the write semantics SQLite has with ``BEGIN IMMEDIATE``:

- **A gap-free, duplicate-free audit log.** Entries are numbered from the head row inside the transaction
  (``scalegate.audit.log``); with one writer at a time, each writer reads the head its predecessor
  committed, and a writer that rolls back releases its numbers with everything else it wrote.
- **Check-then-write stays correct across servers.** Write transactions run at READ COMMITTED and every
  statement after the lock sees everything the previous writers committed (they committed before the lock
  was released). So a service that checks the state and then writes (a sign-off that must be the first of
  its role, a name that must be new, a decision bound to the state it read) sees the same state it would on
  one server; a race between servers delays a writer, it never flips its answer.
- **No deadlock between writers, nothing to retry.** A writer holds no row lock when it waits for the writer
  lock, so writers cannot deadlock one another, and READ COMMITTED raises no serialisation failure.

The alternative, a sequence for the entry numbers with SERIALIZABLE transactions and retries, was not taken:
a sequence is not transactional (a rolled-back ``nextval`` leaves a gap, which ``audit verify`` must then
tell from a deleted entry), and retrying a transaction means replaying the whole service call, including its
password checks and signatures, which the service layer does not promise to be free of side effects. The
cost of the lock is that writes do not run in parallel; scalegate's writes are short and rare next to its
reads (a gate call, a page, a report never takes it: read transactions, which run at REPEATABLE READ, and
autocommit connections are left alone).

A writer waits at most ``LOCK_TIMEOUT`` for the lock (and for any row lock afterwards, the setting holds for
the transaction); past it PostgreSQL cancels the statement, the transaction rolls back whole and the caller
gets ``StoreError`` (HTTP 503 ``store_unavailable``). That bounds the wait of a writer behind a stuck
transaction; PostgreSQL's ``idle_in_transaction_session_timeout`` bounds how long a lost client can hold it.

Advisory locks belong to one database, so two workspaces on one PostgreSQL server do not share the lock.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event

__all__ = ["LOCK_TIMEOUT", "WRITE_LOCK_KEY", "install_write_lock", "is_writer"]

WRITE_LOCK_KEY = 0x5CA1E6A7E0000001
"""The advisory lock id of scalegate's writers (a 64-bit integer; any fixed value would do)."""

LOCK_TIMEOUT = "30s"
"""Longest wait for the writer lock (SQLite's ``busy_timeout`` is 30 s too)."""

_TAKE = (
    f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY}) "
    f"FROM (SELECT set_config('lock_timeout', '{LOCK_TIMEOUT}', true)) AS timeout"
)
# One round trip: the volatile set_config in the subquery runs before the lock is asked for.


def is_writer(options: dict[str, Any]) -> bool:
    """Whether a transaction begun with these execution options writes (and so takes the writer lock):
    not a ``scalegate_read`` transaction, not an autocommit connection."""
    return not options.get("scalegate_read") and options.get("isolation_level") != "AUTOCOMMIT"


def install_write_lock(engine: Engine) -> None:
    """Make every write transaction of ``engine`` (PostgreSQL) begin by taking the writer lock."""

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if is_writer(conn.get_execution_options()):
            conn.exec_driver_sql(_TAKE)
