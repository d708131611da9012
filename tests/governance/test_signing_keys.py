"""Signatures the store cannot forge: each sign-off, approval and consultation response is an Ed25519
signature by the signer's own key, which only their password opens, and ``audit verify`` and the offline
verifier check every one, so rows edited or inserted with SQL, and entries appended behind scalegate's back,
do not verify."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import select, text

from scalegate.actor import SYSTEM, Actor
from scalegate.audit import log_size, offline, verify
from scalegate.audit.export import export_log
from scalegate.audit.keys import list_keys as list_audit_keys
from scalegate.audit.log import append
from scalegate.audit.verify import VerifyReport
from scalegate.canonical import canonical_json
from scalegate.clock import FixedClock
from scalegate.errors import InputError, PermissionDenied
from scalegate.governance import policy_change
from scalegate.governance.decisions import sign
from scalegate.governance.identity import resolve_actor
from scalegate.governance.signing_keys import (
    approve_key,
    list_keys,
    register_key,
    sign_statement,
    signoff_statement,
    statement_bytes,
)
from scalegate.governance.users import add_user, set_password
from scalegate.store.models.governance import SignatureRow
from scalegate.store.models.identity import UserKeyRow
from scalegate.workspace import Workspace
from tests.governance.test_decisions import h, open_cd
from tests.support.policy import active_of
from tests.support.proposals import propose_change
from tests.support.signing import PASSWORD


def _sql(workspace: Workspace, statement: str, **params: Any) -> None:
    """What someone with write access to the database can do, behind scalegate's back."""
    with workspace.engine.begin() as connection:
        connection.execute(text(statement), params)


def _signature_problems(report: VerifyReport) -> list[tuple[str, str | None]]:
    return [(p.kind, p.table) for p in report.problems if p.kind.startswith("signature_")]


def _offline(workspace: Workspace, tmp_path: Path) -> offline.OfflineReport:
    export = tmp_path / "export"
    export_log(workspace, export)
    key = tmp_path / "trusted.pem"
    key.write_text(list_audit_keys(workspace)[0].pem)
    return offline.verify_export(export, [offline.load_public_key(key)])


# -- what a signature is -------------------------------------------------------------------------------------


def test_a_signoff_is_signed_by_the_signers_key_and_verifies(
    workspace: Workspace, people: dict[str, Actor], tmp_path: Path
) -> None:
    decision_id = open_cd(workspace, SYSTEM)
    row = sign(workspace, people["rita"], decision_id, "rso", password=PASSWORD, justification="reviewed")
    [key] = [k for k in list_keys(workspace, people["rita"], "rita")]
    assert key.status == "approved" and key.approved_by == "user:root" and row.key_id == key.key_id
    statement = signoff_statement(
        decision_id=decision_id,
        decision_type="capability_determination",
        subject="checkpoint:1",
        role="rso",
        approve=True,
        justification="reviewed",
        bound_state=row.bound_state,
        policy_hash=active_of(workspace).content_hash,
        signer="rita",
        user_id=row.user_id,
        key_id=key.key_id,
        at=row.signed_at,
    )
    assert statement["state"] == hashlib.sha256(canonical_json(row.bound_state)).hexdigest()
    assert offline._signature_ok(
        bytes.fromhex(key.public_key), row.signature or "", statement_bytes(statement)
    )
    report = verify(workspace, checkpoint=False)
    assert report.ok, [p.line() for p in report.problems]
    exported = _offline(workspace, tmp_path)
    assert exported.ok and exported.signatures_verified >= 1 + 6  # the sign-off and six key approvals


def test_the_offline_verifier_builds_the_same_statement_bytes() -> None:
    statement = {"act": "signoff", "subject": "modèle:1", "approve": True, "justification": None, "n": 3}
    assert offline.statement_bytes(statement) == statement_bytes(statement)


def test_the_private_key_is_stored_only_sealed_under_the_password(
    workspace: Workspace, people: dict[str, Actor]
) -> None:
    with workspace.read() as session:
        keys = list(session.execute(select(UserKeyRow)).scalars())
    assert len(keys) == 6 and len({k.kdf["salt"] for k in keys}) == 6
    for key in keys:
        assert key.kdf["algorithm"] == "argon2id" and key.kdf["cipher"] == "aes-256-gcm"
        assert key.kdf["memory_cost"] >= 19456 and key.kdf["time_cost"] >= 2
        assert PASSWORD not in json.dumps(key.kdf) and PASSWORD.encode().hex() not in key.sealed_private_key
        assert len(bytes.fromhex(key.sealed_private_key)) == 12 + 32 + 16  # nonce, private key, GCM tag
    with workspace.engine.connect() as connection:
        dump = " ".join(str(r) for r in connection.execute(text("SELECT * FROM user_keys")))
    assert PASSWORD not in dump


