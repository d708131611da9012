"""Ingesting log directories: real Inspect logs (the committed golden logs) and lm-eval output, through the
service, the CLI, and the SDK on both transports. One transaction per file; files that are not logs are
skipped with a note; a bad file stops with its name and leaves nothing of itself written."""

from __future__ import annotations

import importlib.util
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event
from typer.testing import CliRunner

from scalegate.cli.app import app
from scalegate.errors import EvidenceError
from scalegate.evidence.bulk import find_logs, ingest_paths
from scalegate.governance.identity import resolve_actor
from scalegate.sdk import Client
from scalegate.workspace import Workspace
from tests.evidence.conftest import EVALUATOR, EVIDENCE_FIXTURES, count_rows
from tests.registry.test_bulk import recorded_bars

LM_EVAL = EVIDENCE_FIXTURES / "lm_eval"
INSPECT = ("success", "epochs", "json", "partial")


@contextmanager
def commits() -> Iterator[list[int]]:
    """Write transactions committed in the block (reads are deferred transactions and not counted)."""
    box = [0]

    def committed(conn: Any) -> None:
        if not conn.get_execution_options().get("scalegate_read"):
            box[0] += 1

    event.listen(Engine, "commit", committed)
    try:
        yield box
    finally:
        event.remove(Engine, "commit", committed)


@pytest.fixture
def log_dir(tmp_path: Path, inspect_logs: dict[str, Path]) -> Path:
    """An Inspect log directory (one log in a subdirectory), with a listing and a README that are not logs."""
    root = tmp_path / "logs"
    (root / "later").mkdir(parents=True)
    for name in INSPECT[:3]:
        shutil.copy(inspect_logs[name], root / inspect_logs[name].name)
    shutil.copy(inspect_logs["partial"], root / "later" / inspect_logs["partial"].name)
    (root / "logs.json").write_text(json.dumps({"success.eval": {"eval": {"task": "tiny_bio"}}}))
    (root / "README.txt").write_text("how these logs were made\n")
    (root / ".hidden.eval").write_text("never read")
    return root


@pytest.fixture
def lm_eval_dir(tmp_path: Path) -> Path:
    """lm-eval's ``out/<model>/``: a results file with its samples files."""
    return Path(shutil.copytree(LM_EVAL, tmp_path / "out" / "acme__m1"))


def test_find_logs_walks_and_notes(log_dir: Path, lm_eval_dir: Path) -> None:
    files, skipped = find_logs([log_dir, lm_eval_dir])
    assert [f.path.name for f in files] == [
        "epochs.eval",
        "json.json",
        "partial.eval",
        "logs.json",
        "success.eval",
        "results_2025-05-30T10-11-12.123456.json",
    ]
    reasons = {s.path.name: s.reason for s in skipped}
    assert reasons["README.txt"].startswith("not an evaluation log")
    assert all("read with the results file" in r for n, r in reasons.items() if n.startswith("samples_"))
    assert ".hidden.eval" not in reasons
    flat, _ = find_logs([log_dir], recursive=False)
    assert "partial.eval" not in [f.path.name for f in flat]
    with pytest.raises(EvidenceError, match="nope: no such file or directory"):
        find_logs([log_dir / "nope"])


def test_a_directory_is_one_transaction_per_file(
    workspace: Workspace, checkpoint: str, log_dir: Path
) -> None:
    before = count_rows(workspace)
    with commits() as committed:
        done = ingest_paths(workspace, EVALUATOR, [log_dir], checkpoint)
    assert [i.path.name for i in done.ingested] == [
        "epochs.eval",
        "json.json",
        "partial.eval",
        "success.eval",
    ]
    assert done.created == 4 and committed[0] == 4
    skipped = {s.path.name: s.reason for s in done.skipped}
    assert set(skipped) == {"README.txt", "logs.json"} and "not an Inspect log" in skipped["logs.json"]
    after = count_rows(workspace)
    assert after["evidence"] - before["evidence"] == 4
    assert after["audit_entries"] - before["audit_entries"] == 4  # one entry per file
    with commits() as again:
        repeat = ingest_paths(workspace, EVALUATOR, [log_dir], checkpoint)
    assert repeat.created == 0 and again[0] == 4  # each file checked in its transaction, nothing written
    assert count_rows(workspace) == after


