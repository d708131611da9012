"""The committed golden Inspect logs are still what inspect_ai writes today.

The evidence and gate tests read logs committed under ``tests/fixtures/inspect_logs`` instead of running 19
evals every session. This check re-runs the script that made them (real ``inspect_ai.eval`` on the offline
test model) into a temporary directory and compares each new log with the committed one in everything the
tests rely on: task, model, status, sample counts, scorer and metric values, and every sample's scores, errors
and limits (``make_logs.summary``; ids, timestamps, token counts and versions are left out). A failure means
Inspect (or the test model, or a task) changed what it writes: look at the difference, then re-make the logs
with ``python -m tests.fixtures.inspect_logs.make_logs`` and commit them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.inspect_logs.make_logs import HERE, SETS, committed, main, summary

LOGS = [(set_name, name) for set_name, makers in SETS.items() for name in makers]


@pytest.mark.slow
@pytest.mark.parametrize(("set_name", "name"), LOGS, ids=[f"{s}/{n}" for s, n in LOGS])
def test_regenerated_log_matches_the_committed_one(set_name: str, name: str, tmp_path: Path) -> None:
    assert main(["--out", str(tmp_path), f"{set_name}/{name}"]) == 0
    [made] = (tmp_path / set_name).glob(f"{name}.*")
    golden = committed(set_name)[name]
    assert made.suffix == golden.suffix
    assert summary(made) == summary(golden)


def test_every_committed_log_has_a_maker() -> None:
    """No stray or missing file: the fixture directories hold exactly the logs the script makes."""
    for set_name, makers in SETS.items():
        on_disk = {path.stem for path in (HERE / set_name).iterdir()}
        assert on_disk == set(makers)


def test_the_golden_logs_stay_small() -> None:
    """They live in the repository: a few MB at most (the gate set's 2,390 samples are most of it)."""
    total = sum(path.stat().st_size for set_name in SETS for path in committed(set_name).values())
    assert total < 10_000_000, f"golden logs total {total:,} bytes"
