"""Audit entry times never decrease: ``append`` dates an entry no earlier than the one before it, and
``audit verify`` and the offline verifier report an entry dated before its predecessor (written by an older
version that let a pinned clock date records into the past, or by someone rewriting the log)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, select, update

from scalegate.actor import SYSTEM
from scalegate.audit import export_log, list_keys, offline, sign_tree_head
from scalegate.audit.log import NewEntry, append_many, entry_body
from scalegate.audit.verify import verify
from scalegate.canonical import leaf_hash
from scalegate.clock import FixedClock
from scalegate.store.models.audit import AuditEntryRow, AuditHeadRow
from scalegate.workspace import Workspace


def _times(workspace: Workspace) -> list[str]:
    with workspace.read() as session:
        rows = session.execute(select(AuditEntryRow.body).order_by(AuditEntryRow.seq)).scalars()
        return [json.loads(body)["at"] for body in rows]


def test_an_entry_is_never_dated_before_the_one_before_it(workspace: Workspace, clock: FixedClock) -> None:
    with workspace.transaction() as session:
        workspace.record(session, SYSTEM, "test.first", "x:1", {})
    first = clock.now()
    clock.advance(timedelta(days=-400))  # a clock pinned into the past (SCALEGATE_NOW in a demo)
    with workspace.transaction() as session:
        workspace.record(session, SYSTEM, "test.backdated", "x:2", {})
        append_many(session, [NewEntry("test.batch", "x:3", "system", {}, clock.now())])
    times = _times(workspace)
    assert times[-3:] == [first.isoformat()] * 3
    assert times == sorted(times)
    assert verify(workspace, checkpoint=False).ok


def _forge_backdated_entry(workspace: Workspace, days: int) -> int:
    """Append, behind ``append``'s back, a well-formed entry dated ``days`` before the last one (what an
    older version wrote for a record made under a pinned clock); returns its seq."""
    with workspace.transaction() as session:
        head = session.get(AuditHeadRow, 1)
        assert head is not None
        seq = head.size
        last = session.execute(select(AuditEntryRow.recorded_at).where(AuditEntryRow.seq == seq - 1))
        at = last.scalar_one() - timedelta(days=days)
        body = entry_body(seq, NewEntry("notification.delivered", "decision:1", "user:rita", {}, at))
        session.execute(insert(AuditEntryRow).values(seq=seq, body=body.decode(), leaf_hash=leaf_hash(body)))
        session.execute(update(AuditHeadRow).where(AuditHeadRow.id == 1).values(size=seq + 1))
    return seq


def test_verify_reports_an_entry_dated_before_its_predecessor(workspace: Workspace) -> None:
    seq = _forge_backdated_entry(workspace, days=700)
    for deep in (False, True):
        report = verify(workspace, checkpoint=False, deep=deep)
        assert not report.ok
        assert [(p.kind, p.seq) for p in report.problems] == [("time_decreased", seq)]
        assert "before the entry preceding it" in report.problems[0].line()


def test_the_offline_verifier_reports_an_entry_dated_before_its_predecessor(
    workspace: Workspace, tmp_path: Path
) -> None:
    sign_tree_head(workspace)  # the key the reviewer trusts, over the entries before the forged one
    seq = _forge_backdated_entry(workspace, days=1)
    export = tmp_path / "export"
    result = export_log(workspace, export)
    assert any("time_decreased" in note for note in result.notes)  # no checkpoint is signed over it
    key = tmp_path / "trusted.pem"
    key.write_text(list_keys(workspace)[-1].pem)
    report = offline.verify_export(export, [offline.load_public_key(key)])
    # the forged entry is also past the last checkpoint, which signing refused to extend over it
    found = [(p.kind, p.seq) for p in report.problems]
    assert found == [("time_decreased", seq), ("uncovered", None)], result
