"""The replay's aggregated read on SQLite (``scalegate.audit.replay._aggregated``).

A batch is read as one row of aggregates and settled whole only when it is clean; any other batch is read
again row by row. These tests pin that the shortcut changes nothing but speed: on a clean log the replay's
outcome is the row-by-row one, and every edit inside one batch (a NULL, a newline, two entries swapped, a gap,
a leaf hash) leaves that batch unsettled and is reported exactly as the row-by-row replay reports it, the
batches around it still settled. A body rewritten consistently with an earlier time is settled and its time
reported alike. The store is a real SQLite file; batches are 4 entries.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from scalegate.audit import replay as replay_module
from scalegate.audit import verify
from scalegate.audit.log import log_size
from scalegate.audit.replay import Replay, replay
from scalegate.clock import FixedClock
from scalegate.workspace import Workspace, init_workspace
from tests.audit.conftest import append_events, body_of, forge_body, sql
from tests.conftest import MINIMAL_POLICY

BATCH = 4
TAMPERED = 9
"""An entry in the middle of the third batch (entries 8..11)."""


@pytest.fixture
def store(sqlite_url: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    """A SQLite file holding a log of about 20 entries whose times advance, read 4 entries a batch."""
    monkeypatch.setattr(replay_module, "BATCH", BATCH)
    workspace = init_workspace(sqlite_url, str(MINIMAL_POLICY), clock=clock)
    for _ in range(16):
        clock.advance(timedelta(seconds=1, microseconds=7))
        append_events(workspace, 1)
    try:
        yield workspace
    finally:
        workspace.close()


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, bool]]:
    """Each batch's first seq and whether the aggregated read settled it, in the order replayed."""
    found: list[tuple[int, bool]] = []
    settle = replay_module._Scan.settle

    def recording(scan: Any, row: Any, low: int, high: int) -> bool:
        outcome = settle(scan, row, low, high)
        found.append((low, outcome))
        return outcome

    monkeypatch.setattr(replay_module._Scan, "settle", recording)
    return found


def _row_by_row(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replay_module._Scan, "settle", lambda scan, row, low, high: False)


def _replay(workspace: Workspace) -> Replay:
    with workspace.read() as session:
        size = log_size(session)
        return replay(session, head=size, marks=[3, size], rows=True, times_from=0)


def _outcome(state: Replay) -> tuple[Any, ...]:
    times = state.times
    assert times is not None
    return (
        state.builder.root(),
        state.size,
        state.bytes_hashed,
        state.first_leaf,
        state.prefix_roots,
        state.claims,
        state.problems,
        (times.last, times.problems),
    )


def _found(workspace: Workspace) -> set[tuple[str, int | None]]:
    return {(p.kind, p.seq) for p in verify(workspace, checkpoint=False, blobs=False).problems}


def _allow_null(workspace: Workspace, column: str) -> None:
    """Drop the NOT NULL of one column by editing the schema: what someone holding the file can do."""
    workspace.engine.dispose()
    path = workspace.engine.url.database
    assert path is not None
    connection = sqlite3.connect(path)
    (ddl,) = connection.execute("SELECT sql FROM sqlite_master WHERE name = 'audit_entries'").fetchone()
    loose = re.sub(rf"(\b{column} [A-Z]+(?:\(\d+\))?) NOT NULL", r"\1", ddl)
    assert loose != ddl
    connection.execute("PRAGMA writable_schema = ON")
    connection.execute("UPDATE sqlite_master SET sql = ? WHERE name = 'audit_entries'", (loose,))
    connection.commit()
    connection.close()


