"""The demo scenario: one model family under the default policy, walked from registration to a gate verdict.

Stages (each a function, so tests and the dashboard can stop at any of them):

1. ``seed``: people with demo logins, the `aurora` family with its effective-compute fit and eight
   checkpoints; its third checkpoint passed 4x the assessed baseline, so a comprehensive assessment is due.
2. ``evaluate``: real Inspect runs of stand-in tasks (shaped like WMDP-Bio, LAB-Bench, SWE-bench, Cybench) on
   scalegate's offline test model; WMDP-Bio lands inside CBRN-3's safety buffer -> ASL-3 required.
3. ``safeguard``: the ASL-2 baseline and ASL-3 criteria implemented, evidenced, approved; safeguards
   determinations signed by CEO and RSO.
4. ``propose``: the capability determination proposed, awaiting the RSO's and CEO's signatures; the government
   notice sent (ASL-3 exceeds ASL-2).
5. ``sign``: RSO and CEO sign, the board and LTBT are notified: the gate allows deployment.
6. ``rsp-v3``: the same lab moves from RSP v2.2 to v3.4 through the policy-change workflow (proposal,
   the LTBT consulted, CEO, RSO and Board sign, the LTBT notified, published, activated a day later); what the
   obligations become is kept in ``DemoState.adoption``: the Risk Report and other documents, the first
   Risk Report's due date, and the gate's Risk Report reasons.

This module is the scenario only: it builds and walks, and prints nothing. ``scalegate demo``
(``scalegate.cli.demo``) is its door: it prints the verdict after each stage and, with a dashboard, leaves the
last stage to the people in the browser.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scalegate import wiring
from scalegate.actor import SYSTEM, Actor
from scalegate.assessment.determination import propose_determination
from scalegate.assessment.service import assess, checkpoint_subject
from scalegate.clock import FixedClock
from scalegate.errors import ConflictError
from scalegate.evidence.service import ingest_file
from scalegate.gate.migration import migrate
from scalegate.gate.service import evaluate_gate
from scalegate.governance import policy_change
from scalegate.governance.decisions import sign as sign_decision
from scalegate.governance.documents.deadlines import calendar_items
from scalegate.governance.identity import resolve_actor
from scalegate.governance.notifications import (
    OutboxNotifier,
    configure_notifier,
    notify_decision,
    notify_government,
)
from scalegate.governance.users import add_user
from scalegate.policy.builtin import load_builtin
from scalegate.policy.service import policy_summary
from scalegate.safeguards.service import (
    add_evidence,
    criteria_of,
    propose_safeguards_determination,
    record_implementation,
    review_evidence,
)
from scalegate.store.engine import DEFAULT_DIR, default_url
from scalegate.testing.demo_data import seed_demo_family
from scalegate.workspace import Workspace, init_workspace

if TYPE_CHECKING:
    from scalegate.context import ActivePolicy
    from scalegate.gate.verdict import VerdictDocument
    from scalegate.policy import Policy

__all__ = [
    "DEMO_USERS",
    "NEXT_POLICY",
    "STAGES",
    "DemoState",
    "adopt_v3",
    "build_demo",
    "demo_password",
    "fresh_state",
    "walk",
]

DEMO_USERS: dict[str, tuple[list[str], str]] = {
    "admin": (["admin"], "Workspace administrator"),
    "rita": (["rso"], "Responsible Scaling Officer"),
    "carl": (["ceo"], "Chief Executive Officer"),
    "bea": (["board"], "Board member"),
    "lena": (["ltbt"], "Long-Term Benefit Trust member"),
    "eve": (["evaluator"], "Frontier red team evaluator"),
    "sol": (["safeguards_owner"], "Trust & safety lead"),
    "sid": (["security"], "Security lead"),
    "amy": (["auditor"], "External auditor"),
}
"""Demo logins: name -> (roles, title). Each password is `demo-<name>-password`."""

STAGES = ("seed", "evaluate", "safeguard", "propose", "sign", "rsp-v3")

NEXT_POLICY = "anthropic-rsp-3.4"
"""The built-in policy the last chapter moves the demo lab to."""

# Stand-in tasks run for the evaluated checkpoint: (task, accuracy of the test model, samples).
_EVALS = [
    ("wmdp_bio", 0.74, 200),
    ("lab_bench_protocolqa", 0.2, 120),
    ("swe_bench", 0.1, 120),
    ("cybench", 0.05, 40),
]
_ELICITATION = ["helpful_only", "tool_use", "scaffolding"]


@dataclass
class DemoState:
    """What the demo built, for the printer, the dashboard and tests."""

    workspace: Workspace
    directory: Path
    people: dict[str, Actor] = field(default_factory=dict)
    ref: str = ""
    decision_id: int | None = None
    outbox: Any = None
    verdicts: list[tuple[str, VerdictDocument]] = field(default_factory=list)
    adoption: dict[str, Any] = field(default_factory=dict)


def demo_password(name: str) -> str:
    """The published password of a demo login; it also opens that user's signing key."""
    return f"demo-{name}-password"


