"""A policy change under RSP v2.2 change control: proposed by the RSO with its diff, the LTBT consulted, the
Board approving, published before the effective date, activated on it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from scalegate.actor import SYSTEM, Actor
from scalegate.clock import FixedClock
from scalegate.errors import ConflictError, InputError, PermissionDenied
from scalegate.governance import policy_change
from scalegate.governance.decisions import open_decision, sign
from scalegate.governance.notifications import notify_decision
from scalegate.policy import Policy, load_builtin
from scalegate.store.models.audit import AuditEntryRow
from scalegate.store.models.governance import DecisionRow
from scalegate.store.models.workspace import PolicyVersionRow
from scalegate.workspace import Workspace
from tests.governance.conftest import SMTPSink, make_people
from tests.governance.test_decisions import h
from tests.support.policy import active_of, policy_of
from tests.support.proposals import propose_change
from tests.support.signing import PASSWORD

EFFECTIVE = datetime(2025, 7, 1, tzinfo=UTC)


@pytest.fixture
def rsp_people(rsp: Workspace) -> dict[str, Actor]:
    return make_people(
        rsp,
        {
            "rita": ["rso"],
            "carl": ["ceo"],
            "bea": ["board"],
            "lena": ["ltbt"],
            "eve": ["evaluator"],
            "bob": ["ceo", "board"],
        },
    )


def amended() -> Policy:
    document = load_builtin("anthropic-rsp-2.2").model_dump(mode="json")
    document["framework"]["version"] = "2.2.1"
    document["triggers"]["effective_compute"]["ratio"] = 3.0
    return Policy.model_validate(document)


def test_policy_change_scenario(
    rsp: Workspace, rsp_people: dict[str, Actor], clock: FixedClock, smtp_server: SMTPSink
) -> None:
    p = rsp_people
    old_version = active_of(rsp).version_id
    with pytest.raises(PermissionDenied, match=r"may not policy\.propose"):
        propose_change(rsp, p["eve"], amended(), effective_at=EFFECTIVE)
    change = propose_change(rsp, p["rita"], amended(), effective_at=EFFECTIVE, rationale="tighter trigger")
    assert change.status == "proposed" and change.base_version_id == old_version
    assert any(
        c["path"].endswith("effective_compute.ratio") and c["old"] == 4.0 and c["new"] == 3.0
        for c in change.diff
    )
    decision_id = change.decision_id

    with pytest.raises(ConflictError, match="cannot be approved before ltbt is consulted"):
        sign(rsp, p["bea"], decision_id, "board", password=PASSWORD)
    [notice] = notify_decision(rsp, p["rita"], decision_id, notifier_for(smtp_server))
    assert (
        notice.role == "ltbt"
        and notice.status == "delivered"
        and smtp_server.messages[0]["to"] == ["lena@example.org"]
    )
    policy_change.consult(rsp, p["lena"], change.id, "The LTBT has no objection.", password=PASSWORD)

    sign(
        rsp, p["rita"], decision_id, "rso", password=PASSWORD
    )  # the proposer co-signs as proposer, not as approver
    sign(rsp, p["carl"], decision_id, "ceo", password=PASSWORD)
    with pytest.raises(ConflictError, match="must be approved and published first"):
        policy_change.activate(rsp, p["rita"], change.id)
    sign(rsp, p["bea"], decision_id, "board", password=PASSWORD)
    assert policy_change.show_change(rsp, p["rita"], change.id).status == "approved"

    with pytest.raises(ConflictError, match="must be approved and published first"):
        policy_change.activate(rsp, p["rita"], change.id)
    published = policy_change.publish(rsp, p["rita"], change.id, url="https://example.org/rsp-2.2.1")
    assert published.published_at < published.effective_at
    with pytest.raises(ConflictError, match="not before"):
        policy_change.activate(rsp, p["rita"], change.id)

    clock.set(EFFECTIVE)
    active = policy_change.activate(rsp, SYSTEM, change.id)
    assert active.status == "active" and active.activated_at == EFFECTIVE
    assert active_of(rsp).version_id == change.proposed_version_id != old_version
    trigger = policy_of(rsp).triggers.effective_compute
    assert trigger is not None and trigger.ratio == 3.0
    with rsp.read() as session:
        statuses = dict(session.execute(select(PolicyVersionRow.id, PolicyVersionRow.status)).all())
        events = list(session.execute(select(AuditEntryRow.event).order_by(AuditEntryRow.seq)).scalars())
    assert statuses == {old_version: "superseded", change.proposed_version_id: "active"}
    assert [e for e in events if e.startswith("policy.")] == [
        "policy.change_proposed",
        "policy.change_consulted",
        "policy.change_published",
        "policy.activated",
    ]

    with rsp.transaction() as session:
        later = open_decision(
            rsp,
            session,
            SYSTEM,
            decision_type="capability_determination",
            subject="checkpoint:1",
            payload={},
            bound_state={"findings": h("f")},
        )
        assert later.policy_version_id == change.proposed_version_id
        assert later.policy_hash == active_of(rsp).content_hash


def notifier_for(sink: SMTPSink):  # type: ignore[no-untyped-def]
    from scalegate.governance.notifications import SMTPNotifier

    return SMTPNotifier(sink.host, sink.port)


def approve(rsp: Workspace, p: dict[str, Actor], change: dict[str, object]) -> None:
    from scalegate.governance.notifications import InMemoryNotifier

    decision_id = int(str(change.decision_id))
    notify_decision(rsp, p["rita"], decision_id, InMemoryNotifier())
    policy_change.consult(rsp, p["lena"], int(str(change.id)), "no objection", password=PASSWORD)
    sign(rsp, p["rita"], decision_id, "rso", password=PASSWORD)
    sign(rsp, p["carl"], decision_id, "ceo", password=PASSWORD)
    sign(rsp, p["bea"], decision_id, "board", password=PASSWORD)


def test_publication_after_the_effective_date_is_refused(
    rsp: Workspace, rsp_people: dict[str, Actor], clock: FixedClock
) -> None:
    change = propose_change(rsp, rsp_people["rita"], amended(), effective_at=EFFECTIVE)
    approve(rsp, rsp_people, change)
    clock.set(EFFECTIVE + timedelta(hours=1))
    with pytest.raises(ConflictError, match="must be published before that"):
        policy_change.publish(rsp, rsp_people["rita"], change.id)


def test_proposer_cannot_approve_as_board(rsp: Workspace, rsp_people: dict[str, Actor]) -> None:
    change = propose_change(rsp, rsp_people["bob"], amended(), effective_at=EFFECTIVE)
    policy_change.consult(rsp, rsp_people["lena"], change.id, "no objection", password=PASSWORD)
    with pytest.raises(ConflictError, match="separation of duties: bob submitted"):
        sign(rsp, rsp_people["bob"], change.decision_id, "board", password=PASSWORD)


def test_board_rejection_rejects_the_proposal(rsp: Workspace, rsp_people: dict[str, Actor]) -> None:
    change = propose_change(rsp, rsp_people["rita"], amended(), effective_at=EFFECTIVE)
    policy_change.consult(rsp, rsp_people["lena"], change.id, "concerns", password=PASSWORD)
    sign(
        rsp,
        rsp_people["bea"],
        change.decision_id,
        "board",
        password=PASSWORD,
        approve=False,
        justification="not now",
    )
    assert policy_change.show_change(rsp, rsp_people["rita"], change.id).status == "rejected"
    with rsp.read() as session:
        version = session.get(PolicyVersionRow, change.proposed_version_id)
        decision = session.get(DecisionRow, change.decision_id)
        assert version is not None and version.status == "rejected"
        assert decision is not None and decision.status == "rejected"
    with pytest.raises(ConflictError, match="already known as version"):
        propose_change(rsp, rsp_people["rita"], amended(), effective_at=EFFECTIVE)


def test_proposal_must_differ_and_take_effect_later(rsp: Workspace, rsp_people: dict[str, Actor]) -> None:
    with pytest.raises(InputError, match="identical to the active policy"):
        propose_change(rsp, rsp_people["rita"], load_builtin("anthropic-rsp-2.2"), effective_at=EFFECTIVE)
    with pytest.raises(InputError, match="is not after now"):
        propose_change(rsp, rsp_people["rita"], amended(), effective_at=rsp.now())


def test_only_consulted_roles_consult(rsp: Workspace, rsp_people: dict[str, Actor]) -> None:
    change = propose_change(rsp, rsp_people["rita"], amended(), effective_at=EFFECTIVE)
    with pytest.raises(PermissionDenied, match=r"may not policy\.consult"):
        policy_change.consult(rsp, rsp_people["bea"], change.id, "I am the board", password=PASSWORD)


def test_sign_change_picks_the_change_control_role(rsp: Workspace, rsp_people: dict[str, Actor]) -> None:
    """Without a role, an approver signs as approver (before any proposer role they hold); a person holding no
    change-control role is told to name one. Either way the signature goes through ``decisions.sign`` and its
    hooks: the Board cannot approve before the LTBT is consulted."""
    p = rsp_people
    change = propose_change(rsp, p["rita"], amended(), effective_at=EFFECTIVE)
    with pytest.raises(InputError, match="holds no approving or proposing role") as refused:
        policy_change.sign_change(rsp, p["lena"], change.id, password=PASSWORD)
    assert refused.value.where == "role"
    with pytest.raises(ConflictError, match="cannot be approved before ltbt is consulted"):
        policy_change.sign_change(rsp, p["bob"], change.id, password=PASSWORD)
    policy_change.consult(rsp, p["lena"], change.id, "No objection.", password=PASSWORD)
    policy_change.sign_change(rsp, p["carl"], change.id, password=PASSWORD)  # the CEO co-signs as proposer
    signed = policy_change.sign_change(rsp, p["bea"], change.id, password=PASSWORD)
    assert signed.status == "proposed"  # the RSO has not co-signed yet
    signed = policy_change.sign_change(rsp, p["rita"], change.id, password=PASSWORD, role="rso")
    assert signed.status == "approved"
