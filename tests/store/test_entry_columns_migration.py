"""Migration 0010: the audit log's index columns become generated from the bodies (``ENTRY_FIELDS``).

A store from before it holds plain copies, which SQL could edit; after it the database derives them, so an
edit made before the upgrade is gone (the body always decided what readers see) and none can be made after.
The way back restores plain columns holding the derived values. Both backends, real stores.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from scalegate.audit import verify
from scalegate.audit.columns import derived
from scalegate.store.migrate import current_revision, upgrade
from scalegate.workspace import Workspace
from tests.audit.conftest import append_events, sql
from tests.support.migrations import downgrade

BEFORE = "0009_many_writers"


def _columns(workspace: Workspace) -> dict[int, tuple[str, str, str]]:
    with workspace.engine.connect() as connection:
        found = connection.execute(text("SELECT seq, event, subject, actor FROM audit_entries ORDER BY seq"))
        return {int(seq): (event, subject, actor) for seq, event, subject, actor in found}


def _from_bodies(workspace: Workspace) -> dict[int, tuple[str, str, str]]:
    with workspace.engine.connect() as connection:
        bodies = connection.execute(text("SELECT seq, body FROM audit_entries ORDER BY seq"))
        out = {}
        for seq, body in bodies:
            doc = json.loads(body)
            out[int(seq)] = (doc["event"], doc["subject"], doc["actor"])
        return out


def test_the_upgrade_derives_every_column_from_its_body(workspace: Workspace) -> None:
    append_events(workspace, 3)
    before = _columns(workspace)
    downgrade(workspace, BEFORE)
    assert current_revision(workspace.engine) == BEFORE
    assert _columns(workspace) == before  # the way back keeps the values, as plain columns
    sql(workspace, "UPDATE audit_entries SET subject = 'forged' WHERE seq = 2")  # possible before 0010
    with workspace.read() as session:
        assert not derived(session)

    upgrade(workspace.engine)
    assert _columns(workspace) == _from_bodies(workspace) == before
    with workspace.read() as session:
        assert derived(session) is (workspace.backend == "sqlite")
    with pytest.raises(DBAPIError, match="generated"):
        sql(workspace, "UPDATE audit_entries SET subject = 'forged' WHERE seq = 2")
    append_events(workspace, 1, prefix="test.after")
    assert _columns(workspace) == _from_bodies(workspace)
    assert verify(workspace).ok
