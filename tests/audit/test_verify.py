"""`audit verify` on SQLite and PostgreSQL: a clean log verifies, and every kind of tampering is reported with
the entry, checkpoint or row where it happened."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
from sqlalchemy import Table, func, select

from scalegate.actor import SYSTEM
from scalegate.audit import deleted_row_ref, leaf_hash, sign_tree_head, verify
from scalegate.audit.rows import row_tables
from scalegate.audit.verify import VerifyReport
from scalegate.clock import FixedClock
from scalegate.store.base import Base, row_digest
from scalegate.store.models import every_table
from scalegate.store.models.audit import AuditCheckpointRow, AuditEntryRow, AuditKeyRow
from scalegate.store.models.workspace import PolicyVersionRow
from scalegate.workspace import Workspace
from tests.audit.conftest import (
    SIGNED_TABLES,
    append_events,
    body_of,
    make_columns_plain,
    record_new_row,
    sql,
)

AUDITED_TABLES = ["policy_versions", "evidence", "decisions", "signatures", "safeguard_evidence"]
"""Tables whose rows the tamper tests edit directly (those the store defines)."""


def kinds(report: VerifyReport) -> set[str]:
    return {p.kind for p in report.problems}


def unlogged_tables(report: VerifyReport) -> set[str | None]:
    return {p.table for p in report.problems if p.kind == "row_unlogged"}


def seqs_of(report: VerifyReport, kind: str) -> set[int | None]:
    return {p.seq for p in report.problems if p.kind == kind}


def test_a_fresh_workspace_verifies(workspace: Workspace) -> None:
    report = verify(workspace, checkpoint=False)
    assert report.ok, report.problems
    assert report.entries == 1
    assert report.bytes_hashed == len(body_of(workspace, 0).encode())
    assert report.tables == row_tables([]) and {"policy_versions", "settings", "api_tokens"} <= set(
        report.tables
    )
    assert [t.table for t in report.coverage] == sorted(every_table())
    assert all(t.problems == 0 for t in report.coverage)


def test_verify_signs_a_checkpoint_only_when_the_log_grew(workspace: Workspace) -> None:
    append_events(workspace, 3)
    first = verify(workspace)
    assert first.ok and first.checkpoint is not None
    assert (first.entries, first.checkpoint.size) == (4, 5)  # four entries verified, then the key's creation
    again = verify(workspace)
    assert again.ok and again.checkpoint is None and again.checkpoints_checked == 1
    append_events(workspace, 1)
    third = verify(workspace)
    assert third.checkpoint is not None and third.checkpoint.size == 6


def test_deep_verify_agrees_on_a_clean_log(workspace: Workspace) -> None:
    append_events(workspace, 4)
    record_new_row(workspace, "policy_versions")
    sign_tree_head(workspace)
    fast, deep = verify(workspace, checkpoint=False), verify(workspace, checkpoint=False, deep=True)
    assert fast.ok and deep.ok
    assert (fast.root, fast.entries, fast.bytes_hashed) == (deep.root, deep.entries, deep.bytes_hashed)


# -- tampering with the log ----------------------------------------------------------------------------------


def _flip_byte(workspace: Workspace, seq: int) -> None:
    body = body_of(workspace, seq)
    i = body.index('"subject":') + len('"subject":"')
    tampered = body[:i] + chr(ord(body[i]) ^ 1) + body[i + 1 :]
    sql(workspace, "UPDATE audit_entries SET body = :b WHERE seq = :s", b=tampered, s=seq)


def test_a_flipped_byte_in_a_body_is_reported_at_its_entry(workspace: Workspace) -> None:
    append_events(workspace, 5)
    _flip_byte(workspace, 3)
    report = verify(workspace)
    assert not report.ok
    assert seqs_of(report, "leaf_hash_mismatch") == {3}
    assert report.checkpoint is None, "a checkpoint must never vouch for a tampered log"


def test_a_flipped_byte_with_a_recomputed_leaf_hash_breaks_the_signed_checkpoint(
    workspace: Workspace,
) -> None:
    append_events(workspace, 5)
    cp = sign_tree_head(workspace)
    _flip_byte(workspace, 2)
    sql(
        workspace,
        "UPDATE audit_entries SET leaf_hash = :h WHERE seq = 2",
        h=leaf_hash(body_of(workspace, 2).encode()),
    )
    report = verify(workspace)
    assert kinds(report) >= {"checkpoint_inconsistent"}
    assert {p.checkpoint for p in report.problems if p.kind == "checkpoint_inconsistent"} == {cp.id}
    assert "leaf_hash_mismatch" not in kinds(report)


def test_a_deleted_entry_is_reported_as_a_gap(workspace: Workspace) -> None:
    append_events(workspace, 6)
    sign_tree_head(workspace)
    sql(workspace, "DELETE FROM audit_entries WHERE seq = 4")
    report = verify(workspace)
    assert seqs_of(report, "seq_gap") == {4}
    assert kinds(report) & {"checkpoint_inconsistent", "checkpoint_beyond_log"}


def test_a_deleted_last_entry_disagrees_with_the_head(workspace: Workspace) -> None:
    seqs = append_events(workspace, 3)
    sql(workspace, "DELETE FROM audit_entries WHERE seq = :s", s=seqs[-1])
    report = verify(workspace)
    assert kinds(report) == {"head_mismatch"}


@pytest.mark.parametrize("with_hashes", [False, True], ids=["bodies", "bodies-and-leaf-hashes"])
def test_reordered_entries_are_reported_at_both_positions(workspace: Workspace, with_hashes: bool) -> None:
    append_events(workspace, 6)
    a, b = body_of(workspace, 2), body_of(workspace, 5)
    sql(workspace, "UPDATE audit_entries SET body = :b WHERE seq = 2", b=b)
    sql(workspace, "UPDATE audit_entries SET body = :b WHERE seq = 5", b=a)
    if with_hashes:
        sql(workspace, "UPDATE audit_entries SET leaf_hash = :h WHERE seq = 2", h=leaf_hash(b.encode()))
        sql(workspace, "UPDATE audit_entries SET leaf_hash = :h WHERE seq = 5", h=leaf_hash(a.encode()))
    report = verify(workspace)
    assert seqs_of(report, "seq_mismatch") == {2, 5}
    assert seqs_of(report, "leaf_hash_mismatch") == (set() if with_hashes else {2, 5})


def test_reordering_inside_a_checkpointed_prefix_breaks_the_checkpoint(workspace: Workspace) -> None:
    append_events(workspace, 6)
    cp = sign_tree_head(workspace)
    a, b = body_of(workspace, 1), body_of(workspace, 4)
    for seq, body in ((1, b), (4, a)):
        sql(
            workspace,
            "UPDATE audit_entries SET body = :b, leaf_hash = :h WHERE seq = :s",
            b=body,
            h=leaf_hash(body.encode()),
            s=seq,
        )
    report = verify(workspace)
    assert {p.checkpoint for p in report.problems if p.kind == "checkpoint_inconsistent"} == {cp.id}
    assert seqs_of(report, "seq_mismatch") == {1, 4}  # the diagnostic pass names the entries


def test_truncate_then_extend_is_caught_by_an_earlier_checkpoint(workspace: Workspace) -> None:
    """Delete the tail and append other entries so that seqs, head and hashes are all self-consistent."""
    append_events(workspace, 8)
    cp = sign_tree_head(workspace)
    size = cp.size
    sql(workspace, "DELETE FROM audit_entries WHERE seq >= :s", s=size - 3)
    sql(workspace, "UPDATE audit_head SET size = :s", s=size - 3)
    append_events(workspace, 5, prefix="test.rewritten")
    report = verify(workspace)
    # The row index still names the deleted entries: it disagrees with the log (it is a cache, rebuilt).
    assert kinds(report) - {"row_unlogged", "cache_invalid"} == {"checkpoint_inconsistent"}
    assert {p.table for p in report.problems if p.kind == "cache_invalid"} <= {"audit_row_index"}
    assert unlogged_tables(report) <= {"audit_keys"}  # the entry that logged the signing key went too
    assert report.problems[0].checkpoint == cp.id
    assert report.checkpoint is None


def test_truncation_below_a_checkpoint_is_reported(workspace: Workspace) -> None:
    append_events(workspace, 5)
    cp = sign_tree_head(workspace)
    sql(workspace, "DELETE FROM audit_entries WHERE seq >= 3")
    sql(workspace, "UPDATE audit_head SET size = 3")
    report = verify(workspace)
    assert kinds(report) - {"row_unlogged", "cache_invalid"} == {"checkpoint_beyond_log"}
    assert {p.table for p in report.problems if p.kind == "cache_invalid"} <= {"audit_row_index"}
    assert unlogged_tables(report) <= {"audit_keys"}
    assert report.problems[0].checkpoint == cp.id


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("subject", "'something else'"),
        ("event", "'test.other'"),
        ("actor", "'user:mallory'"),
        ("recorded_at", "'2024-01-01 00:00:00.000001'"),
    ],
)
def test_an_edited_index_column_is_caught_by_every_verify(
    workspace: Workspace, column: str, value: str
) -> None:
    """The body is intact, but a filtered listing selects by the columns: once the table is redefined so that
    a column can be written at all, verify compares them with every body."""
    append_events(workspace, 3)
    make_columns_plain(workspace)
    at = "'2024-01-01 00:00:00.000001+00'" if workspace.backend == "postgresql" else value
    sql(
        workspace,
        f"UPDATE audit_entries SET {column} = {at if column == 'recorded_at' else value} WHERE seq = 2",
    )
    for deep in (False, True):
        report = verify(workspace, checkpoint=False, deep=deep)
        assert seqs_of(report, "column_mismatch") == {2}


# -- tampering with checkpoints and keys ---------------------------------------------------------------------


def test_a_forged_checkpoint_signature_is_reported(workspace: Workspace) -> None:
    append_events(workspace, 2)
    cp = sign_tree_head(workspace)
    sql(workspace, "UPDATE audit_checkpoints SET signature = :s WHERE id = :i", s=bytes(64), i=cp.id)
    assert kinds(verify(workspace)) == {"checkpoint_signature"}


@pytest.mark.parametrize(
    "change",
    [
        "id = id + 100",
        "created_by = 'user:ceo'",
        "format = 'scalegate-audit-checkpoint/v1'",  # a v1 text would not sign id and signer
    ],
)
def test_a_checkpoint_s_id_signer_and_format_are_signed(workspace: Workspace, change: str) -> None:
    append_events(workspace, 2)
    cp = sign_tree_head(workspace)
    sql(workspace, f"UPDATE audit_checkpoints SET {change} WHERE id = :i", i=cp.id)
    assert kinds(verify(workspace)) == {"checkpoint_signature"}


def test_a_v1_checkpoint_still_verifies_with_a_note(workspace: Workspace) -> None:
    """Checkpoints signed before format v2 keep verifying; the report says what they do not bind."""
    from scalegate.audit.keys import load_private_key
    from scalegate.audit.tree_heads import LEGACY_FORMAT, tree_head_text

    append_events(workspace, 2)
    cp = sign_tree_head(workspace)
    v1 = tree_head_text(cp.origin, cp.size, cp.root, cp.created_at, cp.key_id, version=LEGACY_FORMAT)
    signature = load_private_key(workspace, cp.key_id).sign(v1)
    sql(
        workspace,
        "UPDATE audit_checkpoints SET format = :f, signature = :s WHERE id = :i",
        f=LEGACY_FORMAT,
        s=signature,
        i=cp.id,
    )
    report = verify(workspace, checkpoint=False)
    assert report.ok, report.problems
    assert report.notes == [
        "1 checkpoints were signed in format v1, which binds neither their id nor their signer"
    ]


def test_a_checkpoint_root_rewritten_with_the_log_is_reported(workspace: Workspace) -> None:
    """Rewrite an entry and the checkpoint's root to match: the signature no longer verifies."""
    append_events(workspace, 4)
    cp = sign_tree_head(workspace)
    _flip_byte(workspace, 1)
    sql(
        workspace,
        "UPDATE audit_entries SET leaf_hash = :h WHERE seq = 1",
        h=leaf_hash(body_of(workspace, 1).encode()),
    )
    sql(
        workspace,
        "UPDATE audit_checkpoints SET root_hash = :r WHERE id = :i",
        r=bytes.fromhex(verify(workspace, checkpoint=False).root),
        i=cp.id,
    )
    assert "checkpoint_signature" in kinds(verify(workspace))


