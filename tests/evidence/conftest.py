"""Fixtures of the evidence tests: real Inspect logs written by inspect_ai, and checkpoints.

The logs are the committed golden logs of ``tests/fixtures/inspect_logs/evidence``, made by running the small
tasks of ``tests/fixtures/evidence/inspect_tasks.py`` on scalegate's offline test model (``scalegate/acc-P``)
with the real ``inspect_ai.eval`` (``python -m tests.fixtures.inspect_logs.make_logs``; the slow lane re-runs
it and checks they still match): a plain success, several epochs, a ``max`` reducer, two scorers with errored
samples, a run that ended in error, partial-credit scores, refusals, token limits hit, and a ``.json`` log.
Three older shapes are derived from them here: the same ``.eval`` with deflate members (what Inspect wrote
before zstd), a ``.json`` log in the pre-``scores`` results layout, and a header from a future log version.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from scalegate.actor import Actor
from scalegate.governance.identity import resolve_actor
from scalegate.governance.users import add_user
from scalegate.workspace import Workspace
from tests.conftest import FIXTURES
from tests.fixtures.inspect_logs.make_logs import committed
from tests.support.policy import policy_of

TASKS = FIXTURES / "evidence" / "inspect_tasks.py"
EVIDENCE_FIXTURES = FIXTURES / "evidence"
EVALUATOR = Actor(name="eve", roles=frozenset({"evaluator"}))


@pytest.fixture(scope="session")
def inspect_logs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Real Inspect logs, by scenario name: the committed golden logs, copied, and three older shapes."""
    root = tmp_path_factory.mktemp("inspect-logs")
    logs = {name: Path(shutil.copy(path, root / path.name)) for name, path in committed("evidence").items()}
    logs["deflate"] = deflate_copy(logs["success"], root / "old" / "deflate.eval")
    logs["legacy_json"] = legacy_results_copy(logs["json"], root / "old" / "legacy.json")
    logs["future_version"] = with_header(
        logs["success"], root / "old" / "future.eval", lambda header: header.update(version=3)
    )
    return logs


def zip_members(path: Path) -> list[tuple[zipfile.ZipInfo, bytes]]:
    """Every member of an Inspect ``.eval`` log, decompressed (zstd members included)."""
    from scalegate.evidence.container import ZipContainer

    with zipfile.ZipFile(path) as archive, ZipContainer(path) as container:
        return [(info, container.read(info.filename)) for info in archive.infolist()]


def write_zip(path: Path, members: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=method) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return path


def deflate_copy(source: Path, target: Path) -> Path:
    """The same log with deflate members, as Inspect wrote ``.eval`` files before it moved to zstd."""
    return write_zip(target, [(info.filename, data) for info, data in zip_members(source)])


def with_header(source: Path, target: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    """A copy of a ``.eval`` log whose header.json was changed by ``edit``."""
    members = []
    for info, data in zip_members(source):
        if info.filename == "header.json":
            header = json.loads(data)
            edit(header)
            data = json.dumps(header).encode()
        members.append((info.filename, data))
    return write_zip(target, members)


def legacy_results_copy(source: Path, target: Path) -> Path:
    """A ``.json`` log with results in the layout of early Inspect versions (``scorer`` + ``metrics``)."""
    document = json.loads(source.read_text())
    score = document["results"]["scores"][0]
    document["results"] = {
        "total_samples": document["results"]["total_samples"],
        "completed_samples": document["results"]["completed_samples"],
        "scorer": {"name": score["name"], "params": score.get("params", {})},
        "metrics": {
            name: {"name": name, "value": m["value"], "options": {}} for name, m in score["metrics"].items()
        },
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(document))
    return target


@pytest.fixture
def checkpoint(workspace: Workspace) -> Iterator[str]:
    """A registered model ``m1`` with checkpoint ``c1``; yields its reference."""
    from scalegate.evidence.tested_model import declare_tested_model
    from scalegate.registry.service import create_model, register_checkpoint
    from scalegate.registry.specs import CheckpointSpec

    policy_of(workspace)  # cache the policy before the registry opens its transaction
    create_model(workspace, EVALUATOR, "m1", "fam", "evals team")
    register_checkpoint(workspace, EVALUATOR, "m1", CheckpointSpec(name="c1", step=1000, training_flops=1e22))
    register_checkpoint(workspace, EVALUATOR, "m1", CheckpointSpec(name="c2", step=2000, training_flops=2e22))
    # The committed lm-eval results ran `acme/frontier-mini`: declared to stand for m1's checkpoints.
    declare_tested_model(workspace, EVALUATOR, "acme/frontier-mini", "m1")
    yield "m1@c1"


def count_rows(workspace: Workspace) -> dict[str, int]:
    """Rows in every table ingestion writes."""
    from sqlalchemy import func, select

    from scalegate.store.models.audit import AuditEntryRow
    from scalegate.store.models.evidence import (
        EvidenceBlobChunkRow,
        EvidenceBlobRow,
        EvidenceRow,
        EvidenceScoreRow,
    )

    with workspace.read() as session:
        return {
            table.__tablename__: session.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (EvidenceRow, EvidenceScoreRow, EvidenceBlobRow, EvidenceBlobChunkRow, AuditEntryRow)
        }


@pytest.fixture
def eve(workspace: Workspace) -> str:
    """`eve`, a workspace user with the evaluator role (who may ingest); the workspace is a demo one (test
    clock), so her name is enough to act as her."""
    add_user(workspace, Actor("root"), "root", admin=True)
    add_user(workspace, resolve_actor(workspace, "root"), "eve", roles=["evaluator"])
    return "eve"
