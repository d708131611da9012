"""Registry and evidence writes are checked against the permission matrix in the service layer, so every door
gets the same answer: an auditor, a user the workspace does not know, or no user at all cannot refit a
scaling law, add or stage a checkpoint, or ingest evidence, through the CLI or the local SDK; nothing is
written when they try."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from scalegate.actor import Actor
from scalegate.audit import log_size
from scalegate.cli.app import app
from scalegate.errors import PermissionDenied
from scalegate.governance.identity import resolve_actor
from scalegate.governance.users import add_user
from scalegate.registry import fits, service
from scalegate.registry.specs import CheckpointSpec
from scalegate.sdk import Client
from scalegate.workspace import Workspace, init_workspace
from tests.conftest import FIXTURES
from tests.registry.conftest import law_loss, reference_points

LM_EVAL = FIXTURES / "evidence" / "lm_eval" / "results_2025-05-30T10-11-12.123456.json"

WHO = {"auditor": "amy", "unknown user": "ghost", "no user": None}


@pytest.fixture
def ws(sqlite_url: str) -> Iterator[Workspace]:
    """A demo workspace of RSP v2.2 (so that ``--as`` names anyone) with an evaluator, an auditor, a family,
    a model and one checkpoint."""
    workspace = init_workspace(sqlite_url, "anthropic-rsp-2.2", mode="demo")
    add_user(workspace, Actor("root"), "root", admin=True)
    root = resolve_actor(workspace, "root")
    add_user(workspace, root, "eve", roles=["evaluator"])
    add_user(workspace, root, "amy", roles=["auditor"])
    eve = resolve_actor(workspace, "eve")
    service.create_model(workspace, eve, "m1", "fam", "team")
    fits.fit_family(workspace, eve, "fam", reference_points())
    spec = CheckpointSpec(name="c1", step=1, training_flops=1e20, losses={"heldout": law_loss(2e21)})
    service.register_checkpoint(workspace, eve, "m1", spec)
    try:
        yield workspace
    finally:
        workspace.close()


def size(ws: Workspace) -> int:
    with ws.read() as session:
        return log_size(session)


def writes(tmp_path: Path) -> dict[str, tuple[list[str], str]]:
    points = tmp_path / "points.csv"
    rows = "\n".join(f"{10.0**e},heldout,{law_loss(10.0**e)}" for e in range(18, 25))
    points.write_text("compute,dataset,loss\n" + rows + "\n")
    return {
        "refit the scaling law": (["scaling", "fit", "fam", "--points", str(points)], "registry.write"),
        "add a checkpoint": (
            ["checkpoint", "add", "m1", "c2", "--step", "2", "--flops", "2e20", "--loss", "heldout=2.0"],
            "registry.write",
        ),
        "stage a checkpoint": (["checkpoint", "stage", "m1@c1", "deployed"], "registry.write"),
        "ingest evidence": (["evidence", "ingest", str(LM_EVAL), "--checkpoint", "m1@c1"], "evidence.ingest"),
    }


@pytest.mark.parametrize("write", ["refit the scaling law", "add a checkpoint", "stage a checkpoint",
                                   "ingest evidence"])  # fmt: skip
@pytest.mark.parametrize("who", list(WHO))
def test_the_cli_refuses_registry_and_evidence_writes(
    ws: Workspace, tmp_path: Path, write: str, who: str
) -> None:
    args, action = writes(tmp_path)[write]
    user = WHO[who]
    before = size(ws)
    argv = ["--db", ws.url, *(["--as", user] if user else []), *args]
    result: Any = CliRunner().invoke(app, argv, env={"SCALEGATE_USER": "", "SCALEGATE_TOKEN": ""})
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"may not {action}" in lines[0], result.stderr
    assert size(ws) == before


def test_an_evaluator_may_do_each_of_them(ws: Workspace, tmp_path: Path) -> None:
    mapped = ["evidence", "map-model", "acme/frontier-mini", "m1"]  # the model the results file names
    for args in [mapped, *(args for args, _ in writes(tmp_path).values())]:
        result: Any = CliRunner().invoke(
            app, ["--db", ws.url, "--as", "eve", *args], env={"SCALEGATE_USER": ""}
        )
        assert result.exit_code == 0, (args, result.stderr)


@pytest.mark.parametrize("who", list(WHO))
def test_the_local_sdk_refuses_them_too(ws: Workspace, who: str) -> None:
    client = Client(workspace=ws, user=WHO[who])
    before = size(ws)
    with pytest.raises(PermissionDenied, match=r"may not registry\.write"):
        client.report_checkpoint("m1", "c9", 9, 9e20, {"heldout": law_loss(9e21)})
    with pytest.raises(PermissionDenied, match=r"may not registry\.write"):
        client.ensure_model("m9", "fam", "team")
    with pytest.raises(PermissionDenied, match=r"may not evidence\.ingest"):
        client.ingest("m1@c1", [LM_EVAL])
    assert size(ws) == before
