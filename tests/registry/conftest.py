"""Helpers of the registry tests: actors, policy variants, and a family with a known scaling law."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from scalegate.actor import Actor
from scalegate.clock import FixedClock
from scalegate.registry import fits, service
from scalegate.registry.specs import CheckpointSpec, ReferencePoint
from scalegate.workspace import Workspace, init_workspace
from tests.conftest import MINIMAL_POLICY
from tests.support.templates import SqliteTemplate

RSO = Actor(name="rita", roles=frozenset({"rso"}))
STAFF = Actor(name="sam", roles=frozenset({"staff"}))

LAW = {"E": 1.7, "A": 400.0, "alpha": 0.15}
"""The baseline recipe's law in these tests."""


def law_loss(compute: float, law: dict[str, float] = LAW) -> float:
    return float(law["E"] + law["A"] * compute ** (-law["alpha"]))


def reference_points(law: dict[str, float] = LAW, dataset: str = "heldout") -> list[ReferencePoint]:
    return [ReferencePoint(compute=10.0**e, losses={dataset: law_loss(10.0**e, law)}) for e in range(18, 25)]


def policy_variant(tmp_path: Path, name: str, edit: Callable[[dict[str, Any]], None]) -> Path:
    """The minimal policy with ``edit`` applied, written to a file."""
    document = yaml.safe_load(MINIMAL_POLICY.read_text())
    document["id"] = f"test-{name}"
    edit(document)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def v1_like(document: dict[str, Any]) -> None:
    """RSP v1.0's shape: 4x or 3 months, a 6x buffer, no stated deadline, no discretionary trigger."""
    source = {"document": "TSP v1.0", "section": "EP"}
    document["triggers"] = {
        "effective_compute": {"ratio": 4.0, "source": source},
        "calendar": {"months": 3, "source": source},
        "safety_buffer": {"effective_compute_multiple": 6.0, "source": source},
    }


def checkpoint(
    name: str, step: int, flops: float, at: datetime, compute_for_loss: float | None = None, **extra: Any
) -> CheckpointSpec:
    """A checkpoint whose held-out loss is the baseline law's loss at ``compute_for_loss`` (none: no loss)."""
    losses = {"heldout": law_loss(compute_for_loss)} if compute_for_loss else {}
    return CheckpointSpec(name=name, step=step, training_flops=flops, recorded_at=at, losses=losses, **extra)


def family_with_fit(workspace: Workspace, model: str = "m1", family: str = "fam") -> None:
    """A model in a family whose baseline law is fitted exactly."""
    service.create_model(workspace, RSO, model, family, "pretraining")
    fits.fit_family(workspace, RSO, family, reference_points())
    service.create_run(workspace, RSO, model, "run-1", algorithmic_multiplier=2.0)


@pytest.fixture
def variant_workspace(
    tmp_path: Path, clock: FixedClock, sqlite_template: SqliteTemplate
) -> Iterator[Callable[[Any], Workspace]]:
    """Make a SQLite workspace (from the migrated template) with a built-in policy id or a policy file."""
    opened: list[Workspace] = []

    def make(policy: Any) -> Workspace:
        url = sqlite_template.url_at(tmp_path / f"ws{len(opened)}.db")
        ws = init_workspace(url, str(policy), clock=clock)
        opened.append(ws)
        return ws

    yield make
    for ws in opened:
        ws.close()


def days(n: float) -> timedelta:
    return timedelta(days=n)
