"""The fuzz corpus (``tests/fixtures/fuzz``) through the real CLI, each file in a subprocess with bounded time
and memory: no traceback, no hang, the store unchanged by every refused file, and an Inspect log refused
wherever inspect_ai's own reader refuses it.

Non-regular files cannot be committed; a named pipe and ``/dev/zero`` are made or named here.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scalegate.actor import Actor
from scalegate.clock import FixedClock
from scalegate.governance.identity import resolve_actor
from scalegate.governance.users import add_user
from scalegate.registry.service import create_model, register_checkpoint
from scalegate.registry.specs import CheckpointSpec
from scalegate.workspace import init_workspace
from tests.conftest import FIXTURES, MINIMAL_POLICY
from tests.support.digest import store_digest
from tests.support.templates import SqliteTemplate

pytestmark = pytest.mark.slow  # a subprocess per file: a few minutes in all

CORPUS = FIXTURES / "fuzz"
CASES: list[dict[str, Any]] = json.loads((CORPUS / "manifest.json").read_text())
SCALEGATE = str(Path(sys.executable).with_name("scalegate"))
MEMORY = 2 << 30
"""Address space a run may use (the CLI with the readers loaded needs a few hundred megabytes)."""
CPU_SECONDS, WALL_SECONDS = 60, 90


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, sqlite_template: SqliteTemplate) -> Iterator[str]:
    """A demo workspace with model m1, checkpoint c1 and `eve`, an evaluator."""
    from datetime import UTC, datetime

    url = sqlite_template.url_at(tmp_path_factory.mktemp("fuzz") / "scalegate.db")
    workspace = init_workspace(url, str(MINIMAL_POLICY), clock=FixedClock(datetime(2025, 6, 1, tzinfo=UTC)))
    try:
        add_user(workspace, Actor("root"), "root", admin=True)
        add_user(workspace, resolve_actor(workspace, "root"), "eve", roles=["evaluator"])
        eve = resolve_actor(workspace, "eve")
        create_model(workspace, eve, "m1", "fam", "evals team")
        register_checkpoint(workspace, eve, "m1", CheckpointSpec(name="c1", step=1, training_flops=1e20))
    finally:
        workspace.close()
    yield url


def _command(kind: str, path: Path) -> list[str]:
    if kind == "evidence":
        return ["evidence", "ingest", str(path), "-c", "m1@c1"]
    if kind == "import":
        return ["checkpoint", "import", str(path), "--model", "m1"]
    return ["policy", "validate", str(path)]


def _run(store: str, kind: str, path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SCALEGATE_USER": "", "SCALEGATE_NOW": "2025-06-01T12:00:00Z", "COLUMNS": "200"}
    return subprocess.run(
        [SCALEGATE, "--db", store, "--as", "eve", *_command(kind, path)],
        capture_output=True,
        text=True,
        timeout=WALL_SECONDS,
        preexec_fn=_limits,
        env=env,
        check=False,
    )


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_a_corpus_file_is_refused_in_one_line_or_accepted_as_expected(
    store: str, case: dict[str, Any]
) -> None:
    before = store_digest(store)
    result = _run(store, case["kind"], CORPUS / case["file"])
    assert "Traceback" not in result.stderr, result.stderr
    if case["accepted"]:
        assert result.returncode == 0, result.stderr
        return
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert store_digest(store) == before


INSPECT_REFUSES = [c for c in CASES if c.get("inspect_refuses")]


@pytest.mark.parametrize("case", INSPECT_REFUSES, ids=[c["file"] for c in INSPECT_REFUSES])
def test_the_inspect_shapes_refused_here_are_refused_by_inspect_ai(case: dict[str, Any]) -> None:
    """inspect_ai's reader of the header and of the sample summaries (the parts scalegate reads)."""
    from inspect_ai.log import read_eval_log, read_eval_log_sample_summaries

    path = str(CORPUS / case["file"])
    with pytest.raises(Exception):  # noqa: B017 - any refusal of inspect_ai's reader counts
        read_eval_log(path, header_only=True)
        read_eval_log_sample_summaries(path)


@pytest.mark.parametrize("special", ["fifo", "/dev/zero"])
def test_a_file_that_is_not_regular_is_refused_before_it_is_read(
    store: str, special: str, tmp_path: Path
) -> None:
    path = Path(special)
    if special == "fifo":
        path = tmp_path / "pipe.eval"
        os.mkfifo(path)
    before = store_digest(store)
    for kind in ("evidence", "import", "policy"):
        result = _run(store, kind, path)
        assert result.returncode == 2, (kind, result.stderr)
        assert "not a regular file" in result.stderr and "Traceback" not in result.stderr
    assert store_digest(store) == before
