"""The evidence commands through the real CLI: ingest, list, show, indicators, manual, export."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from scalegate.actor import Actor
from scalegate.cli.app import app
from scalegate.governance.identity import resolve_actor
from scalegate.governance.users import add_user
from scalegate.workspace import Workspace
from tests.evidence.conftest import EVIDENCE_FIXTURES, count_rows
from tests.support.sql import counting_everywhere

SCHEMA = EVIDENCE_FIXTURES / "every_eval_ever" / "eval.schema.json"
RESULTS = EVIDENCE_FIXTURES / "lm_eval" / "results_2025-05-30T10-11-12.123456.json"


@pytest.fixture(autouse=True)
def evaluator(workspace: Workspace) -> None:
    """`eve`, an evaluator who may ingest; the workspace is a demo one (test clock), so her name is enough."""
    add_user(workspace, Actor("root"), "root", admin=True)
    add_user(workspace, resolve_actor(workspace, "root"), "eve", roles=["evaluator"])


def cli(workspace: Workspace, *args: str) -> Any:
    """Run a command as `eve`."""
    argv = ["--db", workspace.url, "--as", "eve", *args]
    return CliRunner().invoke(app, argv, env={"COLUMNS": "200", "SCALEGATE_USER": ""})


def test_ingest_list_show(workspace: Workspace, checkpoint: str, inspect_logs: dict[str, Path]) -> None:
    result = cli(
        workspace,
        "evidence",
        "ingest",
        str(inspect_logs["success"]),
        str(inspect_logs["json"]),
        "--checkpoint",
        checkpoint,
        "--elicitation",
        "chain_of_thought",
        "--json",
    )
    assert result.exit_code == 0, result.output
    ingested = json.loads(result.stdout)
    assert [r["created"] for r in ingested] == [True, True]
    first = ingested[0]["records"][0]
    assert first["elicitation"] == ["chain_of_thought"] and first["task"] == "tiny_bio"
    listed = json.loads(cli(workspace, "evidence", "list", "--json").stdout)
    assert sorted(r["id"] for r in listed) == sorted(r["records"][0]["id"] for r in ingested)
    shown = json.loads(cli(workspace, "evidence", "show", str(first["id"]), "--json").stdout)
    assert shown["sha256"] == first["sha256"] and shown["scorers"][0]["metrics"]["accuracy"] == pytest.approx(
        0.7083333
    )
    assert shown["info"]["dataset"]["name"] == "tiny_bio"
    again = cli(workspace, "evidence", "ingest", str(inspect_logs["success"]), "-c", checkpoint)
    assert again.exit_code == 0 and "already ingested" in again.stdout
    human = cli(workspace, "evidence", "list")
    assert human.exit_code == 0 and "tiny_bio" in human.stdout


def test_list_pages_through_the_store_with_before(
    workspace: Workspace, checkpoint: str, inspect_logs: dict[str, Path]
) -> None:
    """Following the noted ``--before`` reaches every record once, newest first; a page is read with a
    LIMIT in SQL and costs the same statements deep in the list as at its start."""
    logs = [inspect_logs[name] for name in ("success", "json", "epochs", "max_reducer")]
    assert cli(workspace, "evidence", "ingest", *map(str, logs), "-c", checkpoint).exit_code == 0
    whole = [r["id"] for r in json.loads(cli(workspace, "evidence", "list", "--json").stdout)]
    assert len(whole) >= 4 and whole == sorted(whole, reverse=True)
    seen: list[int] = []
    counts: list[int] = []
    args = ["evidence", "list", "--json", "--limit", "1"]
    while True:
        with counting_everywhere() as statements:
            result = cli(workspace, *args)
        assert result.exit_code == 0, result.output
        page = [r["id"] for r in json.loads(result.stdout)]
        assert len(page) == 1 and any(" LIMIT " in s.upper() for s in statements)
        seen += page
        note = re.search(r"next page: --before (\d+)", result.stderr)
        if note is None:
            break
        assert f"of {len(whole)} record(s)" in result.stderr
        counts.append(len(statements))
        args = ["evidence", "list", "--json", "--limit", "1", "--before", note[1]]
    assert seen == whole
    assert len(set(counts)) == 1, counts  # every full page costs the same, however deep


def test_bad_input_is_one_line_and_exit_2(workspace: Workspace, checkpoint: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.eval"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    before = count_rows(workspace)
    result = cli(workspace, "evidence", "ingest", str(bad), "-c", checkpoint)
    assert result.exit_code == 2
    assert (
        result.stderr.count("\n") == 1 and result.stderr.startswith("error: ") and "bad.eval" in result.stderr
    )
    assert count_rows(workspace) == before
    assert cli(workspace, "evidence", "show", "999").exit_code == 2
    assert cli(workspace, "evidence", "ingest", str(RESULTS), "-c", "m1@missing").exit_code == 2


def test_indicators_command(workspace: Workspace, checkpoint: str, inspect_logs: dict[str, Path]) -> None:
    cli(workspace, "evidence", "ingest", str(inspect_logs["success"]), str(RESULTS), "-c", checkpoint)
    result = cli(workspace, "evidence", "indicators", checkpoint, "--json")
    assert result.exit_code == 0, result.output
    rows = {r["indicator"]: r for r in json.loads(result.stdout)}
    assert rows["bio-mcq"]["evidence"]["estimate"] == pytest.approx(0.7083333)
    assert rows["bio-mcq"]["evidence"]["sufficient"] is True  # 24 samples >= 20
    assert rows["auto-tasks"]["evidence"]["task"] == "tiny_auto"
    assert cli(workspace, "evidence", "indicators", "m1@c2", "--json").exit_code == 0


def test_manual_result_with_samples_and_document(
    workspace: Workspace, checkpoint: str, tmp_path: Path
) -> None:
    samples = tmp_path / "trial.csv"
    samples.write_text("id,value\n" + "".join(f"p{i},{1 if i % 4 == 0 else 0}\n" for i in range(40)))
    report = tmp_path / "uplift-trial.pdf"
    report.write_bytes(b"%PDF-1.4 uplift trial report")
    result = cli(
        workspace,
        "evidence",
        "manual",
        "-c",
        checkpoint,
        "--task",
        "bio-uplift-trial",
        "--metric",
        "uplift_success",
        "--samples",
        str(samples),
        "--document",
        str(report),
        "--elicitation",
        "helpful_only",
        "--run-id",
        "trial-2025-05",
        "--description",
        "novice uplift trial",
        "--json",
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)["records"][0]
    assert record["harness"] == "manual" and record["elicitation"] == ["helpful_only"]
    assert record["info"]["document"]["name"] == "uplift-trial.pdf"
    from tests.evidence.test_service import evidence_for, indicator

    found = evidence_for(
        workspace,
        checkpoint,
        indicator(
            "bio-uplift-trial",
            metric="uplift_success",
            harness="manual",
            required_elicitation=["helpful_only"],
        ),
    )
    assert (found.estimate, found.n_samples, found.interval_method, found.flags) == (0.25, 40, "wilson", [])
    from scalegate.evidence.service import blob_bytes

    with workspace.read() as session:
        from sqlalchemy import select

        from scalegate.store.models.evidence import EvidenceRow

        row = session.execute(select(EvidenceRow)).scalar_one()
        assert blob_bytes(session, row.attachments["uplift-trial.pdf"]) == report.read_bytes()
        stored = json.loads(blob_bytes(session, row.sha256))
        assert stored["kind"] == "scalegate.manual_result" and len(stored["samples"]) == 40


def test_manual_result_with_a_stated_interval(workspace: Workspace, checkpoint: str) -> None:
    result = cli(
        workspace,
        "evidence",
        "manual",
        "-c",
        checkpoint,
        "--task",
        "expert-grading",
        "--metric",
        "score",
        "--value",
        "0.4",
        "--n",
        "12",
        "--ci",
        "0.2",
        "0.6",
        "--level",
        "0.9",
    )
    assert result.exit_code == 0, result.output
    from tests.evidence.test_service import evidence_for, indicator

    found = evidence_for(workspace, checkpoint, indicator("expert-grading", metric="score", harness="manual"))
    # restated at the policy's 95%: each side widened by z(0.975) / z(0.95)
    assert (found.ci_low, found.ci_high) == pytest.approx(
        (0.4 - 0.2 * 1.959964 / 1.644854, 0.4 + 0.2 * 1.959964 / 1.644854), rel=1e-5
    )
    assert found.interval_method == "reported"
    missing = cli(
        workspace, "evidence", "manual", "-c", checkpoint, "--task", "t", "--metric", "m", "--value", "1"
    )
    assert missing.exit_code == 2 and "give n" in missing.stderr


def test_export_every_eval_ever_validates_against_its_schema(
    workspace: Workspace, checkpoint: str, inspect_logs: dict[str, Path], tmp_path: Path
) -> None:
    import jsonschema  # type: ignore[import-untyped]

    for path in (inspect_logs["success"], inspect_logs["epochs"], inspect_logs["partial"], RESULTS):
        cli(workspace, "evidence", "ingest", str(path), "-c", checkpoint)
    cli(
        workspace,
        "evidence",
        "manual",
        "-c",
        checkpoint,
        "--task",
        "trial",
        "--metric",
        "score",
        "--value",
        "0.4",
        "--n",
        "12",
    )
    result = cli(workspace, "evidence", "export", "--format", "every-eval-ever", "--organization", "Acme")
    assert result.exit_code == 0, result.output
    documents = json.loads(result.stdout)
    schema = json.loads(SCHEMA.read_text())
    assert len(documents) == 3 + 5 + 1
    for document in documents:
        jsonschema.validate(document, schema)
    bio = next(
        d
        for d in documents
        if d["evaluation_results"][0]["evaluation_name"] == "tiny_bio"
        and d["eval_library"]["name"] == "inspect_ai"
    )
    entry = bio["evaluation_results"][0]
    assert entry["score_details"]["uncertainty"]["num_samples"] == 24
    assert entry["score_details"]["uncertainty"]["confidence_interval"]["confidence_level"] == 0.95
    assert bio["eval_library"]["version"] == "0.3.285"
    out = cli(workspace, "evidence", "export", "--out", str(tmp_path / "eee"))
    assert out.exit_code == 0 and len(list((tmp_path / "eee").glob("*.json"))) == len(documents)
    assert cli(workspace, "evidence", "export", "--format", "csv").exit_code == 2
