"""The index columns generated from the bodies (``scalegate.audit.columns``) and the time order checked on
the bodies (``scalegate.audit.times``).

The database derives ``event``, ``subject``, ``actor`` and ``recorded_at`` from each body and refuses writes
to them, so verification checks the table's definition instead of every entry; a table redefined with plain
columns is compared entry by entry. Time order is read from the bodies, from the last v3 tree head on: these
tests pin that a decrease is found wherever no v3 tree head vouches for it, and that no v3 tree head is signed
over one.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from scalegate.actor import SYSTEM
from scalegate.audit import sign_tree_head, verify
from scalegate.audit.columns import SQLITE_TABLE, derived
from scalegate.audit.keys import ensure_signing_key
from scalegate.audit.log import log_size
from scalegate.audit.problems import Problem
from scalegate.audit.replay import replay
from scalegate.audit.times import TimeOrder
from scalegate.audit.tree_heads import UNORDERED_FORMAT, log_origin, tree_head_text
from scalegate.clock import FixedClock
from scalegate.errors import IntegrityError
from scalegate.store.models.audit import AuditCheckpointRow, AuditEntryRow
from scalegate.workspace import Workspace, init_workspace
from tests.audit.conftest import append_events, body_of, forge_body, make_columns_plain, sql
from tests.conftest import MINIMAL_POLICY

ODD_SUBJECTS = ['say "hi"', "back\\slash", "tab\there", "naïve ✓", "line\nbreak"]


def _record(workspace: Workspace, subject: str) -> None:
    with workspace.transaction() as session:
        workspace.record(session, SYSTEM, "test.odd", subject, {"s": subject})


def _found(workspace: Workspace, deep: bool = False) -> set[tuple[str, int | None]]:
    return {(p.kind, p.seq) for p in verify(workspace, checkpoint=False, deep=deep).problems}


def test_the_columns_are_what_each_body_says(workspace: Workspace, clock: FixedClock) -> None:
    """Quotes, backslashes, control and non-ASCII characters, times with and without a fraction."""
    for subject in ODD_SUBJECTS:
        clock.advance(timedelta(microseconds=1))
        _record(workspace, subject)
    clock.advance(timedelta(seconds=1) - timedelta(microseconds=len(ODD_SUBJECTS)))
    _record(workspace, "whole second")
    with workspace.read() as session:
        rows = session.execute(select(AuditEntryRow)).scalars().all()
        for row in rows:
            body = row.body
            assert (row.event, row.subject, row.actor) == (
                _field(body, "event"),
                _field(body, "subject"),
                _field(body, "actor"),
            )
            assert row.recorded_at == datetime.fromisoformat(_field(body, "at"))
        assert {r.subject for r in rows} >= {*ODD_SUBJECTS, "whole second"}
    assert verify(workspace, checkpoint=False).ok


def _field(body: str, key: str) -> str:
    value = json.loads(body)[key]
    assert isinstance(value, str)
    return value


@pytest.mark.parametrize("column", ["event", "subject", "actor", "recorded_at"])
def test_the_store_refuses_a_write_to_a_column(workspace: Workspace, column: str) -> None:
    append_events(workspace, 2)
    value = "'2024-01-01 00:00:00+00'" if column == "recorded_at" else "'forged'"
    with pytest.raises(DBAPIError, match="generated column"):
        sql(workspace, f"UPDATE audit_entries SET {column} = {value} WHERE seq = 1")
    assert verify(workspace, checkpoint=False).ok


def test_a_new_store_has_the_shipped_definition(workspace: Workspace) -> None:
    with workspace.read() as session:
        assert derived(session) is (workspace.backend == "sqlite")
        if workspace.backend == "sqlite":
            stored = session.execute(text("SELECT sql FROM sqlite_master WHERE name = 'audit_entries'"))
            assert stored.scalar_one() == SQLITE_TABLE


def test_a_table_redefined_with_plain_columns_is_compared_entry_by_entry(workspace: Workspace) -> None:
    """Redefining the table is no problem in itself (the values still agree); an edit after it is one."""
    append_events(workspace, 3)
    make_columns_plain(workspace)
    with workspace.read() as session:
        assert not derived(session)
    assert verify(workspace, checkpoint=False).ok
    sql(workspace, "UPDATE audit_entries SET subject = 'item:9' WHERE seq = 2")
    for deep in (False, True):
        assert _found(workspace, deep) == {("column_mismatch", 2)}


def test_a_decreasing_time_is_found_after_the_last_tree_head(workspace: Workspace) -> None:
    append_events(workspace, 2)
    sign_tree_head(workspace)  # v3, over entries 0..1 (and the entries init wrote)
    seqs = append_events(workspace, 3)
    at = _at(workspace, seqs[1])
    forge_body(workspace, seqs[1], f'"at":"{at}"', '"at":"2001-01-01T00:00:00+00:00"')
    assert ("time_decreased", seqs[1]) in _found(workspace)
    assert ("time_decreased", seqs[1]) in _found(workspace, deep=True)


def test_no_tree_head_is_signed_over_a_decreasing_time(workspace: Workspace) -> None:
    seqs = append_events(workspace, 3)
    at = _at(workspace, seqs[1])
    forge_body(workspace, seqs[1], f'"at":"{at}"', '"at":"2001-01-01T00:00:00+00:00"')
    with pytest.raises(IntegrityError, match="time_decreased"):
        sign_tree_head(workspace)
    report = verify(workspace)
    assert not report.ok and report.checkpoint is None


def test_a_v2_tree_head_vouches_for_no_order(workspace: Workspace) -> None:
    """A tree head signed before v3 may cover a decrease: verification still reads every time before it."""
    seqs = append_events(workspace, 3)
    at = _at(workspace, seqs[1])
    forge_body(workspace, seqs[1], f'"at":"{at}"', '"at":"2001-01-01T00:00:00+00:00"')
    _sign_unordered(workspace)
    assert ("time_decreased", seqs[1]) in _found(workspace)


def test_a_time_not_utc_in_iso_form_is_malformed(workspace: Workspace) -> None:
    seqs = append_events(workspace, 2)
    at = _at(workspace, seqs[1])
    bad = at.replace("+00:00", "+01:00")
    forge_body(workspace, seqs[1], f'"at":"{at}"', f'"at":"{bad}"')
    assert ("malformed_entry", seqs[1]) in _found(workspace)


def test_the_time_check_resumes_where_a_verified_replay_stopped(workspace: Workspace) -> None:
    """Signing continues verify's replay: the first new entry is compared with the last verified one."""
    append_events(workspace, 3)
    report = verify(workspace)
    assert report.ok and report.checkpoint is not None
    seqs = append_events(workspace, 2)
    with workspace.read() as session:
        state = replay(session, head=log_size(session), times_from=seqs[0])
    assert state.times is not None and not state.problems
    assert state.times.last == datetime.fromisoformat(_at(workspace, seqs[1]))