# -- who can sign --------------------------------------------------------------------------------------------


def test_a_wrong_password_cannot_sign(workspace: Workspace, people: dict[str, Actor]) -> None:
    decision_id = open_cd(workspace, SYSTEM)
    with workspace.read() as session:
        before = log_size(session)
    with pytest.raises(PermissionDenied, match="does not open"):
        sign(workspace, people["rita"], decision_id, "rso", password="not rita's password")
    with pytest.raises(InputError, match="needs rita's password"):
        sign(workspace, people["rita"], decision_id, "rso", password="")
    with workspace.read() as session:
        assert log_size(session) == before
        assert session.execute(select(SignatureRow)).first() is None


def test_an_unapproved_key_cannot_sign_until_another_admin_approves_it(
    workspace: Workspace, people: dict[str, Actor]
) -> None:
    add_user(workspace, people["root"], "nina", roles=["rso"], password=PASSWORD)  # no approval given
    nina = resolve_actor(workspace, "nina")
    decision_id = open_cd(workspace, SYSTEM)
    with pytest.raises(PermissionDenied, match="awaits an admin's approval"):
        sign(workspace, nina, decision_id, "rso", password=PASSWORD)
    [pending] = list_keys(workspace, nina, "nina")
    with pytest.raises(PermissionDenied, match="not an active admin"):
        approve_key(workspace, people["carl"], pending.key_id, PASSWORD)
    with pytest.raises(PermissionDenied, match="does not open"):
        approve_key(workspace, people["root"], pending.key_id, "not root's password")
    approved = approve_key(workspace, people["root"], pending.key_id[:12], PASSWORD)
    assert approved.status == "approved" and approved.approved_by == "user:root"
    sign(workspace, nina, decision_id, "rso", password=PASSWORD)
    assert verify(workspace, checkpoint=False).ok


def test_a_user_without_a_key_cannot_sign(workspace: Workspace, people: dict[str, Actor]) -> None:
    add_user(workspace, people["root"], "kim", roles=["rso"])  # no password, so no key
    decision_id = open_cd(workspace, SYSTEM)
    with pytest.raises(PermissionDenied, match="kim has no signing key"):
        sign(workspace, resolve_actor(workspace, "kim"), decision_id, "rso", password=PASSWORD)


def test_a_rotated_key_signs_only_after_approval_and_old_signatures_stay_valid(
    workspace: Workspace, people: dict[str, Actor], clock: FixedClock
) -> None:
    first = open_cd(workspace, SYSTEM)
    old = sign(workspace, people["rita"], first, "rso", password=PASSWORD)
    new = register_key(workspace, people["rita"], PASSWORD)
    assert new.status == "pending" and new.key_id != old.key_id
    with pytest.raises(PermissionDenied, match="wrong password"):
        register_key(workspace, people["carl"], "not carl's password")
    with pytest.raises(PermissionDenied, match="may not approve their own"):
        approve_key(workspace, resolve_actor(workspace, "root"), _root_key(workspace), PASSWORD)
    clock.advance(timedelta(minutes=1))
    approve_key(workspace, people["root"], new.key_id, PASSWORD)
    second = open_cd(workspace, SYSTEM, findings="f2", subject="checkpoint:2")
    assert sign(workspace, people["rita"], second, "rso", password=PASSWORD).key_id == new.key_id
    states = {k.key_id: k.status for k in list_keys(workspace, people["rita"], "rita")}
    assert states == {old.key_id: "retired", new.key_id: "approved"}
    assert verify(workspace, checkpoint=False).ok


def _root_key(workspace: Workspace) -> str:
    return next(k.key_id for k in list_keys(workspace, resolve_actor(workspace, "root")) if k.user == "root")


