"""The index columns and the time order checked on the replay's stream (``scalegate.audit.columns``).

On SQLite the replay compares every entry's ``actor``, ``recorded_at``, ``event`` and ``subject`` columns with
its body and checks the times for order as it streams the log; whatever it cannot settle falls back to the SQL
checks. These tests pin both halves: a clean log is settled by the stream, with quotes, backslashes, control
and non-ASCII characters in the values, and every edit the SQL checks catch is still caught.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scalegate.actor import SYSTEM
from scalegate.audit import verify
from scalegate.audit.columns import _COLUMN_TIMES, _column_times, _real_dates
from scalegate.audit.log import log_size
from scalegate.audit.replay import Replay, replay
from scalegate.clock import FixedClock
from scalegate.workspace import Workspace, init_workspace
from tests.audit.conftest import append_events, sql
from tests.conftest import MINIMAL_POLICY

ODD_SUBJECTS = ['say "hi"', "back\\slash", "tab\there", "naïve ✓", "line\nbreak"]


def _stream(workspace: Workspace) -> Replay:
    with workspace.read() as session:
        return replay(session, head=log_size(session), columns=True)


def _record(workspace: Workspace, subject: str) -> None:
    with workspace.transaction() as session:
        workspace.record(session, SYSTEM, "test.odd", subject, {"s": subject})


def test_a_clean_log_is_settled_on_the_stream(workspace: Workspace, clock: FixedClock) -> None:
    append_events(workspace, 3)
    for subject in ODD_SUBJECTS:
        clock.advance(timedelta(microseconds=1))  # times with and without a fraction of a second
        _record(workspace, subject)
    state = _stream(workspace)
    if workspace.backend == "postgresql":
        assert state.columns is None  # PostgreSQL compares in the database
    else:
        assert state.columns is not None
        assert (state.columns.agree, state.columns.ordered) == (True, True)
    assert verify(workspace, checkpoint=False).ok


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("subject", r"'say \"hi\"'"),  # the body's escaped form is not the value
        ("subject", "'say \"hi\" '"),
        ("actor", "'SYSTEM'"),
        ("event", "'test.odd '"),
        ("recorded_at", "'2024-01-01 00:00:00.000000'"),
    ],
)
def test_an_edited_column_is_not_settled_and_is_reported(
    workspace: Workspace, column: str, value: str
) -> None:
    _record(workspace, 'say "hi"')
    seq = log_size_of(workspace) - 1
    if column == "recorded_at" and workspace.backend == "postgresql":
        value = "'2024-01-01 00:00:00+00'"
    sql(workspace, f"UPDATE audit_entries SET {column} = {value} WHERE seq = {seq}")
    state = _stream(workspace)
    assert state.columns is None or not state.columns.agree
    report = verify(workspace, checkpoint=False)
    assert ("column_mismatch", seq) in {(p.kind, p.seq) for p in report.problems}


def test_a_time_not_in_the_column_format_is_left_to_the_sql_checks(
    sqlite_url: str, clock: FixedClock
) -> None:
    """An impossible date matches the digits' pattern: the stream settles nothing, and verify still fails.
    (SQLite only: a PostgreSQL timestamp cannot hold an impossible date.)"""
    workspace = init_workspace(sqlite_url, str(MINIMAL_POLICY), clock=clock)
    append_events(workspace, 2)
    sql(workspace, "UPDATE audit_entries SET recorded_at = '2025-02-30 00:00:00.000000' WHERE seq = 1")
    state = _stream(workspace)
    assert state.columns is not None
    assert (state.columns.agree, state.columns.ordered) == (False, False)
    assert not verify(workspace, checkpoint=False).ok
    workspace.close()


def test_a_decreasing_time_is_found_on_the_stream(workspace: Workspace, clock: FixedClock) -> None:
    append_events(workspace, 3)
    sql(workspace, "UPDATE audit_entries SET recorded_at = '2001-01-01 00:00:00.000000' WHERE seq = 2")
    state = _stream(workspace)
    if state.columns is not None:
        assert not state.columns.ordered
    report = verify(workspace, checkpoint=False)
    assert ("time_decreased", 2) in {(p.kind, p.seq) for p in report.problems}


def log_size_of(workspace: Workspace) -> int:
    with workspace.read() as session:
        return log_size(session)


_TIME = b"2025-06-01 12:34:56.123456"


def _edits() -> list[bytes]:
    """Times in and out of the column's format: each separator, digit and range edge changed in turn."""
    found = [_TIME]
    for at in range(len(_TIME)):
        for char in b"0259-: .xT\n":
            found.append(_TIME[:at] + bytes([char]) + _TIME[at + 1 :])
        found.append(_TIME[:at] + _TIME[at + 1 :])
        found.append(_TIME[:at] + b"0" + _TIME[at:])
    for hour in range(30):
        found.append(_TIME[:11] + b"%02d" % hour + _TIME[13:])
    return found


def test_the_time_format_test_is_the_pattern_s() -> None:
    """The sliced test (``_column_times``) accepts exactly what the column pattern accepts, alone and in
    batches (an hour from 20 on, a bad time among good ones, a time one byte short beside one a byte long)."""
    edits = _edits()
    batches = [[t] for t in edits] + [[_TIME, t, _TIME] for t in edits]
    batches += [[_TIME[:-1], _TIME + b"0"], [_TIME[:11] + b"23" + _TIME[13:], _TIME]]
    for batch in batches:
        joined = b"\n".join(batch) + b"\n"
        assert _column_times(joined) == (_COLUMN_TIMES.fullmatch(joined) is not None), batch


@pytest.mark.parametrize("ordered", [True, False])
def test_an_impossible_date_among_ordered_times_is_found(ordered: bool) -> None:
    """In an ordered batch the dates are read once per run: a run of one impossible date is still read."""
    times = [b"2025-02-28 23:00:00.000000", b"2025-02-29 00:00:00.000000", b"2025-03-01 00:00:00.000000"]
    assert not _real_dates(times, ordered)
    assert _real_dates([times[0], times[2], times[2]], ordered)


def test_hours_from_20_and_escaped_values_are_settled_on_the_stream(sqlite_url: str) -> None:
    """The slower branches of the stream check (an hour from 20 on, a value JSON escapes) still settle."""
    clock = FixedClock(datetime(2025, 6, 1, 22, 30, tzinfo=UTC))
    workspace = init_workspace(sqlite_url, str(MINIMAL_POLICY), clock=clock)
    append_events(workspace, 2)
    _record(workspace, 'say "hi"')
    state = _stream(workspace)
    assert state.columns is not None
    assert (state.columns.agree, state.columns.ordered) == (True, True)
    workspace.close()
