"""The web door shows what the services say: the audit listing reads each entry's body (not the index
columns), safeguard evidence and policy versions come from their services, and a token's expiry from
governance."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from scalegate.actor import Actor
from scalegate.web import create_app
from scalegate.workspace import Workspace
from tests.audit.conftest import make_columns_plain
from tests.support.policy import policy_of
from tests.web.conftest import SETTINGS
from tests.web.scenario import PASSWORD


@pytest.fixture
def root(minimal_ws: Workspace) -> Actor:
    from scalegate.governance.identity import resolve_actor
    from scalegate.governance.users import add_user

    add_user(minimal_ws, Actor(name="root"), "root", admin=True, roles=["rso"], password=PASSWORD)
    return resolve_actor(minimal_ws, "root")


@pytest.fixture
def headers(minimal_ws: Workspace, root: Actor) -> dict[str, str]:
    from scalegate.governance.users import create_token

    issued = create_token(minimal_ws, root, name="t", scopes=["*"])
    return {"Authorization": f"Bearer {issued.secret}"}


@pytest.fixture
def api(minimal_ws: Workspace) -> Iterator[TestClient]:
    with TestClient(create_app(minimal_ws, SETTINGS), raise_server_exceptions=False) as client:
        yield client


def _sign_in(client: TestClient, name: str) -> None:
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    data = {"username": name, "password": PASSWORD, "csrf_token": token[1]}
    assert client.post("/login", data=data, follow_redirects=False).status_code == 303


def _sql(workspace: Workspace, statement: str) -> None:
    """What someone with database access could do, behind scalegate's back."""
    with workspace.engine.begin() as connection:
        connection.execute(text(statement))


def test_an_edited_audit_column_does_not_change_what_the_api_shows(
    minimal_ws: Workspace, api: TestClient, headers: dict[str, str]
) -> None:
    before = api.get("/api/v1/audit/entries?limit=100", headers=headers).json()
    added = next(e for e in before["entries"] if e["event"] == "user.added")
    seq = added["seq"]
    make_columns_plain(minimal_ws)  # as generated columns they could not be written at all
    _sql(
        minimal_ws,
        f"UPDATE audit_entries SET actor = 'user:mallory', subject = 'user:mallory', "
        f"event = 'user.removed' WHERE seq = {seq}",
    )
    after = api.get("/api/v1/audit/entries?limit=100", headers=headers).json()
    shown = next(e for e in after["entries"] if e["seq"] == seq)
    assert shown == added  # every field still comes from the body
    one = api.get(f"/api/v1/audit/entries/{seq}", headers=headers).json()
    assert one == added
    # the columns still select: filtering uses the index, the body decides what is shown
    edited = api.get("/api/v1/audit/entries?event=user.removed", headers=headers).json()
    assert [e["event"] for e in edited["entries"]] == ["user.added"]


def test_missing_audit_entry_names_the_field(api: TestClient, headers: dict[str, str]) -> None:
    response = api.get("/api/v1/audit/entries/999999", headers=headers)
    assert response.status_code == 404
    assert response.json()["error"]["where"] == "seq"


def test_the_audit_page_reads_bodies_too(minimal_ws: Workspace, root: Actor) -> None:
    with TestClient(create_app(minimal_ws, SETTINGS)) as client:
        _sign_in(client, "root")
        make_columns_plain(minimal_ws)  # after signing in: the sign-in's own entries need their columns
        _sql(minimal_ws, "UPDATE audit_entries SET actor = 'user:mallory'")
        page = client.get("/audit")
    assert page.status_code == 200
    assert "user:mallory" not in page.text


