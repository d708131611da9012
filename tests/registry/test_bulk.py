"""A thousand checkpoints through each door (service, SDK local transport, CLI CSV import, HTTP API): one
write transaction and one registration audit entry per batch, whatever the batch's size; a bad checkpoint
leaves nothing of its batch written, because the batch is one transaction (not because anything is cleaned
up)."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from typer.testing import CliRunner

from scalegate.actor import Actor
from scalegate.cli.app import app
from scalegate.errors import InputError, NotFoundError, StoreError
from scalegate.registry import service
from scalegate.sdk import Client
from scalegate.store.models.assessments import AssessmentRow
from scalegate.store.models.audit import AuditEntryRow
from scalegate.store.models.registry import CheckpointRow, LossMeasurementRow
from scalegate.workspace import Workspace
from tests.registry.conftest import RSO, family_with_fit, law_loss

N = 1000


@contextmanager
def write_transactions() -> Iterator[list[int]]:
    """Count the write transactions committed on any engine in the block (reads are deferred transactions
    and not counted; neither is a transaction rolled back, such as the schema check of opening a store)."""
    box = [0]

    def committed(conn: Any) -> None:
        if not conn.get_execution_options().get("scalegate_read"):
            box[0] += 1

    event.listen(Engine, "commit", committed)
    try:
        yield box
    finally:
        event.remove(Engine, "commit", committed)


def counts(workspace: Workspace) -> dict[str, int]:
    with workspace.read() as session:
        return {
            table.__tablename__: session.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (CheckpointRow, LossMeasurementRow, AuditEntryRow, AssessmentRow)
        }


def batch_entries(workspace: Workspace) -> list[dict[str, Any]]:
    with workspace.read() as session:
        bodies = session.execute(
            select(AuditEntryRow.body).where(AuditEntryRow.event == service.BATCH_EVENT)
        ).scalars()
        return [json.loads(b) for b in bodies]


def payloads(n: int, workspace: Workspace, *, prefix: str = "s") -> list[dict[str, Any]]:
    """``n`` checkpoints of run-1, an hour apart, each with a held-out loss on the family's law."""
    start = workspace.now() - timedelta(hours=n + 1)
    return [
        {
            "name": f"{prefix}{i:05d}",
            "step": (i + 1) * 100,
            "training_flops": 1e20 * 1.005**i,
            "recorded_at": start + timedelta(hours=i),
            "run": "run-1",
            "losses": {"heldout": law_loss(1e21 * 1.005**i)},
        }
        for i in range(n)
    ]


def assert_one_batch(workspace: Workspace, before: dict[str, int], transactions: int, n: int) -> None:
    after = counts(workspace)
    assert after["checkpoints"] - before["checkpoints"] == n
    assert after["loss_measurements"] - before["loss_measurements"] == n
    opened = after["assessments"] - before["assessments"]
    # one registration entry for the batch, plus one per assessment the batch opened (not per checkpoint)
    assert after["audit_entries"] - before["audit_entries"] == 1 + opened
    assert opened <= 3
    assert transactions == 1
    entry = batch_entries(workspace)[-1]
    assert entry["data"]["count"] == n
    tables = [r["table"] for r in entry["data"]["rows"]]
    assert tables.count("checkpoints") == n and tables.count("loss_measurements") == n


# -- service -------------------------------------------------------------------------------------------------


def test_a_batch_is_the_same_as_one_by_one(workspace: Workspace) -> None:
    family_with_fit(workspace)
    service.create_model(workspace, RSO, "m2", "fam", "pretraining")
    service.create_run(workspace, RSO, "m2", "run-1", algorithmic_multiplier=2.0)
    specs = [service_spec(p) for p in payloads(6, workspace)]
    batch = service.register_checkpoints(workspace, RSO, "m1", specs)
    single = [service.register_checkpoint(workspace, RSO, "m2", s) for s in specs]
    assert [r.checkpoint.effective_compute for r in batch] == [r.checkpoint.effective_compute for r in single]
    assert [[f.to_dict() | {"detail": None, "text": ""} for f in r.firings] for r in batch] == [
        [f.to_dict() | {"detail": None, "text": ""} for f in r.firings] for r in single
    ]
    assert [len(r.opened) for r in batch] == [len(r.opened) for r in single]
    assert sum(len(r.opened) for r in batch) >= 1  # no assessed baseline: the compute trigger fires once


