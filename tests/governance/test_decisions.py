"""Decisions and sign-offs: bound to state, separated duties, invalidated by changes of state or policy."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from scalegate.actor import SYSTEM, Actor
from scalegate.audit import log_size
from scalegate.clock import FixedClock
from scalegate.errors import ConflictError, InputError, PermissionDenied
from scalegate.governance import policy_change
from scalegate.governance.decisions import decision_status, open_decision, sign
from scalegate.governance.identity import resolve_actor
from scalegate.governance.users import add_user
from scalegate.jsonable import to_jsonable
from scalegate.policy import load_policy
from scalegate.store.models.audit import AuditEntryRow
from scalegate.store.models.governance import DecisionRow
from scalegate.workspace import Workspace
from tests.conftest import MINIMAL_POLICY
from tests.governance.conftest import checkpoint
from tests.support.policy import active_of
from tests.support.proposals import propose_change
from tests.support.signing import PASSWORD


def h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def open_cd(workspace: Workspace, actor: Actor, findings: str = "f1", subject: str = "checkpoint:1") -> int:
    """Open a capability determination about a checkpoint the registry knows (``checkpoint:<id>``)."""
    checkpoint(workspace, int(subject.removeprefix("checkpoint:")))
    with workspace.transaction() as session:
        row = open_decision(
            workspace,
            session,
            actor,
            decision_type="capability_determination",
            subject=subject,
            payload={"levels": {"security": "L2"}},
            bound_state={"findings": h(findings)},
        )
        return row.id


def status(workspace: Workspace, findings: str = "f1", subject: str = "checkpoint:1"):  # type: ignore[no-untyped-def]
    with workspace.read() as session:
        return decision_status(
            workspace, session, "capability_determination", subject, {"findings": h(findings)}
        )


def test_two_roles_sign_and_the_decision_is_approved(workspace: Workspace, people: dict[str, Actor]) -> None:
    decision_id = open_cd(workspace, SYSTEM)
    before = status(workspace)
    assert before is not None and not before.approved and before.missing_roles == ["rso", "ceo"]
    sign(workspace, people["rita"], decision_id, "rso", password=PASSWORD, justification="evidence reviewed")
    sign(workspace, people["carl"], decision_id, "ceo", password=PASSWORD)
    after = status(workspace)
    assert after is not None
    assert after.approved and after.missing_roles == [] and not after.stale and after.status == "approved"
    assert after.signed_at == workspace.now()
    assert [s.signer for s in after.signatures] == ["rita", "carl"]
    assert after.bound_state["policy"] == active_of(workspace).content_hash
    assert after.policy_version_id == active_of(workspace).version_id
    assert not after.notified and after.missing_notifications == ["board"]
    document = to_jsonable(after)
    assert list(document) == [
        "decision_id", "decision_type", "subject", "status", "payload", "approved", "missing_roles",
        "rejected_by", "stale", "stale_keys", "notified", "missing_notifications", "signatures",
        "notifications", "created_at", "signed_at", "policy_version_id", "bound_state", "opened_by",
    ]  # fmt: skip
    assert document["decision_id"] == decision_id and document["signed_at"] == after.signed_at.isoformat()


def test_signature_records_exactly_what_it_approved(workspace: Workspace, people: dict[str, Actor]) -> None:
    decision_id = open_cd(workspace, SYSTEM, findings="exact")
    signature = sign(workspace, people["rita"], decision_id, "rso", password=PASSWORD)
    assert signature.bound_state == {"findings": h("exact"), "policy": active_of(workspace).content_hash}
    assert signature.signer == "rita" and signature.role == "rso" and signature.signed_at == workspace.now()


def test_submitter_cannot_approve_what_they_submitted(workspace: Workspace, people: dict[str, Actor]) -> None:
    decision_id = open_cd(workspace, people["rita"])
    with pytest.raises(ConflictError, match="separation of duties: rita submitted"):
        sign(workspace, people["rita"], decision_id, "rso", password=PASSWORD)
    sign(workspace, people["otto"], decision_id, "rso", password=PASSWORD)
    sign(workspace, people["carl"], decision_id, "ceo", password=PASSWORD)
    done = status(workspace)
    assert done is not None and done.approved


def test_one_person_cannot_sign_two_roles(workspace: Workspace, people: dict[str, Actor]) -> None:
    add_user(
        workspace,
        people["root"],
        "duo",
        roles=["rso", "ceo"],
        password=PASSWORD,
        approver_password=PASSWORD,
    )
    duo = resolve_actor(workspace, "duo")
    decision_id = open_cd(workspace, SYSTEM)
    sign(workspace, duo, decision_id, "rso", password=PASSWORD)
    with pytest.raises(ConflictError, match=r"duo already signed decision \d+ as rso"):
        sign(workspace, duo, decision_id, "ceo", password=PASSWORD)
    current = status(workspace)
    assert current is not None and not current.approved and current.missing_roles == ["ceo"]


def test_role_must_be_held_and_must_sign_this_decision(
    workspace: Workspace, people: dict[str, Actor]
) -> None:
    decision_id = open_cd(workspace, SYSTEM)
    with pytest.raises(PermissionDenied, match="does not hold role 'ceo'"):
        sign(workspace, people["rita"], decision_id, "ceo", password=PASSWORD)
    with pytest.raises(InputError, match="role 'board' does not sign capability_determination"):
        sign(workspace, people["bea"], decision_id, "board", password=PASSWORD)
    forged = Actor(name="rita", roles=frozenset({"rso", "ceo"}), user_id=people["rita"].user_id)
    with pytest.raises(PermissionDenied, match="does not hold role 'ceo'"):
        sign(workspace, forged, decision_id, "ceo", password=PASSWORD)
    with pytest.raises(PermissionDenied):
        sign(workspace, people["sam"], decision_id, "rso", password=PASSWORD)


def test_a_role_signs_once(workspace: Workspace, people: dict[str, Actor]) -> None:
    decision_id = open_cd(workspace, SYSTEM)
    sign(workspace, people["rita"], decision_id, "rso", password=PASSWORD)
    with pytest.raises(ConflictError, match="role 'rso' has already signed"):
        sign(workspace, people["otto"], decision_id, "rso", password=PASSWORD)


@pytest.mark.slow
def test_changed_state_makes_the_signoff_stale(workspace: Workspace, people: dict[str, Actor]) -> None:
    decision_id = open_cd(workspace, SYSTEM, findings="before")
    sign(workspace, people["rita"], decision_id, "rso", password=PASSWORD)
    sign(workspace, people["carl"], decision_id, "ceo", password=PASSWORD)
    same = status(workspace, findings="before")
    changed = status(workspace, findings="after")
    assert same is not None and changed is not None
    assert same.approved and not same.stale
    assert changed.stale and changed.stale_keys == ["findings"]


def test_rejection_needs_a_reason_and_closes_the_decision(
    workspace: Workspace, people: dict[str, Actor]
) -> None:
    decision_id = open_cd(workspace, SYSTEM)
    with pytest.raises(InputError, match="rejection needs a justification"):
        sign(workspace, people["rita"], decision_id, "rso", password=PASSWORD, approve=False)
    sign(
        workspace,
        people["rita"],
        decision_id,
        "rso",
        password=PASSWORD,
        approve=False,
        justification="evidence incomplete",
    )
    current = status(workspace)
    assert current is not None and not current.approved and current.rejected_by == ["rita"]
    with pytest.raises(ConflictError, match="is rejected"):
        sign(workspace, people["carl"], decision_id, "ceo", password=PASSWORD)


def test_a_new_decision_supersedes_the_open_one(workspace: Workspace, people: dict[str, Actor]) -> None:
    first = open_cd(workspace, SYSTEM, findings="a")
    second = open_cd(workspace, SYSTEM, findings="b")
    with pytest.raises(ConflictError, match="is superseded"):
        sign(workspace, people["rita"], first, "rso", password=PASSWORD)
    current = status(workspace, findings="b")
    assert current is not None and current.decision_id == second


def test_bound_state_must_be_digests(workspace: Workspace) -> None:
    with pytest.raises(InputError, match="must be a SHA-256 hex digest"), workspace.transaction() as session:
        open_decision(
            workspace,
            session,
            SYSTEM,
            decision_type="capability_determination",
            subject="checkpoint:1",
            payload={},
            bound_state={"findings": "not-a-digest"},
        )
    with (
        pytest.raises(InputError, match="no sign-off rule for deployment"),
        workspace.transaction() as session,
    ):
        open_decision(
            workspace,
            session,
            SYSTEM,
            decision_type="deployment",
            subject="checkpoint:1",
            payload={},
            bound_state={},
        )


def test_refused_signature_writes_nothing(workspace: Workspace, people: dict[str, Actor]) -> None:
    decision_id = open_cd(workspace, people["rita"])
    with workspace.read() as session:
        size = log_size(session)
    with pytest.raises(ConflictError):
        sign(workspace, people["rita"], decision_id, "rso", password=PASSWORD)
    sign(workspace, people["carl"], decision_id, "ceo", password=PASSWORD)
    with workspace.read() as session:
        assert log_size(session) == size + 1
        entry = session.execute(
            select(AuditEntryRow).order_by(AuditEntryRow.seq.desc()).limit(1)
        ).scalar_one()
    assert entry.event == "decision.signed" and entry.actor == "user:carl"
    assert '"table":"signatures"' in entry.body


def test_policy_change_invalidates_signoffs(
    workspace: Workspace, people: dict[str, Actor], clock: FixedClock
) -> None:
    approved = open_cd(workspace, SYSTEM, subject="checkpoint:1")
    sign(workspace, people["rita"], approved, "rso", password=PASSWORD)
    sign(workspace, people["carl"], approved, "ceo", password=PASSWORD)
    pending = open_cd(workspace, SYSTEM, subject="checkpoint:2")
    old_version = active_of(workspace).version_id
    new = load_policy(MINIMAL_POLICY).model_copy(update={"title": "Minimal test policy, amended"})
    change = propose_change(workspace, people["rita"], new, effective_at=clock.now() + timedelta(days=10))
    sign(workspace, people["bea"], change.decision_id, "board", password=PASSWORD)
    policy_change.publish(workspace, people["rita"], change.id)
    clock.advance(timedelta(days=10))
    policy_change.activate(workspace, people["rita"], change.id)
    assert active_of(workspace).version_id != old_version
    stale = status(workspace, subject="checkpoint:1")
    assert stale is not None and stale.stale and stale.stale_keys == ["policy"]
    with pytest.raises(ConflictError, match="opened under another policy version"):
        sign(workspace, people["rita"], pending, "rso", password=PASSWORD)
    renewed = open_cd(workspace, SYSTEM, subject="checkpoint:1")
    with workspace.read() as session:
        row = session.get(DecisionRow, renewed)
        assert row is not None and row.policy_version_id == active_of(workspace).version_id != old_version