@pytest.mark.parametrize(
    ("at", "kind"),
    [
        ("2025-06-01T12:00:00+00:00", None),
        ("2025-06-01T12:00:00.000001+00:00", None),
        ("2025-06-01T11:59:59.999999+00:00", "time_decreased"),
        ("2025-02-30T12:00:00+00:00", "malformed_entry"),
        ("2025-06-01T12:00:00.5+00:00", "malformed_entry"),
        ("2025-06-01T12:00:00Z", "malformed_entry"),
        ("2025-06-01 12:00:00+00:00", "malformed_entry"),
    ],
)
def test_time_order_on_bodies(at: str, kind: str | None) -> None:
    def body(time: str, actor: str = 'user:a \\"b\\"') -> bytes:
        return (
            f'\x00{{"actor":"{actor}","at":"{time}","data":{{}},"event":"e","seq":1,"subject":"s"}}'.encode()
        )

    order = TimeOrder(since=1)
    order.feed([0, 1], [body("2025-06-01T12:00:00+00:00"), body(at)])
    assert [p.kind for p in order.problems] == ([kind] if kind else [])
    assert all(isinstance(p, Problem) and p.seq == 1 for p in order.problems)


def test_entries_before_since_are_not_judged() -> None:
    early = b'{"actor":"a","at":"2025-06-01T12:00:00+00:00","data":{}}'
    earlier = b'{"actor":"a","at":"2020-06-01T12:00:00+00:00","data":{}}'
    order = TimeOrder(since=3)
    order.feed(range(0, 4), [early, earlier, b"not json", early])
    assert order.problems == []  # entry 2 (not a time) only seeds; entry 3 is judged with nothing before it
    order = TimeOrder(since=3)
    order.feed(range(0, 4), [early, early, early, earlier])
    assert [(p.kind, p.seq) for p in order.problems] == [("time_decreased", 3)]


def _at(workspace: Workspace, seq: int) -> str:
    return _field(body_of(workspace, seq), "at")


def _sign_unordered(workspace: Workspace) -> None:
    """Store a tree head at the log's head in format v2, signed with the workspace's key as it was signed
    before v3 (without the time check)."""
    with workspace.transaction() as session:
        row_key, private = ensure_signing_key(workspace, session, SYSTEM)
        size = log_size(session)
        state = replay(session, head=size)
        assert state.first_leaf is not None
        at = datetime.now(UTC)
        row = AuditCheckpointRow(
            origin=log_origin(state.first_leaf),
            size=size,
            root_hash=state.builder.root(),
            created_at=at,
            key_id=row_key.key_id,
            signature=bytes(64),
            created_by=SYSTEM.label,
            format=UNORDERED_FORMAT,
        )
        session.add(row)
        session.flush()
        row.signature = private.sign(
            tree_head_text(
                row.origin, size, row.root_hash, at, row_key.key_id, number=row.id, signer=SYSTEM.label,
                version=UNORDERED_FORMAT,
            )
        )  # fmt: skip


def test_deep_verify_finds_an_index_that_disagrees_with_the_table(sqlite_url: str, clock: FixedClock) -> None:
    """An index holds its own copy of a column: someone editing the schema behind SQLite's back can make it
    disagree with the table, and only SQLite's own check (``--deep``) reads the index against the table."""
    workspace = init_workspace(sqlite_url, str(MINIMAL_POLICY), clock=clock)
    append_events(workspace, 3)
    assert verify(workspace, checkpoint=False, deep=True).ok
    workspace.engine.dispose()
    path = workspace.engine.url.database
    assert path is not None
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA writable_schema = ON")
    connection.execute(
        "UPDATE sqlite_master SET sql = replace(sql, '(event)', '(subject)') "
        "WHERE name = 'ix_audit_entries_event'"
    )
    connection.commit()
    connection.close()
    report = verify(workspace, checkpoint=False, deep=True)
    assert not report.ok
    assert {p.kind for p in report.problems} == {"column_mismatch"}
    assert all("ix_audit_entries_event" in p.message for p in report.problems if p.seq is not None)
    workspace.close()
