"""Ingesting the logs of many checkpoints from a manifest (``path,checkpoint``), through the service, the CLI,
the SDK (a manifest file, pairs) and the API: the whole manifest checked first (a bad row names file:line
and writes nothing), then one transaction per file, every checkpoint getting its own evidence."""

from __future__ import annotations

import importlib.util
import json
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from scalegate.cli.ingest import ingest_args
from scalegate.errors import InputError
from scalegate.evidence.manifest import ingest_manifest, read_manifest
from scalegate.evidence.service import list_evidence
from scalegate.governance.identity import resolve_actor
from scalegate.sdk import Client
from scalegate.workspace import Workspace
from tests.evidence.conftest import EVALUATOR, count_rows
from tests.evidence.test_bulk import cli, commits
from tests.evidence.test_ingest_fast_path import NOW, Pair, _both, pair  # noqa: F401 (a fixture)
from tests.registry.test_bulk import recorded_bars

LOGS = ("success", "epochs", "json")
"""The committed Inspect logs in the k-th checkpoint's directory: the first k % 3 + 1 of them."""


def family(workspace: Workspace, root: Path, inspect_logs: dict[str, Path], size: int) -> tuple[Path, int]:
    """``size`` checkpoints ``m1@s<size>-<k>``, each with a log directory (and a README that is no log)
    under ``root``, and the manifest naming them; returns the manifest and the number of logs."""
    from scalegate.registry.service import register_checkpoint
    from scalegate.registry.specs import CheckpointSpec

    rows = ["path,checkpoint"]
    logs = 0
    for k in range(size):
        name = f"s{size}-{k}"
        register_checkpoint(
            workspace,
            EVALUATOR,
            "m1",
            CheckpointSpec(name=name, step=10_000 * size + k, training_flops=1e22 * (size + k / 10)),
        )
        directory = root / name
        directory.mkdir(parents=True)
        for log in LOGS[: k % 3 + 1]:
            shutil.copy(inspect_logs[log], directory / inspect_logs[log].name)
            logs += 1
        (directory / "README.txt").write_text("how these logs were made\n")
        rows.append(f"{name},m1@{name}")
    manifest = root / "manifest.csv"
    manifest.write_text("\ufeff" + "\n".join(rows) + "\n", encoding="utf-8")  # as Excel saves it
    return manifest, logs


@contextmanager
def api_client(workspace: Workspace, eve: str, name: str) -> Iterator[Client]:
    """An SDK client over HTTP, as `eve` with an evidence token, against the app in this process."""
    from fastapi.testclient import TestClient

    from scalegate.governance.users import create_token
    from scalegate.web import WebSettings, create_app

    token = create_token(workspace, resolve_actor(workspace, eve), name=name, scopes=["evidence.*"]).secret
    with (
        TestClient(create_app(workspace, WebSettings(session_secret="s" * 48))) as http,
        Client(base_url="http://testserver", token=token, http_client=http) as sdk,  # type: ignore[arg-type]
    ):
        yield sdk


def _through(door: str, workspace: Workspace, eve: str, manifest: Path) -> dict[str, Any]:
    """Ingest ``manifest`` through ``door``; the door's answer, with the transactions it committed."""
    if door == "cli":
        with commits() as committed:
            result = cli(workspace, "evidence", "ingest", "--manifest", str(manifest), "--json")
        assert result.exit_code == 0, result.output
        documents = json.loads(result.stdout)
        return {"documents": documents, "commits": committed[0]}
    if door == "sdk":
        with commits() as committed:
            done = Client(workspace=workspace, user=eve).ingest_manifest(manifest)
        return {"documents": done["ingested"], "commits": committed[0]}
    if door == "pairs":
        pairs = [(e.path, e.checkpoint) for e in read_manifest(manifest)]
        with commits() as committed:
            done = Client(workspace=workspace, user=eve).ingest_manifest(pairs)
        return {"documents": done["ingested"], "commits": committed[0]}
    with api_client(workspace, eve, f"t-{manifest.parent.name}") as sdk, commits() as committed:
        done = sdk.ingest_manifest(manifest)
        return {"documents": done["ingested"], "commits": committed[0]}


DOORS = ["cli", "sdk", "pairs", "api"]


@pytest.mark.parametrize("door", DOORS)
def test_a_manifest_is_one_transaction_per_file_across_checkpoints_at_two_sizes(
    door: str, workspace: Workspace, checkpoint: str, eve: str, tmp_path: Path, inspect_logs: dict[str, Path]
) -> None:
    if door == "api" and importlib.util.find_spec("fastapi") is None:
        pytest.skip("web extra not installed")
    for size in (3, 6):
        manifest, logs = family(workspace, tmp_path / f"{door}-{size}", inspect_logs, size)
        done = _through(door, workspace, eve, manifest)
        documents = done["documents"]
        assert len(documents) == logs and all(d["created"] for d in documents)
        assert done["commits"] == logs, f"{door}: {done['commits']} transactions for {logs} file(s)"
        for k in range(size):
            ref = f"m1@s{size}-{k}"
            mine = [d for d in documents if d["checkpoint"] == ref]
            assert len(mine) == k % 3 + 1, ref
            assert len(list_evidence(workspace, ref)) == k % 3 + 1, ref