def test_a_password_change_keeps_the_key_and_old_signatures_valid(
    workspace: Workspace, people: dict[str, Actor]
) -> None:
    first = open_cd(workspace, SYSTEM)
    before = sign(workspace, people["rita"], first, "rso", password=PASSWORD)
    with pytest.raises(InputError, match="needs your current password"):
        set_password(workspace, people["rita"], "rita", "a new signing passphrase")
    with pytest.raises(PermissionDenied, match="does not open"):
        set_password(workspace, people["rita"], "rita", "a new signing passphrase", current_password="nope")
    set_password(workspace, people["rita"], "rita", "a new signing passphrase", current_password=PASSWORD)
    second = open_cd(workspace, SYSTEM, findings="f2", subject="checkpoint:2")
    with pytest.raises(PermissionDenied, match="does not open"):
        sign(workspace, people["rita"], second, "rso", password=PASSWORD)
    after = sign(workspace, people["rita"], second, "rso", password="a new signing passphrase")
    assert after.key_id == before.key_id  # the same key, re-sealed
    report = verify(workspace, checkpoint=False)
    assert report.ok, [p.line() for p in report.problems]


def test_an_admin_password_reset_retires_the_key_and_keeps_old_signatures_valid(
    workspace: Workspace, people: dict[str, Actor]
) -> None:
    first = open_cd(workspace, SYSTEM)
    sign(workspace, people["rita"], first, "rso", password=PASSWORD)
    set_password(workspace, people["root"], "rita", "reset by the admin")
    second = open_cd(workspace, SYSTEM, findings="f2", subject="checkpoint:2")
    with pytest.raises(PermissionDenied, match="rita has no signing key"):
        sign(workspace, people["rita"], second, "rso", password="reset by the admin")
    assert [k.status for k in list_keys(workspace, people["rita"], "rita")] == ["retired"]
    assert verify(workspace, checkpoint=False).ok


def test_a_consultation_response_is_signed(rsp: Workspace, tmp_path: Path) -> None:
    from tests.governance.conftest import make_people
    from tests.governance.test_policy_change import EFFECTIVE, amended

    p = make_people(rsp, {"rita": ["rso"], "lena": ["ltbt"]})
    change = propose_change(rsp, p["rita"], amended(), effective_at=EFFECTIVE)
    with pytest.raises(PermissionDenied, match="does not open"):
        policy_change.consult(rsp, p["lena"], change.id, "no objection", password="wrong")
    policy_change.consult(rsp, p["lena"], change.id, "No objection.", password=PASSWORD)
    assert verify(rsp, checkpoint=False).ok
    _sql(rsp, "UPDATE policy_consultations SET response = 'We object.'")
    report = verify(rsp, checkpoint=False)
    assert ("signature_invalid", "policy_consultations") in _signature_problems(report)


# -- what someone with SQL access cannot do ------------------------------------------------------------------

EDITS = [
    ("approve", "UPDATE signatures SET approve = NOT approve WHERE id = :i"),
    ("justification", "UPDATE signatures SET justification = 'rubber stamp' WHERE id = :i"),
    ("role", "UPDATE signatures SET role = 'board' WHERE id = :i"),
    ("signer", "UPDATE signatures SET signer = 'carl' WHERE id = :i"),
    ("user_id", "UPDATE signatures SET user_id = (SELECT id FROM users WHERE name = 'carl') WHERE id = :i"),
    ("signed_at", "UPDATE signatures SET signed_at = :earlier WHERE id = :i"),
    ("bound_state", "UPDATE signatures SET bound_state = :state WHERE id = :i"),
    (
        "key_id",
        "UPDATE signatures SET key_id = (SELECT key_id FROM user_keys WHERE user_id = "
        "(SELECT id FROM users WHERE name = 'carl')) WHERE id = :i",
    ),
    ("signature", "UPDATE signatures SET signature = :forged WHERE id = :i"),
    ("decision", "UPDATE decisions SET bound_state = :state"),
]


@pytest.mark.parametrize("column, statement", EDITS, ids=[e[0] for e in EDITS])
def test_a_signoff_edited_with_sql_fails_verify(
    workspace: Workspace, people: dict[str, Actor], column: str, statement: str
) -> None:
    decision_id = open_cd(workspace, SYSTEM)
    row = sign(workspace, people["rita"], decision_id, "rso", password=PASSWORD, justification="reviewed")
    assert verify(workspace, checkpoint=False).ok
    state = json.dumps({"findings": h("other"), "policy": active_of(workspace).content_hash})
    earlier = (
        (row.signed_at - timedelta(days=30)).isoformat()
        if workspace.backend == "postgresql"
        else ((row.signed_at - timedelta(days=30)).replace(tzinfo=None).isoformat(sep=" "))
    )
    _sql(workspace, statement, i=row.id, state=state, earlier=earlier, forged=(b"\x01" * 64).hex())
    report = verify(workspace, checkpoint=False)
    assert not report.ok
    assert any(k == "signature_invalid" and t == "signatures" for k, t in _signature_problems(report)), [
        p.line() for p in report.problems
    ]