def test_a_replaced_public_key_is_reported(workspace: Workspace) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    append_events(workspace, 2)
    cp = sign_tree_head(workspace)
    other = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    sql(workspace, "UPDATE audit_keys SET public_key = :k WHERE key_id = :i", k=other, i=cp.key_id)
    report = verify(workspace)
    assert {"key_mismatch", "checkpoint_signature", "row_mismatch"} <= kinds(report)


def test_a_deleted_key_row_is_reported(workspace: Workspace) -> None:
    append_events(workspace, 2)
    cp = sign_tree_head(workspace)
    sql(workspace, "DELETE FROM audit_checkpoints")
    sql(workspace, "DELETE FROM audit_keys")
    report = verify(workspace, checkpoint=False)
    assert {(p.kind, p.table) for p in report.problems} == {("row_missing", "audit_keys")}
    assert report.problems[0].pk == cp.key_id


# -- tampering with the rows the log covers ------------------------------------------------------------------


def _audited(name: str) -> object:
    return pytest.param(
        name,
        marks=pytest.mark.skipif(name not in every_table(), reason=f"no {name} table in this store"),
    )


def _pk_where(row: Base) -> tuple[str, dict[str, object]]:
    columns = list(cast(Table, row.__table__).primary_key.columns)
    clause = " AND ".join(f"{c.name} = :pk{i}" for i, c in enumerate(columns))
    return clause, {f"pk{i}": getattr(row, c.key) for i, c in enumerate(columns)}