BAD_ROWS = {
    "unknown column": ("path,checkpoint,owner\n", "manifest.csv:1", "unknown column 'owner'"),
    "missing file": ("path,checkpoint\nGOOD\nnope,m1@c1\n", "manifest.csv:3", "column 'path'"),
    "unknown checkpoint": (
        "path,checkpoint\nGOOD\nGOOD\nc1,m1@c9\n",
        "manifest.csv:4",
        "column 'checkpoint'",
    ),
    "empty path": ("path,checkpoint\nGOOD\n,m1@c1\n", "manifest.csv:3", "missing value in column 'path'"),
}


def _bad_manifest(root: Path, inspect_logs: dict[str, Path], text: str) -> Path:
    (root / "c1").mkdir(parents=True)
    shutil.copy(inspect_logs["success"], root / "c1" / "success.eval")
    manifest = root / "manifest.csv"
    manifest.write_text(text.replace("GOOD", "c1,m1@c1"))
    return manifest


@pytest.mark.parametrize("case", list(BAD_ROWS))
@pytest.mark.parametrize("door", ["cli", "sdk"])
def test_a_bad_row_writes_nothing_and_names_file_line(
    door: str,
    case: str,
    workspace: Workspace,
    checkpoint: str,
    eve: str,
    tmp_path: Path,
    inspect_logs: dict[str, Path],
) -> None:
    text, where, message = BAD_ROWS[case]
    manifest = _bad_manifest(tmp_path, inspect_logs, text)
    before = count_rows(workspace)
    if door == "cli":
        result = cli(workspace, "evidence", "ingest", "--manifest", str(manifest))
        assert result.exit_code == 2, result.output
        line = result.stderr.strip()
        assert "\n" not in line and "Traceback" not in result.output
    else:
        with pytest.raises(InputError) as caught:
            Client(workspace=workspace, user=eve).ingest_manifest(manifest)
        line = str(caught.value)
    assert f"{tmp_path / where}" in line and message in line, line
    assert count_rows(workspace) == before


def test_pairs_name_their_row(workspace: Workspace, checkpoint: str, tmp_path: Path) -> None:
    before = count_rows(workspace)
    with pytest.raises(InputError, match=r"rows\[0\]: column 'path': no such file"):
        ingest_manifest(workspace, EVALUATOR, _rows([(tmp_path / "nope", "m1@c1")]))
    assert count_rows(workspace) == before


def _rows(pairs: list[tuple[Path, str]]) -> list[Any]:
    from scalegate.evidence.manifest import ManifestEntry

    return [ManifestEntry(f"rows[{n}]", p, c) for n, (p, c) in enumerate(pairs)]


def test_the_api_checks_the_whole_manifest_first(
    workspace: Workspace, checkpoint: str, eve: str, inspect_logs: dict[str, Path]
) -> None:
    if importlib.util.find_spec("fastapi") is None:
        pytest.skip("web extra not installed")
    with api_client(workspace, eve, "bad") as sdk:
        http = sdk.transport._http  # type: ignore[attr-defined]
        before = count_rows(workspace)
        for manifest, where in [
            ("path,checkpoint\nsuccess.eval,m1@c1\nepochs.eval,m1@c9\n", "manifest:3"),
            ("path,checkpoint\nsuccess.eval,m1@c1\nother.eval,m1@c2\n", "manifest:3"),
            ("file,checkpoint\nsuccess.eval,m1@c1\n", "manifest:1"),
        ]:
            files = [
                ("files", (n, inspect_logs[n.split(".")[0]].read_bytes()))
                for n in ("success.eval", "epochs.eval")
            ]
            answer = http.post("/api/v1/evidence/manifest", data={"manifest": manifest}, files=files)
            assert answer.status_code == 400, answer.text
            assert where in answer.text
        assert count_rows(workspace) == before
        good = "path,checkpoint\nsuccess.eval,m1@c1\nepochs.eval,m1@c2\n"
        files = [
            ("files", (n, inspect_logs[n.split(".")[0]].read_bytes()))
            for n in ("success.eval", "epochs.eval")
        ]
        files.append(("files", ("notes.txt", b"x")))
        files.append(
            ("files", ("json run.json", inspect_logs["json"].read_bytes()))
        )  # stored as json_run.json
        good += '"json run.json",m1@c2\n'

        answer = http.post("/api/v1/evidence/manifest", data={"manifest": good}, files=files)
        assert answer.status_code == 201, answer.text
        document = answer.json()
        assert [(d["file"], d["checkpoint"]) for d in document["ingested"]] == [
            ("success.eval", "m1@c1"),
            ("epochs.eval", "m1@c2"),
            ("json_run.json", "m1@c2"),
        ]
        assert document["skipped"] == [{"file": "notes.txt", "reason": "not named in the manifest"}]


