"""A store older than the log's coverage of its tables: rows no entry names are adopted by one logged act.

The store is taken back to revision 0006 (before the row index), a row is written there with SQL as the
software of that time wrote rows of tables the log did not yet cover, and the store is opened by the current
code, which upgrades it. ``audit verify`` names the row and points to ``scalegate audit adopt``; a user who is
not an admin cannot adopt it; an admin's adoption is one entry, after which the store verifies and the gate's
row index knows the row.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import text

from scalegate.actor import SYSTEM, Actor
from scalegate.audit.verify import verify
from scalegate.errors import PermissionDenied
from scalegate.governance.adoption import ADOPTED_EVENT, adopt_unlogged
from scalegate.governance.identity import resolve_actor
from scalegate.governance.users import add_user
from scalegate.registry.service import create_model
from scalegate.store.engine import make_engine
from scalegate.store.migrate import _config, current_revision
from scalegate.workspace import Workspace, init_workspace, open_workspace
from tests.support.signing import PASSWORD

BEFORE_INDEX = "0006_trust_coverage"


def _evaluator(workspace: Workspace) -> None:
    """An admin, ``root``, and an evaluator, ``eve``."""
    add_user(workspace, SYSTEM, "root", admin=True, email="root@example.org", password=PASSWORD)
    admin = resolve_actor(workspace, "root")
    add_user(
        workspace,
        admin,
        "eve",
        roles=["evaluator"],
        email="eve@example.org",
        password=PASSWORD,
        approver_password=PASSWORD,
    )


def _taken_back_with_an_unlogged_row(url: str) -> int:
    """A workspace with a user and a model, taken back to revision 0006, then a model row inserted with SQL
    (no entry names it); returns its id."""
    workspace = init_workspace(url)
    try:
        _evaluator(workspace)
        create_model(workspace, resolve_actor(workspace, "eve"), "logged-1", "fam", "research")
    finally:
        workspace.close()
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            command.downgrade(_config(connection), BEFORE_INDEX)
        assert current_revision(engine) == BEFORE_INDEX
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO models (id, name, family, owner, description, created_at) "
                    "VALUES (900, 'old-1', 'fam', 'research', '', :t)"
                ),
                {"t": datetime(2025, 1, 2, tzinfo=UTC)},
            )
    finally:
        engine.dispose()
    return 900


def test_an_upgraded_store_adopts_its_unlogged_rows_in_one_admin_entry(empty_db_url: str) -> None:
    row_id = _taken_back_with_an_unlogged_row(empty_db_url)
    workspace = open_workspace(empty_db_url)  # upgrades to head: the row index is built from the log
    try:
        report = verify(workspace, checkpoint=False, blobs=False)
        assert [(p.kind, p.table, p.pk) for p in report.problems] == [("row_unlogged", "models", row_id)]
        assert "scalegate audit adopt" in report.problems[0].message
        with pytest.raises(PermissionDenied):
            adopt_unlogged(workspace, Actor(name="rita", roles=frozenset({"rso"})))
        admin = resolve_actor(workspace, "root")
        adoption = adopt_unlogged(workspace, admin)
        assert adoption.seq is not None and adoption.tables == {"models": 1}
        with workspace.read() as session:
            event, actor = session.execute(
                text("SELECT event, actor FROM audit_entries WHERE seq = :s"), {"s": adoption.seq}
            ).one()
            indexed = session.execute(
                text("SELECT seq FROM audit_row_index WHERE table_name = 'models' AND pk = :p"),
                {"p": str(row_id)},
            ).scalar_one()
        assert (event, actor, indexed) == (ADOPTED_EVENT, admin.label, adoption.seq)
        assert verify(workspace, checkpoint=False, blobs=False).ok
        assert adopt_unlogged(workspace, admin).seq is None  # nothing left: nothing written
    finally:
        workspace.close()


def test_a_row_edited_after_its_entry_is_not_adopted(workspace: Workspace) -> None:
    _evaluator(workspace)
    admin = resolve_actor(workspace, "root")
    create_model(workspace, resolve_actor(workspace, "eve"), "logged-1", "fam", "research")
    with workspace.transaction() as session:
        session.execute(text("UPDATE models SET owner = 'mallory' WHERE name = 'logged-1'"))
    assert adopt_unlogged(workspace, admin).seq is None
    kinds = [p.kind for p in verify(workspace, checkpoint=False, blobs=False).problems]
    assert kinds == ["row_mismatch"]