def _editable_column(row: Base) -> str:
    for column in row.__table__.columns:
        if not column.primary_key and not column.foreign_keys and column.type.python_type is str:
            return str(column.name)
    raise AssertionError(f"{row.__tablename__} has no text column to edit")


@pytest.mark.parametrize("table", [_audited(t) for t in AUDITED_TABLES])
def test_a_direct_sql_update_of_an_audited_row_is_reported(workspace: Workspace, table: str) -> None:
    row = record_new_row(workspace, table)
    assert verify(workspace, checkpoint=False).ok
    where, params = _pk_where(row)
    column = _editable_column(row)
    sql(workspace, f"UPDATE {table} SET {column} = 'edited' WHERE {where}", **params)
    report = verify(workspace)
    signed = [("signature_invalid", table)] if table in SIGNED_TABLES else []
    assert [(p.kind, p.table) for p in report.problems] == [("row_mismatch", table), *signed]
    assert report.problems[0].seq is not None and report.checkpoint is None


@pytest.mark.parametrize("table", [_audited(t) for t in AUDITED_TABLES])
def test_a_deleted_audited_row_is_reported(workspace: Workspace, table: str) -> None:
    row = record_new_row(workspace, table)
    where, params = _pk_where(row)
    sql(workspace, f"DELETE FROM {table} WHERE {where}", **params)
    report = verify(workspace)
    assert [(p.kind, p.table) for p in report.problems] == [("row_missing", table)]