def test_cli_manifest_draws_one_bar_that_ends_full(
    workspace: Workspace,
    checkpoint: str,
    eve: str,
    tmp_path: Path,
    inspect_logs: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    manifest, logs = family(workspace, tmp_path, inspect_logs, 3)
    with recorded_bars(monkeypatch) as bars:
        result = cli(workspace, "evidence", "ingest", "--manifest", str(manifest))
    assert result.exit_code == 0, result.output
    assert bars == [["ingesting", logs, logs]]
    assert f"{logs} file(s): {logs} ingested, 0 already in; 3 skipped" in result.stdout
    assert "for m1@s3-0:" in result.stdout


def test_cli_manifest_excludes_paths_and_checkpoint(
    workspace: Workspace, checkpoint: str, eve: str, tmp_path: Path, inspect_logs: dict[str, Path]
) -> None:
    manifest, _ = family(workspace, tmp_path, inspect_logs, 3)
    both = cli(workspace, "evidence", "ingest", str(tmp_path), "--manifest", str(manifest))
    assert both.exit_code == 2 and "not both" in both.stderr
    neither = cli(workspace, "evidence", "ingest", "-c", checkpoint)
    assert neither.exit_code == 2 and "--manifest" in neither.stderr
    no_checkpoint = cli(workspace, "evidence", "ingest", str(tmp_path))
    assert no_checkpoint.exit_code == 2 and "--checkpoint" in no_checkpoint.stderr


def test_the_fast_path_runs_a_manifest_as_typer_does(
    pair: Pair,  # noqa: F811 (the fixture imported above)
    capsys: pytest.CaptureFixture[str],
    inspect_logs: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``evidence ingest --manifest`` through ``scalegate.cli.fast`` and through Typer: same output, same
    store, for a good manifest and for a bad row."""
    for name in ("SCALEGATE_USER", "SCALEGATE_TOKEN", "SCALEGATE_PASSWORD", "SCALEGATE_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SCALEGATE_NOW", NOW)
    monkeypatch.setenv("COLUMNS", "200")
    root = tmp_path / "family"
    (root / "c1").mkdir(parents=True)
    shutil.copy(inspect_logs["success"], root / "c1" / "success.eval")
    (root / "good.csv").write_text("path,checkpoint\nc1,m1@c1\n")
    (root / "bad.csv").write_text("path,checkpoint\nc1,m1@c1\nc1,m1@c7\n")
    assert ingest_args(["evidence", "ingest", "--manifest", "x.csv", "-c", "m1@c1"]) is None  # Typer refuses

    def run(manifest: str) -> Callable[[str], list[str]]:
        return lambda url: ["--db", url, "--as", "eve", "evidence", "ingest", "--manifest", manifest]

    code, out, err = _both(pair, capsys, run(str(root / "bad.csv")))
    assert code == 2 and "bad.csv:3: column 'checkpoint'" in err
    code, out, _ = _both(pair, capsys, run(str(root / "good.csv")))
    assert code == 0 and out.startswith("ingested success.eval for m1@c1: evidence 1 (inspect ")


def test_a_bad_log_stops_with_its_name_and_row(
    workspace: Workspace, checkpoint: str, tmp_path: Path, inspect_logs: dict[str, Path]
) -> None:
    """A log that cannot be read is found only when ingested: the files before it stay ingested, the error
    names the file and its manifest row, and nothing of the bad file is written."""
    from scalegate.errors import EvidenceError

    for name in ("c1", "c2"):
        (tmp_path / name).mkdir()
        shutil.copy(inspect_logs["success"], tmp_path / name / "success.eval")
    (tmp_path / "c2" / "zz-broken.eval").write_bytes(b"PK\x03\x04 not really a zip")
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("path,checkpoint\nc1,m1@c1\nc2,m1@c2\n")
    before = count_rows(workspace)
    with pytest.raises(EvidenceError) as caught:
        ingest_manifest(workspace, EVALUATOR, manifest)
    message = str(caught.value)
    assert "zz-broken.eval" in message and f"row {manifest}:3" in message and "\n" not in message
    assert "1 file(s) of earlier rows ingested" in message
    assert count_rows(workspace)["evidence"] - before["evidence"] == 2  # c1's log and c2's good one
