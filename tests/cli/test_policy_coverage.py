"""`scalegate policy coverage`: the table, the CSV and JSON exports (printed or written whole to a file), and
one-line errors for what is not a policy or not a format."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from typer.testing import CliRunner

from scalegate.cli.app import app

CHOSEN = "anthropic-rsp-1.0,anthropic-rsp-2.2,xai-rmf-2025-02-draft"


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["policy", "coverage", *args])
    return result.exit_code, result.stdout, result.stderr


def test_the_table_sets_frameworks_against_concepts() -> None:
    code, out, _ = _run("--policies", CHOSEN)
    assert code == 0
    for text in ("anthropic-rsp-1.0", "Triggers and cadences", "4x effective compute", "6x safety buffer"):
        assert text in out
    assert "not addressed" in out


def test_csv_and_json_agree(tmp_path: Path) -> None:
    code, printed_csv, _ = _run("--policies", CHOSEN, "--format", "csv")
    assert code == 0
    code, printed_json, _ = _run("--policies", CHOSEN, "--json")
    assert code == 0
    document = json.loads(printed_json)
    rows = list(csv.DictReader(io.StringIO(printed_csv)))
    assert [(r["policy_id"], r["concept"], r["value"]) for r in rows] == [
        (col["policy_id"], c["concept"], c["value"]) for col in document["columns"] for c in col["cells"]
    ]
    target = tmp_path / "coverage.csv"
    code, out, _ = _run("--policies", CHOSEN, "--format", "csv", "--output", str(target))
    assert code == 0 and "wrote the csv coverage of 3 policies" in out
    assert target.read_text(encoding="utf-8") == printed_csv
    code, out, _ = _run("--policies", CHOSEN, "--json", "--output", str(tmp_path / "c.json"))
    assert json.loads(out) == {"output": str(tmp_path / "c.json"), "format": "json", "policies": 3}
    assert json.loads((tmp_path / "c.json").read_text(encoding="utf-8")) == document


def test_bad_input_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    for args, message in (
        (["--policies", "nope", "--format", "csv", "--output", str(target)], "--policies: 'nope' is not"),
        (["--format", "xml"], "--format: unknown format 'xml'"),
        (["--output", str(target)], "--output writes csv or json"),
        (["--format", "csv", "--output", str(tmp_path / "missing" / "x.csv")], "No such file or directory"),
    ):
        code, _, err = _run(*args)
        assert code == 2, args
        assert err.count("\n") == 1 and message in err, err
    assert list(tmp_path.iterdir()) == []
