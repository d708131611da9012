"""A workspace with rows in every table, written the way the product writes them, for the tamper test.

It is the demo scenario (``scalegate.testing.demo``: people, the `aurora` family, evidence, safeguards, a
signed capability determination, notices) with the committed golden Inspect logs instead of fresh Inspect
runs, followed by what the demo leaves out: an API token, a server-side session, a recorded compliance
event, a noncompliance report with a lifecycle step and a summary, a proposed policy change with a
consultation, an enhancement, an overdue finding, a rotated signing key with checkpoints, and cached gate
verdicts.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import yaml

from scalegate.actor import SYSTEM
from scalegate.audit.tree_heads import sign_tree_head
from scalegate.clock import FixedClock
from scalegate.evidence.service import ingest_file
from scalegate.gate.cache import remember
from scalegate.gate.service import evaluate_gate
from scalegate.governance import noncompliance, policy_change
from scalegate.governance.audit_access import rotate_key
from scalegate.governance.compliance import record_completion
from scalegate.governance.decisions import sign
from scalegate.governance.documents import offcycle, reviews, risk_reports, roadmap
from scalegate.governance.notifications import notify_decision
from scalegate.governance.sessions import start_session
from scalegate.governance.users import create_token
from scalegate.policy import Policy
from scalegate.registry.assessments_due import record_overdue_findings
from scalegate.registry.service import record_enhancement
from scalegate.testing import demo
from scalegate.vocabulary import ACTIONS
from scalegate.workspace import Workspace, init_workspace
from tests.fixtures.inspect_logs.make_logs import committed
from tests.support.policy import policy_of
from tests.support.proposals import propose_change

__all__ = ["GATE_REFS", "populate"]

_LOGS = ("wmdp_bio", "lab_bench_protocolqa", "swe_bench", "cybench")

GATE_REFS = ("aurora-1", "aurora-1@step-40000")
"""The references whose verdicts are cached, for every action."""


def populate(url: str, directory: Path, clock: FixedClock) -> Workspace:
    """Initialise the store at ``url`` and fill every table; returns the open workspace."""
    state = demo.DemoState(init_workspace(url, clock=clock), directory)
    demo.seed(state)
    ws, people = state.workspace, state.people
    logs = committed("gate")
    for name in _LOGS:
        ingest_file(ws, people["eve"], logs[name], state.ref)
    demo.safeguard(state)
    demo.propose(state)
    demo.sign(state)
    _extras(ws, state, clock)
    return ws


def _amended(ws: Workspace) -> Policy:
    document = policy_of(ws).model_dump(mode="json")
    document["framework"]["version"] += ".1"
    document["triggers"]["effective_compute"]["ratio"] = 3.0
    return Policy.model_validate(document)


PROCESS_POLICY = Path(__file__).parents[1] / "fixtures" / "policies" / "process.yaml"


def _with_obligations(ws: Workspace) -> Policy:
    """The active policy with the obligations of a process-bound policy added (Risk Reports, off-cycle
    analyses, external review, a roadmap), so the documents' tables fill the way the product fills them."""
    document = policy_of(ws).model_dump(mode="json")
    document["framework"]["version"] += "-obligations"
    document["obligations"] = yaml.safe_load(PROCESS_POLICY.read_text())["obligations"]
    return Policy.model_validate(document)


def _documents(ws: Workspace, state: demo.DemoState, clock: FixedClock) -> None:
    """Adopt the obligations through the policy-change workflow, then write every document table: a roadmap
    goal, a Risk Report approved and shared, a review with an approved reviewer who received it, an off-cycle
    analysis."""
    people, password = state.people, demo.demo_password
    change = propose_change(
        ws,
        people["rita"],
        _with_obligations(ws),
        rationale="obligations",
        effective_at=ws.now() + timedelta(days=1),
    )
    policy_change.consult(ws, people["lena"], change.id, "no objection", password=password("lena"))
    for name in ("carl", "rita", "bea"):  # the proposers co-sign, the Board approves
        policy_change.sign_change(ws, people[name], change.id, password=password(name))
    notify_decision(ws, people["rita"], change.decision_id, state.outbox)
    policy_change.publish(ws, people["rita"], change.id)
    clock.advance(timedelta(days=2))
    policy_change.activate(ws, people["rita"], change.id)
    roadmap.add_item(
        ws, people["rita"], area="security", title="harden", target_date=ws.now() + timedelta(days=90)
    )
    report = risk_reports.draft(
        ws,
        people["eve"],
        title="Risk Report",
        coverage_date=ws.now() - timedelta(days=1),
        highly_capable=True,
    )
    submitted = risk_reports.submit(ws, people["eve"], report.id)
    assert submitted.approval_decision_id is not None
    for name, role in (("carl", "ceo"), ("rita", "rso")):
        sign(ws, people[name], submitted.approval_decision_id, role, password=password(name))
    risk_reports.share(ws, people["rita"], report.id, notifier=state.outbox)
    reviews.deem_significantly_redacted(ws, people["lena"], report.id)
    review = reviews.start(ws, people["rita"], report.id, reviewers=[("Reviewer", [])])
    assert review.selection_decision_id is not None
    sign(ws, people["lena"], review.selection_decision_id, "ltbt", password=password("lena"))
    reviews.send(ws, people["rita"], review.id, "Reviewer")
    offcycle.determine(ws, people["rita"], model=state.ref.split("@")[0], reason="exceeds prior analysis")


def _extras(ws: Workspace, state: demo.DemoState, clock: FixedClock) -> None:
    people = state.people
    _documents(ws, state, clock)
    create_token(ws, people["admin"], name="ci", scopes=["gate.read"], user="eve")
    start_session(ws, people["rita"], lifetime_seconds=3600)
    record_completion(ws, people["rita"], "procedural-review", note="annual review held")
    receipt = noncompliance.report(ws, description="a deadline was missed", concerning_role="ceo")
    noncompliance.transition(ws, people["rita"], receipt.id, "investigating", note="looking into it")
    noncompliance.report(ws, description="a form was late")
    noncompliance.summarize(ws, people["rita"])
    change = propose_change(
        ws,
        people["rita"],
        _amended(ws),
        rationale="tighter trigger",
        effective_at=ws.now() + timedelta(days=60),
    )
    policy_change.consult(ws, people["lena"], change.id, "no objection", password=demo.demo_password("lena"))
    record_enhancement(ws, people["eve"], "aurora-1", "scaffolding", "agent harness", ws.now())
    sign_tree_head(ws, SYSTEM)
    rotate_key(ws, people["rita"])
    clock.advance(timedelta(days=400))  # past the assessment deadlines: overdue findings
    record_overdue_findings(ws)
    sign_tree_head(ws, SYSTEM)
    for ref in GATE_REFS:
        for action in ACTIONS:
            remember(ws, ref, evaluate_gate(ws, ref, action, sealed=True))
