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
from scalegate.assessment.service import assess, assess_checkpoints
from scalegate.clock import FixedClock
from scalegate.errors import NotFoundError
from scalegate.evidence.service import ingest_files
from scalegate.evidence.tested_model import declare_tested_model
from scalegate.jsonable import to_jsonable
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


@pytest.mark.slow
def test_a_window_of_checkpoints_is_assessed_together_as_each_alone(families: Workspace) -> None:
    """``assess_checkpoints`` (the heat map's columns) gives, for each checkpoint of a window, what ``assess``
    gives for it alone, and a window of 15 costs the statements of a window of 3: what the columns share is
    read once (a checkpoint with no fired trigger would add the look-up of its latest earlier results)."""
    narrow, wide = [f"c{i}" for i in range(20, 23)], [f"c{i}" for i in range(10, 25)]
    spent: dict[int, int] = {}
    for names in (narrow, wide):
        with counting(families) as statements:
            together = assess_checkpoints(families, "m25", names)
        spent[len(names)] = len(statements)
        with counting(families) as one_by_one:
            alone = [assess(families, f"m25@{n}", with_forecasts=False) for n in names]
        assert [to_jsonable(a) for a in together] == [to_jsonable(a) for a in alone]
        assert len(statements) * 2 < len(one_by_one), (len(statements), len(one_by_one))
    print("statements per window width:", spent)
    assert spent[len(wide)] == spent[len(narrow)] <= MAX_STATEMENTS, spent
    with pytest.raises(NotFoundError, match="no checkpoint 'c99'"):
        assess_checkpoints(families, "m25", ["c1", "c99"])
