"""The SQL statements of one assessment (with forecasts) do not grow with the number of checkpoints.

Two families, one of 5 and one of 25 checkpoints, each checkpoint carrying a real Inspect log (the evidence
tests' logs, written by inspect_ai on the offline test model) and an lm-eval results file, for the two
indicators of the minimal policy. Assessing the latest checkpoint of each costs the same number of
statements, both the first time (the family's series is read) and the next (it is kept under the unchanged
audit root). Counting uses SQLAlchemy's ``before_cursor_execute`` event, so every statement sent to the
database counts.

Were forecasts read per checkpoint again, the count would grow by about four statements per checkpoint and
indicator: this test fails then, by design.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from scalegate.assessment.forecast import clear_forecast_cache
from scalegate.assessment.service import assess
from scalegate.clock import FixedClock
from scalegate.evidence.service import ingest_files
from scalegate.evidence.tested_model import declare_tested_model
from scalegate.registry.service import create_model, create_run, register_checkpoints
from scalegate.registry.specs import CheckpointSpec
from scalegate.workspace import Workspace, init_workspace
from tests.conftest import MINIMAL_POLICY
from tests.evidence.conftest import EVALUATOR, EVIDENCE_FIXTURES
from tests.evidence.conftest import inspect_logs as inspect_logs  # the shared fixture
from tests.support.sql import counting

LM_EVAL_RESULTS = EVIDENCE_FIXTURES / "lm_eval" / "results_2025-05-30T10-11-12.123456.json"
SIZES = (5, 25)
MAX_STATEMENTS = 100


@pytest.fixture
def bio_logs(inspect_logs: dict[str, Path]) -> list[Path]:
    """Real Inspect logs of the minimal policy's ``tiny_bio``: one epoch, three epochs, a ``max`` reducer."""
    return [inspect_logs[name] for name in ("success", "epochs", "max_reducer")]


@pytest.fixture
def families(tmp_path: Path, clock: FixedClock, bio_logs: list[Path]) -> Iterator[Workspace]:
    """One workspace with family ``f5`` (5 checkpoints) and ``f25`` (25), every checkpoint with results."""
    ws = init_workspace(f"sqlite:///{tmp_path / 'counts.db'}", str(MINIMAL_POLICY), clock=clock)
    for size in SIZES:
        model = f"m{size}"
        create_model(ws, EVALUATOR, model, f"f{size}", "evals team")
        create_run(ws, EVALUATOR, model, "r", algorithmic_multiplier=1.0)
        specs = [
            (None, CheckpointSpec(name=f"c{i}", step=i, training_flops=1e21 * 1.5**i, run="r"))
            for i in range(size)
        ]
        register_checkpoints(ws, EVALUATOR, model, specs)
        # The results file ran `acme/frontier-mini`: declared (and audited) to stand for this model.
        declare_tested_model(ws, EVALUATOR, "acme/frontier-mini", model)
        for i in range(size):
            clock.advance(timedelta(minutes=1))
            log = bio_logs[min(i * len(bio_logs) // size, len(bio_logs) - 1)]
            ingest_files(ws, EVALUATOR, [log, LM_EVAL_RESULTS], f"{model}@c{i}")
    try:
        yield ws
    finally:
        ws.close()


def _assess_counts(ws: Workspace, ref: str) -> tuple[int, int]:
    """Statements of the first assessment (nothing kept) and of a second one."""
    clear_forecast_cache()
    with counting(ws) as cold:
        first = assess(ws, ref)
    with counting(ws) as warm:
        assess(ws, ref)
    assert len(first.forecasts) == 2 and all(f.points for f in first.forecasts)
    return len(cold), len(warm)


@pytest.mark.slow
def test_one_assessment_costs_the_same_statements_at_5_and_25_checkpoints(families: Workspace) -> None:
    counts = {size: _assess_counts(families, f"m{size}@c{size - 1}") for size in SIZES}
    (cold_small, warm_small), (cold_big, warm_big) = counts[SIZES[0]], counts[SIZES[1]]
    assert cold_big == cold_small, counts
    assert warm_big == warm_small, counts
    assert cold_big <= MAX_STATEMENTS, counts
