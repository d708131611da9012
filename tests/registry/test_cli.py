"""The registry's CLI: every command with --json prints one document; bad input exits 2 with one line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from scalegate.actor import Actor
from scalegate.cli.app import app
from scalegate.governance.identity import resolve_actor
from scalegate.governance.users import add_user
from scalegate.workspace import init_workspace
from tests.conftest import MINIMAL_POLICY
from tests.registry.conftest import law_loss

NOW = "2025-06-01T12:00:00Z"


class Cli:
    def __init__(self, url: str) -> None:
        self.url = url
        self.runner = CliRunner()

    def run(self, *args: str, user: str | None = "eve") -> Any:
        """Run as ``user`` (the evaluator, who may write the registry, unless told otherwise)."""
        argv = ["--db", self.url, *(["--as", user] if user else []), *args]
        return self.runner.invoke(app, argv, env={"SCALEGATE_NOW": NOW}, catch_exceptions=False)

    def json(self, *args: str, user: str | None = "eve") -> Any:
        result = self.run(*args, "--json", user=user)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def fails(self, *args: str, match: str, user: str | None = "eve") -> None:
        result = self.run(*args, user=user)
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
        assert match in lines[0], lines[0]


@pytest.fixture
def cli(sqlite_url: str, tmp_path: Path) -> Cli:
    ws = init_workspace(sqlite_url, str(MINIMAL_POLICY), mode="demo")  # --as needs no credential
    add_user(ws, Actor("root"), "root", admin=True)
    root = resolve_actor(ws, "root")
    add_user(ws, root, "rita", roles=["rso"])
    add_user(ws, root, "sam", roles=["staff"])
    add_user(ws, root, "eve", roles=["evaluator"])
    ws.close()
    return Cli(sqlite_url)


@pytest.fixture
def points(tmp_path: Path) -> Path:
    path = tmp_path / "points.csv"
    rows = "\n".join(f"{10.0**e},heldout,{law_loss(10.0**e)}" for e in range(18, 25))
    path.write_text("compute,dataset,loss\n" + rows + "\n")
    return path


def registered(cli: Cli, points: Path) -> None:
    cli.json("model", "add", "m1", "--family", "fam", "--owner", "team")
    assert cli.json("scaling", "fit", "fam", "--points", str(points))["fit"]["n_points"] == 7
    cli.json("model", "add-run", "m1", "run-1", "--algorithmic-multiplier", "2")


def test_model_commands(cli: Cli, points: Path) -> None:
    registered(cli, points)
    assert [m["name"] for m in cli.json("model", "list")] == ["m1"]
    assert cli.json("model", "list", "--family", "other") == []
    shown = cli.json("model", "show", "m1")
    assert shown["model"]["family"] == "fam" and shown["runs"][0]["algorithmic_multiplier"] == 2.0
    enhancement = cli.json(
        "model",
        "add-enhancement",
        "m1",
        "--kind",
        "scaffolding",
        "--description",
        "agent loop",
        "--started-at",
        "2025-05-01",
    )
    assert enhancement["kind"] == "scaffolding"
    cli.fails("model", "add", "m1", "--family", "fam", "--owner", "team", match="model 'm1' already exists")
    cli.fails("model", "add", "bad@name", "--family", "fam", "--owner", "t", match="no '@' or '/'")
    cli.fails("model", "add-run", "m1", "r2", "--algorithmic-multiplier", "0", match="must be positive")
    cli.fails(
        "model",
        "add-enhancement",
        "m1",
        "--kind",
        "magic",
        "--description",
        "x",
        "--started-at",
        "2025-05-01",
        match="unknown enhancement kind 'magic'",
    )
    cli.fails(
        "model",
        "add-enhancement",
        "m1",
        "--kind",
        "other",
        "--description",
        "x",
        "--started-at",
        "yesterday",
        match="'yesterday' is not an ISO-8601 date",
    )
    cli.fails("model", "show", "nope", match="no model 'nope'")
    assert "m1" in cli.run("model", "list").stdout


def test_checkpoint_commands(cli: Cli, points: Path, tmp_path: Path) -> None:
    registered(cli, points)
    report = cli.json(
        "checkpoint",
        "add",
        "m1",
        "c1",
        "--step",
        "100",
        "--flops",
        "1e21",
        "--run",
        "run-1",
        "--loss",
        f"heldout={law_loss(5e21)}",
        "--weight",
        "heldout=1",
        "--recorded-at",
        "2025-05-30",
    )
    assert report["effective_compute"]["value"] == pytest.approx(5e21, rel=1e-6)
    assert report["assessments_opened"][0]["trigger"] == "effective_compute"
    assert cli.json("checkpoint", "list", "m1")[0]["ref"] == "m1@c1"
    shown = cli.json("checkpoint", "show", "m1")
    assert shown["checkpoint"]["ref"] == "m1@c1" and shown["triggers"][0]["trigger"] == "effective_compute"
    assert cli.json("checkpoint", "stage", "m1@c1", "post-training")["checkpoint"]["stage"] == "post-training"
    cli.fails(
        "checkpoint",
        "add",
        "m1",
        "c2",
        "--step",
        "1",
        "--flops",
        "1e20",
        "--loss",
        "heldout:2.0",
        match="'heldout:2.0' is not DATASET=NUMBER",
    )
    cli.fails(
        "checkpoint",
        "add",
        "m1",
        "c2",
        "--step",
        "-1",
        "--flops",
        "1e20",
        match="step: Input should be greater than or equal to 0",
    )
    cli.fails(
        "checkpoint",
        "add",
        "m1",
        "c2",
        "--step",
        "1",
        "--flops",
        "1e20",
        "--stage",
        "retired",
        match="stage: Input should be",
    )
    cli.fails(
        "checkpoint",
        "add",
        "m1",
        "c2",
        "--step",
        "1",
        "--flops",
        "1e20",
        "--loss",
        "heldout=0.1",
        match="m1@c2: loss 0.1 is at or below the fitted irreducible loss",
    )
    cli.fails("checkpoint", "show", "m1@zzz", match="model 'm1' has no checkpoint 'zzz'")
    cli.fails("checkpoint", "stage", "m1@c1", "retired", match="unknown stage 'retired'")
    assert [c["ref"] for c in cli.json("checkpoint", "list", "m1")] == ["m1@c1"]  # failures wrote nothing
    shown_text = cli.run("checkpoint", "show", "m1@c1").stdout
    assert "Triggers" in shown_text and "m1@c1" in shown_text


def test_checkpoint_import(cli: Cli, points: Path, tmp_path: Path) -> None:
    registered(cli, points)
    good = tmp_path / "run.csv"
    good.write_text(
        f"checkpoint,step,training_flops,recorded_at,loss:heldout\nc1,1,1e20,2025-05-01,{law_loss(1e21)}\n"
        f"c2,2,2e20,2025-05-02,{law_loss(2e21)}\n"
    )
    imported = cli.json("checkpoint", "import", str(good), "--model", "m1", "--run", "run-1")
    assert imported["imported"] == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("checkpoint,step,training_flops\nc3,3,3e20\nc4,four,4e20\n")
    cli.fails("checkpoint", "import", str(bad), "--model", "m1", match=f"{bad}:3: step:")
    assert len(cli.json("checkpoint", "list", "m1")) == 2
    cli.fails(
        "checkpoint", "import", str(tmp_path / "missing.csv"), "--model", "m1", match="cannot read file"
    )


def test_scaling_commands(cli: Cli, points: Path, tmp_path: Path) -> None:
    registered(cli, points)
    summary = cli.json("scaling", "show", "fam")
    assert summary["fit"]["alpha"] == pytest.approx(0.15, rel=1e-6) and len(summary["curve"]) == 40
    cli.json("model", "add", "base", "--family", "basefam", "--owner", "team")
    cli.json("model", "add-run", "base", "ref")
    for n, exponent in enumerate(range(19, 24), start=1):
        cli.json(
            "checkpoint",
            "add",
            "base",
            f"s{n}",
            "--step",
            str(n),
            "--flops",
            str(10.0**exponent),
            "--run",
            "ref",
            "--loss",
            f"heldout={law_loss(10.0**exponent)}",
        )
    fitted = cli.json("scaling", "fit", "basefam", "--from-run", "base/ref")
    assert fitted["fit"]["E"] == pytest.approx(1.7, rel=1e-5) and fitted["fit"]["source"] == "run:base/ref"
    few = tmp_path / "few.csv"
    few.write_text("compute,loss\n1e20,2.5\n1e21,2.2\n1e22,2.0\n")
    cli.fails("scaling", "fit", "fam", "--points", str(few), match="at least 4 reference points")
    cli.fails("scaling", "fit", "fam", match="give exactly one of --points FILE or --from-run")
    cli.fails("scaling", "fit", "fam", "--from-run", "base", match="'base' is not MODEL/RUN")
    cli.fails("scaling", "show", "nofam", match="family 'nofam' has no fit and no checkpoints")
    cli.fails("scaling", "fit", "nofam", "--points", str(points), match="no model in family 'nofam'")
    assert "L(C) = 1.7" in cli.run("scaling", "show", "fam").stdout


def test_assessments_commands(cli: Cli, points: Path) -> None:
    registered(cli, points)
    cli.json(
        "checkpoint",
        "add",
        "m1",
        "c0",
        "--step",
        "1",
        "--flops",
        "1e20",
        "--recorded-at",
        "2025-03-25",
        "--loss",
        f"heldout={law_loss(1e21)}",
    )
    prior = cli.json("assessments", "record-prior", "m1@c0", "--completed-at", "2025-04-01", user="rita")
    assert prior["status"] == "completed" and prior["checkpoint_id"] == 1
    cli.fails(
        "assessments",
        "record-prior",
        "m1@c0",
        "--completed-at",
        "2025-04-01",
        user="sam",
        match="may not record a prior assessment",
    )
    cli.fails(
        "assessments",
        "record-prior",
        "m1@c0",
        "--completed-at",
        "2030-01-01",
        user="rita",
        match="is in the future",
    )
    cli.json(
        "checkpoint",
        "add",
        "m1",
        "c1",
        "--step",
        "2",
        "--flops",
        "2e20",
        "--recorded-at",
        "2025-04-10",
        "--loss",
        f"heldout={law_loss(5e21)}",
    )
    due = cli.json("assessments", "due")
    assert due["as_of"].startswith("2025-06-01")
    (item,) = due["assessments"]
    assert item["checkpoint"] == "m1@c1" and item["trigger"] == "effective_compute"
    assert (
        item["status"] == "overdue" and item["days_overdue"] == 22 and item["due_at"].startswith("2025-05-10")
    )
    checked = cli.json("assessments", "check")
    assert [(f["kind"], f["days_late"]) for f in checked["recorded"]] == [("assessment_overdue", 22)]
    assert cli.json("assessments", "check")["recorded"] == []
    assert cli.json("assessments", "findings")[0]["subject"] == f"assessment:{item['id']}"
    requested = cli.json("assessments", "request", "m1@c1", "--reason", "new scaffolding", user="rita")
    assert requested["trigger"] == "discretionary" and requested["requested_by"] == "rita"
    cli.fails(
        "assessments",
        "request",
        "m1",
        "--reason",
        "x",
        user="sam",
        match="may not request an assessment: the policy allows roles rso",
    )
    cli.fails(
        "assessments", "request", "m1", "--reason", "x", "--kind", "quick", user="rita", match="unknown kind"
    )
    cli.json("assessments", "record-prior", "m1@c1", "--completed-at", "2025-05-31", user="rita")
    assert cli.json("assessments", "due")["assessments"] == []
    assert cli.json("assessments", "findings")[0]["days_late"] == 21
    assert "no assessment is due" in cli.run("assessments", "due").stdout
