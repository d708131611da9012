"""Users, roles, passwords and API tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from scalegate.actor import Actor
from scalegate.clock import FixedClock
from scalegate.errors import AuthenticationError, ConflictError, InputError, PermissionDenied
from scalegate.governance.identity import resolve_actor
from scalegate.governance.users import (
    add_user,
    authenticate_password,
    authenticate_token,
    create_token,
    grant_role,
    list_tokens,
    list_users,
    revoke_role,
    revoke_token,
    set_password,
)
from scalegate.store.models.identity import ApiTokenRow, UserRow
from scalegate.workspace import Workspace
from tests.support.signing import PASSWORD as SIGNING_PASSWORD

PASSWORD = "correct horse battery staple"


def test_first_user_must_be_admin_and_then_only_admins_add(workspace: Workspace) -> None:
    stranger = Actor("stranger")
    with pytest.raises(ConflictError, match="first user of a workspace must be an admin"):
        add_user(workspace, stranger, "ann", roles=["rso"])
    first = add_user(workspace, stranger, "ann", admin=True, roles=["rso"])
    assert first.roles == ["admin", "rso"]
    with pytest.raises(PermissionDenied, match=r"may not users\.admin"):
        add_user(workspace, stranger, "bob")
    ann = resolve_actor(workspace, "ann")
    added = add_user(workspace, ann, "bob", roles=["ceo"], email="bob@example.org")
    assert added.roles == ["ceo"] and added.email == "bob@example.org"
    assert [u.name for u in list_users(workspace, ann)] == ["ann", "bob"]


def test_roles_come_from_the_policy(workspace: Workspace, people: dict[str, Actor]) -> None:
    with pytest.raises(InputError, match="unknown role 'cfo'"):
        add_user(workspace, people["root"], "x", roles=["cfo"])
    with pytest.raises(InputError, match="invalid user name"):
        add_user(workspace, people["root"], "bad name!")


def test_grant_and_revoke_keep_history(workspace: Workspace, people: dict[str, Actor]) -> None:
    root = people["root"]
    grant_role(workspace, root, "sam", "ceo")
    assert resolve_actor(workspace, "sam").roles == {"staff", "ceo"}
    with pytest.raises(ConflictError, match="already holds role 'ceo'"):
        grant_role(workspace, root, "sam", "ceo")
    revoke_role(workspace, root, "sam", "ceo")
    assert resolve_actor(workspace, "sam").roles == {"staff"}
    grant_role(workspace, root, "sam", "ceo")
    assert resolve_actor(workspace, "sam").roles == {"staff", "ceo"}
    with pytest.raises(PermissionDenied, match="may not grant a role to themselves"):
        grant_role(workspace, root, "root", "rso")
    with pytest.raises(ConflictError, match="last admin"):
        revoke_role(workspace, root, "root", "admin")
    with pytest.raises(PermissionDenied):
        grant_role(workspace, people["rita"], "sam", "rso")


def test_unknown_user_has_no_roles(workspace: Workspace) -> None:
    actor = resolve_actor(workspace, "nobody")
    assert actor.roles == frozenset() and actor.user_id is None


def test_passwords_are_argon2_hashes(workspace: Workspace, people: dict[str, Actor]) -> None:
    set_password(workspace, people["rita"], "rita", PASSWORD, current_password=SIGNING_PASSWORD)
    with workspace.read() as session:
        stored = session.execute(select(UserRow.password_hash).where(UserRow.name == "rita")).scalar_one()
    assert stored is not None and stored.startswith("$argon2id$") and PASSWORD not in stored
    assert authenticate_password(workspace, "rita", PASSWORD).roles == {"rso"}
    with pytest.raises(AuthenticationError, match="invalid user name or password"):
        authenticate_password(workspace, "rita", "wrong password entirely")
    with pytest.raises(AuthenticationError, match="invalid user name or password"):
        authenticate_password(workspace, "ghost", PASSWORD)
    with pytest.raises(InputError, match="too short"):
        set_password(workspace, people["rita"], "rita", "short")
    with pytest.raises(PermissionDenied):
        set_password(workspace, people["sam"], "rita", PASSWORD)


def test_tokens_are_hashed_scoped_and_expire(
    workspace: Workspace, people: dict[str, Actor], clock: FixedClock
) -> None:
    issued = create_token(
        workspace, people["rita"], name="ci", scopes=["gate.read", "decision.*"], expires_in_days=7
    )
    with workspace.read() as session:
        row = session.execute(select(ApiTokenRow)).scalar_one()
    assert issued.secret not in str(row.__dict__) and row.secret_sha256 != issued.secret
    found = authenticate_token(workspace, issued.secret)
    actor = found.actor
    assert actor.name == "rita" and actor.roles == {"rso"}
    assert found.token_id == issued.id and found.expires_at.isoformat() == issued.expires_at
    assert actor.scopes == frozenset({"gate.read", "decision.*"})
    with pytest.raises(AuthenticationError, match="invalid API token"):
        authenticate_token(workspace, issued.secret[:-2] + "xx")
    with pytest.raises(AuthenticationError, match="malformed"):
        authenticate_token(workspace, "hello")
    assert [t.valid for t in list_tokens(workspace, people["rita"])] == [True]
    clock.advance(timedelta(days=7))
    with pytest.raises(AuthenticationError, match="expired"):
        authenticate_token(workspace, issued.secret)


def test_tokens_can_be_revoked_and_are_owned(workspace: Workspace, people: dict[str, Actor]) -> None:
    issued = create_token(workspace, people["rita"], name="laptop", scopes=["*"])
    with pytest.raises(PermissionDenied):
        revoke_token(workspace, people["sam"], issued.id)
    with pytest.raises(PermissionDenied):
        create_token(workspace, people["sam"], name="x", scopes=["gate.read"], user="rita")
    revoke_token(workspace, people["rita"], issued.id)
    with pytest.raises(AuthenticationError, match="revoked"):
        authenticate_token(workspace, issued.secret)
    with pytest.raises(InputError, match="matches no action"):
        create_token(workspace, people["rita"], name="x", scopes=["nothing.here"])
    with pytest.raises(InputError, match="expiry must be"):
        create_token(workspace, people["rita"], name="x", scopes=["gate.read"], expires_in_days=400)
    for_sam = create_token(workspace, people["root"], name="svc", scopes=["gate.read"], user="sam")
    assert authenticate_token(workspace, for_sam.secret).actor.name == "sam"
