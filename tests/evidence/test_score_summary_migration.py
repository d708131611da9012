"""Migration 0003 fills the score summaries of a store written before it, as ingestion fills new rows, and
records what it wrote in the audit log, so ``audit verify`` holds afterwards.

The store is real: logs ingested through the service at head. Taking it back to 0002 drops the summary
columns (a store as it was before the migration, its log already naming the rows); upgrading again must
give every row the summary ingestion gave it, byte for byte (so the same row digest), and name each row
in an ``evidence.summarised`` entry of the system actor.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import inspect, select

from scalegate.audit.verify import verify
from scalegate.evidence.service import ingest_file
from scalegate.store.base import row_digest
from scalegate.store.migrate import upgrade
from scalegate.store.models.audit import AuditEntryRow
from scalegate.store.models.evidence import EvidenceScoreRow
from scalegate.workspace import Workspace
from tests.evidence.conftest import EVALUATOR, EVIDENCE_FIXTURES
from tests.support.migrations import downgrade

LM_EVAL_RESULTS = EVIDENCE_FIXTURES / "lm_eval" / "results_2025-05-30T10-11-12.123456.json"
SUMMARY = ("sample_metric", "successes", "trials")


def _scores(workspace: Workspace) -> dict[int, tuple[tuple[object, ...], str]]:
    with workspace.read() as session:
        rows = session.execute(select(EvidenceScoreRow).order_by(EvidenceScoreRow.id)).scalars()
        return {r.id: (tuple(getattr(r, c) for c in SUMMARY), row_digest(r)) for r in rows}


def test_the_upgrade_fills_stored_rows_as_ingestion_does_and_logs_them(
    workspace: Workspace, checkpoint: str, inspect_logs: dict[str, Path]
) -> None:
    for name in ("success", "epochs", "partial", "scorers_errors"):
        ingest_file(workspace, EVALUATOR, inspect_logs[name], checkpoint)
    ingest_file(workspace, EVALUATOR, LM_EVAL_RESULTS, checkpoint)
    written = _scores(workspace)
    assert any(s[0][1] is not None for s in written.values())  # 0/1 scores as counts
    assert any(s[0][0] is not None and s[0][1] is None for s in written.values())  # a bootstrap
    assert any(s[0] == (None, None, None) for s in written.values())  # no per-sample scores

    downgrade(workspace, "0002_checkpoint_order_index")
    with workspace.engine.connect() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("evidence_scores")}
    assert not columns & set(SUMMARY)
    upgrade(workspace.engine)

    assert _scores(workspace) == written  # the same summaries, so the same row digests
    with workspace.read() as session:
        entries = session.execute(
            select(AuditEntryRow).where(AuditEntryRow.event == "evidence.summarised")
        ).scalars()
        named = []
        for entry in entries:
            body = json.loads(entry.body)
            assert body["actor"] == "system" and body["data"]["revision"] == "0003_evidence_score_summary"
            named += [(ref["table"], ref["pk"], ref["digest"]) for ref in body["data"]["rows"]]
    assert sorted(named) == sorted(("evidence_scores", pk, digest) for pk, (_, digest) in written.items())
    report = verify(workspace)
    assert report.ok, [p.line() for p in report.problems]


def test_an_upgrade_of_a_store_without_scores_writes_no_entry(workspace: Workspace) -> None:
    with workspace.read() as session:
        before = session.execute(select(AuditEntryRow.seq)).scalars().all()
    downgrade(workspace, "0002_checkpoint_order_index")
    upgrade(workspace.engine)
    with workspace.read() as session:
        assert session.execute(select(AuditEntryRow.seq)).scalars().all() == before
