"""Crash safety: a process appending to the log (each append a real transaction recording a row) is killed
with SIGKILL at a random moment, again and again; each time the store opens, the log verifies, the sequence
has no gap, and every append the process saw commit is there, intact."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import time
from multiprocessing import get_context
from multiprocessing.connection import Connection

import pytest
from sqlalchemy import func, select

from scalegate.actor import SYSTEM
from scalegate.audit import log_size, sign_tree_head, verify
from scalegate.clock import FixedClock
from scalegate.store.models.audit import AuditEntryRow
from scalegate.store.models.workspace import PolicyVersionRow
from scalegate.workspace import Workspace, open_workspace

RUNS = {"sqlite": 50, "postgresql": 10}
MAX_DELAY = 0.04
"""Seconds the appender runs, at most, after its first commit before it is killed."""


def _appender(url: str, run: int, sender: Connection) -> None:
    """Append forever: a row and its entry per transaction, a checkpoint now and then; report each commit."""
    workspace = open_workspace(url)
    i = 0
    while True:
        with workspace.transaction() as session:
            row = PolicyVersionRow(
                policy_id=f"crash-{run}",
                version=str(i),
                content_hash=hashlib.sha256(f"{run}:{i}".encode()).hexdigest(),
                document={"run": run, "i": i},
                origin="crash test",
                status="proposed",
                created_at=workspace.now(),
                activated_at=None,
            )
            session.add(row)
            session.flush()
            seq = workspace.record(
                session, SYSTEM, "crash.append", f"run:{run}", {"run": run, "i": i}, rows=[row]
            )
        sender.send((seq, i))
        if i % 7 == 6:
            sign_tree_head(workspace)
        i += 1


def _committed(receiver: Connection) -> list[tuple[int, int]]:
    seen = []
    while True:
        try:
            seen.append(receiver.recv())
        except (EOFError, OSError):  # the end, or a message cut short by the kill
            return seen


def _kill_one_appender(url: str, run: int, rng: random.Random) -> list[tuple[int, int]]:
    context = get_context("fork")  # a fresh interpreter per run would spend most of the budget importing
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_appender, args=(url, run, sender), daemon=True)
    process.start()
    sender.close()
    assert receiver.poll(60), f"run {run}: the appender never committed"
    time.sleep(rng.uniform(0, MAX_DELAY))
    assert process.pid is not None
    os.kill(process.pid, signal.SIGKILL)
    process.join(30)
    assert process.exitcode == -signal.SIGKILL, f"run {run}: the appender died by itself ({process.exitcode})"
    committed = _committed(receiver)
    receiver.close()
    return committed


def _check_store(url: str, clock: FixedClock, run: int, committed: list[tuple[int, int]]) -> None:
    workspace = open_workspace(url, clock)
    try:
        report = verify(workspace)
        assert report.ok, f"run {run}: " + "; ".join(p.line() for p in report.problems[:5])
        with workspace.read() as session:
            head = log_size(session)
            count, top = session.execute(select(func.count(), func.max(AuditEntryRow.seq))).one()
            assert count == head == top + 1, f"run {run}: {count} entries, head {head}, last seq {top}"
            for seq, i in committed:
                entry = session.get(AuditEntryRow, seq)
                assert entry is not None, f"run {run}: committed entry {seq} is gone"
                data = json.loads(entry.body)["data"]
                assert (data["run"], data["i"]) == (run, i), (
                    f"run {run}: entry {seq} is not what was committed"
                )
    finally:
        workspace.close()


@pytest.mark.slow
def test_killed_appenders_leave_a_store_that_verifies(
    workspace: Workspace, db_url: str, clock: FixedClock
) -> None:
    backend = workspace.backend
    workspace.close()  # no connection of ours may cross the fork
    rng = random.Random(6962)
    total = 0
    for run in range(RUNS[backend]):
        committed = _kill_one_appender(db_url, run, rng)
        assert committed, f"run {run}: nothing committed"
        total += len(committed)
        _check_store(db_url, clock, run, committed)
    assert total >= RUNS[backend]
