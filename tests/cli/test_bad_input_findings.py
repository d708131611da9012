"""Bad input the command line once answered with a traceback, or accepted: now a one-line error, exit 2."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from scalegate.actor import Actor
from scalegate.cli.app import app
from scalegate.clock import FixedClock
from scalegate.evidence.manual import ManualResult, read_samples_table
from scalegate.governance.identity import resolve_actor
from scalegate.governance.users import add_user
from scalegate.registry.service import create_model, register_checkpoint
from scalegate.registry.specs import CheckpointSpec
from scalegate.workspace import init_workspace
from tests.conftest import MINIMAL_POLICY
from tests.support.digest import store_digest

HUGE = "99999999999999999999999"


@pytest.fixture
def url(sqlite_url: str, clock: FixedClock) -> str:
    """A SQLite demo workspace with m1@c1 and `ada`, who holds the roles the commands below need (the
    command line is the same door on both stores: this checks its parsing)."""
    workspace = init_workspace(sqlite_url, str(MINIMAL_POLICY), clock=clock)
    add_user(workspace, Actor("root"), "root", admin=True)
    roles = ["rso", "evaluator", "safeguards_owner"]
    add_user(workspace, resolve_actor(workspace, "root"), "ada", roles=roles)
    ada = resolve_actor(workspace, "ada")
    create_model(workspace, ada, "m1", "fam", "team")
    register_checkpoint(workspace, ada, "m1", CheckpointSpec(name="c1", step=1, training_flops=1e20))
    workspace.close()
    return sqlite_url


def _run(url: str, *args: str, env: dict[str, str] | None = None, db: bool = True) -> Any:
    argv = (["--db", url] if db else []) + ["--as", "ada", *args]
    return CliRunner().invoke(app, argv, env={"SCALEGATE_USER": "", "COLUMNS": "200", **(env or {})})


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["checkpoint", "add", "m1", "c2", "--step", HUGE, "--flops", "1e20"], "out of range"),
        (["checkpoint", "add", "m1", "c2", "--step", "2", "--flops", "nan"], "not a finite number"),
        (["decision", "show", HUGE], "out of range"),
        (
            [
                "evidence",
                "manual",
                "-c",
                "m1@c1",
                "--task",
                "t",
                "--metric",
                "m",
                "--value",
                "0.5",
                "--n",
                HUGE,
            ],
            "out of range",
        ),
        (
            [
                "evidence",
                "manual",
                "-c",
                "m1@c1",
                "--task",
                "t",
                "--metric",
                "m",
                "--value",
                "0.5",
                "--n",
                "9",
                "--ci",
                "0.1",
                "0.9",
                "--level",
                "7",
            ],
            "--level: confidence level 7.0 must lie strictly between 0 and 1",
        ),
        (
            [
                *("safeguards", "evidence", "l2-dep-usage-policy", "--title", "t", "--uri", "https://x"),
                *("--expires", "yesterday"),
            ],
            "--expires: 'yesterday' is not an ISO-8601 date",
        ),
        (
            [
                *("interim", "propose", "m1@c1", "--action", "continue-training", "--scope", "s"),
                *("--expires", "2020-01-01"),
            ],
            "--expires: 2020-01-01T00:00:00+00:00 is not in the future",
        ),
        (
            [
                "checkpoint",
                "add",
                "m1",
                "c2",
                "--step",
                "2",
                "--flops",
                "1e20",
                "--recorded-at",
                "9999-01-01",
            ],
            "outside the years",
        ),
    ],
)
def test_bad_values_are_refused_in_one_line(url: str, args: list[str], expected: str) -> None:
    before = store_digest(url)
    result = _run(url, *args)
    assert result.exit_code == 2, result.stderr
    assert expected in " ".join(result.stderr.split()), result.stderr
    assert "Traceback" not in result.stderr
    assert store_digest(url) == before


@pytest.mark.parametrize("db", ["foo://bar", "mysql://user@host/db"])
def test_an_unsupported_store_url_is_bad_input(url: str, db: str) -> None:
    result = CliRunner().invoke(app, ["--db", db, "model", "list"], env={"SCALEGATE_USER": ""})
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --db: unsupported store") and result.stderr.count("\n") == 1


def test_the_gate_pauses_on_an_unsupported_store_url() -> None:
    result = CliRunner().invoke(app, ["--db", "foo://bar", "gate", "m1", "--action", "deploy-external"])
    assert result.exit_code == 3
    assert "PAUSE" in result.stdout and "unsupported store" in result.stdout


def test_a_garbage_scalegate_now_is_named(url: str) -> None:
    result = _run(url, "model", "list", env={"SCALEGATE_NOW": "garbage"})
    assert result.exit_code == 2
    assert result.stderr.startswith("error: SCALEGATE_NOW: 'garbage' is not an ISO-8601 date")


def test_a_manual_samples_file_sets_the_epochs(tmp_path: Path) -> None:
    samples = tmp_path / "samples.csv"
    samples.write_text("id,value,epoch\na,1,1\na,0,2\nb,1,1\nb,1,2\n")
    rows = read_samples_table(samples)
    result = ManualResult(task="t", metric="m", samples=rows)
    assert result.epochs == 2
    with pytest.raises(ValueError, match="epochs is 1 but the samples have 2"):
        ManualResult(task="t", metric="m", samples=rows, epochs=1)
    samples.write_text("id,value,epoch\na,1,1\na,0,1\n")
    with pytest.raises(ValueError, match="sample 'a' epoch 1 appears twice"):
        ManualResult(task="t", metric="m", samples=read_samples_table(samples))
