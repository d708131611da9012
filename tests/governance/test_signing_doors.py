"""Every door asks for the signer's password at the moment of signing: the CLI (``SCALEGATE_PASSWORD``, or a
demo login's in a demo workspace) and the SDK (a parameter); the dashboard's sign form is in
``tests/web/test_signing_form.py``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from scalegate.actor import SYSTEM, Actor
from scalegate.cli.app import app
from scalegate.clock import FixedClock
from scalegate.errors import PermissionDenied
from scalegate.governance.decisions import show_decision
from scalegate.governance.identity import resolve_actor
from scalegate.governance.users import add_user, create_token
from scalegate.sdk import Client
from scalegate.testing.demo import demo_password
from scalegate.workspace import Workspace
from tests.governance.test_decisions import open_cd


def _demo_people(workspace: Workspace) -> dict[str, Actor]:
    """root, rita (RSO) and carl (CEO) with the demo logins' passwords, their keys approved by root."""
    add_user(workspace, Actor(name="root"), "root", admin=True, password=demo_password("root"))
    root = resolve_actor(workspace, "root")
    for name, role in (("rita", "rso"), ("carl", "ceo")):
        add_user(
            workspace,
            root,
            name,
            roles=[role],
            password=demo_password(name),
            approver_password=demo_password("root"),
        )
    return {name: resolve_actor(workspace, name) for name in ("root", "rita", "carl")}


def _cli(workspace: Workspace, clock: FixedClock, *args: str, env: dict[str, str] | None = None) -> Any:
    base = {"SCALEGATE_NOW": clock.now().isoformat(), "SCALEGATE_USER": "", "SCALEGATE_PASSWORD": ""}
    base["SCALEGATE_TOKEN"] = ""
    return CliRunner().invoke(app, ["--db", workspace.url, *args], env={**base, **(env or {})})


def test_the_cli_signs_with_a_demo_login_in_a_demo_workspace(workspace: Workspace, clock: FixedClock) -> None:
    assert workspace.demo  # made in-process with a test clock
    _demo_people(workspace)
    decision_id = open_cd(workspace, SYSTEM)
    result = _cli(workspace, clock, "--as", "rita", "signoff", str(decision_id), "--role", "rso", "--json")
    assert result.exit_code == 0, result.stderr
    signed = json.loads(result.stdout)
    assert signed["signer"] == "rita" and len(signed["signature"]) == 128 and len(signed["key_id"]) == 64


def test_the_cli_refuses_a_wrong_signing_password(workspace: Workspace, clock: FixedClock) -> None:
    people = _demo_people(workspace)
    token = create_token(workspace, people["rita"], name="cli", scopes=["decision.*"]).secret
    decision_id = open_cd(workspace, SYSTEM)
    wrong = {"SCALEGATE_TOKEN": token, "SCALEGATE_PASSWORD": "not rita's password"}
    result = _cli(workspace, clock, "signoff", str(decision_id), "--role", "rso", env=wrong)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: wrong password: the signing key does not open with it"
    ]
    assert show_decision(workspace, people["rita"], decision_id).signatures == []
    right = {"SCALEGATE_TOKEN": token, "SCALEGATE_PASSWORD": demo_password("rita")}
    assert _cli(workspace, clock, "signoff", str(decision_id), "--role", "rso", env=right).exit_code == 0


def test_keys_are_registered_and_approved_through_the_cli(workspace: Workspace, clock: FixedClock) -> None:
    _demo_people(workspace)
    registered = _cli(workspace, clock, "--as", "rita", "user", "key", "register", "--json")
    assert registered.exit_code == 0, registered.stderr
    key = json.loads(registered.stdout)
    assert key["status"] == "pending" and key["user"] == "rita" and "sealed_private_key" not in key
    own = _cli(workspace, clock, "--as", "rita", "user", "key", "approve", key["key_id"][:12])
    assert own.exit_code == 2 and "not an active admin" in own.stderr
    approved = _cli(workspace, clock, "--as", "root", "user", "key", "approve", key["key_id"][:12], "--json")
    assert approved.exit_code == 0, approved.stderr
    listed = json.loads(
        _cli(workspace, clock, "--as", "rita", "user", "key", "list", "rita", "--json").stdout
    )
    assert [(k["status"], k["approved_by"]) for k in listed] == [
        ("retired", "user:root"),
        ("approved", "user:root"),
    ]


def test_the_sdk_signs_with_a_password_parameter(workspace: Workspace) -> None:
    people = _demo_people(workspace)
    decision_id = open_cd(workspace, SYSTEM)
    with Client(workspace=workspace, user="rita") as client:
        with pytest.raises(PermissionDenied, match="does not open"):
            client.sign(decision_id, "rso", password="not rita's password")
        document = client.sign(decision_id, "rso", password=demo_password("rita"), justification="ok")
    assert [(s["signer"], s["role"]) for s in document["signatures"]] == [("rita", "rso")]
    assert show_decision(workspace, people["carl"], decision_id).signatures[0].signer == "rita"
