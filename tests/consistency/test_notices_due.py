"""One answer to "which notices are still due before the model proceeds": the gate's and the Sign-offs page's.

The Sign-offs page lists every approved decision whose ``before_proceeding`` notices were not all delivered
(``assessment.standing.decisions``); the overview shows the gate's verdicts. A signed determination of the
baseline standard (ASL-2) that the Board and the LTBT were never told of, under a model that requires ASL-3,
used to be listed there while the overview said allow. Standards are cumulative, so the model proceeds on the
lower determination too (RSP v2.2 §4.3: shared "before moving forward"): the gate now pauses on it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from scalegate.assessment.standing import decisions
from scalegate.clock import FixedClock
from scalegate.evidence.service import ingest_file
from scalegate.gate.service import evaluate_gate
from scalegate.governance.decisions import sign as sign_decision
from scalegate.governance.notifications import notify_decision
from scalegate.safeguards.service import propose_safeguards_determination
from scalegate.testing import demo
from scalegate.workspace import init_workspace
from tests.consistency.conftest import EVALS
from tests.fixtures.inspect_logs.make_logs import committed


def test_an_unnotified_baseline_determination_is_due_for_the_gate_and_the_signoffs_page(
    db_url: str, tmp_path: Path
) -> None:
    ws = init_workspace(db_url, clock=FixedClock(datetime(2025, 6, 1, 12, tzinfo=UTC)), mode="demo")
    try:
        state = demo.DemoState(ws, tmp_path)
        demo.seed(state)
        logs = committed("gate")
        for name in EVALS:
            ingest_file(ws, state.people["eve"], logs[name], state.ref)
        demo.safeguard(state)
        demo.propose(state)
        demo.sign(state)
        assert evaluate_gate(ws, state.ref, "deploy-external").outcome == "allow"

        # The baseline deployment standard determined again, signed, and nobody told.
        again = int(propose_safeguards_determination(ws, state.people["sol"], "deployment", "ASL-2").id)
        for name, role in (("rita", "rso"), ("carl", "ceo")):
            password = demo.demo_password(name)
            sign_decision(ws, state.people[name], again, role, password=password, justification="re-checked")

        listed = {d.decision_id: d for d in decisions(ws, state.people["rita"])}
        owed = {i for i, d in listed.items() if d.status == "approved" and d.missing_notifications}
        assert owed == {again}, owed
        verdict = evaluate_gate(ws, state.ref, "deploy-external")
        assert verdict.outcome == "pause"
        due = {r.data.get("decision_id") for r in verdict.reasons if r.code == "decision.unnotified"}
        assert due == owed

        notify_decision(ws, state.people["rita"], again, state.outbox)
        assert evaluate_gate(ws, state.ref, "deploy-external").outcome == "allow"
    finally:
        ws.close()
