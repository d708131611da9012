"""The permission matrix: every role of RSP v2.2 (plus admin, anonymous and scalegate itself) against every
action, through the real service functions. Zero unauthorised successes, and no authorised failure either."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from scalegate import wiring
from scalegate.actor import ANONYMOUS, SYSTEM, Actor
from scalegate.clock import FixedClock
from scalegate.errors import PermissionDenied
from scalegate.gate import migration
from scalegate.governance import noncompliance, policy_change
from scalegate.governance.compliance import compliance_status, record_completion
from scalegate.governance.decisions import list_decisions, open_decision, sign
from scalegate.governance.hooks import Hooks, installed_as
from scalegate.governance.notifications import InMemoryNotifier, notify_decision
from scalegate.governance.permissions import (
    ACTIONS,
    PERMISSION_RULES,
    PERMISSIONS,
    allowed,
    require,
    roles_for,
    rules_for,
)
from scalegate.governance.users import add_user, create_token, list_users
from scalegate.policy import Policy, load_builtin
from scalegate.workspace import Workspace, init_workspace
from tests.governance.conftest import checkpoint, make_people
from tests.governance.test_decisions import h
from tests.support.policy import policy_of
from tests.support.signing import PASSWORD

RSP_ROLES = [
    "rso",
    "ceo",
    "board",
    "ltbt",
    "evaluator",
    "safeguards_owner",
    "security",
    "staff",
    "external_reviewer",
    "auditor",
]


@dataclass
class World:
    """A workspace with helpers who prepare the state each probe needs."""

    ws: Workspace
    clock: FixedClock
    helpers: dict[str, Actor]
    counter: Iterator[int] = field(default_factory=itertools.count)

    def n(self) -> int:
        return next(self.counter)

    def decision(self, decision_type: str = "capability_determination") -> int:
        with self.ws.transaction() as session:
            return open_decision(
                self.ws,
                session,
                SYSTEM,
                decision_type=decision_type,
                subject=checkpoint(self.ws),
                payload={},
                bound_state={"findings": h(str(self.n()))},
            ).id

    def approved_decision(self) -> int:
        decision_id = self.decision()
        sign(self.ws, self.helpers["s_rso"], decision_id, "rso", password=PASSWORD)
        sign(self.ws, self.helpers["s_ceo"], decision_id, "ceo", password=PASSWORD)
        return decision_id

    def change(
        self, *, consulted: bool = True, approved: bool = False, published: bool = False
    ) -> policy_change.ChangeView:
        document = policy_of(self.ws).model_dump(mode="json")
        document["framework"]["version"] = f"2.2-matrix-{self.n()}"
        change = policy_change.propose(
            self.ws,
            self.helpers["s_rso"],
            Policy.model_validate(document),
            effective_at=self.clock.now() + timedelta(days=1),
        )
        if consulted:
            policy_change.consult(
                self.ws, self.helpers["s_ltbt"], change.id, "no objection", password=PASSWORD
            )
        if approved:
            notify_decision(self.ws, self.helpers["s_rso"], change.decision_id, InMemoryNotifier())
            for name, role in (("s_rso", "rso"), ("s_ceo", "ceo"), ("s_board", "board")):
                sign(self.ws, self.helpers[name], change.decision_id, role, password=PASSWORD)
        if published:
            policy_change.publish(self.ws, self.helpers["s_rso"], change.id)
        return change

    def report(self, routed_to_board: bool) -> int:
        return int(
            noncompliance.report(
                self.ws, description="probe", concerning_role="rso" if routed_to_board else None
            ).id
        )


def _sign(w: World, a: Actor) -> None:
    role = next(iter(a.roles), "staff")
    if role == "board":
        sign(w.ws, a, w.change().decision_id, "board", password=PASSWORD)
    else:
        sign(w.ws, a, w.decision(), role if role in ("rso", "ceo") else "rso", password=PASSWORD)


def _activate(w: World, a: Actor) -> None:
    change = w.change(approved=True, published=True)
    w.clock.advance(timedelta(days=1))
    policy_change.activate(w.ws, a, change.id)


def _summary(w: World, a: Actor) -> None:
    w.clock.advance(timedelta(minutes=1))
    noncompliance.summarize(w.ws, a)


def _open(w: World, a: Actor) -> None:
    with w.ws.transaction() as session:
        open_decision(
            w.ws,
            session,
            a,
            decision_type="capability_determination",
            subject=f"checkpoint:{w.n()}",
            payload={},
            bound_state={},
        )


PROBES: dict[str, Callable[[World, Actor], Any]] = {
    "users.admin": lambda w, a: add_user(w.ws, a, f"new{w.n()}"),
    "users.read": lambda w, a: list_users(w.ws, a),
    "tokens.create": lambda w, a: create_token(w.ws, a, name="t", scopes=["gate.read"]),
    "decision.open": _open,
    "decision.sign": _sign,
    "decision.read": lambda w, a: list_decisions(w.ws, a),
    "notification.send": lambda w, a: notify_decision(w.ws, a, w.approved_decision(), InMemoryNotifier()),
    "policy.read": lambda w, a: policy_change.list_changes(w.ws, a),
    "policy.propose": lambda w, a: policy_change.propose(
        w.ws, a, _variant(w), effective_at=w.clock.now() + timedelta(days=1)
    ),
    "policy.consult": lambda w, a: policy_change.consult(
        w.ws, a, w.change(consulted=False).id, "ok", password=PASSWORD
    ),
    "policy.approve": lambda w, a: sign(w.ws, a, w.change().decision_id, "board", password=PASSWORD),
    "policy.publish": lambda w, a: policy_change.publish(w.ws, a, w.change(approved=True).id),
    "policy.activate": _activate,
    "noncompliance.report": lambda w, a: noncompliance.report(w.ws, description="x", reporter=a),
    "noncompliance.read": lambda w, a: noncompliance.list_reports(w.ws, a),
    "noncompliance.handle": lambda w, a: noncompliance.transition(
        w.ws, a, w.report(routed_to_board="board" in a.roles), "investigating"
    ),
    "noncompliance.summary": _summary,
    "noncompliance.disclose": lambda w, a: noncompliance.disclosure(w.ws, a),
    "compliance.read": lambda w, a: compliance_status(w.ws, a),
    "compliance.record": lambda w, a: record_completion(w.ws, a, "procedural-review"),
}
"""Actions governance enforces, each through the service function that performs it."""

OPEN_TO_ALL = {"policy.read", "noncompliance.report", "noncompliance.disclose"}
"""Actions every actor, even an anonymous one, may perform."""

ENFORCED_ELSEWHERE = {
    "registry.read",
    "registry.write",
    "evidence.read",
    "evidence.ingest",
    "assessment.read",
    "assessment.run",
    "assessment.request",
    "safeguards.read",
    "safeguards.record",
    "safeguards.approve",
    "gate.read",
    "audit.read",
    "audit.verify",
    "audit.checkpoint",
    "report.read",
    "report.generate",
    "report.export",
}
"""Actions other domains enforce with ``require``; checked here through ``require`` itself."""


def _variant(w: World) -> Policy:
    document = policy_of(w.ws).model_dump(mode="json")
    document["framework"]["version"] = f"2.2-variant-{w.n()}"
    return Policy.model_validate(document)


@pytest.fixture
def world(db_url: str, clock: FixedClock) -> Iterator[World]:
    ws = init_workspace(db_url, "anthropic-rsp-2.2", clock=clock)
    helpers = make_people(ws, {"s_rso": ["rso"], "s_ceo": ["ceo"], "s_board": ["board"], "s_ltbt": ["ltbt"]})
    try:
        yield World(ws, clock, helpers)
    finally:
        ws.close()


def _actors(w: World) -> dict[str, Actor]:
    actors = make_probe_users(w)
    return {**actors, "anonymous": ANONYMOUS, "system": SYSTEM}


def make_probe_users(w: World) -> dict[str, Actor]:
    from scalegate.governance.identity import resolve_actor

    for role in [*RSP_ROLES, "admin"]:
        add_user(
            w.ws,
            w.helpers["root"],
            f"p_{role}",
            roles=[role],
            email=f"p_{role}@example.org",
            password=PASSWORD,
            approver_password=PASSWORD,
        )
    return {role: resolve_actor(w.ws, f"p_{role}") for role in [*RSP_ROLES, "admin"]}


def test_every_action_is_covered() -> None:
    assert set(PROBES) | ENFORCED_ELSEWHERE == set(ACTIONS)
    assert not set(PROBES) & ENFORCED_ELSEWHERE
    assert set(PERMISSIONS) == set(PERMISSION_RULES) == set(ACTIONS)
    assert all(rule.reason and rule.source for rule in PERMISSION_RULES.values())


@pytest.mark.slow
def test_matrix_of_every_role_and_action(world: World) -> None:
    """Who may do what. The approval's impact check (tests/gate/test_migration.py) is left out: it would
    assess every checkpoint twice per approval, and it runs after the permission check it does not change."""
    plugins = [p for p in wiring.PLUGINS if p is not migration.HOOKS]
    with installed_as(Hooks.of(*plugins)):
        _matrix(world)


def _matrix(world: World) -> None:
    policy = policy_of(world.ws)
    actors = _actors(world)
    unauthorised, refused = [], []
    successes: dict[str, int] = dict.fromkeys(PROBES, 0)
    for action, probe in PROBES.items():
        for label, actor in actors.items():
            expected = allowed(actor, action, policy_of(world.ws))  # type: ignore[arg-type]
            try:
                probe(world, actor)
                succeeded = True
                successes[action] += 1
            except PermissionDenied:
                succeeded = False
            if succeeded and not expected:
                unauthorised.append(f"{label}:{action}")
            if expected and not succeeded:
                refused.append(f"{label}:{action}")
    assert unauthorised == [], f"unauthorised successes: {unauthorised}"
    assert refused == [], f"authorised actors refused: {refused}"
    assert all(n < len(actors) or action in OPEN_TO_ALL for action, n in successes.items())
    assert all(successes.values()), f"probes nobody passed: {[a for a, n in successes.items() if not n]}"
    assert policy.id == "anthropic-rsp-2.2"


def test_expected_grants_of_the_rsp(world: World) -> None:
    policy = policy_of(world.ws)
    assert roles_for("policy.approve", policy) == {"board"}
    assert roles_for("policy.consult", policy) == {"ltbt"}
    assert roles_for("policy.propose", policy) == {"rso", "ceo"}
    assert roles_for("users.admin", policy) == {"admin"}
    assert "staff" not in roles_for("decision.sign", policy)
    assert roles_for("noncompliance.handle", policy) == {"rso", "board"}
    sources = {r.source for r in rules_for(policy)["policy.approve"]}
    assert "Anthropic RSP v2.2 §7.1" in sources


def test_other_domains_actions_through_require(world: World) -> None:
    actors = _actors(world)
    policy = policy_of(world.ws)
    for action in sorted(ENFORCED_ELSEWHERE):
        may = roles_for(action, policy)  # type: ignore[arg-type]
        for label, actor in actors.items():
            should = "anyone" in may or label in may or (label == "system" and "system" in may)
            if should:
                require(actor, action, policy)  # type: ignore[arg-type]
            else:
                with pytest.raises(PermissionDenied, match=f"may not {action}; roles that may: "):
                    require(actor, action, policy)  # type: ignore[arg-type]


def test_policy_derived_roles_follow_the_framework(db_url: str, clock: FixedClock) -> None:
    ws = init_workspace(db_url, "openai-preparedness-2", clock=clock)
    try:
        policy = policy_of(ws)
        sag = Actor("s", frozenset({"sag"}), user_id=1)
        assert allowed(sag, "policy.propose", policy) and allowed(sag, "decision.sign", policy)
        assert not allowed(sag, "policy.propose", load_builtin("anthropic-rsp-2.2"))
        assert allowed(Actor("l", frozenset({"leadership"}), user_id=2), "policy.approve", policy)
    finally:
        ws.close()


def test_token_scopes_narrow_an_actor() -> None:
    rso = Actor("r", frozenset({"rso"}), user_id=1, scopes=frozenset({"decision.*", "gate.read"}))
    assert allowed(rso, "decision.sign") and allowed(rso, "gate.read")
    assert not allowed(rso, "policy.propose")
    with pytest.raises(PermissionDenied, match="token's scopes do not include it"):
        require(rso, "policy.propose")


@pytest.mark.parametrize("policy_id", ["anthropic-rsp-1.0", "openai-preparedness-2", "anthropic-rsp-2.2"])
def test_the_matrix_cites_only_the_policy_own_document_as_its_clauses(policy_id: str) -> None:
    """Under RSP v1.0 the matrix must not cite RSP v2.2 clauses as the policy's: a default modelled on v2.2
    says it is scalegate's."""
    from scalegate.permissions import rules_for

    policy = load_builtin(policy_id)
    own = policy.governance.change_control.source.document
    for rules in rules_for(policy).values():
        for rule in rules:
            assert rule.source.startswith((own, "scalegate default")), (rule.action, rule.source)