def test_an_unlogged_row_in_a_covered_table_is_reported(workspace: Workspace) -> None:
    with workspace.transaction() as session:  # written without `record`: behind the log's back
        row = PolicyVersionRow(
            policy_id="sneaky",
            version="1",
            content_hash="f" * 64,
            document={},
            origin="sql",
            status="active",
            created_at=workspace.now(),
            activated_at=None,
        )
        session.add(row)
        session.flush()
        row_id = row.id
    report = verify(workspace)
    assert [(p.kind, p.table, p.pk) for p in report.problems] == [("row_unlogged", "policy_versions", row_id)]


@pytest.mark.parametrize("table", [_audited(t) for t in AUDITED_TABLES if t != "policy_versions"])
def test_an_unlogged_row_in_another_covered_table_is_reported(workspace: Workspace, table: str) -> None:
    record_new_row(workspace, table)  # the table is now covered
    with workspace.transaction() as session:
        from tests.audit.conftest import make_row

        make_row(session, table, workspace.now())
    report = verify(workspace)
    assert ("row_unlogged", table) in {(p.kind, p.table) for p in report.problems}


def test_a_later_entry_supersedes_an_earlier_row_digest(workspace: Workspace) -> None:
    row = record_new_row(workspace, "policy_versions")
    with workspace.transaction() as session:
        current = session.get(PolicyVersionRow, row.id)  # type: ignore[attr-defined]
        assert current is not None
        current.status = "superseded"
        workspace.record(session, SYSTEM, "test.updated", "pv", {}, rows=[current])
    assert verify(workspace, checkpoint=False).ok


def test_a_recorded_deletion_is_honoured_and_a_resurrection_reported(workspace: Workspace) -> None:
    row = record_new_row(workspace, "policy_versions")
    with workspace.transaction() as session:
        current = session.get(PolicyVersionRow, row.id)  # type: ignore[attr-defined]
        assert current is not None
        ref = deleted_row_ref(current)
        session.delete(current)
        workspace.record(session, SYSTEM, "test.deleted", "pv", {"rows": [ref]})
    assert verify(workspace, checkpoint=False).ok
    values = {
        c.name: v
        for c, v in zip(
            row.__table__.columns, [getattr(row, c.key) for c in row.__table__.columns], strict=True
        )
    }
    with workspace.engine.begin() as connection:
        connection.execute(cast(Table, PolicyVersionRow.__table__).insert(), values)
    report = verify(workspace)
    assert [p.kind for p in report.problems] == ["row_deleted_but_present"]