def test_a_bad_file_stops_with_its_name(workspace: Workspace, checkpoint: str, log_dir: Path) -> None:
    (log_dir / "later" / "zz-broken.eval").write_bytes(b"PK\x03\x04 not really a zip")
    before = count_rows(workspace)
    with pytest.raises(EvidenceError) as caught:
        ingest_paths(workspace, EVALUATOR, [log_dir], checkpoint)
    message = str(caught.value)
    assert "zz-broken.eval" in message and "\n" not in message
    assert "3 file(s) before it ingested" in message  # epochs, json, later/partial; success comes after
    assert count_rows(workspace)["evidence"] - before["evidence"] == 3  # nothing of the broken log


def test_lm_eval_output_reads_its_samples(workspace: Workspace, checkpoint: str, lm_eval_dir: Path) -> None:
    done = ingest_paths(workspace, EVALUATOR, [lm_eval_dir], checkpoint)
    assert len(done.ingested) == 1 and len(done.ingested[0].result.records) == 5
    assert [s.path.name.startswith("samples_") for s in done.skipped] == [True, True]


def cli(workspace: Workspace, *args: str) -> Any:
    """Run a command as `eve`."""
    argv = ["--db", workspace.url, "--as", "eve", *args]
    return CliRunner().invoke(app, argv, env={"COLUMNS": "200", "SCALEGATE_USER": ""})


def test_cli_ingests_directories(
    workspace: Workspace, checkpoint: str, eve: str, log_dir: Path, lm_eval_dir: Path
) -> None:
    result = cli(workspace, "evidence", "ingest", str(log_dir), str(lm_eval_dir), "-c", checkpoint, "--json")
    assert result.exit_code == 0, result.output
    documents = json.loads(result.stdout)
    assert [Path(d["file"]).name for d in documents][-1] == "results_2025-05-30T10-11-12.123456.json"
    assert all(d["created"] for d in documents) and len(documents) == 5
    assert "note: skipped" in result.stderr and "README.txt" in result.stderr
    human = cli(workspace, "evidence", "ingest", str(log_dir), "-c", checkpoint)
    assert human.exit_code == 0 and "4 file(s): 0 ingested, 4 already in; 2 skipped" in human.stdout
    empty = log_dir.parent / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("x")
    nothing = cli(workspace, "evidence", "ingest", str(empty), "-c", checkpoint)
    assert nothing.exit_code == 2 and "no evaluation logs found (1 file(s) skipped)" in nothing.stderr


def test_sdk_ingests_locally_and_over_http(
    workspace: Workspace, checkpoint: str, eve: str, log_dir: Path, lm_eval_dir: Path
) -> None:
    local = Client(workspace=workspace, user=eve).ingest(checkpoint, [log_dir, lm_eval_dir])
    assert local["files"] == 5 and local["created"] == 5
    if importlib.util.find_spec("fastapi") is None:
        pytest.skip("web extra not installed")
    from fastapi.testclient import TestClient

    from scalegate.governance.users import create_token
    from scalegate.web import WebSettings, create_app

    token = create_token(workspace, resolve_actor(workspace, eve), name="bulk", scopes=["evidence.*"]).secret
    with (
        TestClient(create_app(workspace, WebSettings(session_secret="s" * 48))) as http,
        Client(base_url="http://testserver", token=token, http_client=http) as sdk,  # type: ignore[arg-type]
    ):
        before = count_rows(workspace)
        with commits() as committed:
            remote = sdk.ingest("m1@c2", [log_dir, lm_eval_dir])
        assert remote["files"] == 5 and remote["created"] == 5 and committed[0] == 5
        assert count_rows(workspace)["evidence"] - before["evidence"] == 9
        by_file = {Path(d["file"]).name: d for d in local["ingested"]}
        for entry in remote["ingested"]:
            mine = by_file[entry["file"]]
            assert [r["sha256"] for r in entry["records"]] == [r["sha256"] for r in mine["records"]]
            assert [r["scorers"] for r in entry["records"]] == [r["scorers"] for r in mine["records"]]
        assert {Path(s["file"]).name for s in remote["skipped"]} >= {"README.txt", "logs.json"}
        again = sdk.ingest("m1@c2", [log_dir, lm_eval_dir])
        assert again["created"] == 0 and again["unchanged"] == 5


