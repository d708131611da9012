"""The store: migrations, init, active policy, transactions and audit entries, on SQLite and PostgreSQL."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from scalegate.actor import SYSTEM
from scalegate.audit import log_size
from scalegate.clock import FixedClock
from scalegate.errors import ConflictError, StoreError
from scalegate.policy import content_hash, load_policy
from scalegate.store import models
from scalegate.store.migrate import current_revision, head_revision, pending_differences
from scalegate.store.models import MODULES, every_table
from scalegate.store.models.audit import AuditEntryRow
from scalegate.store.models.workspace import PolicyVersionRow
from scalegate.workspace import Workspace, init_workspace, open_workspace
from tests.conftest import MINIMAL_POLICY
from tests.support.policy import active_of


def test_init_records_active_policy_by_content_hash(workspace: Workspace) -> None:
    active = active_of(workspace)
    assert active.policy.id == "test-minimal"
    assert active.content_hash == content_hash(load_policy(MINIMAL_POLICY))
    with workspace.read() as session:
        assert log_size(session) == 1
        entry = session.execute(select(AuditEntryRow)).scalar_one()
    assert entry.event == "workspace.initialised"
    assert active.content_hash in entry.body


def test_migrations_from_empty_reach_head_and_match_models(empty_db_url: str, clock: FixedClock) -> None:
    """Runs the migrations themselves on an empty store (other tests start from the migrated template)."""
    workspace = init_workspace(empty_db_url, str(MINIMAL_POLICY), clock=clock)
    try:
        assert current_revision(workspace.engine) == head_revision()
        assert pending_differences(workspace.engine) == []
        assert active_of(workspace).policy.id == "test-minimal"
    finally:
        workspace.close()


def test_the_workspace_fixture_starts_at_head(workspace: Workspace) -> None:
    assert current_revision(workspace.engine) == head_revision()
    assert pending_differences(workspace.engine) == []


def test_reopening_reads_the_same_policy(workspace: Workspace, db_url: str) -> None:
    again = open_workspace(db_url)
    try:
        assert active_of(again).content_hash == active_of(workspace).content_hash
    finally:
        again.close()


def test_init_twice_with_same_policy_is_idempotent(workspace: Workspace, db_url: str) -> None:
    again = init_workspace(db_url, str(MINIMAL_POLICY))
    again.close()
    with workspace.read() as session:
        assert session.execute(select(func.count()).select_from(PolicyVersionRow)).scalar_one() == 1


def test_init_with_another_policy_is_refused(workspace: Workspace, db_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    other = tmp_path / "other.yaml"
    other.write_text(MINIMAL_POLICY.read_text().replace("id: test-minimal", "id: test-other"))
    with pytest.raises(ConflictError, match="already has active policy test-minimal"):
        init_workspace(db_url, str(other))


def test_failed_transaction_leaves_nothing(workspace: Workspace) -> None:
    with pytest.raises(RuntimeError), workspace.transaction() as session:
        workspace.record(session, SYSTEM, "test.event", "x", {"n": 1})
        raise RuntimeError("boom")
    with workspace.read() as session:
        assert log_size(session) == 1
        assert session.execute(select(func.count()).select_from(AuditEntryRow)).scalar_one() == 1


def test_audit_sequence_is_gap_free(workspace: Workspace) -> None:
    for n in range(5):
        with workspace.transaction() as session:
            workspace.record(session, SYSTEM, "test.event", f"s{n}", {"n": n})
    with workspace.read() as session:
        seqs = session.execute(select(AuditEntryRow.seq).order_by(AuditEntryRow.seq)).scalars().all()
    assert seqs == list(range(6))


def test_opening_a_missing_sqlite_workspace_fails_clearly(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(StoreError, match="no workspace at"):
        open_workspace(f"sqlite:///{tmp_path / 'nothing.db'}")


@pytest.mark.postgres
def test_unreachable_postgres_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="cannot open store"):
        open_workspace("postgresql://nobody@127.0.0.1:1/none")


def test_head_revision_constant_matches_migrations() -> None:
    from scalegate.store.revision import HEAD_REVISION

    assert head_revision() == HEAD_REVISION


def test_every_table_loads_every_table_module() -> None:
    """``every_table`` is what migrations and ``audit verify`` see: a table module missing from ``MODULES``
    would be a table they never check."""
    folder = Path(models.__file__).parent
    assert sorted(MODULES) == sorted(p.stem for p in folder.glob("*.py") if p.stem != "__init__")
    tables = every_table()
    assert {f"scalegate.store.models.{m}" for m in MODULES} <= set(sys.modules)
    assert {"users", "decisions", "assessments", "evidence"} <= set(tables)