def test_a_signoff_inserted_with_sql_fails_verify(workspace: Workspace, people: dict[str, Actor]) -> None:
    """A copied signature (rita's, onto carl's role) does not verify, nor does one signed by a key the
    forger made."""
    decision_id = open_cd(workspace, SYSTEM)
    row = sign(workspace, people["rita"], decision_id, "rso", password=PASSWORD)
    forger = Ed25519PrivateKey.generate()
    forged = sign_statement(forger, "f" * 64, {"key_id": "f" * 64, "act": "signoff"}).signature
    for key_id, signature in ((row.key_id, row.signature), ("f" * 64, forged)):
        _sql(workspace, "DELETE FROM signatures WHERE role = 'ceo'")
        _sql(
            workspace,
            "INSERT INTO signatures (decision_id, role, user_id, signer, approve, justification, "
            "bound_state, policy_version_id, signed_at, key_id, signature) SELECT decision_id, 'ceo', "
            "(SELECT id FROM users WHERE name = 'carl'), 'carl', approve, justification, bound_state, "
            "policy_version_id, signed_at, :k, :s FROM signatures WHERE id = :i",
            k=key_id,
            s=signature,
            i=row.id,
        )
        problems = _signature_problems(verify(workspace, checkpoint=False))
        assert ("signature_invalid", "signatures") in problems


def _forge_entries(workspace: Workspace, people: dict[str, Actor], decision_id: int) -> int:
    """What a database administrator who knows the log's format can append: a key of their own registered
    for carl and approved in root's name, a user_keys row, and a sign-off as carl with that key, each entry
    with correct hashes. Returns the forged sign-off's seq."""
    forger = Ed25519PrivateKey.generate()
    public = forger.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    key_id = hashlib.sha256(public).hexdigest()
    now = workspace.now()
    with workspace.transaction() as session:
        carl = resolve_actor(workspace, "carl")
        root = resolve_actor(workspace, "root")
        registered = {"user": "carl", "user_id": carl.user_id, "key_id": key_id, "public_key": public.hex()}
        append(
            session,
            event="user_key.registered",
            subject="user:carl",
            actor="user:root",
            data=registered,
            at=now,
        )
        approval = {
            "act": "key_approval", "approved_key_id": key_id, "public_key": public.hex(), "user": "carl",
            "user_id": carl.user_id, "signer": "root", "signer_user_id": root.user_id, "key_id": key_id,
            "at": now.isoformat(),
        }  # fmt: skip
        signed = sign_statement(forger, key_id, approval).to_entry()
        data = {"user": "carl", "user_id": carl.user_id, "key_id": key_id, "retires": [], "signature": signed}
        append(session, event="user_key.approved", subject="user:carl", actor="user:root", data=data, at=now)
        decision = session.execute(text("SELECT * FROM decisions WHERE id = :i"), {"i": decision_id}).one()
        bound = (
            decision.bound_state
            if isinstance(decision.bound_state, dict)
            else json.loads(decision.bound_state)
        )
        statement = signoff_statement(
            decision_id=decision_id, decision_type=decision.decision_type, subject=decision.subject,
            role="ceo", approve=True, justification=None, bound_state=bound, policy_hash=decision.policy_hash,
            signer="carl", user_id=carl.user_id or 0, key_id=key_id, at=now,
        )  # fmt: skip
        entry = {
            "decision_id": decision_id, "role": "ceo", "approve": True, "bound_state": bound,
            "decision_status": "approved", "signature": sign_statement(forger, key_id, statement).to_entry(),
        }  # fmt: skip
        subject = f"decision:{decision_id}"
        forged = append(
            session, event="decision.signed", subject=subject, actor="user:carl", data=entry, at=now
        )
        return forged.seq


def test_signatures_appended_to_the_log_fail_in_the_store_and_offline(
    workspace: Workspace, people: dict[str, Actor], tmp_path: Path
) -> None:
    decision_id = open_cd(workspace, SYSTEM)
    sign(workspace, people["rita"], decision_id, "rso", password=PASSWORD)
    seq = _forge_entries(workspace, people, decision_id)
    report = verify(workspace, checkpoint=False)
    assert {p.seq for p in report.problems if p.kind == "signature_key"} == {seq - 1}  # the forged approval
    assert {p.seq for p in report.problems if p.kind == "signature_invalid"} == {seq}
    exported = _offline(workspace, tmp_path)
    assert [(p.kind, p.seq) for p in exported.problems if p.kind.startswith("signature")] == [
        ("signature_key", seq - 1),
        ("signature_invalid", seq),
    ]


