"""Running evals: ``scalegate evals run`` through inspect_ai's eval_set, and the hook on a user's own eval."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scalegate.cli.app import app
from scalegate.evidence.runner import planned_tasks
from scalegate.evidence.service import list_evidence
from scalegate.workspace import Workspace
from tests.evidence.conftest import TASKS
from tests.evidence.test_service import evidence_for, indicator
from tests.support.policy import policy_of

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_evals_run_runs_the_policy_tasks_offline_and_ingests(
    workspace: Workspace, checkpoint: str, tmp_path: Path, eve: str
) -> None:
    args = [
        "--db",
        workspace.url,
        "--as",
        eve,
        "evals",
        "run",
        checkpoint,
        "--model",
        "scalegate/acc-0.9",
        "--task-file",
        str(TASKS),
        "--indicator",
        "bio-mcq",
        "--log-dir",
        str(tmp_path / "logs"),
        "--json",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout[result.stdout.index("{") :])
    assert run["success"] and len(run["logs"]) == 1 and run["ingested"][0]["created"]
    policy_indicator = next(i for _, i in policy_of(workspace).indicators() if i.id == "bio-mcq")
    found = evidence_for(workspace, checkpoint, policy_indicator)
    assert found is not None and found.task == "tiny_bio" and found.model == "scalegate/acc-0.9"
    assert found.n_samples == 24 and found.sufficient
    assert 0.7 <= found.estimate <= 1.0
    again = CliRunner().invoke(app, args)  # eval_set reuses the finished log: nothing new is ingested
    assert again.exit_code == 0, again.output
    assert not json.loads(again.stdout[again.stdout.index("{") :])["ingested"][0]["created"]
    assert len(list_evidence(workspace, checkpoint)) == 1


def test_planned_tasks_take_the_most_epochs_any_indicator_asks() -> None:
    bio = indicator("inspect_evals/wmdp_bio", min_epochs=2)
    bio_again = indicator("inspect_evals/wmdp_bio", min_epochs=5)
    lm = indicator("tiny_auto", harness="lm_eval", metric="acc")
    assert planned_tasks([bio, bio_again, lm], None) == {"inspect_evals/wmdp_bio": 5}
    assert planned_tasks([bio], Path("/x/tasks.py")) == {"/x/tasks.py@wmdp_bio": 2}


def test_evals_run_refuses_unknown_indicators_and_checkpoints(workspace: Workspace, checkpoint: str) -> None:
    base = ["--db", workspace.url, "evals", "run"]
    unknown = CliRunner().invoke(
        app, [*base, checkpoint, "--model", "scalegate/acc-0.5", "--indicator", "nope"]
    )
    assert unknown.exit_code == 2 and "no indicator nope" in unknown.stderr
    missing = CliRunner().invoke(app, [*base, "m1@zzz", "--model", "scalegate/acc-0.5"])
    assert missing.exit_code == 2 and "no checkpoint" in missing.stderr


HOOK_SCRIPT = textwrap.dedent("""
    import os, sys
    from inspect_ai import eval
    task, log_dir = sys.argv[1], sys.argv[2]
    os.environ.pop("SCALEGATE_INSPECT_HOOK", None)
    [quiet] = eval(task, model="scalegate/acc-0.8", log_dir=log_dir + "/off", display="none")
    os.environ["SCALEGATE_INSPECT_HOOK"] = "1"
    [heard] = eval(task, model="scalegate/acc-0.8", log_dir=log_dir + "/on", display="none")
    print(quiet.location)
    print(heard.location)
""")


@pytest.mark.slow
def test_the_hook_ingests_a_users_own_eval_when_enabled(
    workspace: Workspace, checkpoint: str, tmp_path: Path, eve: str
) -> None:
    env = {
        **os.environ,
        "SCALEGATE_USER": eve,
        "SCALEGATE_DATABASE_URL": workspace.url,
        "SCALEGATE_CHECKPOINT": checkpoint,
        "SCALEGATE_ELICITATION": "best_of_n",
    }
    out = subprocess.run(
        [sys.executable, "-c", HOOK_SCRIPT, f"{TASKS}@tiny_bio", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    quiet, heard = out.stdout.strip().splitlines()[-2:]
    records = list_evidence(workspace, checkpoint)
    assert [r.filename for r in records] == [Path(heard).name]
    assert records[0].elicitation == ["best_of_n"]
    assert records[0].info["ingest_metadata"]["source"] == "inspect hook"
    assert Path(quiet).exists()  # the first eval ran, but the hook was off


@pytest.mark.parametrize("value", ["", "0", "no"])
def test_the_hook_is_off_unless_switched_on(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    from scalegate.evidence.hooks import hook_enabled

    monkeypatch.setenv("SCALEGATE_INSPECT_HOOK", value)
    assert not hook_enabled()
    monkeypatch.setenv("SCALEGATE_INSPECT_HOOK", "1")
    assert hook_enabled()