def service_spec(payload: dict[str, Any]) -> Any:
    from scalegate.registry.specs import CheckpointSpec

    return CheckpointSpec(**payload)


def test_a_failure_after_the_inserts_rolls_the_batch_back(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows are inserted before the triggers are evaluated: a failure there undoes them."""
    family_with_fit(workspace)
    before = counts(workspace)

    def broken(_: Workspace, session: Any, rows: list[CheckpointRow]) -> Any:
        assert len(rows) == 50 and all(r.id for r in rows)  # inserted, in this transaction
        assert session.execute(select(func.count()).select_from(CheckpointRow)).scalar_one() >= 50
        raise StoreError("store went away")

    monkeypatch.setattr(service, "evaluate_triggers_many", broken)
    with pytest.raises(StoreError, match="store went away"):
        service.register_checkpoints(workspace, RSO, "m1", [service_spec(p) for p in payloads(50, workspace)])
    assert counts(workspace) == before


def test_duplicate_names_in_a_batch_are_refused(workspace: Workspace) -> None:
    family_with_fit(workspace)
    specs = [service_spec(p) for p in payloads(3, workspace)]
    with pytest.raises(InputError, match=r"checkpoints\[2\]: checkpoint 's00000' appears twice"):
        service.register_checkpoints(workspace, RSO, "m1", [*specs[:2], specs[0]])


# -- SDK, local transport ------------------------------------------------------------------------------------


def test_sdk_registers_a_thousand_checkpoints_in_one_transaction(workspace: Workspace) -> None:
    family_with_fit(workspace)
    client = Client(workspace=workspace, user="rita")
    before = counts(workspace)
    with write_transactions() as begun:
        done = client.register_checkpoints("m1", payloads(N, workspace))
    assert done["registered"] == N and done["checkpoints"][-1]["ref"] == f"m1@s{N - 1:05d}"
    assert all(c["method"] == "scaling_law" for c in done["checkpoints"])
    assert_one_batch(workspace, before, begun[0], N)


def test_sdk_batches_are_transactions(workspace: Workspace) -> None:
    family_with_fit(workspace)
    client = Client(workspace=workspace, user="rita")
    good = payloads(30, workspace)
    bad = [*good[10:20], {**good[25], "name": "bad", "losses": {"heldout": 0.5}}]  # below the law's floor
    before = counts(workspace)
    with write_transactions() as begun:
        assert client.register_checkpoints("m1", good[:10], batch_size=5)["registered"] == 10
    assert begun[0] == 2
    middle = counts(workspace)
    with pytest.raises(InputError, match=r"checkpoints\[10\]: m1@bad: loss 0\.5 is at or below"):
        client.register_checkpoints("m1", bad)
    assert counts(workspace) == middle
    assert middle["checkpoints"] - before["checkpoints"] == 10


# -- CLI: CSV import -----------------------------------------------------------------------------------------


def test_cli_imports_a_thousand_row_csv_in_one_transaction(workspace: Workspace, tmp_path: Path) -> None:
    family_with_fit(workspace)
    rows = payloads(N, workspace)
    csv = tmp_path / "run.csv"
    lines = ["checkpoint,step,training_flops,recorded_at,run,loss:heldout"]
    lines += [
        f"{p['name']},{p['step']},{p['training_flops']!r},{p['recorded_at'].isoformat()},{p['run']},"
        f"{p['losses']['heldout']!r}"
        for p in rows
    ]
    csv.write_text("\n".join(lines) + "\n")
    before = counts(workspace)
    with write_transactions() as begun:
        result = cli(workspace, "checkpoint", "import", str(csv), "--model", "m1", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["imported"] == N
    assert_one_batch(workspace, before, begun[0], N)

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "checkpoint,step,training_flops,run,loss:heldout\n"
        "n1,1,1e20,run-1,2.5\nn2,2,1e20,run-1,0.5\nn3,3,1e20,run-1,2.4\n"
    )
    middle = counts(workspace)
    failed = cli(workspace, "checkpoint", "import", str(bad), "--model", "m1")
    assert failed.exit_code == 2
    assert failed.stderr.count("\n") == 1 and "bad.csv:3: m1@n2: loss 0.5" in failed.stderr
    assert counts(workspace) == middle


def cli(workspace: Workspace, *args: str) -> Any:
    return CliRunner().invoke(app, ["--db", workspace.url, "--as", "rita", *args], env={"COLUMNS": "200"})


@pytest.fixture(autouse=True)
def rita(workspace: Workspace) -> None:
    """The RSO as a workspace user, so that every door acts as her."""
    from scalegate.governance.identity import resolve_actor
    from scalegate.governance.users import add_user

    add_user(workspace, Actor("root"), "root", admin=True)
    add_user(workspace, resolve_actor(workspace, "root"), "rita", roles=["rso"])


# -- HTTP API ------------------------------------------------------------------------------------------------

needs_web = pytest.mark.skipif(importlib.util.find_spec("fastapi") is None, reason="web extra not installed")


@pytest.fixture
def http(workspace: Workspace) -> Iterator[tuple[Client, Any]]:
    """The SDK over HTTP on the real app (bearer token of the RSO), and the raw test client."""
    from fastapi.testclient import TestClient

    from scalegate.governance.identity import resolve_actor
    from scalegate.governance.users import create_token
    from scalegate.web import WebSettings, create_app

    token = create_token(
        workspace, resolve_actor(workspace, "rita"), name="bulk", scopes=["registry.*", "evidence.*"]
    ).secret
    app_ = create_app(workspace, WebSettings(session_secret="s" * 48))
    with (
        TestClient(app_, raise_server_exceptions=False) as raw,
        Client(base_url="http://testserver", token=token, http_client=raw) as sdk,  # type: ignore[arg-type]
    ):
        raw.headers["Authorization"] = f"Bearer {token}"
        yield sdk, raw


@needs_web
def test_api_registers_a_thousand_checkpoints_in_one_transaction(
    workspace: Workspace, http: tuple[Client, Any]
) -> None:
    family_with_fit(workspace)
    sdk, raw = http
    before = counts(workspace)
    with write_transactions() as begun:
        done = sdk.register_checkpoints("m1", payloads(N, workspace))
    assert done["registered"] == N
    assert_one_batch(workspace, before, begun[0], N)

    middle = counts(workspace)
    body = {"checkpoints": [{k: _iso(v) for k, v in p.items()} for p in payloads(3, workspace, prefix="b")]}
    body["checkpoints"][2]["run"] = "no-such-run"
    answer = raw.post("/api/v1/models/m1/checkpoints/batch", json=body)
    assert answer.status_code == 404, answer.text
    assert answer.json()["error"]["where"] == "checkpoints[2]"
    taken = raw.post(
        "/api/v1/models/m1/checkpoints/batch", json={"checkpoints": [body["checkpoints"][0]] * 2}
    )
    assert taken.status_code == 400 and "appears twice" in taken.json()["error"]["message"]
    assert counts(workspace) == middle
    with pytest.raises(NotFoundError, match="no model 'nope'"):
        sdk.register_checkpoints("nope", payloads(2, workspace))


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


@needs_web
def test_api_batches_are_held_to_the_body_limit(workspace: Workspace) -> None:
    """A batch larger than the body limit is refused (413) before anything is read into the store; the SDK
    sends smaller batches."""
    from fastapi.testclient import TestClient

    from scalegate.governance.identity import resolve_actor
    from scalegate.governance.users import create_token
    from scalegate.web import WebSettings, create_app
    from scalegate.web.limits import BodyLimit

    family_with_fit(workspace)
    token = create_token(workspace, resolve_actor(workspace, "rita"), name="t", scopes=["registry.*"]).secret
    settings = WebSettings(session_secret="s" * 48, body_limit=BodyLimit(default=64 * 1024))
    before = counts(workspace)
    with (
        TestClient(create_app(workspace, settings), raise_server_exceptions=False) as raw,
        Client(base_url="http://testserver", token=token, http_client=raw) as sdk,  # type: ignore[arg-type]
    ):
        with pytest.raises(StoreError, match="HTTP 413"):
            sdk.register_checkpoints("m1", payloads(N, workspace))
        assert counts(workspace) == before
        assert sdk.register_checkpoints("m1", payloads(N, workspace), batch_size=200)["registered"] == N


# -- one transaction per file or batch, through every door, at two sizes ------------------------------------


def _csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    lines = ["checkpoint,step,training_flops,recorded_at,run,loss:heldout"]
    lines += [
        f"{p['name']},{p['step']},{p['training_flops']!r},{p['recorded_at'].isoformat()},{p['run']},"
        f"{p['losses']['heldout']!r}"
        for p in rows
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("size", [10, 300])
def test_cli_imports_a_csv_in_one_transaction_whatever_its_size(
    workspace: Workspace, tmp_path: Path, size: int
) -> None:
    family_with_fit(workspace)
    csv = _csv(tmp_path / "run.csv", payloads(size, workspace))
    before = counts(workspace)
    with write_transactions() as begun:
        result = cli(workspace, "checkpoint", "import", str(csv), "--model", "m1", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["imported"] == size
    assert_one_batch(workspace, before, begun[0], size)


@needs_web
@pytest.mark.parametrize(("batch_size", "batches"), [(1000, 1), (150, 2)])
def test_api_registers_one_transaction_per_batch(
    workspace: Workspace, http: tuple[Client, Any], batch_size: int, batches: int
) -> None:
    """300 checkpoints through the SDK over HTTP: one request, one transaction and one registration entry
    per batch of ``batch_size``."""
    family_with_fit(workspace)
    sdk, _ = http
    before = counts(workspace)
    with write_transactions() as begun:
        done = sdk.register_checkpoints("m1", payloads(300, workspace), batch_size=batch_size)
    assert done["registered"] == 300
    assert begun[0] == batches
    assert counts(workspace)["checkpoints"] - before["checkpoints"] == 300
    assert [e["data"]["count"] for e in batch_entries(workspace)] == [300 // batches] * batches


@contextmanager
def recorded_bars(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[list[Any]]]:
    """The CLI's progress bars drawn in the block: ``[description, total, advanced]`` each (the bar itself
    is drawn only on a terminal; this stands in for it)."""
    from scalegate.cli import _progress

    bars: list[list[Any]] = []

    @contextmanager
    def progress(description: str, total: int, *, json_out: bool) -> Iterator[Any]:
        bar = [description, total, 0]
        bars.append(bar)

        def advance(n: int) -> None:
            bar[2] += n

        yield advance

    monkeypatch.setattr(_progress, "progress", progress)
    yield bars


def test_cli_import_shows_a_bar_advanced_per_checkpoint(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    family_with_fit(workspace)
    csv = _csv(tmp_path / "run.csv", payloads(40, workspace))
    with recorded_bars(monkeypatch) as bars:
        result = cli(workspace, "checkpoint", "import", str(csv), "--model", "m1")
    assert result.exit_code == 0, result.output
    assert bars == [["importing run.csv", 40, 40]]