def _policy(ws: Workspace) -> Policy:
    """The active policy as a reading context sees it now: the demo walks chapter after chapter, each of
    whose services reads it again in its own unit of work, so this only steers the walk."""
    return _active(ws).policy


def _active(ws: Workspace) -> ActivePolicy:
    with ws.reading() as ctx:
        return ctx.active


def seed(state: DemoState) -> None:
    """People and the model family."""
    ws = state.workspace
    roles = _policy(ws).role_ids()
    add_user(
        ws,
        SYSTEM,
        "admin",
        admin=True,
        display_name="Workspace administrator",
        password=demo_password("admin"),
    )
    admin = resolve_actor(ws, "admin")
    for name, (held, title) in DEMO_USERS.items():
        if name == "admin":
            continue
        add_user(
            ws,
            admin,
            name,
            roles=[r for r in held if r in roles],
            display_name=title,
            email=f"{name}@demo.scalegate.example",
            password=demo_password(name),
            approver_password=demo_password("admin"),
        )
    state.people = {name: resolve_actor(ws, name) for name in DEMO_USERS}

    # Notices go to an outbox directory as .eml files, so the dashboard can send them too.
    outbox = state.directory / "outbox"
    configure_notifier(ws, admin, outbox=str(outbox), government="frontier-ai-notices@gov.example")
    state.outbox = OutboxNotifier(outbox)
    family = seed_demo_family(ws, state.people["rita"])
    last = family.checkpoints[-1]
    state.ref = last if "@" in last else f"{family.model}@{last}"


def evaluate(state: DemoState) -> None:
    """Real Inspect runs of the stand-in tasks, ingested as evidence for the latest checkpoint."""
    # deferred: Inspect (~1,100 modules, ~1.3 s), only when the demo runs its evaluations
    from scalegate.testing.standin_tasks import run_standin

    logs = state.directory / "inspect-logs"
    for task, accuracy, n in _EVALS:
        log = run_standin(task, logs, accuracy=accuracy, n=n, elicitation=_ELICITATION)
        ingest_file(state.workspace, state.people["eve"], log, state.ref)


def _meet(state: DemoState, kind: str, level: str, done: set[str]) -> None:
    ws = state.workspace
    owner = state.people["sid"] if kind == "security" else state.people["sol"]
    docs = state.directory / "safeguards-evidence"
    docs.mkdir(parents=True, exist_ok=True)
    for _, criterion in criteria_of(_policy(ws), kind, level):
        if criterion.id in done:
            continue
        done.add(criterion.id)
        record_implementation(
            ws,
            owner,
            criterion.id,
            owner=owner.name,
            status="implemented",
            description=f"Implemented for the demo: {criterion.title}",
        )
        doc = docs / f"{criterion.id}.md"
        doc.write_text(
            f"# {criterion.title}\n\nCriterion {criterion.id}: {criterion.text}\n\nDemo evidence.\n",
            encoding="utf-8",
        )
        row = add_evidence(
            ws,
            owner,
            criterion.id,
            title=f"{criterion.title}: review record",
            kind="document",
            path=doc,
            expires_at=ws.now() + timedelta(days=330),
        )
        review_evidence(ws, state.people["rita"], row.id, approve=True, note="reviewed for the demo")
    decision = propose_safeguards_determination(ws, state.people["sol"], kind, level)
    rule = _policy(ws).decision_rule("safeguards_determination")
    for role in rule.signoff_roles if rule else []:
        signer = next(state.people[n] for n, (held, _) in DEMO_USERS.items() if role in held)
        sign_decision(
            ws,
            signer,
            int(decision.id),
            role,
            password=demo_password(signer.name),
            justification="criteria evidenced and reviewed",
        )
    notify_decision(ws, state.people["rita"], int(decision.id), state.outbox)  # before proceeding (§4.3)


def safeguard(state: DemoState) -> None:
    """Baseline and required standards implemented, evidenced, approved and determined."""
    ws = state.workspace
    done: set[str] = set()
    for req in _policy(ws).safeguards.baseline:
        _meet(state, req.kind, req.level, done)
    for kind, required in assess(ws, state.ref).requirements.levels.items():
        if required.because and _policy(ws).level(kind, required.level).criteria_published:
            _meet(state, kind, required.level, done)


def propose(state: DemoState) -> None:
    """The capability determination awaits RSO and CEO; the government notice goes out."""
    ws = state.workspace
    decision = propose_determination(ws, state.people["eve"], state.ref)
    state.decision_id = int(decision.id)
    assessment = assess(ws, state.ref)
    required = {k: v.level for k, v in assessment.requirements.levels.items()}
    notify_government(
        ws,
        state.people["rita"],
        checkpoint_subject(assessment.checkpoint_id),
        required,
        state.outbox,
        address="frontier-ai-notices@gov.example",
    )


