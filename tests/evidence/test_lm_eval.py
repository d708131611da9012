"""lm-evaluation-harness results: the 0.4 results JSON and its samples JSONL files.

lm-eval itself is not installed here (it is about 750 MB); the fixtures in
``tests/fixtures/evidence/lm_eval/`` were written to follow its 0.4 output exactly: ``"<metric>,<filter>"``
keys, ``"N/A"`` standard errors for groups, ``n-samples``, ``versions``, ``configs``, ``higher_is_better``, an
epoch-float ``date``, and ``samples_<task>_<timestamp>.jsonl`` files with one line per document and filter.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from scalegate.errors import EvidenceError
from scalegate.evidence.readers import read_results
from scalegate.evidence.service import indicator_evidence, ingest_file
from scalegate.workspace import Workspace
from tests.evidence.conftest import EVALUATOR, EVIDENCE_FIXTURES, count_rows
from tests.evidence.test_service import evidence_for, indicator
from tests.support.policy import policy_of

RESULTS = EVIDENCE_FIXTURES / "lm_eval" / "results_2025-05-30T10-11-12.123456.json"
SAMPLES = EVIDENCE_FIXTURES / "lm_eval" / "samples_tiny_auto_2025-05-30T10-11-12.123456.jsonl"


def _samples(path: Path, key: str, filter_name: str = "none") -> dict[int, float]:
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    return {line["doc_id"]: line[key] for line in lines if line["filter"] == filter_name}


def test_every_task_of_the_results_file_is_read() -> None:
    document = json.loads(RESULTS.read_text())
    results = {r.task: r for r in read_results(RESULTS)}
    assert set(results) == set(document["results"])
    for task, result in results.items():
        assert (
            result.harness == "lm_eval" and result.format == "lm_eval_results" and result.status == "success"
        )
        assert result.model == document["model_name"]
        assert result.task_version == str(document["versions"][task])
        assert result.run_id == str(document["date"])
        for key, value in document["results"][task].items():
            if "," not in key or "_stderr" in key:
                continue
            metric, filter_name = key.split(",")
            scorer = next(s for s in result.scorers if s.name == key)
            assert scorer.scorer == filter_name and scorer.metrics[metric] == value
            stderr = document["results"][task][f"{metric}_stderr,{filter_name}"]
            assert scorer.metrics[f"{metric}_stderr"] == (None if stderr == "N/A" else stderr)


def test_per_sample_scores_come_from_the_samples_file() -> None:
    auto = next(r for r in read_results(RESULTS) if r.task == "tiny_auto")
    acc = next(s for s in auto.scorers if s.name == "acc,none")
    expected = _samples(SAMPLES, "acc")
    assert dict(zip(acc.sample_ids, (v[0] for v in acc.values), strict=True)) == {
        str(k): v for k, v in expected.items()
    }
    assert acc.sample_metric == "acc" and acc.binary and acc.n_samples == 40
    assert auto.attachments == {SAMPLES.name: SAMPLES.read_bytes()}
    gsm = next(r for r in read_results(RESULTS) if r.task == "tiny_gsm")
    strict = next(s for s in gsm.scorers if s.scorer == "strict-match")
    assert sum(v[0] for v in strict.values) / 30 == pytest.approx(strict.metrics["exact_match"])


def test_groups_count_their_subtasks_and_have_no_stderr() -> None:
    group = next(r for r in read_results(RESULTS) if r.task == "tiny_mmlu")
    assert group.scorers[0].metrics == {"acc": 0.3, "acc_stderr": None}
    assert group.scorers[0].n_samples == 60 and not group.scorers[0].has_samples
    assert group.info["is_group"] and group.info["group_subtasks"] == [
        "tiny_mmlu_virology",
        "tiny_mmlu_genetics",
    ]


def test_config_and_provenance_are_kept() -> None:
    gsm = next(r for r in read_results(RESULTS) if r.task == "tiny_gsm")
    assert gsm.info["dataset"] == {
        "name": "main",
        "location": "openai/gsm8k",
        "revision": "e53f048856ff4f594e959d75785d2c2d37b678ee",
        "split": "test",
        "samples": 30,
    }
    assert gsm.info["config"]["num_fewshot"] == 5
    assert gsm.info["revision"] == "8c2a5e1"
    assert gsm.info["packages"] == {"lm_eval": "0.4.8", "transformers": "4.51.3"}


def test_a_corpus_level_metric_keeps_the_reported_stderr(tmp_path: Path) -> None:
    document = json.loads(RESULTS.read_text())
    document["results"]["tiny_auto"]["acc,none"] = 0.4  # not the mean of the samples: like F1 or BLEU
    target = tmp_path / RESULTS.name
    target.write_text(json.dumps(document))
    shutil.copy(SAMPLES, tmp_path / SAMPLES.name)
    auto = next(r for r in read_results(target) if r.task == "tiny_auto")
    acc = next(s for s in auto.scorers if s.name == "acc,none")
    assert not acc.has_samples and acc.sample_metric is None and acc.n_samples == 40


def test_without_samples_files_the_reported_stderr_is_used(
    workspace: Workspace, checkpoint: str, tmp_path: Path
) -> None:
    lone = tmp_path / RESULTS.name
    shutil.copy(RESULTS, lone)
    ingest_file(workspace, EVALUATOR, lone, checkpoint)
    found = evidence_for(workspace, checkpoint, indicator("tiny_auto", metric="acc", harness="lm_eval"))
    assert found.interval_method == "reported"
    assert (found.ci_low, found.ci_high) == pytest.approx(
        (0.35 - 1.959964 * 0.07637626158259732, 0.35 + 1.959964 * 0.07637626158259732), abs=1e-6
    )


def test_ingest_lm_eval_results_and_read_the_policy_indicator(workspace: Workspace, checkpoint: str) -> None:
    result = ingest_file(workspace, EVALUATOR, RESULTS, checkpoint)
    assert result.created and {r.task for r in result.records} == set(
        json.loads(RESULTS.read_text())["results"]
    )
    assert len({r.sha256 for r in result.records}) == 1
    policy_indicator = next(
        i for _, i in policy_of(workspace).indicators() if i.evaluation.harness == "lm_eval"
    )
    from scalegate.registry.lookup import resolve_checkpoint

    with workspace.read() as session:
        found = indicator_evidence(
            workspace, session, resolve_checkpoint(session, checkpoint).id, policy_indicator
        )
    assert found is not None
    assert (found.task, found.metric, found.estimate, found.interval_method) == (
        "tiny_auto",
        "acc",
        0.35,
        "wilson",
    )
    assert found.sufficient  # 40 samples >= the indicator's 10
    before = count_rows(workspace)
    assert not ingest_file(workspace, EVALUATOR, RESULTS, checkpoint).created
    assert count_rows(workspace) == before


def test_filters_are_chosen_by_metric_or_scorer(workspace: Workspace, checkpoint: str) -> None:
    ingest_file(workspace, EVALUATOR, RESULTS, checkpoint)
    strict = evidence_for(
        workspace, checkpoint, indicator("tiny_gsm", metric="exact_match,strict-match", harness="lm_eval")
    )
    flexible = evidence_for(
        workspace,
        checkpoint,
        indicator("tiny_gsm", metric="exact_match", harness="lm_eval", scorer="flexible-extract"),
    )
    assert strict.estimate == pytest.approx(0.2333333, abs=1e-6)
    assert flexible.estimate == pytest.approx(0.4666666, abs=1e-6)
    group = evidence_for(workspace, checkpoint, indicator("tiny_mmlu", metric="acc", harness="lm_eval"))
    assert [f.code for f in group.flags] == ["no_uncertainty"] and group.n_samples == 60


def test_a_changed_samples_file_supersedes(workspace: Workspace, checkpoint: str, tmp_path: Path) -> None:
    for path in (RESULTS, SAMPLES):
        shutil.copy(path, tmp_path / path.name)
    first = ingest_file(workspace, EVALUATOR, tmp_path / RESULTS.name, checkpoint)
    lines = (tmp_path / SAMPLES.name).read_text().splitlines()
    first_line = json.loads(lines[0])
    first_line["doc_hash"] = "changed"
    (tmp_path / SAMPLES.name).write_text("\n".join([json.dumps(first_line), *lines[1:]]) + "\n")
    second = ingest_file(workspace, EVALUATOR, tmp_path / RESULTS.name, checkpoint)
    assert second.created
    auto = {r.task: r for r in second.records}["tiny_auto"]
    assert auto.supersedes_id == {r.task: r for r in first.records}["tiny_auto"].id
    gsm = {r.task: r for r in second.records}["tiny_gsm"]
    assert gsm.id == {r.task: r for r in first.records}["tiny_gsm"].id  # its content did not change


def test_a_samples_file_alone_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match="lm-eval samples file"):
        read_results(SAMPLES)
