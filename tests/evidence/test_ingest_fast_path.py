"""``scalegate evidence ingest`` without Typer (``scalegate.cli.fast``) gives what the Typer command gives.

Each case runs one command line twice, on two copies of the same workspace: once through the fast path and
once through the Typer application. The exit codes, stdout, stderr and every row of every table (evidence,
blobs, audit entries...) must be equal, for good input and bad. The parser itself is checked to take only the
command lines it reads as Typer does, and to leave every other one to Typer.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.main import get_group
from typer.testing import CliRunner

from scalegate.actor import Actor
from scalegate.cli import fast
from scalegate.cli.app import app
from scalegate.cli.evidence import evidence_app
from scalegate.cli.ingest import FLAGS, IngestArgs, ingest_args
from scalegate.clock import FixedClock, parse_instant
from scalegate.workspace import init_workspace
from tests.conftest import MINIMAL_POLICY
from tests.support.templates import SqliteTemplate

NOW = "2025-06-01T12:00:00Z"
CHECKPOINT = "m1@c1"


@dataclass(frozen=True)
class Pair:
    """Two copies of one workspace: ``a`` for the fast path, ``b`` for Typer."""

    a: Path
    b: Path

    def url(self, which: str) -> str:
        return f"sqlite:///{self.a if which == 'a' else self.b}"


@pytest.fixture
def pair(sqlite_template: SqliteTemplate, tmp_path: Path) -> Pair:
    """A demo workspace (so ``--as`` needs no credential) with an evaluator, eve, and checkpoint m1@c1."""
    from scalegate.governance.identity import resolve_actor
    from scalegate.governance.users import add_user
    from scalegate.registry.service import create_model, register_checkpoint
    from scalegate.registry.specs import CheckpointSpec

    a = tmp_path / "a" / "scalegate.db"
    workspace = init_workspace(
        sqlite_template.url_at(a), str(MINIMAL_POLICY), clock=FixedClock(parse_instant(NOW))
    )
    try:
        add_user(workspace, Actor(name="setup"), "root", admin=True)
        add_user(workspace, resolve_actor(workspace, "root"), "eve", roles=["evaluator"])
        eve = resolve_actor(workspace, "eve")
        create_model(workspace, eve, "m1", "fam", "evals team")
        register_checkpoint(workspace, eve, "m1", CheckpointSpec(name="c1", step=1, training_flops=1e22))
    finally:
        workspace.close()
    b = tmp_path / "b" / "scalegate.db"
    b.parent.mkdir()
    shutil.copyfile(a, b)
    return Pair(a, b)


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The same environment for both doors: a pinned clock and no credential but what a case passes."""
    for name in ("SCALEGATE_USER", "SCALEGATE_TOKEN", "SCALEGATE_PASSWORD", "SCALEGATE_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SCALEGATE_NOW", NOW)
    monkeypatch.setenv("COLUMNS", "200")
    yield


