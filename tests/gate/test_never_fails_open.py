"""The gate never fails open: no cached verdict, sibling model, notice, stored date or race turns a pause
into an allow. Each test reproduces one way it used to (the verdict cache outliving its deadline, its
evidence or an edit of its row; safeguards determinations never notified; the training pause applied to one
model only; a verdict labelled with a later state; a checkpoint dated 9999-12-31; a notice for a checkpoint
and a level that do not exist)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from tests.gate.conftest import LOW, MODEL, Flow, blocking
from tests.support.policy import policy_of
from tests.support.signing import PASSWORD

C1 = f"{MODEL}@c1"
SCALEGATE = str(Path(sys.executable).parent / "scalegate")
START = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
"""The scenario kit's clock (``flow_for``)."""


def _gate_cli(db: str, ref: str, action: str, now: datetime, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SCALEGATE_NOW": now.isoformat()}
    return subprocess.run(
        [SCALEGATE, "gate", ref, "--action", action, "--db", db, *extra],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def _fresh(db: str, ref: str, action: str, now: datetime) -> Any:
    from scalegate.clock import FixedClock
    from scalegate.gate.service import evaluate_gate
    from scalegate.workspace import open_workspace

    workspace = open_workspace(db, clock=FixedClock(now))
    try:
        return evaluate_gate(workspace, ref, action)
    finally:
        workspace.close()


def _assessed_low(flow_for: Any, logs: dict[str, Path]) -> Flow:
    """c1 with low results on every indicator, its comprehensive assessment on record (the calendar counts
    from it); the baseline standards are in place, so every action is allowed now."""
    from scalegate.registry.assessments_due import record_prior_assessment

    flow: Flow = flow_for("anthropic-rsp-2.2")
    flow.register("c1", 1.0e24)
    flow.ingest(C1, logs, ["wmdp_bio_low", *LOW])
    record_prior_assessment(flow.workspace, flow.person("rso"), C1, flow.clock.now())
    return flow


# -- the verdict cache ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_cached_verdict_ends_when_a_trigger_will_fire(
    flow_for: Any, standin_logs: dict[str, Path], db_url: str
) -> None:
    _assessed_low(flow_for, standin_logs)
    mark = START.replace(year=2025, month=12)  # 6 months after the assessment: the calendar trigger fires
    first = _gate_cli(db_url, MODEL, "continue-training", START + timedelta(hours=1))
    assert first.returncode == 0, first.stdout + first.stderr
    verdict = _fresh(db_url, MODEL, "continue-training", START + timedelta(hours=1))
    assert verdict.valid_until is not None and verdict.valid_until <= mark
    # Two months past the calendar trigger's 30-day deadline: overdue, so training pauses.
    late = datetime(2026, 3, 1, tzinfo=UTC)
    assert _fresh(db_url, MODEL, "continue-training", late).outcome == "pause"
    again = _gate_cli(db_url, MODEL, "continue-training", late)
    assert again.returncode == 3, again.stdout
    assert again.stdout.startswith("PAUSE") and "has passed without a completed assessment" in again.stdout


@pytest.mark.slow
def test_cached_text_follows_the_month_count(
    flow_for: Any, standin_logs: dict[str, Path], db_url: str
) -> None:
    _assessed_low(flow_for, standin_logs)
    march = datetime(2026, 3, 1, tzinfo=UTC)
    verdict = _fresh(db_url, MODEL, "deploy-external", march)
    assert verdict.outcome == "pause"
    next_month = START.replace(year=2026, month=3)  # 8 whole months on March 1st, 9 from March 2nd
    assert verdict.valid_until is not None and verdict.valid_until <= next_month
    before = _gate_cli(db_url, MODEL, "deploy-external", march)
    assert "8 month(s) since the last comprehensive assessment" in before.stdout, before.stdout
    after = _gate_cli(db_url, MODEL, "deploy-external", datetime(2026, 4, 3, tzinfo=UTC))
    assert "10 month(s) since the last comprehensive assessment" in after.stdout, after.stdout


@pytest.mark.slow
def test_deleted_evidence_file_ends_the_cached_verdict(
    flow_for: Any, standin_logs: dict[str, Path], db_url: str
) -> None:
    from scalegate.store.models.evidence import EvidenceBlobChunkRow, EvidenceRow

    flow = _assessed_low(flow_for, standin_logs)
    now = START + timedelta(hours=1)
    assert _gate_cli(db_url, C1, "continue-training", now).returncode == 0
    assert _gate_cli(db_url, C1, "continue-training", now).returncode == 0  # from the cache
    with flow.workspace.engine.begin() as conn:
        sha = conn.execute(select(EvidenceRow.sha256).where(EvidenceRow.task_key == "wmdp_bio")).scalar_one()
        conn.execute(delete(EvidenceBlobChunkRow).where(EvidenceBlobChunkRow.sha256 == sha))
    assert _fresh(db_url, C1, "continue-training", now).outcome == "pause"
    after = _gate_cli(db_url, C1, "continue-training", now)
    assert after.returncode == 3, after.stdout
    assert "missing from the store" in after.stdout


@pytest.mark.slow
def test_edited_or_forged_cache_row_is_never_served(
    flow_for: Any, standin_logs: dict[str, Path], db_url: str
) -> None:
    from scalegate.store.models.gate import GateVerdictRow

    sqlite = db_url.startswith("sqlite")
    flow: Flow = flow_for("anthropic-rsp-2.2")
    flow.register("c1", 1.0e24)
    flow.ingest(C1, standin_logs, ["wmdp_bio", *LOW])  # CBRN-3 cannot be ruled out: training pauses
    now = START + timedelta(hours=1)
    assert _gate_cli(db_url, C1, "continue-training", now).returncode == 3
    allow_text = f"ALLOW: continue-training {C1}\n"
    with flow.workspace.engine.begin() as conn:
        edited = conn.execute(
            update(GateVerdictRow)
            .where(GateVerdictRow.ref == C1)
            .values(outcome="allow", exit_code=0, text=allow_text)
        ).rowcount
    assert edited == (1 if sqlite else 0)  # only a SQLite workspace keeps verdicts (the fast path reads them)
    done = _gate_cli(db_url, C1, "continue-training", now)
    assert done.returncode == 3 and done.stdout.startswith("PAUSE"), done.stdout

    from scalegate.gate.cache import check

    with flow.workspace.engine.begin() as conn:  # a row for another question, with the current audit root
        row = {c.name: None for c in GateVerdictRow.__table__.columns}
        forged = dict(row, ref=MODEL, action="continue-training", outcome="allow", exit_code=0)
        forged |= {"document": "{}", "text": allow_text, "audit_size": 10**6, "computed_at": START}
        forged |= {"valid_until_epoch": 4e9, "audit_leaf": "", "policy_digest": "x", "blob_state": "x"}
        forged |= {"computed_epoch": 0.0, "mac": "0" * 64}
        if sqlite:
            kept = conn.execute(select(GateVerdictRow).where(GateVerdictRow.ref == C1)).one()._asdict()
            forged |= {k: kept[k] for k in ("audit_size", "audit_leaf", "policy_digest", "blob_state")}
        conn.execute(GateVerdictRow.__table__.insert().values(**forged))
    with flow.workspace.read() as session:
        problems = check(session)
    assert [p for p in problems if "MAC does not verify" in p] == problems
    assert [p.split("]")[0] for p in problems] == [f"gate_verdicts[{MODEL!r}, 'continue-training'"]
    done = _gate_cli(db_url, MODEL, "continue-training", now)  # ignored, decided afresh, rebuilt
    assert done.returncode == 3 and done.stdout.startswith("PAUSE"), done.stdout
    with flow.workspace.transaction() as session:
        assert check(session) == ([] if sqlite else problems)
        session.execute(update(GateVerdictRow).values(text=allow_text))
        repaired = check(session, repair=True)  # every row fails now, and is deleted
    assert len(repaired) == (2 if sqlite else 1), repaired
    with flow.workspace.read() as session:
        assert check(session) == []
        assert session.execute(select(GateVerdictRow)).first() is None


# -- what the engine decides -------------------------------------------------------------------------------


def test_safeguards_determination_notices_block_deployment(
    flow_for: Any, standin_logs: dict[str, Path]
) -> None:
    from scalegate.governance.notifications import InMemoryNotifier, notify_decision
    from scalegate.safeguards.service import propose_safeguards_determination

    flow: Flow = flow_for("anthropic-rsp-2.2")
    flow.register("c1", 1.0e24)
    flow.ingest(C1, standin_logs, ["wmdp_bio", *LOW])
    flow.meet_standard("deployment", "ASL-3")
    flow.meet_standard("security", "ASL-3")
    flow.determine(C1)
    flow.notify_government(C1, {"deployment": "ASL-3", "security": "ASL-3"})
    assert flow.gate(C1, "deploy-external")["outcome"] == "allow"
    # A new safeguards determination, signed by the CEO and the RSO but not yet shared with the Board and the
    # LTBT, supersedes the notified one.
    rule = policy_of(flow.workspace).decision_rule("safeguards_determination")
    assert rule is not None
    owner = flow.person("safeguards_owner")
    decision = propose_safeguards_determination(flow.workspace, owner, "security", "ASL-3")
    flow.sign_all(int(decision.id), rule.signoff_roles)
    verdict = flow.gate(C1, "deploy-external")
    assert verdict["outcome"] == "pause"
    unnotified = [r for r in verdict["reasons"] if r["code"] == "decision.unnotified"]
    assert [r["data"]["decision_id"] for r in unnotified] == [int(decision.id)]
    assert "board" in unnotified[0]["text"] and "ltbt" in unnotified[0]["text"]
    assert unnotified[0]["clause"] == "Anthropic RSP v2.2 §4.3"
    notify_decision(flow.workspace, flow.person("rso"), int(decision.id), InMemoryNotifier())
    assert flow.gate(C1, "deploy-external")["outcome"] == "allow"


def _sibling(flow: Flow, name: str, flops: float) -> str:
    """A checkpoint of a second model of the family, on a run of the same recipe."""
    from scalegate.registry.service import create_model, create_run, register_checkpoint
    from scalegate.registry.specs import CheckpointSpec

    actor = flow.person("evaluator")
    with flow.workspace.read() as session:
        from scalegate.store.models.registry import ModelRow

        exists = session.execute(select(ModelRow.id).where(ModelRow.name == "sibling")).first()
    if not exists:
        create_model(flow.workspace, actor, "sibling", "frontier-family", "research")
        create_run(flow.workspace, actor, "sibling", "main", algorithmic_multiplier=1.0)
    spec = CheckpointSpec(name=name, step=int(flops / 1e20), training_flops=flops, run="main")
    register_checkpoint(flow.workspace, actor, "sibling", spec)
    return f"sibling@{name}"


def test_training_pause_applies_across_models_by_effective_compute(
    flow_for: Any, standin_logs: dict[str, Path]
) -> None:
    from scalegate.assessment.service import assess

    flow: Flow = flow_for("anthropic-rsp-2.2")
    flow.register("c1", 1.0e24)
    flow.ingest(C1, standin_logs, ["wmdp_bio", *LOW])  # requires ASL-3 security, which is not met
    assert assess(flow.workspace, C1).requirements.levels["security"].level == "ASL-3"
    bigger, smaller = _sibling(flow, "s2", 2.0e24), _sibling(flow, "s0", 0.5e24)
    for ref in (bigger, smaller):
        flow.ingest(ref, standin_logs, ["wmdp_bio_low", *LOW])  # its own results rule everything out
        assert assess(flow.workspace, ref).requirements.levels["security"].level == "ASL-2"
    verdict = flow.gate(bigger, "continue-training")
    assert verdict["outcome"] == "pause"
    assert "training_pause.comparable:security:ASL-3" in blocking(verdict)
    reason = next(r for r in verdict["reasons"] if r["code"] == "training_pause.comparable")
    assert reason["clause"] == "Anthropic RSP v2.2 §6.2"
    assert [m["ref"] for m in reason["data"]["models"]] == [C1]
    assert "2x" in reason["text"]
    assert flow.gate(smaller, "continue-training")["outcome"] == "allow"  # 0.5x: not comparable
    flow.meet_standard("security", "ASL-3")
    assert flow.gate(bigger, "continue-training")["outcome"] == "allow"


def test_checkpoint_dated_ahead_does_not_stay_latest(flow_for: Any, standin_logs: dict[str, Path]) -> None:
    from scalegate.assessment.service import assess
    from scalegate.store.models.registry import CheckpointRow

    flow: Flow = flow_for("anthropic-rsp-2.2")
    flow.register("c1", 1.0e24)
    flow.register("imported", 1.1e24)
    with flow.workspace.engine.begin() as conn:  # stored before dates ahead were refused at write
        far = datetime(9999, 12, 31, tzinfo=UTC)
        conn.execute(update(CheckpointRow).where(CheckpointRow.name == "imported").values(recorded_at=far))
    flow.clock.advance(timedelta(days=1))
    flow.register("c2", 1.2e24)
    assert flow.gate(MODEL, "continue-training")["ref"] == f"{MODEL}@c2"
    fired = [t for t in assess(flow.workspace, f"{MODEL}@imported").fired if t.deadline is not None]
    assert fired and all(t.deadline is not None and t.deadline.year < 2026 for t in fired)


def test_government_notice_refuses_unknown_checkpoint_and_undefined_level(flow_for: Any, db_url: str) -> None:
    from scalegate.errors import InputError, NotFoundError
    from scalegate.governance.notifications import InMemoryNotifier, notify_government

    flow: Flow = flow_for("anthropic-rsp-2.2")
    flow.register("c1", 1.0e24)
    rso, notifier = flow.person("rso"), InMemoryNotifier()
    with pytest.raises(NotFoundError, match="no checkpoint '424242' is registered"):
        notify_government(
            flow.workspace, rso, "checkpoint:424242", {"security": "ASL-3"}, notifier, address="g@gov"
        )
    with pytest.raises(InputError, match="defines no security level 'ASL-77'"):
        notify_government(flow.workspace, rso, C1, {"security": "ASL-77"}, notifier, address="g@gov")
    with pytest.raises(InputError, match="no safeguard kind 'weights'"):
        notify_government(flow.workspace, rso, C1, {"weights": "ASL-3"}, notifier, address="g@gov")
    with pytest.raises(InputError, match="about a checkpoint"):
        notify_government(
            flow.workspace, rso, "standard:security", {"security": "ASL-3"}, notifier, address="g@gov"
        )
    assert notifier.messages == []
    done = subprocess.run(
        [
            *(SCALEGATE, "--db", db_url, "--as", "rso-holder", "notify", "government", "checkpoint:424242"),
            *("--level", "security=ASL-77", "--address", "g@gov"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "SCALEGATE_PASSWORD": PASSWORD},
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "ASL-77" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "delivered" not in done.stdout
    row = notify_government(flow.workspace, rso, C1, {"security": "ASL-3"}, notifier, address="g@gov")
    assert row is not None and row.status == "delivered" and row.subject == "checkpoint:1"


# -- a race between two processes ------------------------------------------------------------------------

_DECIDER = textwrap.dedent(
    """
    import json, os, sys
    from datetime import datetime
    from scalegate.clock import FixedClock
    from scalegate.gate.service import evaluate_gate
    from scalegate.workspace import open_workspace

    url, out, stop = sys.argv[1], sys.argv[2], sys.argv[3]
    ws = open_workspace(url, clock=FixedClock(datetime.fromisoformat(sys.argv[4])))
    with open(out, "w") as handle:
        for _ in range(400):
            if os.path.exists(stop):
                break
            verdict = evaluate_gate(ws, "frontier", "continue-training")
            handle.write(json.dumps([verdict.ref, verdict.state_version, verdict.errors]) + "\\n")
            handle.flush()
    ws.close()
    """
)


@pytest.mark.slow
def test_verdict_and_its_label_come_from_one_snapshot(
    flow_for: Any, standin_logs: dict[str, Path], db_url: str, tmp_path: Path
) -> None:
    """One process decides `frontier` (its latest checkpoint) again and again while this one registers newer
    checkpoints; every verdict must be the verdict of the state it is labelled with."""
    from scalegate.audit.log import log_size

    flow: Flow = flow_for("anthropic-rsp-2.2")
    flow.register("c0", 1.0e24)
    flow.ingest(f"{MODEL}@c0", standin_logs, ["wmdp_bio_low", *LOW])
    latest_at: dict[int, str] = {}
    with flow.workspace.read() as session:
        latest_at[log_size(session)] = f"{MODEL}@c0"
    out, stop = tmp_path / "verdicts.jsonl", tmp_path / "stop"
    decider = subprocess.Popen(
        [sys.executable, "-c", _DECIDER, db_url, str(out), str(stop), flow.clock.now().isoformat()],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        up_by = time.monotonic() + 60
        while not out.exists() or not out.read_text():  # the decider is up
            assert decider.poll() is None, decider.stderr.read() if decider.stderr else ""
            assert time.monotonic() < up_by, "the deciding process did not start"
            time.sleep(0.05)
        for i in range(1, 16):
            flow.register(f"c{i}", 1.0e24 * (1 + i / 100))
            with flow.workspace.read() as session:
                latest_at[log_size(session)] = f"{MODEL}@c{i}"
            # Wait for the decider to finish one more verdict, so that verdicts interleave with registrations
            # however slowly a loaded machine decides.
            written, more_by = len(out.read_text().splitlines()), time.monotonic() + 60
            while len(out.read_text().splitlines()) <= written and time.monotonic() < more_by:
                assert decider.poll() is None, decider.stderr.read() if decider.stderr else ""
                time.sleep(0.02)
    finally:
        stop.touch()
        decider.wait(timeout=120)
    assert decider.returncode == 0, decider.stderr.read() if decider.stderr else ""
    seen = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(seen) >= 16
    torn = [(ref, size, latest_at.get(size)) for ref, size, errors in seen if latest_at.get(size) != ref]
    assert not torn, f"verdicts labelled with a state they were not decided from: {torn[:5]}"
    assert all(not errors for _, _, errors in seen)


# -- the model the evidence tested ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tested", "model", "checkpoint", "names"),
    [
        ("aurora-1", "aurora-1", "step-40000", True),
        ("hf/Aurora_1-step-40000", "aurora-1", "step-40000", True),
        ("openai/aurora-1@step-40000", "aurora-1", "step-40000", True),
        ("mockllm/model", "aurora-1", "step-40000", False),
        ("hf/aurora-1-step-4000", "aurora-1", "step-40000", False),
        ("hf/aurora-10", "aurora-1", "step-40000", False),
        ("aurora-1/other", "aurora-1", "step-40000", False),
    ],
)
def test_which_names_identify_a_checkpoint(tested: str, model: str, checkpoint: str, names: bool) -> None:
    from scalegate.evidence.tested_model import names_checkpoint

    assert names_checkpoint(tested, model, checkpoint) is names


def test_evidence_of_another_model_is_refused_unless_mapped(
    flow_for: Any, standin_logs: dict[str, Path], tmp_path: Path
) -> None:
    from scalegate.errors import EvidenceError
    from scalegate.store.models.audit import AuditEntryRow
    from scalegate.store.models.evidence import EvidenceRow
    from tests.evidence.conftest import with_header

    flow: Flow = flow_for("anthropic-rsp-2.2")
    flow.register("c1", 1.0e24)
    flow.ingest(C1, standin_logs, ["wmdp_bio", *LOW])  # CBRN-3 cannot be ruled out: training pauses
    assert flow.gate(C1, "continue-training")["outcome"] == "pause"

    def mock(header: dict[str, Any]) -> None:
        header["eval"]["model"] = "mockllm/model"

    low = with_header(standin_logs["wmdp_bio_low"], tmp_path / "mock.eval", mock)
    with pytest.raises(EvidenceError, match=r"tested model 'mockllm/model', not frontier@c1"):
        flow.ingest(C1, {"mock": low}, ["mock"])
    with flow.workspace.read() as session:
        mocked = select(EvidenceRow).where(EvidenceRow.model == "mockllm/model")
        assert session.execute(mocked).first() is None
    assert flow.gate(C1, "continue-training")["outcome"] == "pause"  # the mock's low score changed nothing

    from scalegate.evidence.tested_model import declare_tested_model

    declare_tested_model(flow.workspace, flow.person("evaluator"), "mockllm/model", C1)
    flow.ingest(C1, {"mock": low}, ["mock"])  # declared and logged: accepted
    with flow.workspace.read() as session:
        declared = session.execute(
            select(AuditEntryRow).where(AuditEntryRow.event == "evidence.tested_model_declared")
        ).scalar_one()
        assert json.loads(declared.body)["data"]["tested_model"] == "mockllm/model"
    with pytest.raises(EvidenceError, match="not frontier@c2"):  # the mapping names c1 only
        flow.register("c2", 1.1e24)
        flow.ingest(f"{MODEL}@c2", {"mock": low}, ["mock"])


@pytest.mark.parametrize("key", [b"", b"k" * 32, b"x" * 64, b"long" * 40])
def test_the_seals_hmac_is_rfc_2104(key: bytes) -> None:
    import hashlib
    import hmac

    from scalegate.gate.seal import hmac_sha256

    for message in (b"", b"scalegate", bytes(range(256)) * 9):
        assert hmac_sha256(key, message) == hmac.new(key, message, hashlib.sha256).digest()
