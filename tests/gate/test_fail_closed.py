"""Fail closed: an unreachable store, a deleted evidence file, an invalid or edited policy all give `pause`
with the reason; bad input exits 2. Also the CLI's exit codes and its verdict cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from tests.gate.conftest import LOW, MODEL, Flow, blocking
from tests.support.policy import policy_of

C1 = f"{MODEL}@c1"
SCALEGATE = str(Path(sys.executable).parent / "scalegate")


def _assessed_low(flow_for: Any, logs: dict[str, Path]) -> Flow:
    flow: Flow = flow_for("anthropic-rsp-2.2")
    flow.register("c1", 1.0e24)
    flow.ingest(C1, logs, ["wmdp_bio_low", *LOW])
    return flow


@pytest.mark.slow
def test_unreachable_store_pauses() -> None:
    from scalegate.gate.service import gate_for_url

    verdict = gate_for_url("postgresql://nobody@127.0.0.1:1/none", C1, "continue-training")
    assert verdict.outcome == "pause" and verdict.exit_code == 3
    assert verdict.reasons[0].code == "store.unavailable"
    done = subprocess.run(
        [
            SCALEGATE,
            "gate",
            C1,
            "--action",
            "continue-training",
            "--db",
            "postgresql://nobody@127.0.0.1:1/none",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 3, done.stderr
    assert done.stdout.startswith("PAUSE")


def test_deleted_evidence_file_pauses(flow_for: Any, standin_logs: dict[str, Path]) -> None:
    from scalegate.assessment.service import assess
    from scalegate.store.models.evidence import EvidenceBlobChunkRow

    flow = _assessed_low(flow_for, standin_logs)
    before = assess(flow.workspace, C1)
    cbrn3 = next(f for f in before.findings if f.threshold_id == "CBRN-3")
    assert cbrn3.ruled_out
    sha = next(i.sha256 for i in cbrn3.indicators if i.indicator_id == "cbrn3-wmdp-bio")
    assert sha is not None
    with flow.workspace.engine.begin() as conn:
        conn.execute(delete(EvidenceBlobChunkRow).where(EvidenceBlobChunkRow.sha256 == sha))
    after = assess(flow.workspace, C1)
    cbrn3 = next(f for f in after.findings if f.threshold_id == "CBRN-3")
    assert cbrn3.state == "insufficient_evidence"
    assert "missing from the store" in cbrn3.reason
    verdict = flow.gate(C1, "deploy-external")
    assert verdict["outcome"] == "pause"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"schema_version": 9}, "stored active policy is invalid"),
        ("alert", "does not match its recorded hash"),
    ],
)
def test_invalid_or_edited_policy_pauses(
    flow_for: Any, standin_logs: dict[str, Path], db_url: str, edit: Any, message: str
) -> None:
    from scalegate.gate.service import evaluate_gate
    from scalegate.store.models.workspace import PolicyVersionRow
    from scalegate.workspace import open_workspace

    flow: Flow = flow_for("anthropic-rsp-2.2")
    flow.register("c1", 1.0e24)
    document = dict(policy_of(flow.workspace).model_dump(mode="json"))
    if edit == "alert":
        document["thresholds"][0]["indicators"][0]["alert"] = 0.79
    else:
        document.update(edit)
    with flow.workspace.engine.begin() as conn:
        conn.execute(
            update(PolicyVersionRow).where(PolicyVersionRow.status == "active").values(document=document)
        )
    fresh = open_workspace(db_url, clock=flow.clock)
    try:
        verdict = evaluate_gate(fresh, C1, "continue-training")
    finally:
        fresh.close()
    assert verdict.outcome == "pause"
    assert any(message in e for e in verdict.errors), verdict.errors


def _cli(db: str, *args: str, now: str = "2025-06-02T10:00:00Z") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SCALEGATE_NOW": now}
    return subprocess.run(
        [SCALEGATE, "gate", *args, "--db", db], capture_output=True, text=True, timeout=120, env=env
    )


@pytest.mark.slow
def test_cli_exit_codes_and_cache(flow_for: Any, standin_logs: dict[str, Path], db_url: str) -> None:
    from scalegate.store.models.gate import GateVerdictRow

    flow = _assessed_low(flow_for, standin_logs)
    first = _cli(db_url, C1, "--action", "continue-training", "--json")
    assert first.returncode == 0, first.stdout + first.stderr
    document = json.loads(first.stdout)
    assert document["outcome"] == "allow" and document["ref"] == C1
    with flow.workspace.read() as session:  # only SQLite keeps verdicts: the fast path reads nothing else
        cached = session.get(GateVerdictRow, (C1, "continue-training"))
        if db_url.startswith("sqlite"):
            assert cached is not None and cached.outcome == "allow" and len(cached.mac) == 64
        else:
            assert cached is None
    again = _cli(db_url, C1, "--action", "continue-training", "--json")
    assert json.loads(again.stdout) == document  # served from the cache: identical, decided_at included
    flow.ingest(C1, standin_logs, ["wmdp_bio"])  # a state change: the cache no longer applies
    paused = _cli(db_url, C1, "--action", "continue-training")
    assert paused.returncode == 3, paused.stdout + paused.stderr
    assert paused.stdout.startswith("PAUSE") and "training pause" in paused.stdout
    assert _cli(db_url, "nobody@c9", "--action", "continue-training").returncode == 2
    bad = _cli(db_url, C1, "--action", "fly")
    assert bad.returncode == 2 and "unknown action" in bad.stderr


@pytest.mark.slow
def test_text_output_cites_clauses(flow_for: Any, standin_logs: dict[str, Path], db_url: str) -> None:
    _assessed_low(flow_for, standin_logs)
    done = _cli(db_url, C1, "--action", "deploy-external")
    assert done.returncode == 3
    assert "[Anthropic RSP v2.2 §3.3]" in done.stdout
    assert blocking(json.loads(_cli(db_url, C1, "--action", "deploy-external", "--json").stdout))


def test_a_truncated_evidence_file_pauses_even_with_a_cached_verdict(
    flow_for: Any, standin_logs: dict[str, Path], db_url: str
) -> None:
    """A stored file whose chunks no longer add up to its recorded size (cut short in place, every chunk
    still there) cannot support a decision, and a verdict cached before the cut is not served after it."""
    from scalegate.assessment.service import assess
    from scalegate.store.models.evidence import EvidenceBlobChunkRow

    flow = _assessed_low(flow_for, standin_logs)
    allowed = _cli(db_url, C1, "--action", "continue-training", "--json")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    cbrn3 = next(f for f in assess(flow.workspace, C1).findings if f.threshold_id == "CBRN-3")
    sha = next(i.sha256 for i in cbrn3.indicators if i.indicator_id == "cbrn3-wmdp-bio")
    assert cbrn3.ruled_out and sha is not None
    where = (EvidenceBlobChunkRow.sha256 == sha) & (EvidenceBlobChunkRow.seq == 0)
    with flow.workspace.engine.begin() as conn:
        data = conn.execute(select(EvidenceBlobChunkRow.data).where(where)).scalar_one()
        conn.execute(update(EvidenceBlobChunkRow).where(where).values(data=bytes(data)[:-1]))
    cbrn3 = next(f for f in assess(flow.workspace, C1).findings if f.threshold_id == "CBRN-3")
    assert cbrn3.state == "insufficient_evidence" and "missing from the store" in cbrn3.reason
    assert flow.gate(C1, "deploy-external")["outcome"] == "pause"
    paused = _cli(db_url, C1, "--action", "continue-training")
    assert paused.returncode == 3 and paused.stdout.startswith("PAUSE"), paused.stdout + paused.stderr
