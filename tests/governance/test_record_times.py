"""Time you can trust: a production workspace records the real time whatever ``SCALEGATE_NOW`` or a handed
clock says; a notice dated before its decision, and a stated time further ahead than a few minutes
(``checkpoint add --recorded-at``), are refused with one line and write nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from scalegate.actor import Actor
from scalegate.audit import log_size
from scalegate.cli.app import app
from scalegate.clock import FixedClock
from scalegate.errors import InputError
from scalegate.governance.identity import resolve_actor
from scalegate.governance.notifications import InMemoryNotifier, notify_decision
from scalegate.governance.users import add_user
from scalegate.registry import service
from scalegate.registry.specs import CheckpointSpec
from scalegate.workspace import Workspace, init_workspace, open_workspace
from tests.conftest import MINIMAL_POLICY
from tests.governance.test_decisions import status
from tests.governance.test_notifications import approved_decision

PASSWORD = "eve-password-long"


def cli(ws: Workspace, *args: str, now: str) -> Any:
    env = {"SCALEGATE_NOW": now, "SCALEGATE_USER": "", "SCALEGATE_TOKEN": "", "SCALEGATE_PASSWORD": PASSWORD}
    return CliRunner().invoke(app, ["--db", ws.url, "--as", "eve", *args], env=env)


def one_line_error(result: Any) -> str:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return str(lines[0])


def size(ws: Workspace) -> int:
    with ws.read() as session:
        return log_size(session)


@pytest.fixture
def production(sqlite_url: str) -> Workspace:
    ws = init_workspace(sqlite_url, str(MINIMAL_POLICY))
    add_user(ws, Actor("root"), "root", admin=True)
    add_user(ws, resolve_actor(ws, "root"), "eve", roles=["evaluator"], password=PASSWORD)
    return ws


def test_a_production_workspace_records_the_real_time(production: Workspace) -> None:
    started = datetime.now(UTC)
    made = cli(production, "model", "add", "m", "--family", "f", "--owner", "o", "--json", now="2025-01-01")
    assert made.exit_code == 0, made.stderr
    with production.read() as session:
        from sqlalchemy import select

        from scalegate.store.models.audit import AuditEntryRow
        from scalegate.store.models.registry import ModelRow

        model = session.execute(select(ModelRow)).scalar_one()
        entry = session.execute(
            select(AuditEntryRow).order_by(AuditEntryRow.seq.desc()).limit(1)
        ).scalar_one()
    finished = datetime.now(UTC)
    assert started <= model.created_at <= finished
    assert started <= entry.recorded_at <= finished
    handed = open_workspace(production.url, clock=FixedClock(datetime(2025, 1, 1, tzinfo=UTC)))
    assert abs(handed.now() - datetime.now(UTC)) < timedelta(minutes=1)
    handed.close()


def test_a_recorded_date_in_the_future_is_refused(production: Workspace, tmp_path: Path) -> None:
    eve = resolve_actor(production, "eve")
    service.create_model(production, eve, "m", "f", "o")
    before = size(production)
    add = ["checkpoint", "add", "m", "c1", "--step", "1", "--flops", "1e20", "--loss", "heldout=2.0"]
    line = one_line_error(cli(production, *add, "--recorded-at", "2030-01-01", now="2030-01-01"))
    assert "recorded_at" in line and "is in the future" in line
    batch = tmp_path / "batch.csv"
    batch.write_text("checkpoint,step,training_flops,recorded_at,loss:heldout\nc2,2,2e20,2030-01-01,2.0\n")
    line = one_line_error(
        cli(production, "checkpoint", "import", str(batch), "--model", "m", now="2030-01-01")
    )
    assert "is in the future" in line
    assert size(production) == before
    soon = datetime.now(UTC) + timedelta(minutes=1)  # a clock a minute ahead is tolerated
    spec = CheckpointSpec(name="c3", step=3, training_flops=3e20, recorded_at=soon)
    assert service.register_checkpoint(production, eve, "m", spec).checkpoint.recorded_at == soon


def test_a_notice_dated_before_its_decision_is_refused(
    workspace: Workspace, people: dict[str, Actor], clock: FixedClock
) -> None:
    decision_id = approved_decision(workspace, people)
    clock.advance(timedelta(days=-700))  # SCALEGATE_NOW pinned long before the decision (demo workspace)
    before = size(workspace)
    with pytest.raises(InputError, match="notices cannot be backdated"):
        notify_decision(workspace, people["rita"], decision_id, InMemoryNotifier())
    result = CliRunner().invoke(
        app,
        ["--db", workspace.url, "--as", "rita", "notify", "decision", str(decision_id), "--webhook",
         "http://127.0.0.1:9/never-called"],
        env={"SCALEGATE_NOW": clock.now().isoformat(), "SCALEGATE_USER": "", "SCALEGATE_PASSWORD": ""},
    )  # fmt: skip
    assert f"would come before decision {decision_id} was" in one_line_error(result)
    assert size(workspace) == before
    current = status(workspace)
    assert current is not None and not current.notified