def test_row_digests_in_entries_are_the_row_digests(workspace: Workspace) -> None:
    row = record_new_row(workspace, "policy_versions")
    with workspace.read() as session:
        last = session.execute(select(AuditEntryRow).order_by(AuditEntryRow.seq.desc())).scalars().first()
        assert last is not None
        refs = json.loads(last.body)["data"]["rows"]
        stored = session.get(PolicyVersionRow, row.id)  # type: ignore[attr-defined]
        assert stored is not None
        pk = row.id  # type: ignore[attr-defined]
        assert {"table": "policy_versions", "pk": pk, "digest": row_digest(stored)} in refs


def test_entries_with_unusual_row_references_are_parsed_exactly(workspace: Workspace) -> None:
    """References the fast path cannot read (two `rows` keys, odd primary keys) fall back to JSON parsing."""
    row = record_new_row(workspace, "policy_versions")
    with workspace.transaction() as session:
        current = session.get(PolicyVersionRow, row.id)  # type: ignore[attr-defined]
        assert current is not None
        current.origin = "changed"
        workspace.record(session, SYSTEM, "test.nested", "pv", {"report": {"rows": [1, 2]}}, rows=[current])
    assert verify(workspace, checkpoint=False).ok
    sql(workspace, "UPDATE policy_versions SET origin = 'changed again'")
    assert kinds(verify(workspace)) == {"row_mismatch"}


def test_every_problem_names_its_place_on_one_line(workspace: Workspace) -> None:
    append_events(workspace, 3)
    _flip_byte(workspace, 1)
    lines = [p.line() for p in verify(workspace).problems]
    assert lines and all("\n" not in line for line in lines)
    assert lines[0].startswith("entry 1: leaf_hash_mismatch:")


def test_a_checkpoint_signed_by_a_retired_key_after_retirement_is_reported(
    workspace: Workspace, clock: FixedClock
) -> None:
    from scalegate.audit import rotate_key

    append_events(workspace, 2)
    sign_tree_head(workspace)
    rotation = rotate_key(workspace, SYSTEM)
    assert rotation.retired is not None
    sql(
        workspace,
        "UPDATE audit_keys SET retired_at = :t WHERE key_id = :k",
        t=clock.now() - timedelta(days=1),
        k=rotation.retired.key_id,
    )
    report = verify(workspace, checkpoint=False)
    assert "checkpoint_key" in kinds(report) and "row_mismatch" in kinds(report)


def test_counts_in_the_report(workspace: Workspace) -> None:
    append_events(workspace, 3)
    report = verify(workspace)
    with workspace.read() as session:
        total = session.execute(
            select(func.sum(func.length(AuditEntryRow.body))).where(AuditEntryRow.seq < report.entries)
        ).scalar_one()
        assert session.execute(select(func.count()).select_from(AuditCheckpointRow)).scalar_one() == 1
        assert session.execute(select(func.count()).select_from(AuditKeyRow)).scalar_one() == 1
    assert report.bytes_hashed == total  # ASCII bodies: characters are bytes
    assert (
        report.rows_checked == 3
    )  # the policy version and two settings, created_at and mode (the key came after)
    assert hashlib.sha256(b"").hexdigest() != report.root


@pytest.mark.parametrize(
    ("column", "value"),
    [("created_at", "2026-13-45 99:61:00"), ("document", '{"unterminated": ')],
)
def test_a_malformed_value_is_a_problem_line_not_a_traceback(
    sqlite_url: str, column: str, value: str
) -> None:
    """SQLite stores any text in any column: an unreadable time or document names its row and column."""
    from scalegate.workspace import init_workspace
    from tests.conftest import MINIMAL_POLICY

    ws = init_workspace(sqlite_url, str(MINIMAL_POLICY), clock=FixedClock(datetime(2025, 6, 1, tzinfo=UTC)))
    try:
        sql(ws, f"UPDATE policy_versions SET {column} = :v", v=value)
        report = verify(ws)
    finally:
        ws.close()
    assert not report.ok and report.checkpoint is None
    assert [(p.kind, p.table) for p in report.problems] == [("malformed_row", "policy_versions")]
    assert f"column {column} cannot be read" in report.problems[0].line()