def sign(state: DemoState) -> None:
    """RSO and CEO sign; the board and the LTBT are notified before proceeding."""
    assert state.decision_id is not None
    ws = state.workspace
    sign_decision(
        ws,
        state.people["rita"],
        state.decision_id,
        "rso",
        password=demo_password("rita"),
        justification="findings and forecast reviewed",
    )
    sign_decision(
        ws,
        state.people["carl"],
        state.decision_id,
        "ceo",
        password=demo_password("carl"),
        justification="agree: ASL-3 required and met",
    )
    notify_decision(ws, state.people["rita"], state.decision_id, state.outbox)


def _signer(state: DemoState, role: str) -> Actor:
    return next(state.people[n] for n, (held, _) in DEMO_USERS.items() if role in held)


def adopt_v3(state: DemoState) -> None:
    """The lab adopts RSP v3.4 through the policy-change workflow its v2.2 policy prescribes, then records
    what its obligations become in ``state.adoption``.

    The change control of the active policy says who does what: the proposers (CEO, RSO) propose (with the
    change's impact on the record recorded, ``gate.migration``, which the Board approves knowing) and co-sign,
    the consulted role (LTBT) responds first, the approvers (Board) approve, the notified roles hear before
    it takes effect, and it is published before its effective date. The effective date is one day ahead, so
    the chapter moves the demo clock by a day to reach it; a demo walked on the wall clock gets a pinned
    clock from here on (a demo workspace dates its records by its own clock: ``Workspace.now``).
    """
    ws = state.workspace
    clock = ws.clock if isinstance(ws.clock, FixedClock) else FixedClock(ws.now())
    ws.clock = clock
    old = _policy(ws)
    cc = old.governance.change_control
    rita = state.people["rita"]
    change = migrate(
        ws,
        rita,
        load_builtin(NEXT_POLICY),
        dry_run=False,
        rationale="adopt RSP v3.4: Risk Reports, external review and a Frontier Safety Roadmap",
        effective_at=ws.now() + timedelta(days=1),
        origin="proposal",
    ).change
    assert change is not None  # not a dry run
    for role in cc.consulted_roles:
        person = _signer(state, role)
        policy_change.consult(
            ws, person, change.id, "no objection", password=demo_password(person.name), role=role
        )
    rule = old.decision_rule("policy_change")
    for role in rule.signoff_roles if rule else [*cc.proposer_roles, *cc.approver_roles]:
        person = _signer(state, role)
        policy_change.sign_change(ws, person, change.id, password=demo_password(person.name), role=role)
    notify_decision(ws, rita, change.decision_id, state.outbox)  # before it takes effect
    policy_change.publish(ws, rita, change.id, url="https://demo.scalegate.example/rsp-v3.4")
    clock.advance(timedelta(days=1))
    policy_change.activate(ws, rita, change.id)
    new = _active(ws)
    report_due = next((i for i in calendar_items(ws) if i.kind == "risk-report"), None)
    reasons = {
        action: [
            r for r in evaluate_gate(ws, state.ref, action).to_dict()["reasons"] if "risk_report" in r["code"]
        ]
        for action in ("continue-training", "deploy-external")
    }
    state.adoption = {
        "change_id": change.id,
        "from": f"{old.id} {old.framework.version}",
        "policy": new.policy.id,
        "version": new.policy.framework.version,
        "activated_at": ws.now().isoformat(),
        "obligations": policy_summary(new.policy)["obligations"],
        "risk_report_due": report_due.due_at.isoformat() if report_due else None,
        "gate_reasons": reasons,
    }


def fresh_state(directory: Path, *, clock: Any = None) -> DemoState:
    """A new demo workspace (SQLite) in ``directory``, with no stage run yet; the governance hooks are
    installed (``scalegate.wiring``).

    A directory that already holds a workspace is refused (``ConflictError``), whatever that workspace is: its
    audit log and keys are a record nobody may lose to a demo. The caller picks another directory or removes
    the old one deliberately.
    """
    existing = directory / DEFAULT_DIR
    if existing.exists():
        raise ConflictError(
            f"{existing} already exists and may hold a workspace; the demo never replaces one: "
            "choose another --dir or remove it yourself",
            where="--dir",
        )
    wiring.install()
    directory.mkdir(parents=True, exist_ok=True)
    return DemoState(init_workspace(default_url(directory), clock=clock, mode="demo"), directory)


def walk(state: DemoState, *, until: str = "sign", after: Callable[[str], None] | None = None) -> DemoState:
    """Run the stages in order up to ``until``, calling ``after(stage)`` when each is done (the door prints
    there)."""
    if until not in STAGES:
        raise ValueError(f"unknown stage {until!r}; stages: {', '.join(STAGES)}")
    for stage in STAGES:
        _STEPS[stage](state)
        if after is not None:
            after(stage)
        if stage == until:
            break
    return state


def build_demo(directory: Path, *, until: str = "sign", clock: Any = None) -> DemoState:
    """Create the demo workspace in ``directory`` (which must not hold one yet); run the stages up to
    ``until``."""
    return walk(fresh_state(directory, clock=clock), until=until)


_STEPS = {
    "seed": seed,
    "evaluate": evaluate,
    "safeguard": safeguard,
    "propose": propose,
    "sign": sign,
    "rsp-v3": adopt_v3,
}
