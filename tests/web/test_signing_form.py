"""The dashboard's sign form asks for the signer's password: a session alone does not sign."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from scalegate.actor import SYSTEM
from scalegate.governance.decisions import show_decision
from scalegate.governance.identity import resolve_actor
from scalegate.testing.demo import demo_password
from scalegate.workspace import Workspace
from tests.governance.test_decisions import open_cd
from tests.governance.test_signing_doors import _demo_people


def test_the_dashboard_sign_form_needs_the_password(minimal_ws: Workspace, client: TestClient) -> None:
    _demo_people(minimal_ws)
    decision_id = open_cd(minimal_ws, SYSTEM)
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    login = {"username": "rita", "password": demo_password("rita"), "csrf_token": token[1]}
    assert client.post("/login", data=login, follow_redirects=False).status_code == 303
    page = client.get("/signoffs").text
    assert 'type="password" name="password"' in page
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf is not None
    sign = {"role": "rso", "decision": "approve", "csrf_token": csrf[1]}
    refused = client.post(f"/signoffs/{decision_id}/sign", data={**sign, "password": "wrong password!"})
    assert "Not done: wrong password" in refused.text
    assert show_decision(minimal_ws, resolve_actor(minimal_ws, "rita"), decision_id).signatures == []
    done = client.post(f"/signoffs/{decision_id}/sign", data={**sign, "password": demo_password("rita")})
    assert f"Decision #{decision_id} approved as rso." in done.text


def test_a_notice_is_acknowledged_over_the_api_with_the_password(
    minimal_ws: Workspace, client: TestClient
) -> None:
    from scalegate.governance.decisions import sign
    from scalegate.governance.notifications import InMemoryNotifier, notify_decision
    from scalegate.governance.users import add_user, create_token

    people = _demo_people(minimal_ws)
    add_user(
        minimal_ws,
        people["root"],
        "bea",
        roles=["board"],
        email="bea@example.org",
        password=demo_password("bea"),
        approver_password=demo_password("root"),
    )
    bea = resolve_actor(minimal_ws, "bea")
    decision_id = open_cd(minimal_ws, SYSTEM)
    sign(minimal_ws, people["rita"], decision_id, "rso", password=demo_password("rita"))
    sign(minimal_ws, people["carl"], decision_id, "ceo", password=demo_password("carl"))
    [notice] = notify_decision(minimal_ws, people["rita"], decision_id, InMemoryNotifier())
    token = create_token(minimal_ws, bea, name="t", scopes=["decision.read"]).secret
    headers = {"Authorization": f"Bearer {token}"}
    url = f"/api/v1/notifications/{notice.id}/acknowledgement"
    wrong = client.post(url, headers=headers, json={"password": "not bea's password"})
    assert wrong.status_code == 403 and "does not open" in wrong.json()["error"]["message"]
    done = client.post(url, headers=headers, json={"password": demo_password("bea")})
    assert done.status_code == 201, done.text
    assert done.json()["acknowledged_by"] == "bea" and len(done.json()["ack_signature"]) == 128
