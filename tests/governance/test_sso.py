"""Single sign-on decided by the workspace's rule: users created at first sign-in, roles following the
provider's groups, local passwords turned off, and the signing passphrase of users without a password.

The claims here are what ``OIDCClient.finish`` returns after verifying an ID token (that part is tested
against a real provider in ``test_oidc.py`` and, in a browser, in ``tests/web/test_browser_sso.py``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from scalegate.actor import Actor
from scalegate.clock import FixedClock, SystemClock
from scalegate.errors import (
    AuthenticationError,
    ConflictError,
    InputError,
    PermissionDenied,
    WrongPassword,
)
from scalegate.governance.signing_keys import register_passphrase_key, unlock
from scalegate.governance.sso import configure_sso, sign_in, sso_settings
from scalegate.governance.users import authenticate_password, create_token
from scalegate.store.models.audit import AuditEntryRow
from scalegate.store.models.identity import UserRow
from scalegate.workspace import Workspace
from tests.support.signing import PASSWORD

ISSUER = "https://id.example.org"
SETTINGS: dict[str, Any] = {
    "provider_name": "Corp ID",
    "issuer": ISSUER,
    "client_id": "scalegate",
    "role_rules": [{"group": "rsp-officers", "roles": ["rso"]}, {"group": "board", "roles": ["board"]}],
}


def _events(workspace: Workspace, event: str) -> list[dict[str, Any]]:
    with workspace.read() as session:
        bodies = session.execute(
            select(AuditEntryRow.body).where(AuditEntryRow.event == event).order_by(AuditEntryRow.seq)
        ).scalars()
        return [json.loads(b)["data"] for b in bodies]


def test_a_new_person_is_created_with_the_roles_of_their_groups_and_roles_follow_the_groups(
    workspace: Workspace, people: dict[str, Actor]
) -> None:
    settings = configure_sso(workspace, people["root"], SETTINGS)
    claims = {"sub": "s-1", "preferred_username": "nia", "groups": ["rsp-officers", "board"]}
    actor = sign_in(workspace, settings, claims)
    assert actor.name == "nia" and actor.roles == {"rso", "board"}
    (added,) = [d for d in _events(workspace, "user.added") if d.get("via") == "sso"]
    assert added["subject"] == "s-1" and added["issuer"] == ISSUER and added["roles"] == ["board", "rso"]

    again = sign_in(workspace, settings, {**claims, "groups": ["rsp-officers"]})  # left the board group
    assert again.name == "nia" and again.roles == {"rso"}
    revoked = _events(workspace, "user.role_revoked")
    assert [(d["name"], d["role"], d["groups"]) for d in revoked] == [("nia", "board", ["rsp-officers"])]
    with workspace.read() as session:
        assert (
            session.execute(select(UserRow).where(UserRow.name == "nia")).scalar_one().password_hash is None
        )


def test_roles_no_rule_names_stay_with_the_admins(workspace: Workspace, people: dict[str, Actor]) -> None:
    settings = configure_sso(workspace, people["root"], SETTINGS)
    with workspace.transaction() as session:
        rita = session.execute(select(UserRow).where(UserRow.name == "rita")).scalar_one()
        rita.oidc_issuer, rita.oidc_subject = ISSUER, "s-rita"
    actor = sign_in(workspace, settings, {"sub": "s-rita", "groups": ["board"]})
    assert actor.roles == {"board"}  # rso is managed by a rule and rita is not in rsp-officers any more
    sam = sign_in(workspace, settings, {"sub": "s-sam", "email": "sam@example.org", "email_verified": True})
    assert sam.name == "sam" and sam.roles == {"staff"}  # linked by verified email; staff is no rule's


def test_people_whose_groups_grant_nothing_or_a_closed_workspace_get_no_account(
    workspace: Workspace, people: dict[str, Actor]
) -> None:
    settings = configure_sso(workspace, people["root"], SETTINGS)
    with pytest.raises(AuthenticationError, match="groups grant no role"):
        sign_in(workspace, settings, {"sub": "s-2", "groups": ["interns"]})
    closed = configure_sso(workspace, people["root"], {**SETTINGS, "create_users": False})
    with pytest.raises(AuthenticationError, match="ask an admin to add you"):
        sign_in(workspace, closed, {"sub": "s-3", "groups": ["board"]})
    with pytest.raises(AuthenticationError, match="not a list of group names"):
        sign_in(workspace, settings, {"sub": "s-4", "groups": {"board": True}})
    assert [d for d in _events(workspace, "user.added") if d.get("via") == "sso"] == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"role_rules": [{"group": "it", "roles": ["admin"]}]}, "admin role is never taken"),
        ({"role_rules": [{"group": "it", "roles": ["wizard"]}]}, "roles the policy does not define: wizard"),
        ({"issuer": "ftp://id.example.org"}, "String should match pattern"),
        ({"surprise": 1}, "Extra inputs are not permitted"),
    ],
)
def test_bad_settings_are_refused_and_nothing_is_stored(
    workspace: Workspace, people: dict[str, Actor], change: dict[str, Any], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        configure_sso(workspace, people["root"], {**SETTINGS, **change})
    assert sso_settings(workspace) is None


def test_only_an_admin_configures(workspace: Workspace, people: dict[str, Actor]) -> None:
    with pytest.raises(PermissionDenied):
        configure_sso(workspace, people["rita"], SETTINGS)


def test_with_local_passwords_off_passwords_are_refused_and_tokens_work(
    workspace: Workspace, people: dict[str, Actor]
) -> None:
    assert authenticate_password(workspace, "rita", PASSWORD).name == "rita"
    token = create_token(workspace, people["root"], name="break-glass", scopes=["users.*"])
    configure_sso(workspace, people["root"], {**SETTINGS, "local_passwords": False})
    with pytest.raises(AuthenticationError, match="password sign-in is turned off"):
        authenticate_password(workspace, "rita", PASSWORD)
    from scalegate.governance.users import authenticate_token

    assert authenticate_token(workspace, token.secret).actor.name == "root"


def test_a_single_sign_on_user_seals_a_key_under_a_passphrase_no_one_stores(
    workspace: Workspace, people: dict[str, Actor]
) -> None:
    settings = configure_sso(workspace, people["root"], SETTINGS)
    nia = sign_in(workspace, settings, {"sub": "s-1", "preferred_username": "nia", "groups": ["board"]})
    with pytest.raises(InputError, match="at least 12 characters"):
        register_passphrase_key(workspace, nia, "short")
    key = register_passphrase_key(workspace, nia, "a long signing passphrase")
    assert key.status == "pending"
    with pytest.raises(ConflictError, match="awaiting approval"):
        register_passphrase_key(workspace, nia, "another long passphrase")
    with pytest.raises(ConflictError, match="signs with their password"):
        register_passphrase_key(workspace, people["rita"], "a long signing passphrase")
    from scalegate.governance.signing_keys import approve_key

    approve_key(workspace, people["root"], key.key_id, PASSWORD)
    with workspace.read() as session:
        user = session.execute(select(UserRow).where(UserRow.name == "nia")).scalar_one()
        assert user.password_hash is None
        assert unlock(session, user, "a long signing passphrase")[0].key_id == key.key_id
        with pytest.raises(WrongPassword):
            unlock(session, user, "a wrong signing passphrase")


def test_the_cli_stores_the_settings_file_and_names_a_bad_one(
    workspace: Workspace,
    people: dict[str, Actor],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    clock: FixedClock,
) -> None:
    from scalegate.cli.app import app

    clock.set(SystemClock().now())  # the CLI runs on the real clock; its token must not have expired
    token = create_token(workspace, people["root"], name="cli", scopes=["users.*"])
    monkeypatch.setenv("SCALEGATE_TOKEN", token.secret)
    good = tmp_path / "sso.yaml"
    good.write_text(
        "provider_name: Corp ID\nissuer: https://id.example.org\nclient_id: scalegate\n"
        "role_rules:\n  - {group: board, roles: [board]}\nlocal_passwords: false\n"
    )
    runner = CliRunner()
    base = ["--db", workspace.url, "--as", "root"]
    done = runner.invoke(app, [*base, "sso", "configure", str(good)])
    assert done.exit_code == 0, done.output
    assert "Single sign-on through Corp ID" in done.output and "local passwords off" in done.output
    shown = runner.invoke(app, [*base, "sso", "show", "--json"])
    assert json.loads(shown.output)["role_rules"] == [{"group": "board", "roles": ["board"]}]
    bad = tmp_path / "bad.yaml"
    bad.write_text("provider_name: Corp ID\nissuer: [unclosed\n")
    refused = runner.invoke(app, [*base, "sso", "configure", str(bad)])
    assert refused.exit_code == 2 and "bad.yaml" in refused.output
    assert len(refused.output.strip().splitlines()) == 1
    # A file nested past the bound every YAML input has, and one naming a setting twice: one line each.
    deep = tmp_path / "deep.yaml"
    deep.write_text("[" * 5000 + "]" * 5000)
    twice = tmp_path / "twice.yaml"
    twice.write_text("provider_name: Corp ID\nprovider_name: Other\n")
    for path, problem in ((deep, "nested deeper than"), (twice, "duplicate key 'provider_name'")):
        refused = runner.invoke(app, [*base, "sso", "configure", str(path)])
        assert refused.exit_code == 2 and problem in refused.output, refused.output
        assert len(refused.output.strip().splitlines()) == 1, refused.output