def test_a_clean_log_is_settled_a_batch_at_a_time(
    store: Workspace, settled: list[tuple[int, bool]], monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = _replay(store)
    assert settled and all(outcome for _, outcome in settled)
    assert [low for low, _ in settled] == list(range(0, fast.size, BATCH))
    assert not fast.problems and fast.times is not None and fast.times.last is not None
    _row_by_row(monkeypatch)
    assert _outcome(fast) == _outcome(_replay(store))
    assert verify(store, checkpoint=False, blobs=False).ok


def _swap(workspace: Workspace) -> None:
    """Entries TAMPERED and TAMPERED + 1 trade bodies and leaf hashes: each row is consistent in itself
    (the database derives its columns from its body), and only its place in the log is wrong."""
    a, b = TAMPERED, TAMPERED + 1
    swapped = "body, leaf_hash"
    sql(workspace, f"CREATE TABLE swap AS SELECT seq, {swapped} FROM audit_entries WHERE seq IN ({a}, {b})")
    sql(
        workspace,
        f"UPDATE audit_entries SET ({swapped}) = (SELECT {swapped} FROM swap "
        f"WHERE swap.seq = {a} + {b} - audit_entries.seq) WHERE seq IN ({a}, {b})",
    )
    sql(workspace, "DROP TABLE swap")


_LONGER = "CAST(leaf_hash || x'00' AS BLOB)"
EDITS: dict[str, Any] = {
    "newline in a body": f"UPDATE audit_entries SET body = body || char(10) WHERE seq = {TAMPERED}",
    "leaf hash": f"UPDATE audit_entries SET leaf_hash = {_LONGER} WHERE seq = {TAMPERED}",
    "leaf hash as text": f"UPDATE audit_entries SET leaf_hash = hex(leaf_hash) WHERE seq = {TAMPERED}",
    "gap": f"DELETE FROM audit_entries WHERE seq = {TAMPERED}",
    "swapped order": _swap,
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_an_edit_in_one_batch_is_reported_as_row_by_row(
    store: Workspace, settled: list[tuple[int, bool]], monkeypatch: pytest.MonkeyPatch, edit: str
) -> None:
    change = EDITS[edit]
    if callable(change):
        change(store)
    else:
        sql(store, change)
    found = _found(store)
    assert found and any(seq == TAMPERED or seq is None for _, seq in found), found
    tampered = TAMPERED - TAMPERED % BATCH
    outcomes = dict(settled)  # verify's first replay (the deep one reads row by row)
    assert outcomes[tampered] is False
    if edit != "gap":  # a gap shifts every later batch; the replay then reads every seq
        assert all(outcomes[low] for low in outcomes if low != tampered), outcomes
    _row_by_row(monkeypatch)
    assert _found(store) == found


def test_an_earlier_time_in_a_rewritten_body_is_reported_as_row_by_row(
    store: Workspace, settled: list[tuple[int, bool]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Body and leaf hash rewritten to agree: the batch is settled, and its time is judged all the same."""
    body = body_of(store, TAMPERED)
    at = json.loads(body)["at"]
    forge_body(store, TAMPERED, f'"at":"{at}"', '"at":"2025-06-01T12:00:00+00:00"')
    assert ("time_decreased", TAMPERED) in _found(store)
    assert (TAMPERED - TAMPERED % BATCH, True) in settled
    fast = _replay(store)
    _row_by_row(monkeypatch)
    assert _outcome(fast) == _outcome(_replay(store))
    assert ("time_decreased", TAMPERED) in _found(store)


@pytest.mark.parametrize("column", ["body", "leaf_hash"])
def test_a_null_is_reported_as_row_by_row(
    store: Workspace, settled: list[tuple[int, bool]], monkeypatch: pytest.MonkeyPatch, column: str
) -> None:
    _allow_null(store, column)
    sql(store, f"UPDATE audit_entries SET {column} = NULL WHERE seq = {TAMPERED}")
    found = _found(store)
    assert found, column
    assert (TAMPERED - TAMPERED % BATCH, False) in settled
    _row_by_row(monkeypatch)
    assert _found(store) == found


def test_a_null_beside_a_newline_in_one_batch_is_reported_as_row_by_row(
    store: Workspace, settled: list[tuple[int, bool]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A NULL drops a body from the join and a newline adds one: the count alone would balance."""
    _allow_null(store, "body")
    sql(store, f"UPDATE audit_entries SET body = NULL WHERE seq = {TAMPERED}")
    sql(store, f"UPDATE audit_entries SET body = body || char(10) WHERE seq = {TAMPERED + 1}")
    found = _found(store)
    assert found  # a NULL body stops verification at an unreadable value, naming it
    assert (TAMPERED - TAMPERED % BATCH, False) in settled
    _row_by_row(monkeypatch)
    assert _found(store) == found
