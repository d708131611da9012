"""A family's indicator series, read in a constant number of statements, agrees with ``indicator_evidence``.

The workspace holds real Inspect logs (written by inspect_ai on the offline test model) and an lm-eval results
file across a two-model family, with every case the per-checkpoint reader distinguishes: a superseded record,
several records of one task, several epochs (bootstrap), partial credit, two scorers, a scorer named by the
indicator, quality flags, a non-success run, an lm-eval metric with a filter, a checkpoint without results and
another family's checkpoint.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from scalegate.clock import FixedClock
from scalegate.evidence.manual import ManualResult
from scalegate.evidence.series import (
    SeriesPoint,
    checkpoint_evidence,
    clear_series_cache,
    family_series,
)
from scalegate.evidence.service import indicator_evidence, ingest_file, ingest_manual
from scalegate.evidence.tested_model import declare_tested_model
from scalegate.registry.lookup import family_checkpoints
from scalegate.registry.service import create_model, create_run, register_checkpoint
from scalegate.registry.specs import CheckpointSpec
from scalegate.workspace import Workspace, init_workspace
from tests.conftest import MINIMAL_POLICY
from tests.evidence.conftest import EVALUATOR, EVIDENCE_FIXTURES
from tests.support.sql import counting

LM_EVAL_RESULTS = EVIDENCE_FIXTURES / "lm_eval" / "results_2025-05-30T10-11-12.123456.json"
SRC = {"document": "TSP v1.0", "section": "2"}

EXTRA_INDICATORS = [
    {"id": "bio-epochs", "evaluation": {"harness": "inspect", "task": "tiny_bio"}, "metric": "accuracy",
     "threshold": 0.8, "alert": 0.6, "min_samples": 10, "min_epochs": 3, "source": SRC},
    {"id": "bio-versioned", "evaluation": {"harness": "inspect", "task": "tiny_bio", "task_version": "1"},
     "metric": "accuracy", "threshold": 0.8, "alert": 0.6, "min_samples": 10,
     "required_elicitation": ["best_of_n"], "source": SRC},
    {"id": "partial", "evaluation": {"harness": "inspect", "task": "tiny_partial"}, "metric": "mean",
     "threshold": 0.8, "alert": 0.6, "min_samples": 10, "source": SRC},
    {"id": "match-any", "evaluation": {"harness": "inspect", "task": "tiny_match", "scorer": "match"},
     "metric": "accuracy", "threshold": 0.8, "alert": 0.6, "min_samples": 5, "source": SRC},
    {"id": "match-first", "evaluation": {"harness": "inspect", "task": "tiny_match"}, "metric": "accuracy",
     "threshold": 0.8, "alert": 0.6, "min_samples": 5, "source": SRC},
    {"id": "refusal", "evaluation": {"harness": "inspect", "task": "tiny_refusal"}, "metric": "accuracy",
     "threshold": 0.8, "alert": 0.6, "min_samples": 5, "source": SRC},
    {"id": "gsm", "evaluation": {"harness": "lm_eval", "task": "tiny_gsm"},
     "metric": "exact_match,strict-match", "threshold": 0.8, "alert": 0.6, "min_samples": 5, "source": SRC},
    {"id": "red-team", "evaluation": {"harness": "manual", "task": "red_team"}, "metric": "success_rate",
     "threshold": 0.8, "alert": 0.6, "min_samples": 5, "source": SRC},
    {"id": "absent", "evaluation": {"harness": "inspect", "task": "never_run"}, "metric": "accuracy",
     "threshold": 0.8, "alert": 0.6, "source": SRC},
]  # fmt: skip


@pytest.fixture
def series_workspace(tmp_path: Path, clock: FixedClock, inspect_logs: dict[str, Path]) -> Iterator[Workspace]:
    """The minimal policy with more indicators, a family ``fam`` (models m1, m2), a model of another
    family, and real results spread over their checkpoints."""
    document = yaml.safe_load(MINIMAL_POLICY.read_text())
    document["id"] = "test-series"
    document["thresholds"][0]["indicators"] += EXTRA_INDICATORS
    policy = tmp_path / "series.yaml"
    policy.write_text(yaml.safe_dump(document, sort_keys=False))
    ws = init_workspace(f"sqlite:///{tmp_path / 'series.db'}", str(policy), clock=clock)
    create_model(ws, EVALUATOR, "m1", "fam", "evals team")
    create_model(ws, EVALUATOR, "m2", "fam", "evals team")
    create_model(ws, EVALUATOR, "x1", "other", "evals team")
    # m2's recipe counts for a tenth of m1's, so the family's order by effective compute interleaves the two
    # models; m2@c6 has no run, so no effective compute (last in the order).
    create_run(ws, EVALUATOR, "m1", "r1", algorithmic_multiplier=1.0)
    create_run(ws, EVALUATOR, "m2", "r2", algorithmic_multiplier=0.1)
    for model, name, flops, run in [
        ("m1", "c1", 1e21, "r1"), ("m1", "c2", 4e21, "r1"), ("m1", "c3", 2e22, "r1"),
        ("m2", "c4", 8e22, "r2"), ("m2", "c5", 3e23, "r2"), ("m2", "c6", 1e24, None),
        ("x1", "c1", 5e21, None),
    ]:  # fmt: skip
        spec = CheckpointSpec(name=name, step=int(flops / 1e18), training_flops=flops, run=run)
        register_checkpoint(ws, EVALUATOR, model, spec)
    logs = inspect_logs
    plan: list[tuple[str, str, dict[str, Any]]] = [
        ("m1@c1", "success", {}),
        ("m1@c1", "partial", {}),
        ("m1@c1", "scorers_errors", {}),
        ("m1@c2", "success", {}),
        ("m1@c2", "deflate", {}),  # same run, changed bytes: supersedes the record above
        ("m1@c2", "json", {}),  # another run of the same task, newer: chosen
        ("m1@c2", "refusals", {}),
        ("m1@c3", "epochs", {}),
        ("m1@c3", "error_status", {"allow_status": True}),
        ("m2@c4", "max_reducer", {}),
        ("m2@c4", "partial", {}),
        ("m2@c5", "limits", {}),
        ("m2@c5", "refusals", {}),
        ("x1@c1", "success", {}),
    ]
    for ref, log, options in plan:
        clock.advance(timedelta(minutes=1))
        ingest_file(ws, EVALUATOR, logs[log], ref, **options)
    for ref in ("m1@c3", "m2@c5"):
        clock.advance(timedelta(minutes=1))
        # The results file ran `acme/frontier-mini`: declared (and audited) to stand for this checkpoint.
        declare_tested_model(ws, EVALUATOR, "acme/frontier-mini", ref)
        ingest_file(ws, EVALUATOR, LM_EVAL_RESULTS, ref)
    manual = {"task": "red_team", "metric": "success_rate", "n": 40, "run_id": "r1"}
    for ref, extra in [
        ("m1@c1", {"value": 0.2, "stderr": 0.05}),
        ("m1@c2", {"value": 0.3, "interval": {"low": 0.2, "high": 0.4, "level": 0.9}}),
        ("m2@c4", {"value": 0.4}),  # no uncertainty: flagged
    ]:
        clock.advance(timedelta(minutes=1))
        ingest_manual(ws, EVALUATOR, ManualResult.model_validate({**manual, **extra}), ref)
    clear_series_cache()
    try:
        yield ws
    finally:
        ws.close()


def _expected(ws: Workspace) -> dict[str, list[SeriesPoint]]:
    """The series read one checkpoint and one indicator at a time, as the assessment used to."""
    out: dict[str, list[SeriesPoint]] = {}
    with ws.read() as session:
        policy = ws.active_in(session).policy
        checkpoints = family_checkpoints(session, "fam")
        for _, indicator in policy.indicators():
            points = []
            for c in checkpoints:
                ev = indicator_evidence(ws, session, c.id, indicator)
                if ev is not None:
                    points.append(
                        SeriesPoint(
                            c.id,
                            f"{c.model.name}@{c.name}",
                            c.effective_compute,
                            ev.estimate,
                            ev.ci_low,
                            ev.ci_high,
                            ev.interval_method,
                            ev.evidence_id,
                            tuple(f.code for f in ev.flags),
                            ev.sha256,
                            ev.n_samples,
                            ev.epochs,
                        )
                    )
            out[indicator.id] = points
    return out


def _series(ws: Workspace) -> dict[str, list[SeriesPoint]]:
    return _counted_series(ws)[0]


def _counted_series(ws: Workspace) -> tuple[dict[str, list[SeriesPoint]], int]:
    """The family's series, and the SQL statements ``family_series`` itself executed."""
    with ws.read() as session:
        policy = ws.active_in(session).policy
        with counting(ws) as statements:
            found = family_series(session, policy, "fam")
    return found, len(statements)


