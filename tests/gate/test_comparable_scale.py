"""The training pause across models (``scalegate.gate.comparable``) reads its candidates' results from the
families' series, at a cost that does not grow with the number of checkpoints, and reads exactly what a
checkpoint's own assessment reads.

The workspace is the statement-count tests' (families of 5 and 25 checkpoints, each checkpoint with a real
Inspect log and an lm-eval results file for the minimal policy, whose training pause compares at 1x).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete, select

from scalegate.assessment.service import assess, evidence_of
from scalegate.evidence.series import clear_series_cache
from scalegate.gate.comparable import _candidates, _evidence
from scalegate.gate.service import decide
from scalegate.store.models.evidence import EvidenceBlobChunkRow, EvidenceRow
from scalegate.workspace import Workspace
from tests.assessment.test_statement_counts import MAX_STATEMENTS, SIZES
from tests.assessment.test_statement_counts import bio_logs as bio_logs  # the shared fixtures
from tests.assessment.test_statement_counts import families as families
from tests.evidence.conftest import inspect_logs as inspect_logs
from tests.support.sql import counting


def _gate_counts(ws: Workspace, ref: str) -> tuple[int, int]:
    """Statements of a continue-training decision (the assessment made beforehand), first with nothing kept,
    then again."""
    counts = []
    clear_series_cache()
    for _ in range(2):
        with ws.reading() as ctx:
            assessed = assess(ctx, ref, with_forecasts=False)
            with counting(ws) as statements:
                verdict = decide(assessed, "continue-training", ctx)
            counts.append(len(statements))
    assert any(r.code.startswith("training_pause") for r in verdict.reasons)
    return counts[0], counts[1]


def test_the_training_pause_costs_the_same_statements_at_any_family_size(families: Workspace) -> None:
    small, large = (_gate_counts(families, f"m{size}@c{size - 1}") for size in SIZES)
    assert small == large, f"statements grew with the family: {small} at {SIZES[0]}, {large} at {SIZES[1]}"
    assert max(small) <= MAX_STATEMENTS


def _compare(ws: Workspace) -> int:
    """Check that every candidate's results, as the pause reads them, are what its assessment reads."""
    with ws.reading() as ctx:
        candidates = _candidates(ctx, -1, None, 1.0)
        assert len(candidates) == sum(SIZES)
        mine = _evidence(ctx, candidates)
        theirs = evidence_of(ctx, [c.id for c in candidates])
        flagged = 0
        for c in candidates:
            expected = {k: v for k, v in theirs[c.id].items() if v is not None}
            assert set(mine[c.id]) == set(expected), c.ref
            for indicator, e in expected.items():
                p = mine[c.id][indicator]
                assert (p.evidence_id, p.sha256, p.estimate, p.ci_low, p.ci_high, p.n_samples) == (
                    e.evidence_id,
                    e.sha256,
                    e.estimate,
                    e.ci_low,
                    e.ci_high,
                    e.n_samples,
                ), (c.ref, indicator)
                assert [f.code for f in p.flags] == [f.code for f in e.flags], (c.ref, indicator)
                flagged += bool(e.flags)
        return flagged


def test_the_pause_reads_what_each_checkpoint_s_assessment_reads(families: Workspace, tmp_path: Path) -> None:
    before = _compare(families)
    # A stored file that the store can no longer produce whole: both flag every result resting on it.
    with families.transaction() as session:
        sha = session.execute(select(EvidenceRow.sha256).order_by(EvidenceRow.id)).scalars().first()
        session.execute(delete(EvidenceBlobChunkRow).where(EvidenceBlobChunkRow.sha256 == sha))
    clear_series_cache()
    assert _compare(families) > before