def test_safeguard_evidence_comes_from_the_service(
    minimal_ws: Workspace, root: Actor, api: TestClient, headers: dict[str, str]
) -> None:
    from scalegate.governance.identity import resolve_actor
    from scalegate.governance.users import add_user
    from scalegate.safeguards.service import Evidence, add_evidence, list_evidence, review_evidence

    add_user(minimal_ws, root, "sol", roles=["security"], password=PASSWORD)
    sol = resolve_actor(minimal_ws, "sol")
    first = add_evidence(minimal_ws, sol, "l3-dep-red-team", title="red team", kind="link", uri="https://x")
    add_evidence(minimal_ws, sol, "l2-sec-vendor", title="vendors", kind="link", uri="https://y")
    review_evidence(minimal_ws, root, first.id, approve=True)

    pending = list_evidence(minimal_ws, status="pending")
    assert [type(e) for e in pending] == [Evidence] and pending[0].criterion_id == "l2-sec-vendor"
    assert [e.id for e in list_evidence(minimal_ws)] == [first.id + 1, first.id]  # newest first
    assert [e.id for e in list_evidence(minimal_ws, newest_first=False)] == [first.id, first.id + 1]

    listed = api.get("/api/v1/safeguards/evidence?status=approved", headers=headers).json()
    assert [(e["id"], e["reviewed_by"]) for e in listed] == [(first.id, "user:root")]
    assert listed[0]["submitted_at"].endswith("+00:00") and listed[0]["uri"] == "https://x"
    one = api.get("/api/v1/safeguards/evidence?criterion=l2-sec-vendor", headers=headers).json()
    assert [e["status"] for e in one] == ["pending"]

    with TestClient(create_app(minimal_ws, SETTINGS)) as client:
        _sign_in(client, "root")
        page = client.get("/safeguards")
    assert page.status_code == 200 and "vendors" in page.text and "red team" not in page.text


def test_policy_versions_come_from_the_service(
    minimal_ws: Workspace, api: TestClient, headers: dict[str, str]
) -> None:
    from scalegate.policy_versions import policy_version, policy_versions

    stored = policy_versions(minimal_ws)
    assert [v.status for v in stored] == ["active"]
    assert policy_version(minimal_ws, stored[0].id).policy().id == policy_of(minimal_ws).id
    listed = api.get("/api/v1/policy-versions", headers=headers).json()
    assert [v["id"] for v in listed] == [stored[0].id]
    one = api.get(f"/api/v1/policy-versions/{stored[0].id}", headers=headers).json()
    assert one["content_hash"] == stored[0].content_hash and one["policy"] == stored[0].document
    missing = api.get("/api/v1/policy-versions/999", headers=headers)
    assert missing.status_code == 404 and missing.json()["error"]["where"] == "version_id"
    alone = api.get(f"/api/v1/policy-versions/{stored[0].id}/diff", headers=headers)
    assert alone.status_code == 404 and alone.json()["error"]["where"] == "against"
    same = api.get(f"/api/v1/policy-versions/{stored[0].id}/diff?against={stored[0].id}", headers=headers)
    assert same.status_code == 200, same.text


def test_an_edited_policy_version_is_not_diffed(
    minimal_ws: Workspace, api: TestClient, headers: dict[str, str]
) -> None:
    from scalegate.policy_versions import policy_versions

    version_id = policy_versions(minimal_ws)[0].id
    _sql(minimal_ws, f"UPDATE policy_versions SET content_hash = '{'0' * 64}' WHERE id = {version_id}")
    response = api.get(f"/api/v1/policy-versions/{version_id}/diff?against={version_id}", headers=headers)
    assert response.status_code == 500 and response.json()["error"]["code"] == "integrity_violation"


def test_governance_says_who_a_session_or_token_is(minimal_ws: Workspace, root: Actor) -> None:
    from scalegate.governance.identity import session_actor
    from scalegate.governance.users import add_user, authenticate_token, create_token

    add_user(minimal_ws, root, "rita", roles=["rso"], password=PASSWORD)
    issued = create_token(minimal_ws, root, name="t", scopes=["gate.read"], user="rita", expires_in_days=3)
    found = authenticate_token(minimal_ws, issued.secret)
    assert (found.actor.name, found.token_id) == ("rita", issued.id)
    assert found.expires_at == minimal_ws.now() + timedelta(days=3)
    rita_id = found.actor.user_id
    assert rita_id is not None
    session_rita = session_actor(minimal_ws, rita_id)
    assert session_rita is not None and session_rita.roles == {"rso"}
    _sql(minimal_ws, f"UPDATE users SET active = false WHERE id = {rita_id}")
    assert session_actor(minimal_ws, rita_id) is None  # a deactivated user is nobody
    assert session_actor(minimal_ws, 10_000) is None
    assert authenticate_token(minimal_ws, issued.secret).actor.roles == frozenset()


def test_service_errors_name_the_field_not_a_flag(
    minimal_ws: Workspace, api: TestClient, headers: dict[str, str]
) -> None:
    future = (minimal_ws.now() + timedelta(days=1)).isoformat()
    body = {"cadence": "procedural-review", "at": future}
    response = api.post("/api/v1/compliance/completions", headers=headers, json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["where"] == "at" and "scalegate " not in error["message"]