def _fast(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        code = fast.answer(args)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    assert code is not None, f"the fast path did not take {args}"
    out = capsys.readouterr()
    return code, out.out, out.err


def _typer(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, args, env={"SCALEGATE_NOW": NOW, "COLUMNS": "200"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def _tables(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, in rowid order (the copies started equal, so ids match)."""
    with sqlite3.connect(path) as conn:
        names = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {n: conn.execute(f'SELECT * FROM "{n}" ORDER BY rowid').fetchall() for n in sorted(names)}


def _both(
    pair: Pair, capsys: pytest.CaptureFixture[str], build: Callable[[str], list[str]]
) -> tuple[int, str, str]:
    """Run ``build(url)`` through both doors on the two copies; assert the same outcome and store."""
    fast_result = _fast(build(pair.url("a")), capsys)
    typer_result = _typer(build(pair.url("b")))

    def neutral(result: tuple[int, str, str], path: Path) -> tuple[int, str, str]:
        code, out, err = result
        return code, out.replace(str(path), "DB"), err.replace(str(path), "DB")

    assert neutral(fast_result, pair.a) == neutral(typer_result, pair.b)
    assert _tables(pair.a) == _tables(pair.b)
    return fast_result


def test_a_log_ingested_then_found_again(
    pair: Pair, capsys: pytest.CaptureFixture[str], inspect_logs: dict[str, Path]
) -> None:
    log = str(inspect_logs["success"])

    def cmd(url: str) -> list[str]:
        return ["--db", url, "--as", "eve", "evidence", "ingest", log, "--checkpoint", CHECKPOINT]

    code, out, err = _both(pair, capsys, cmd)
    assert code == 0 and out.startswith("ingested success.eval: evidence 1 (inspect ") and err == ""
    code, out, _ = _both(pair, capsys, cmd)
    assert code == 0 and out.startswith("already ingested success.eval: evidence 1")


def test_json_two_files_elicitation_and_options_after_paths(
    pair: Pair, capsys: pytest.CaptureFixture[str], inspect_logs: dict[str, Path]
) -> None:
    logs = [str(inspect_logs["success"]), str(inspect_logs["json"])]

    def cmd(url: str) -> list[str]:
        options = ["--elicitation", "chain_of_thought", "--elicitation=best-of-n", "--json"]
        return [f"--db={url}", "--as=eve", "evidence", "ingest", logs[0], "-c", CHECKPOINT, logs[1], *options]

    code, out, _ = _both(pair, capsys, cmd)
    documents = json.loads(out)
    assert code == 0 and [d["created"] for d in documents] == [True, True]
    assert documents[0]["records"][0]["elicitation"] == ["best_of_n", "chain_of_thought"]


def test_a_directory_with_skipped_files_not_walked_below(
    pair: Pair, capsys: pytest.CaptureFixture[str], inspect_logs: dict[str, Path], tmp_path: Path
) -> None:
    logs = tmp_path / "logs"
    (logs / "deeper").mkdir(parents=True)
    shutil.copy(inspect_logs["success"], logs / "success.eval")
    shutil.copy(inspect_logs["epochs"], logs / "deeper" / "epochs.eval")
    (logs / "notes.txt").write_text("not a log")

    def cmd(url: str) -> list[str]:
        return [
            "--db",
            url,
            "--as",
            "eve",
            "evidence",
            "ingest",
            str(logs),
            "-c",
            CHECKPOINT,
            "--no-recursive",
        ]

    code, out, err = _both(pair, capsys, cmd)
    assert code == 0 and "1 file(s): 1 ingested, 0 already in; 1 skipped" in out
    assert err.startswith("note: skipped ") and "notes.txt" in err


@pytest.mark.parametrize(
    ("case", "code", "says"),
    [
        ("corrupt", 2, "bad.eval"),
        ("missing", 2, "no such file or directory"),
        ("unknown checkpoint", 2, "no checkpoint 'nope'"),
        ("error status", 2, "has status 'error'"),
        ("nobody", None, "may not evidence.ingest"),
    ],
)
def test_bad_input_is_the_same_one_line_error(
    pair: Pair,
    capsys: pytest.CaptureFixture[str],
    inspect_logs: dict[str, Path],
    tmp_path: Path,
    case: str,
    code: int | None,
    says: str,
) -> None:
    bad = tmp_path / "bad.eval"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    path = {
        "corrupt": str(bad),
        "missing": str(tmp_path / "gone.eval"),
        "error status": str(inspect_logs["error_status"]),
    }.get(case, str(inspect_logs["success"]))
    ref = "m1@nope" if case == "unknown checkpoint" else CHECKPOINT
    before = _tables(pair.a)

    def cmd(url: str) -> list[str]:
        who = [] if case == "nobody" else ["--as", "eve"]
        return ["--db", url, *who, "evidence", "ingest", path, "--checkpoint", ref]

    got, out, err = _both(pair, capsys, cmd)
    assert got != 0 and (code is None or got == code)
    assert out == "" and err.startswith("error: ") and err.count("\n") == 1 and says in err
    assert _tables(pair.a) == before  # nothing written


def test_an_allowed_error_status_is_ingested(
    pair: Pair, capsys: pytest.CaptureFixture[str], inspect_logs: dict[str, Path]
) -> None:
    log = str(inspect_logs["error_status"])

    def cmd(url: str) -> list[str]:
        return [
            "--db",
            url,
            "--as",
            "eve",
            "evidence",
            "ingest",
            log,
            "-c",
            CHECKPOINT,
            "--allow-status",
            "error",
        ]

    code, out, _ = _both(pair, capsys, cmd)
    assert code == 0 and out.startswith("ingested error_status.eval")


@pytest.mark.parametrize(
    "args",
    [
        ["evidence", "ingest", "x.eval", "--checkpoint", "m@c", "--help"],
        ["evidence", "ingest", "x.eval"],  # no checkpoint
        ["evidence", "ingest", "--checkpoint", "m@c"],  # no path
        ["evidence", "ingest", "x.eval", "--checkpoint"],  # no value
        ["evidence", "ingest", "x.eval", "--checkpoint", "--json"],  # Typer would take "--json" as the value
        ["evidence", "ingest", "x.eval", "-cm@c"],
        ["evidence", "ingest", "x.eval", "-c=m@c"],
        ["evidence", "ingest", "x.eval", "-c", "m@c", "--jsn"],
        ["evidence", "ingest", "x.eval", "-c", "m@c", "--json=yes"],
        ["evidence", "ingest", "--", "-x.eval", "-c", "m@c"],
        ["evidence", "--db", "u", "ingest", "x.eval", "-c", "m@c"],  # a root option under the group
        ["evidence", "ingest", "x.eval", "-c", "m@c", "--db", "u"],  # a root option after the command
        ["--as", "-x", "evidence", "ingest", "x.eval", "-c", "m@c"],
        ["--version", "evidence", "ingest", "x.eval", "-c", "m@c"],
        ["evidence", "list"],
        ["evidence", "ingested", "x.eval", "-c", "m@c"],
    ],
)
def test_command_lines_left_to_typer(args: list[str]) -> None:
    assert ingest_args(args) is None


def test_command_lines_read_as_typer_reads_them(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = ingest_args(
        [
            *("--db", "one", "--db=two", "evidence", "ingest", "a.eval", "-c", "x@1", "b"),
            *("--checkpoint=x@2", "--no-recursive", "--recursive", "--no-recursive"),
            *("--allow-status", "error", "--elicitation", "e"),
        ]
    )
    assert parsed == IngestArgs(
        db="two",
        paths=["a.eval", "b"],
        checkpoint="x@2",
        allow_status="error",
        elicitation=["e"],
        recursive=False,
    )
    monkeypatch.setenv("SCALEGATE_DATABASE_URL", "sqlite:///env.db")
    monkeypatch.setenv("SCALEGATE_USER", "")  # empty is absent, as Typer reads it
    from_env = ingest_args(["evidence", "ingest", "a=b.eval", "-c", "x@1", "--json"])
    assert from_env == IngestArgs(db="sqlite:///env.db", paths=["a=b.eval"], checkpoint="x@1", json_out=True)
    monkeypatch.setenv("SCALEGATE_USER", "eve")
    given = ingest_args(["--as", "bob", "evidence", "ingest", "a.eval", "-c", "x@1"])
    assert given is not None and given.user == "bob"


def test_flags_are_the_typer_commands_long_options() -> None:
    command = get_group(evidence_app).commands["ingest"]
    options = {opt for param in command.params for opt in getattr(param, "opts", ()) if opt.startswith("--")}
    assert set(FLAGS) == options


@pytest.mark.slow
def test_the_fast_path_loads_no_typer_rich_policy_schema_or_unused_tables(
    pair: Pair, inspect_logs: dict[str, Path]
) -> None:
    """Nor any table module the ingestion does not use (defining a table is most of what loading it costs)."""
    unused = [f"scalegate.store.models.{m}" for m in ("assessments", "documents", "gate", "governance")]
    unused += ["scalegate.store.models.safeguards", "scalegate.store.models.throttle"]
    code = (
        "import atexit, json, sys\n"
        "atexit.register(lambda: sys.stderr.write(json.dumps(sorted(m for m in ('typer', 'click', 'rich', "
        f"'pydantic', 'scalegate.policy.schema', 'numpy', *{unused!r}) if m in sys.modules)) + '\\n'))\n"
        "from scalegate.cli.entry import main\n"
        "sys.argv[1:] = sys.argv[2:]\n"
        "main()\n"
    )
    args = [
        "--db",
        pair.url("a"),
        "--as",
        "eve",
        "evidence",
        "ingest",
        str(inspect_logs["success"]),
        "-c",
        "m1@c1",
    ]
    env = {**os.environ, "SCALEGATE_NOW": NOW}
    done = subprocess.run(
        [sys.executable, "-c", code, "-", *args], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ingested success.eval")
    assert json.loads(done.stderr.strip().splitlines()[-1]) == []
