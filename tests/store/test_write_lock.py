"""Many writers, one log: writers in several processes keep the audit log gap-free and their checks correct.

On PostgreSQL every write transaction takes the writer lock (``scalegate.store.write_lock``); on SQLite
``BEGIN IMMEDIATE`` does the same. The tests run real processes against the real stores.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, select, text

from scalegate.actor import Actor
from scalegate.audit.verify import verify
from scalegate.clock import FixedClock
from scalegate.errors import ConflictError
from scalegate.registry import service
from scalegate.store.models.audit import AuditEntryRow
from scalegate.store.models.registry import ModelRow
from scalegate.store.write_lock import WRITE_LOCK_KEY, is_writer
from scalegate.workspace import Workspace, init_workspace, open_workspace
from tests.conftest import MINIMAL_POLICY
from tests.support.templates import create_database

RSO = Actor(name="rita", roles=frozenset({"rso"}))
WRITERS = 4
APPENDS = 25


def _append_from_process(url: str, writer: int, count: int) -> None:
    """One writer process: ``count`` changes, each its own transaction with its audit entry."""
    ws = open_workspace(url)
    try:
        for n in range(count):
            with ws.transaction() as session:
                ws.record(session, RSO, "test.written", f"writer:{writer}", {"n": n})
    finally:
        ws.close()


@pytest.mark.slow
def test_writers_in_several_processes_keep_the_log_gap_free(workspace: Workspace) -> None:
    with workspace.read() as session:
        before = len(session.execute(select(AuditEntryRow.seq)).all())
    spawn = multiprocessing.get_context("spawn")
    procs = [
        spawn.Process(target=_append_from_process, args=(workspace.url, n, APPENDS)) for n in range(WRITERS)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=110)
        assert proc.exitcode == 0
    with workspace.read() as session:
        seqs = list(session.execute(select(AuditEntryRow.seq).order_by(AuditEntryRow.seq)).scalars())
        subjects = session.execute(
            select(AuditEntryRow.subject).where(AuditEntryRow.event == "test.written")
        ).scalars()
        per_writer = {s: 0 for s in (f"writer:{n}" for n in range(WRITERS))}
        for subject in subjects:
            per_writer[subject] += 1
    assert seqs == list(range(before + WRITERS * APPENDS))
    assert set(per_writer.values()) == {APPENDS}
    report = verify(workspace, checkpoint=False)
    assert report.ok, [p.line() for p in report.problems]


def _advisory_locks(url: str) -> list[tuple[bool, int]]:
    """(granted, pid) of every session holding or awaiting the writer lock, seen from outside."""
    high, low = (WRITE_LOCK_KEY >> 32) & 0xFFFFFFFF, WRITE_LOCK_KEY & 0xFFFFFFFF
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT granted, pid FROM pg_locks WHERE locktype = 'advisory' "
                    "AND classid = :high AND objid = :low AND objsubid = 1"
                ),
                {"high": high, "low": low},
            ).all()
    finally:
        engine.dispose()
    return [(bool(g), int(p)) for g, p in rows]


def test_write_transactions_take_the_writer_lock_and_reads_do_not(pg_workspace: Workspace) -> None:
    workspace = pg_workspace
    with workspace.read() as session:
        session.execute(select(AuditEntryRow.seq).limit(1)).all()
        assert _advisory_locks(workspace.url) == []
    with workspace.transaction() as session:
        session.execute(select(AuditEntryRow.seq).limit(1)).all()
        assert [granted for granted, _ in _advisory_locks(workspace.url)] == [True]
    assert _advisory_locks(workspace.url) == []


@pytest.fixture
def pg_workspace(postgres_url: str, postgres_template: str, clock: FixedClock) -> Iterator[Workspace]:
    """A workspace on PostgreSQL only (SQLite's writers are serialised by its file lock)."""
    ws = init_workspace(create_database(postgres_url, postgres_template), str(MINIMAL_POLICY), clock=clock)
    try:
        yield ws
    finally:
        ws.close()


def test_is_writer_excludes_reads_and_autocommit() -> None:
    assert is_writer({})
    assert is_writer({"isolation_level": "READ COMMITTED"})
    assert not is_writer({"scalegate_read": True, "isolation_level": "REPEATABLE READ"})
    assert not is_writer({"isolation_level": "AUTOCOMMIT"})


def test_a_writer_that_waits_sees_the_winner_and_answers_conflict(pg_workspace: Workspace) -> None:
    """Two servers register the same model at once: the later one waits for the lock, then finds the model
    (a clean ``ConflictError``), rather than passing its check on the old state and failing on the index."""
    workspace = pg_workspace
    other = open_workspace(workspace.url)
    outcome: list[BaseException | str] = []

    def loser() -> None:
        try:
            service.create_model(other, RSO, "twin", "fam", "lab")
            outcome.append("created")
        except BaseException as exc:  # the test inspects whatever it was
            outcome.append(exc)

    try:
        with workspace.transaction() as session:
            session.execute(select(AuditEntryRow.seq).limit(1)).all()  # holds the lock from here
            thread = threading.Thread(target=loser)
            thread.start()
            deadline = time.monotonic() + 20
            while sorted(g for g, _ in _advisory_locks(workspace.url)) != [False, True]:
                assert time.monotonic() < deadline, "the second writer never waited for the lock"
                time.sleep(0.02)
            row = ModelRow(name="twin", family="fam", owner="lab", description="", created_at=_now())
            session.add(row)
            session.flush()
            workspace.record(session, RSO, "model.registered", "model:twin", {"family": "fam"}, rows=[row])
        thread.join(timeout=30)
    finally:
        other.close()
    assert len(outcome) == 1 and isinstance(outcome[0], ConflictError), outcome


def _now() -> datetime:
    return datetime.now(UTC)
