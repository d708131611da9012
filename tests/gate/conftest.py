"""The gate scenario kit: real Inspect logs of the stand-in tasks, people for every role, and the steps of the
RSP flow, driven through the service layer on a real workspace."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest

from scalegate.actor import Actor
from scalegate.clock import FixedClock
from scalegate.workspace import Workspace, init_workspace
from tests.fixtures.inspect_logs.make_logs import GATE_LOW, committed
from tests.support.policy import policy_of
from tests.support.signing import PASSWORD

MODEL = "frontier"
LOW = GATE_LOW


@pytest.fixture(scope="session")
def standin_logs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Real Inspect logs of the stand-in tasks: WMDP-Bio-shaped at 74% accuracy (inside RSP's safety buffer),
    all others low.

    They are the committed golden logs of ``tests/fixtures/inspect_logs/gate`` (made by its ``make_logs``
    script with the real ``inspect_ai.eval``; ``tests/evidence/test_golden_logs.py`` re-runs it in the slow
    lane), copied so that no test can change the committed files.
    """
    root = tmp_path_factory.mktemp("standin-logs")
    return {name: Path(shutil.copy(path, root / path.name)) for name, path in committed("gate").items()}


@dataclass
class Flow:
    """A workspace under one policy, its people, and the steps of the flow."""

    workspace: Workspace
    clock: FixedClock
    tmp: Path
    people: dict[str, Actor] = field(default_factory=dict)
    evidenced: set[str] = field(default_factory=set)

    def person(self, role: str) -> Actor:
        return self.people[role]

    # -- steps ---------------------------------------------------------------------------------------------

    def setup_people(self) -> None:
        from scalegate.governance.identity import resolve_actor
        from scalegate.governance.users import add_user

        root = Actor(name="root")
        add_user(self.workspace, root, "root", admin=True, email="root@example.org", password=PASSWORD)
        admin = resolve_actor(self.workspace, "root")
        for role in sorted(policy_of(self.workspace).role_ids()):
            add_user(
                self.workspace,
                admin,
                f"{role}-holder",
                roles=[role],
                email=f"{role}@example.org",
                password=PASSWORD,
                approver_password=PASSWORD,
            )
        self.people = {
            role: resolve_actor(self.workspace, f"{role}-holder")
            for role in policy_of(self.workspace).role_ids()
        }
        self.people["admin"] = admin

    def register(self, name: str, flops: float) -> None:
        from scalegate.registry.service import create_model, create_run, register_checkpoint
        from scalegate.registry.specs import CheckpointSpec

        actor = self.people.get("evaluator") or self.people["admin"]
        with self.workspace.read() as session:
            from sqlalchemy import select

            from scalegate.store.models.registry import ModelRow

            exists = session.execute(select(ModelRow.id).where(ModelRow.name == MODEL)).first()
        if not exists:
            create_model(self.workspace, actor, MODEL, "frontier-family", "research")
            create_run(self.workspace, actor, MODEL, "main", algorithmic_multiplier=1.0)
        register_checkpoint(
            self.workspace,
            actor,
            MODEL,
            CheckpointSpec(
                name=name,
                step=int(flops / 1e20),
                training_flops=flops,
                run="main",
                recorded_at=self.clock.now(),
            ),
        )

    def ingest(self, ref: str, logs: dict[str, Path], names: list[str]) -> None:
        from scalegate.evidence.service import ingest_file

        for name in names:
            ingest_file(self.workspace, self.person("evaluator"), logs[name], ref)

    def gate(self, ref: str, action: str) -> dict:  # type: ignore[type-arg]
        from scalegate.gate.service import evaluate_gate

        return evaluate_gate(self.workspace, ref, action).to_dict()

    def meet_standard(self, kind: str, level: str) -> None:
        """Implement, evidence and approve every criterion of a standard (cumulative), then sign its
        safeguards determination by the roles the policy names and send its notices."""
        from scalegate.safeguards.service import (
            add_evidence,
            criteria_of,
            propose_safeguards_determination,
            record_implementation,
            review_evidence,
        )

        policy = policy_of(self.workspace)
        owner = self.person("safeguards_owner")
        from scalegate.governance.permissions import roles_for

        may = sorted(
            roles_for("safeguards.approve", policy) & set(self.people) - {"safeguards_owner", "admin"}
        )
        approver = self.people[may[0]]
        for _, criterion in criteria_of(policy, kind, level):
            if criterion.id in self.evidenced:
                continue
            self.evidenced.add(criterion.id)
            record_implementation(
                self.workspace, owner, criterion.id, owner="platform team", status="implemented"
            )
            doc = self.tmp / f"{criterion.id}.md"
            doc.write_text(f"# Evidence for {criterion.id}\n\n{criterion.text}\n", encoding="utf-8")
            row = add_evidence(
                self.workspace,
                owner,
                criterion.id,
                title=f"{criterion.title} review",
                kind="document",
                path=doc,
                expires_at=self.clock.now() + timedelta(days=365),
            )
            review_evidence(self.workspace, approver, row.id, approve=True)
        rule = policy.decision_rule("safeguards_determination")
        if rule is not None:
            from scalegate.governance.notifications import InMemoryNotifier, notify_decision

            decision = propose_safeguards_determination(self.workspace, owner, kind, level)
            self.sign_all(int(decision.id), rule.signoff_roles)
            notify_decision(  # the board and the LTBT hear of it before proceeding (RSP v2.2 §4.3)
                self.workspace, self.person(rule.signoff_roles[0]), int(decision.id), InMemoryNotifier()
            )

    def baseline(self) -> None:
        """The baseline standards are in place (every model must meet them)."""
        for req in policy_of(self.workspace).safeguards.baseline:
            self.meet_standard(req.kind, req.level)

    def sign_all(self, decision_id: int, roles: list[str]) -> None:
        from scalegate.governance.decisions import sign as sign_decision

        for role in roles:
            sign_decision(
                self.workspace,
                self.person(role),
                decision_id,
                role,
                password=PASSWORD,
                justification="reviewed",
            )

    def determine(self, ref: str) -> int:
        """Propose the capability determination, sign it by its roles, and send its notifications."""
        from scalegate.assessment.determination import propose_determination
        from scalegate.governance.notifications import InMemoryNotifier, notify_decision

        rule = policy_of(self.workspace).decision_rule("capability_determination")
        assert rule is not None
        decision = propose_determination(self.workspace, self.person("evaluator"), ref)
        self.sign_all(int(decision.id), rule.signoff_roles)
        notify_decision(
            self.workspace, self.person(rule.signoff_roles[0]), int(decision.id), InMemoryNotifier()
        )
        return int(decision.id)

    def notify_government(self, ref: str, required: dict[str, str]) -> None:
        from scalegate.assessment.service import assess, checkpoint_subject
        from scalegate.governance.notifications import InMemoryNotifier, notify_government

        assessment = assess(self.workspace, ref)
        rule = policy_of(self.workspace).decision_rule("capability_determination")
        assert rule is not None
        notify_government(
            self.workspace,
            self.person(rule.signoff_roles[0]),
            checkpoint_subject(assessment.checkpoint_id),
            required,
            InMemoryNotifier(),
            address="notices@gov.example",
        )


@pytest.fixture
def flow_for(db_url: str, tmp_path: Path) -> Iterator[object]:
    """``flow_for(policy_id)`` builds a fresh workspace for a policy, with its people."""
    from datetime import UTC, datetime

    made: list[Workspace] = []

    def make(policy_id: str) -> Flow:
        clock = FixedClock(datetime(2025, 6, 2, 9, 0, tzinfo=UTC))
        workspace = init_workspace(db_url, policy_id, clock=clock)
        made.append(workspace)
        flow = Flow(workspace, clock, tmp_path)
        flow.setup_people()
        flow.baseline()
        return flow

    yield make
    for workspace in made:
        workspace.close()


def blocking(verdict: dict) -> list[str]:  # type: ignore[type-arg]
    """The codes of the reasons that block, with the standard's kind and level where the reason names one
    (``standard.unmet:deployment:ASL-3``): tests match on codes and numbers, never on English text."""
    out = []
    for reason in verdict["reasons"]:
        if reason["effect"] != "blocks":
            continue
        data = reason.get("data") or {}
        named = [data["kind"], data["level"]] if "kind" in data and "level" in data else []
        out.append(":".join([reason["code"], *named]))
    return out
