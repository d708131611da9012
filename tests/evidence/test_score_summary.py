"""The summary stored beside each scorer's per-sample scores gives exactly what the scores give.

Real Inspect logs (every committed scenario: one epoch, several epochs, a ``max`` reducer, partial credit,
two scorers with errored samples, refusals, limits, a ``.json`` log, a run that ended in error), a real
lm-eval results file with its samples, and manual results (per-sample 0/1 scores, a standard error, a
stated interval) are ingested through the service on each backend. For every stored score row, the summary
columns equal ``ScorerScores.summary()`` of the decoded samples, and for every metric the row reports, the
estimate read from the summary equals the estimate computed from the samples, bit for bit. The stored
summary is covered by the audit log like every column: an SQL edit of it is reported by ``audit verify``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from scalegate.audit.verify import verify
from scalegate.evidence.manual import ManualResult
from scalegate.evidence.parsed import ScorerScores, ScoreSummary
from scalegate.evidence.service import ingest_file, ingest_manual, metric_estimate
from scalegate.evidence.statistics import BinaryCounts, estimate, wilson_estimate
from scalegate.store.models.evidence import EvidenceRow, EvidenceScoreRow
from scalegate.workspace import Workspace
from tests.evidence.conftest import EVALUATOR, EVIDENCE_FIXTURES

LM_EVAL_RESULTS = EVIDENCE_FIXTURES / "lm_eval" / "results_2025-05-30T10-11-12.123456.json"
LOGS = ["success", "epochs", "max_reducer", "partial", "scorers_errors", "refusals", "limits", "json"]
MANUAL: list[dict[str, Any]] = [
    {"run_id": "samples", "samples": [{"id": f"p{i}", "value": float(i % 3 == 0)} for i in range(30)]},
    {"run_id": "stderr", "value": 0.3, "n": 40, "stderr": 0.05},
    {"run_id": "stated", "value": 0.3, "n": 40, "interval": {"low": 0.2, "high": 0.4, "level": 0.9}},
]


def _ingest_everything(workspace: Workspace, checkpoint: str, inspect_logs: dict[str, Path]) -> None:
    for name in LOGS:
        ingest_file(workspace, EVALUATOR, inspect_logs[name], checkpoint)
    ingest_file(workspace, EVALUATOR, inspect_logs["error_status"], checkpoint, allow_status=True)
    ingest_file(workspace, EVALUATOR, LM_EVAL_RESULTS, checkpoint)
    for extra in MANUAL:
        result = ManualResult.model_validate({"task": "red_team", "metric": "success_rate", **extra})
        ingest_manual(workspace, EVALUATOR, result, checkpoint)


def _stored(workspace: Workspace) -> list[tuple[EvidenceRow, EvidenceScoreRow]]:
    with workspace.read() as session:
        rows = session.execute(
            select(EvidenceRow, EvidenceScoreRow)
            .join(EvidenceScoreRow, EvidenceScoreRow.evidence_id == EvidenceRow.id)
            .order_by(EvidenceScoreRow.id)
        ).all()
        session.expunge_all()
    return [(record, score) for record, score in rows]


def _summary_of(score: EvidenceScoreRow) -> ScoreSummary:
    """The summary as a reader builds it from the stored columns."""
    counts = None
    if score.successes is not None and score.trials is not None:
        counts = BinaryCounts(score.successes, score.trials)
    return ScoreSummary(
        score.name,
        score.scorer,
        score.reducer,
        score.metrics,
        score.n_samples,
        score.binary,
        score.sample_metric,
        counts,
    )


def _scores_of(score: EvidenceScoreRow) -> ScorerScores:
    return ScorerScores(score.name, score.scorer, score.reducer, dict(score.metrics), **score.samples)


def test_stored_summaries_are_what_the_samples_give(
    workspace: Workspace, checkpoint: str, inspect_logs: dict[str, Path]
) -> None:
    _ingest_everything(workspace, checkpoint, inspect_logs)
    stored = _stored(workspace)
    kinds = {"counts": 0, "bootstrap": 0, "no samples": 0}
    for _, score in stored:
        scores = _scores_of(score)
        expected = scores.summary()
        assert (score.sample_metric, score.successes, score.trials) == (
            expected.sample_metric,
            expected.counts.successes if expected.counts else None,
            expected.counts.trials if expected.counts else None,
        ), score.name
        assert _summary_of(score) == expected
        if expected.counts is not None:
            kinds["counts"] += 1
            per_sample = scores.per_sample()
            assert expected.counts.successes == sum(per_sample)
            assert expected.counts.trials == len(per_sample) == score.n_samples
            for level in (0.8, 0.95, 0.99):
                assert wilson_estimate(expected.counts, level) == estimate(
                    scores.values, level, 1000, 1, per_sample=per_sample
                )
        elif expected.sample_metric is not None:
            kinds["bootstrap"] += 1
            assert estimate(scores.values, 0.95, 200, 1, per_sample=scores.per_sample()).method == "bootstrap"
        else:
            kinds["no samples"] += 1
    # every kind of scorer the reader tells apart is among the real files
    assert all(kinds.values()), kinds


@pytest.mark.parametrize("level", [0.9, 0.95])
def test_estimates_from_the_summary_equal_estimates_from_the_samples(
    workspace: Workspace, checkpoint: str, inspect_logs: dict[str, Path], level: float
) -> None:
    _ingest_everything(workspace, checkpoint, inspect_logs)
    compared = 0
    for record, score in _stored(workspace):
        summary, scores = _summary_of(score), _scores_of(score)
        for metric, value in score.metrics.items():
            if value is None:
                continue
            if summary.needs_samples and metric == summary.sample_metric:
                with pytest.raises(ValueError, match="needs the per-sample scores"):
                    metric_estimate(summary, metric, "stderr", record, level, 500, 3)
                continue
            for stderr_key in ("stderr", f"{metric}_stderr", None):
                found = metric_estimate(summary, metric, stderr_key, record, level, 500, 3)
                assert found == metric_estimate(scores, metric, stderr_key, record, level, 500, 3)
                compared += found is not None
    assert compared >= 20


def test_an_sql_edit_of_a_stored_summary_is_reported_by_audit_verify(
    workspace: Workspace, checkpoint: str, inspect_logs: dict[str, Path]
) -> None:
    ingest_file(workspace, EVALUATOR, inspect_logs["success"], checkpoint)
    ingest_file(workspace, EVALUATOR, inspect_logs["epochs"], checkpoint)
    assert verify(workspace).ok
    stored = _stored(workspace)
    counted = next(s for _, s in stored if s.successes is not None)
    bootstrap = next(s for _, s in stored if s.sample_metric is not None and s.successes is None)
    edits = [
        (counted.id, {"successes": counted.successes + 1}),
        (counted.id, {"trials": None}),
        (bootstrap.id, {"successes": 1, "trials": 1}),
        (bootstrap.id, {"sample_metric": None}),
    ]
    for row_id, values in edits:
        with workspace.engine.begin() as conn:
            before = conn.execute(
                select(
                    EvidenceScoreRow.sample_metric, EvidenceScoreRow.successes, EvidenceScoreRow.trials
                ).where(EvidenceScoreRow.id == row_id)
            ).one()
            conn.execute(update(EvidenceScoreRow).where(EvidenceScoreRow.id == row_id).values(**values))
        report = verify(workspace)
        assert [(p.kind, p.table, p.pk) for p in report.problems] == [
            ("row_mismatch", "evidence_scores", row_id)
        ], values
        with workspace.engine.begin() as conn:
            conn.execute(
                update(EvidenceScoreRow)
                .where(EvidenceScoreRow.id == row_id)
                .values(sample_metric=before[0], successes=before[1], trials=before[2])
            )
        assert verify(workspace).ok