# -- one transaction per file, through every door, at two sizes --------------------------------------------

SIZES = {1: ("success",), 3: ("epochs", "json", "partial")}
"""Directories of one and of three logs (different logs, so each size writes records of its own)."""


def _ingest_through(door: str, workspace: Workspace, eve: str, directory: Path) -> dict[str, Any]:
    """Ingest ``directory`` for ``m1@c1`` through ``door``; the JSON document the door answers with."""
    if door == "cli":
        result = cli(workspace, "evidence", "ingest", str(directory), "-c", "m1@c1", "--json")
        assert result.exit_code == 0, result.output
        documents = json.loads(result.stdout)
        return {"files": len(documents), "created": sum(d["created"] for d in documents)}
    if door == "sdk":
        return Client(workspace=workspace, user=eve).ingest("m1@c1", [directory])
    from fastapi.testclient import TestClient

    from scalegate.governance.users import create_token
    from scalegate.web import WebSettings, create_app

    token = create_token(
        workspace, resolve_actor(workspace, eve), name=f"t-{directory.name}", scopes=["evidence.*"]
    )
    with (
        TestClient(create_app(workspace, WebSettings(session_secret="s" * 48))) as http,
        Client(base_url="http://testserver", token=token.secret, http_client=http) as sdk,  # type: ignore[arg-type]
    ):
        with commits() as committed:
            done = sdk.ingest("m1@c1", [directory])
        return {**done, "commits": committed[0]}


@pytest.mark.parametrize("door", ["cli", "sdk", "api"])
def test_every_door_ingests_a_directory_in_one_transaction_per_file_at_two_sizes(
    door: str, workspace: Workspace, checkpoint: str, eve: str, tmp_path: Path, inspect_logs: dict[str, Path]
) -> None:
    if door == "api" and importlib.util.find_spec("fastapi") is None:
        pytest.skip("web extra not installed")
    for size, names in SIZES.items():
        directory = tmp_path / f"logs-{size}"
        directory.mkdir()
        for name in names:
            shutil.copy(inspect_logs[name], directory / inspect_logs[name].name)
        before = count_rows(workspace)
        with commits() as committed:
            done = _ingest_through(door, workspace, eve, directory)
        # over HTTP, the app's own start-up (a token, the app's state) is outside the count of the upload
        transactions = done.pop("commits", committed[0])
        assert done["files"] == size and done["created"] == size, done
        assert transactions == size, f"{door}: {transactions} transactions for {size} file(s)"
        after = count_rows(workspace)
        token = 1 if door == "api" else 0  # the API door's bearer token is issued (and audited) first
        assert after["audit_entries"] - before["audit_entries"] == size + token  # one entry per file


def test_cli_ingest_shows_a_bar_that_ends_full(
    workspace: Workspace, checkpoint: str, eve: str, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One step per file found: ingested, or skipped when read (the ``logs.json`` listing); the files the
    walk left out (the README) are notes, not steps."""
    with recorded_bars(monkeypatch) as bars:
        result = cli(workspace, "evidence", "ingest", str(log_dir), "-c", checkpoint)
    assert result.exit_code == 0, result.output
    assert bars == [["ingesting", 5, 5]]