@pytest.mark.slow
def test_family_series_agrees_with_indicator_evidence_point_by_point(series_workspace: Workspace) -> None:
    expected = _expected(series_workspace)
    found = _series(series_workspace)
    assert list(found) == list(expected)
    for indicator_id, points in expected.items():
        assert found[indicator_id] == points, indicator_id
    # The workspace covers what the comparison is about.
    methods = {p.interval_method for ps in found.values() for p in ps}
    assert {"wilson", "bootstrap", "reported"} <= methods
    assert any(p.flags for ps in found.values() for p in ps)
    assert any(p.sufficient for ps in found.values() for p in ps)
    assert found["absent"] == []
    assert all("x1@" not in p.ref for ps in found.values() for p in ps)
    assert len({p.checkpoint_id for p in found["bio-mcq"]}) == len(found["bio-mcq"]) >= 4
    computes = [p.effective_compute for p in found["bio-mcq"]]
    assert computes == sorted(computes, key=lambda c: (c is None, c or 0.0)) and computes[0] is not None
    assert [p.ref for p in found["red-team"]] == ["m1@c1", "m1@c2", "m2@c4"]


@pytest.mark.slow
def test_family_series_costs_the_same_statements_for_any_family_size(
    series_workspace: Workspace, clock: FixedClock, inspect_logs: dict[str, Path]
) -> None:
    ws = series_workspace
    _, cold = _counted_series(ws)
    _, warm = _counted_series(ws)
    for i in range(7, 17):
        clock.advance(timedelta(minutes=1))
        register_checkpoint(
            ws,
            EVALUATOR,
            "m2",
            CheckpointSpec(name=f"c{i}", step=i * 1000, training_flops=i * 1e24, run="r2"),
        )
        ingest_file(ws, EVALUATOR, inspect_logs["success"], f"m2@c{i}")
        ingest_file(ws, EVALUATOR, inspect_logs["partial"], f"m2@c{i}")
    grown, bigger = _counted_series(ws)
    assert cold == 5  # audit root, checkpoints, current records, their facts, their scores
    assert warm == 1  # audit root: unchanged, so the kept series is used
    assert bigger == 5  # ten more checkpoints with results: the same five
    clock.advance(timedelta(minutes=1))
    register_checkpoint(ws, EVALUATOR, "m2", CheckpointSpec(name="c99", step=99_000, training_flops=1e26))
    _, unchanged_records = _counted_series(ws)
    assert unchanged_records == 3  # a new root, but every current record's facts are already known
    assert len(grown["bio-mcq"]) == len(_expected(ws)["bio-mcq"])
    assert grown == _expected(ws)


