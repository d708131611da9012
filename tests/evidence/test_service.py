"""Ingestion and retrieval through the service: content addressing, idempotency, supersession, audit,
estimates."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from scalegate.errors import IntegrityError
from scalegate.evidence.service import (
    blob_bytes,
    get_evidence,
    indicator_evidence,
    ingest_file,
    list_evidence,
    task_key,
    verify_blobs,
)
from scalegate.policy import Source
from scalegate.policy.thresholds import Evaluation, Indicator
from scalegate.store.models.audit import AuditEntryRow
from scalegate.workspace import Workspace
from tests.evidence.conftest import EVALUATOR, count_rows
from tests.support.policy import policy_of

SOURCE = Source(document="TSP v1.0", section="2")


def indicator(
    task: str = "tiny_bio", metric: str = "accuracy", harness: str = "inspect", **options: Any
) -> Indicator:
    evaluation = {k: options.pop(k) for k in ("scorer", "task_version") if k in options}
    return Indicator(
        id="ind",
        evaluation=Evaluation(harness=harness, task=task, **evaluation),
        metric=metric,
        source=SOURCE,
        **options,
    )


def evidence_for(workspace: Workspace, ref: str, ind: Indicator) -> Any:
    from scalegate.registry.lookup import resolve_checkpoint

    policy_of(workspace)
    with workspace.read() as session:
        return indicator_evidence(workspace, session, resolve_checkpoint(session, ref).id, ind)


def test_ingest_stores_the_file_by_its_sha256(
    workspace: Workspace, checkpoint: str, inspect_logs: dict[str, Path]
) -> None:
    path = inspect_logs["success"]
    result = ingest_file(workspace, EVALUATOR, path, checkpoint)
    record = result.record
    assert result.created
    assert record.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert record.size == path.stat().st_size
    assert (record.harness, record.format, record.task, record.model) == (
        "inspect",
        "inspect_eval",
        "tiny_bio",
        "scalegate/acc-0.7",
    )
    assert record.ingested_by == EVALUATOR.label
    with workspace.read() as session:
        assert blob_bytes(session, record.sha256) == path.read_bytes()
        assert verify_blobs(session) == []


def test_reingesting_the_same_file_is_a_no_op(
    workspace: Workspace, checkpoint: str, inspect_logs: dict[str, Path]
) -> None:
    first = ingest_file(workspace, EVALUATOR, inspect_logs["success"], checkpoint)
    before = count_rows(workspace)
    again = ingest_file(workspace, EVALUATOR, inspect_logs["success"], checkpoint, metadata={"note": "again"})
    assert not again.created
    assert again.record.id == first.record.id
    assert count_rows(workspace) == before


def test_the_same_file_for_another_checkpoint_is_a_new_record(
    workspace: Workspace, checkpoint: str, inspect_logs: dict[str, Path]
) -> None:
    first = ingest_file(workspace, EVALUATOR, inspect_logs["success"], checkpoint)
    other = ingest_file(workspace, EVALUATOR, inspect_logs["success"], "m1@c2")
    assert other.created and other.record.id != first.record.id
    assert other.record.supersedes_id is None
    assert count_rows(workspace)["evidence_blobs"] == 1  # the bytes are stored once


def _changed(source: Path, target: Path, note: str) -> Path:
    document = json.loads(source.read_text())
    document["eval"]["metadata"] = {**(document["eval"].get("metadata") or {}), "note": note}
    target.write_text(json.dumps(document))
    return target


def test_a_changed_file_supersedes_the_record_it_replaces(
    workspace: Workspace, checkpoint: str, inspect_logs: dict[str, Path], tmp_path: Path
) -> None:
    first = ingest_file(workspace, EVALUATOR, inspect_logs["json"], checkpoint).record
    second = ingest_file(
        workspace, EVALUATOR, _changed(inspect_logs["json"], tmp_path / "b.json", "b"), checkpoint
    )
    third = ingest_file(
        workspace, EVALUATOR, _changed(inspect_logs["json"], tmp_path / "c.json", "c"), checkpoint
    )
    assert second.record.supersedes_id == first.id
    assert third.record.supersedes_id == second.record.id
    records = {r.id: r for r in list_evidence(workspace, checkpoint)}
    assert records[first.id].superseded_by_id == second.record.id
    assert records[second.record.id].superseded_by_id == third.record.id
    assert records[third.record.id].current
    assert [r.id for r in list_evidence(workspace, checkpoint, current_only=True)] == [third.record.id]
    assert get_evidence(workspace, first.id).sha256 == first.sha256  # kept, visible, unchanged
    assert evidence_for(workspace, checkpoint, indicator()).evidence_id == third.record.id


def test_a_different_run_does_not_supersede(
    workspace: Workspace, checkpoint: str, inspect_logs: dict[str, Path]
) -> None:
    first = ingest_file(workspace, EVALUATOR, inspect_logs["success"], checkpoint).record
    second = ingest_file(workspace, EVALUATOR, inspect_logs["json"], checkpoint).record
    assert second.supersedes_id is None
    assert first.run_id != second.run_id
    assert evidence_for(workspace, checkpoint, indicator()).evidence_id == second.id  # the latest one


def test_ingestion_is_recorded_in_the_audit_log_with_row_digests(
    workspace: Workspace, checkpoint: str, inspect_logs: dict[str, Path]
) -> None:
    from scalegate.store.base import row_digest
    from scalegate.store.models.evidence import EvidenceRow, EvidenceScoreRow

    record = ingest_file(workspace, EVALUATOR, inspect_logs["scorers_errors"], checkpoint).record
    with workspace.read() as session:
        entry = session.execute(
            select(AuditEntryRow).where(AuditEntryRow.event == "evidence.ingested")
        ).scalar_one()
        body = json.loads(entry.body)
        row = session.get(EvidenceRow, record.id)
        scores = session.execute(
            select(EvidenceScoreRow).where(EvidenceScoreRow.evidence_id == record.id)
        ).scalars()
        digests = {(r["table"], r["pk"]): r["digest"] for r in body["data"]["rows"]}
        assert row is not None and digests[("evidence", record.id)] == row_digest(row)
        assert all(digests[("evidence_scores", s.id)] == row_digest(s) for s in scores)
    assert entry.subject == f"checkpoint:{record.checkpoint_id}"
    assert entry.actor == EVALUATOR.label
    assert body["data"]["sha256"] == record.sha256 and body["data"]["evidence_ids"] == [record.id]
    found = evidence_for(workspace, checkpoint, indicator("tiny_match"))
    assert found.audit_seq == entry.seq


def test_a_tampered_blob_is_detected(
    workspace: Workspace, checkpoint: str, inspect_logs: dict[str, Path]
) -> None:
    from sqlalchemy import update

    from scalegate.store.models.evidence import EvidenceBlobChunkRow

    record = ingest_file(workspace, EVALUATOR, inspect_logs["success"], checkpoint).record
    with workspace.transaction() as session:
        session.execute(
            update(EvidenceBlobChunkRow).where(EvidenceBlobChunkRow.seq == 0).values(data=b"forged")
        )
    with workspace.read() as session:
        assert verify_blobs(session) == [f"stored evidence file {record.sha256} does not match its SHA-256"]
        with pytest.raises(IntegrityError):
            blob_bytes(session, record.sha256)


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("inspect_evals/wmdp_bio", "wmdp_bio"),
        ("wmdp-bio", "wmdp_bio"),
        ("Inspect_Evals/WMDP-Bio", "wmdp_bio"),
        ("my_pkg/task-a", "my_pkg/task_a"),
    ],
)
def test_inspect_task_names_match_after_normalising(name: str, key: str) -> None:
    assert task_key("inspect", name) == key
    assert task_key("lm_eval", "mmlu-pro") == "mmlu-pro"


def test_indicator_task_name_forms_find_the_record(
    workspace: Workspace, checkpoint: str, inspect_logs: dict[str, Path]
) -> None:
    ingest_file(workspace, EVALUATOR, inspect_logs["success"], checkpoint)
    for name in ("tiny_bio", "inspect_evals/tiny_bio", "tiny-bio"):
        assert evidence_for(workspace, checkpoint, indicator(name)) is not None
    assert evidence_for(workspace, checkpoint, indicator("tiny_bio", harness="lm_eval", metric="acc")) is None
    assert evidence_for(workspace, checkpoint, indicator("tiny_bio", metric="f1")) is None
    assert evidence_for(workspace, "m1@c2", indicator()) is None


def test_indicator_reads_the_named_scorer(
    workspace: Workspace, checkpoint: str, inspect_logs: dict[str, Path]
) -> None:
    ingest_file(workspace, EVALUATOR, inspect_logs["scorers_errors"], checkpoint)
    assert evidence_for(workspace, checkpoint, indicator("tiny_match")).scorer == "match"
    assert evidence_for(workspace, checkpoint, indicator("tiny_match", scorer="match1")).scorer == "match1"
    assert evidence_for(workspace, checkpoint, indicator("tiny_match", scorer="nope")) is None


def test_indicator_estimate_matches_the_log(
    workspace: Workspace, checkpoint: str, inspect_logs: dict[str, Path]
) -> None:
    from scipy.stats import binomtest

    from scalegate.evidence.inspect_reader import read_inspect_log

    ingest_file(workspace, EVALUATOR, inspect_logs["success"], checkpoint)
    found = evidence_for(workspace, checkpoint, indicator())
    scorer = read_inspect_log(inspect_logs["success"]).scorers[0]
    successes = int(sum(scorer.per_sample()))
    assert found.estimate == pytest.approx(scorer.metrics["accuracy"])
    reference = binomtest(successes, scorer.n_samples).proportion_ci(0.95, method="wilson")
    assert (found.ci_low, found.ci_high) == pytest.approx((reference.low, reference.high))
    assert (found.interval_method, found.binary, found.n_samples, found.epochs) == ("wilson", True, 24, 1)
    assert found.confidence_level == policy_of(workspace).statistics.confidence_level
    assert found.sufficient and found.flags == []
    assert found.to_dict()["sufficient"] is True


def test_several_epochs_use_the_clustered_bootstrap(
    workspace: Workspace, checkpoint: str, inspect_logs: dict[str, Path]
) -> None:
    ingest_file(workspace, EVALUATOR, inspect_logs["epochs"], checkpoint)
    found = evidence_for(workspace, checkpoint, indicator())
    assert found.interval_method == "bootstrap" and found.epochs == 3 and found.n_samples == 24
    assert found.ci_low < found.estimate < found.ci_high
    assert found.estimate == pytest.approx(0.7222222222222222, abs=0.2)
    assert evidence_for(workspace, checkpoint, indicator()) == found  # seeded: the same interval every time


def test_a_max_reducer_gives_binary_per_sample_scores(
    workspace: Workspace, checkpoint: str, inspect_logs: dict[str, Path]
) -> None:
    ingest_file(workspace, EVALUATOR, inspect_logs["max_reducer"], checkpoint)
    found = evidence_for(workspace, checkpoint, indicator())
    assert found.interval_method == "wilson"  # one 0/1 observation per sample after the reducer
    assert found.estimate > 0.8


def test_partial_credit_uses_the_bootstrap(
    workspace: Workspace, checkpoint: str, inspect_logs: dict[str, Path]
) -> None:
    ingest_file(workspace, EVALUATOR, inspect_logs["partial"], checkpoint)
    found = evidence_for(workspace, checkpoint, indicator("tiny_partial", metric="mean"))
    assert found.interval_method == "bootstrap" and not found.binary
    assert found.ci_low < found.estimate < found.ci_high