def test_a_signed_entry_rewritten_in_the_export_fails_offline(
    workspace: Workspace, people: dict[str, Actor], tmp_path: Path
) -> None:
    """Even where the checkpoints are not trusted, a sign-off's entry cannot say what was not signed."""
    decision_id = open_cd(workspace, SYSTEM)
    sign(workspace, people["rita"], decision_id, "rso", password=PASSWORD)
    assert _offline(workspace, tmp_path).ok
    export = tmp_path / "export"
    lines = (export / "entries.jsonl").read_bytes().split(b"\n")
    index = next(n for n, line in enumerate(lines) if b'"event":"decision.signed"' in line)
    doc = json.loads(lines[index])
    doc["data"]["signature"]["statement"]["approve"] = False
    doc["data"]["approve"] = False
    lines[index] = canonical_json(doc)
    (export / "entries.jsonl").write_bytes(b"\n".join(lines))
    report = offline.verify_export(export, [])
    assert ("signature_invalid", index) in [(p.kind, p.seq) for p in report.problems]


def test_users_made_before_signing_keys_get_keys_from_the_first_admin(workspace: Workspace) -> None:
    """A workspace whose users had no keys: the first admin to register one is the bootstrap, then approves
    the others', and their sign-offs verify."""
    add_user(workspace, Actor(name="root"), "root", admin=True)
    root = resolve_actor(workspace, "root")
    add_user(workspace, root, "rita", roles=["rso"])
    add_user(workspace, root, "carl", roles=["ceo"])
    set_password(workspace, root, "root", PASSWORD)
    set_password(workspace, root, "rita", PASSWORD)
    assert register_key(workspace, root, PASSWORD).status == "approved"  # the bootstrap key
    pending = register_key(workspace, resolve_actor(workspace, "rita"), PASSWORD)
    assert pending.status == "pending"
    approve_key(workspace, root, pending.key_id, PASSWORD)
    decision_id = open_cd(workspace, SYSTEM)
    sign(workspace, resolve_actor(workspace, "rita"), decision_id, "rso", password=PASSWORD)
    set_password(workspace, root, "carl", PASSWORD)
    with pytest.raises(PermissionDenied, match="carl has no signing key"):
        sign(workspace, resolve_actor(workspace, "carl"), decision_id, "ceo", password=PASSWORD)
    report = verify(workspace, checkpoint=False)
    assert report.ok, [p.line() for p in report.problems]


def test_a_notice_is_acknowledged_with_the_recipients_signature(
    workspace: Workspace, people: dict[str, Actor], tmp_path: Path
) -> None:
    from scalegate.governance.notifications import InMemoryNotifier, acknowledge, notify_decision

    decision_id = open_cd(workspace, SYSTEM)
    sign(workspace, people["rita"], decision_id, "rso", password=PASSWORD)
    sign(workspace, people["carl"], decision_id, "ceo", password=PASSWORD)
    [notice] = notify_decision(workspace, people["rita"], decision_id, InMemoryNotifier())
    assert notice.role == "board"
    with pytest.raises(PermissionDenied, match="does not hold the role 'board'"):
        acknowledge(workspace, people["rita"], notice.id, password=PASSWORD)
    with pytest.raises(PermissionDenied, match="does not open"):
        acknowledge(workspace, people["bea"], notice.id, password="not bea's password")
    row = acknowledge(workspace, people["bea"], notice.id, password=PASSWORD)
    assert row.acknowledged_by == "bea" and row.ack_key_id and row.ack_signature
    with pytest.raises(Exception, match="was acknowledged by bea"):
        acknowledge(workspace, people["bea"], notice.id, password=PASSWORD)
    assert verify(workspace, checkpoint=False).ok
    assert _offline(workspace, tmp_path).signatures_verified == 6 + 2 + 1  # keys, sign-offs, acknowledgement
    _sql(workspace, "UPDATE notifications SET acknowledged_by = 'sam' WHERE id = :i", i=notice.id)
    report = verify(workspace, checkpoint=False)
    assert ("signature_invalid", "notifications") in _signature_problems(report)
