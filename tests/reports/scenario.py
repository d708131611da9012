"""A scenario for the report tests, built through the service layer, stage by stage.

One model family (`atlas`) with three checkpoints at growing effective compute. Manual results are recorded
for both indicators of the test policy at each checkpoint: `bio-mcq` climbs into the safety buffer at the last
checkpoint (cannot rule out, so L3 is required), `auto-tasks` stays well below its alert value. Later stages
add the people, the capability determination and its notification, then the safeguards of the required
standards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from scalegate.actor import Actor
from scalegate.clock import FixedClock
from scalegate.workspace import Workspace
from tests.support.policy import policy_of
from tests.support.signing import PASSWORD

POLICY = Path(__file__).parent / "fixtures" / "policy.yaml"
MODEL = "atlas"
CHECKPOINTS = [("c1", 1.0e24), ("c2", 3.0e24), ("c3", 9.0e24)]
REF = f"{MODEL}@c3"
# Fraction of correct samples per checkpoint (bio-mcq: 40 samples; auto-tasks: 30 samples).
BIO = {"c1": 12, "c2": 17, "c3": 27}
AUTO = {"c1": 1, "c2": 1, "c3": 2}


@dataclass
class Scenario:
    """The workspace and the people acting in it."""

    workspace: Workspace
    clock: FixedClock
    tmp: Path
    people: dict[str, Actor] = field(default_factory=dict)
    stage: str = "empty"

    @property
    def evaluator(self) -> Actor:
        return self.people["eve"]


def people(workspace: Workspace) -> dict[str, Actor]:
    from scalegate.governance.identity import resolve_actor
    from scalegate.governance.users import add_user

    root = Actor(name="root")
    add_user(workspace, root, "root", admin=True, email="root@example.org", password=PASSWORD)
    admin = resolve_actor(workspace, "root")
    roles = {
        "rita": ["rso"],
        "carl": ["ceo"],
        "bea": ["board"],
        "eve": ["evaluator"],
        "sol": ["safeguards_owner"],
        "aud": ["auditor"],
    }
    for name, held in roles.items():
        add_user(
            workspace,
            admin,
            name,
            roles=held,
            email=f"{name}@example.org",
            password=PASSWORD,
            approver_password=PASSWORD,
        )
    return {"root": admin, **{name: resolve_actor(workspace, name) for name in roles}}


def _samples(correct: int, n: int) -> list[dict[str, object]]:
    return [{"id": f"s{i:03d}", "value": 1.0 if i < correct else 0.0} for i in range(n)]


def register(s: Scenario) -> None:
    """Stage `registered`: the model, its run and three checkpoints, a week apart."""
    from scalegate.registry.service import create_model, create_run, register_checkpoint
    from scalegate.registry.specs import CheckpointSpec

    s.people = people(s.workspace)
    actor = s.people["rita"]
    create_model(s.workspace, actor, MODEL, "atlas-family", "research")
    create_run(s.workspace, actor, MODEL, "main", algorithmic_multiplier=1.0)
    for step, (name, flops) in enumerate(CHECKPOINTS, start=1):
        register_checkpoint(
            s.workspace,
            actor,
            MODEL,
            CheckpointSpec(
                name=name, step=step * 1000, training_flops=flops, run="main", recorded_at=s.clock.now()
            ),
        )
        s.clock.advance(timedelta(days=7))
    s.stage = "registered"


def evaluate(s: Scenario) -> None:
    """Stage `evaluated`: manual results for both indicators at every checkpoint."""
    from scalegate.evidence.manual import ManualResult
    from scalegate.evidence.service import ingest_manual

    for name, _ in CHECKPOINTS:
        for task, correct, n in (("tiny_bio", BIO[name], 40), ("tiny_auto", AUTO[name], 30)):
            result = ManualResult.model_validate(
                {
                    "task": task,
                    "metric": "accuracy" if task == "tiny_bio" else "acc",
                    "model": MODEL,
                    "run_id": f"{task}-{name}",
                    "samples": _samples(correct, n),
                    "elicitation": ["helpful_only"],
                    "description": f"expert-graded {task} trial on {name}",
                }
            )
            doc = s.tmp / f"{task}-{name}.txt"
            doc.write_text(f"grading sheet for {task} on {name}\n", encoding="utf-8")
            ingest_manual(s.workspace, s.evaluator, result, f"{MODEL}@{name}", document=doc)
    s.clock.advance(timedelta(days=1))
    s.stage = "evaluated"


def determine(s: Scenario) -> int:
    """Stage `determined`: the capability determination proposed, signed by RSO and CEO, board notified."""
    from scalegate.assessment.determination import propose_determination
    from scalegate.governance.decisions import sign as sign_decision
    from scalegate.governance.notifications import InMemoryNotifier, notify_decision

    row = propose_determination(s.workspace, s.evaluator, REF)
    decision_id = int(row.id)
    sign_decision(
        s.workspace,
        s.people["rita"],
        decision_id,
        "rso",
        password=PASSWORD,
        justification="findings reviewed",
    )
    sign_decision(
        s.workspace,
        s.people["carl"],
        decision_id,
        "ceo",
        password=PASSWORD,
        justification="agree: L3 required",
    )
    notify_decision(s.workspace, s.people["rita"], decision_id, InMemoryNotifier())
    s.clock.advance(timedelta(days=1))
    s.stage = "determined"
    return decision_id


def safeguard(
    s: Scenario,
    kinds: tuple[str, ...] = ("deployment", "security"),
    level: str = "L3",
    *,
    notify: bool = True,
) -> None:
    """Stage `safeguarded`: every criterion of the required standards implemented, evidenced and approved, and
    each safeguards determination signed and (unless ``notify`` is false) its board and LTBT notices
    delivered."""
    from scalegate.governance.decisions import open_decision, sign
    from scalegate.governance.notifications import InMemoryNotifier, notify_decision
    from scalegate.safeguards.service import (
        add_evidence,
        criteria_of,
        evidence_set_digest,
        record_implementation,
        review_evidence,
        standard_subject,
    )

    owner, reviewer = s.people["sol"], s.people["rita"]
    policy = policy_of(s.workspace)
    for kind in kinds:
        for _, criterion in criteria_of(policy, kind, level):
            record_implementation(s.workspace, owner, criterion.id, owner="sol", status="implemented")
            doc = s.tmp / f"{criterion.id}.md"
            doc.write_text(f"# {criterion.title}\n\nHow {criterion.id} is met.\n", encoding="utf-8")
            row = add_evidence(
                s.workspace,
                owner,
                criterion.id,
                title=f"{criterion.title} design",
                kind="document",
                path=doc,
                expires_at=s.clock.now() + timedelta(days=300),
            )
            review_evidence(s.workspace, reviewer, row.id, approve=True, note="checked")
    for kind in kinds:
        with s.workspace.transaction() as session:
            digest = evidence_set_digest(session, policy, kind, level, s.workspace.now())
            decision = open_decision(
                s.workspace,
                session,
                s.people["sol"],
                decision_type="safeguards_determination",
                subject=standard_subject(kind, level),
                payload={"kind": kind, "level": level},
                bound_state={"evidence_set": digest},
            )
            decision_id = decision.id
        sign(s.workspace, s.people["rita"], decision_id, "rso", password=PASSWORD)
        sign(s.workspace, s.people["carl"], decision_id, "ceo", password=PASSWORD)
        if notify:
            notify_decision(
                s.workspace, s.people["rita"], decision_id, InMemoryNotifier()
            )  # board, LTBT (§4.3)
    s.clock.advance(timedelta(days=1))
    s.stage = "safeguarded"


def build(workspace: Workspace, clock: FixedClock, tmp: Path, until: str) -> Scenario:
    """The scenario up to and including stage ``until``."""
    scenario = Scenario(workspace, clock, tmp)
    order = ["registered", "evaluated", "determined", "safeguarded"]
    steps = {"registered": register, "evaluated": evaluate, "determined": determine, "safeguarded": safeguard}
    for stage in order[: order.index(until) + 1]:
        steps[stage](scenario)
    return scenario