@pytest.mark.slow
def test_an_audited_change_refreshes_the_kept_series(
    series_workspace: Workspace, clock: FixedClock, inspect_logs: dict[str, Path]
) -> None:
    before = _series(series_workspace)
    assert not any(p.ref == "m2@c6" for p in before["bio-mcq"])
    clock.advance(timedelta(minutes=1))
    ingest_file(series_workspace, EVALUATOR, inspect_logs["success"], "m2@c6")
    after = _series(series_workspace)
    assert after["bio-mcq"][-1].ref == "m2@c6"
    assert after == _expected(series_workspace)


@pytest.mark.slow
def test_checkpoint_evidence_agrees_with_indicator_evidence_in_three_statements(
    series_workspace: Workspace,
) -> None:
    ws = series_workspace
    with ws.read() as session:
        policy = ws.active_in(session).policy
        checkpoints = family_checkpoints(session, "fam") + family_checkpoints(session, "other")
        seen = 0
        for checkpoint in checkpoints:
            expected = {
                i.id: indicator_evidence(ws, session, checkpoint.id, i) for _, i in policy.indicators()
            }
            with counting(ws) as statements:
                found = checkpoint_evidence(session, policy, checkpoint.id)
            assert found == expected, checkpoint.name
            assert len(statements) <= 3
            seen += sum(1 for e in found.values() if e is not None)
    assert seen >= 20
