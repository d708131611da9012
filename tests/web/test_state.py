"""What the server reuses (resolved tokens, verdicts) stops being reused the moment it could be wrong: when
the recorded state changes, or when time reaches the validity the service stated."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from scalegate.actor import Actor
from scalegate.clock import FixedClock
from scalegate.web import create_app
from scalegate.workspace import Workspace
from tests.web.conftest import SETTINGS
from tests.web.scenario import PASSWORD


@pytest.fixture
def people(minimal_ws: Workspace) -> dict[str, Actor]:
    from scalegate.governance.identity import resolve_actor
    from scalegate.governance.users import add_user

    add_user(minimal_ws, Actor(name="root"), "root", admin=True, password=PASSWORD)
    root = resolve_actor(minimal_ws, "root")
    add_user(minimal_ws, root, "rita", roles=["rso"], password=PASSWORD)
    return {"root": root, "rita": resolve_actor(minimal_ws, "rita")}


def _token(ws: Workspace, people: dict[str, Actor], days: int = 90) -> tuple[int, str]:
    from scalegate.governance.users import create_token

    issued = create_token(ws, people["root"], name="t", scopes=["*"], user="rita", expires_in_days=days)
    return issued.id, issued.secret


def test_revoked_token_is_refused_on_the_next_request(
    minimal_ws: Workspace, people: dict[str, Actor]
) -> None:
    from scalegate.governance.users import revoke_token

    token_id, secret = _token(minimal_ws, people)
    with TestClient(create_app(minimal_ws, SETTINGS)) as client:
        headers = {"Authorization": f"Bearer {secret}"}
        assert client.get("/api/v1/whoami", headers=headers).json()["roles"] == ["rso"]
        assert client.get("/api/v1/decisions", headers=headers).status_code == 200
        revoke_token(minimal_ws, people["root"], token_id)
        response = client.get("/api/v1/decisions", headers=headers)
        assert response.status_code == 401
        assert "revoked" in response.json()["error"]["message"]


def test_expired_token_is_refused_although_nothing_changed(
    minimal_ws: Workspace, people: dict[str, Actor], clock: FixedClock
) -> None:
    _, secret = _token(minimal_ws, people, days=1)
    with TestClient(create_app(minimal_ws, SETTINGS)) as client:
        headers = {"Authorization": f"Bearer {secret}"}
        assert client.get("/api/v1/decisions", headers=headers).status_code == 200
        clock.advance(timedelta(days=1, seconds=1))
        response = client.get("/api/v1/decisions", headers=headers)
        assert response.status_code == 401
        assert "expired" in response.json()["error"]["message"]


def test_revoked_role_takes_effect_on_the_next_request(
    minimal_ws: Workspace, people: dict[str, Actor]
) -> None:
    from scalegate.governance.users import revoke_role

    _, secret = _token(minimal_ws, people)
    with TestClient(create_app(minimal_ws, SETTINGS)) as client:
        headers = {"Authorization": f"Bearer {secret}"}
        assert client.get("/api/v1/decisions", headers=headers).status_code == 200
        revoke_role(minimal_ws, people["root"], "rita", "rso")
        assert client.get("/api/v1/decisions", headers=headers).status_code == 403


@pytest.mark.slow
def test_gate_verdict_follows_state_and_time(tmp_path: Path, clock: FixedClock) -> None:
    from scalegate.gate.service import evaluate_gate
    from scalegate.governance.decisions import sign as sign_decision
    from scalegate.governance.users import create_token
    from tests.web.scenario import build

    s = build(f"sqlite:///{tmp_path / 's.db'}", clock, tmp_path)
    ref, action = s.latest, "continue-training"
    token = create_token(s.workspace, s.people["rita"], name="gate", scopes=["gate.read"]).secret
    with TestClient(
        create_app(s.workspace, SETTINGS), headers={"Authorization": f"Bearer {token}"}
    ) as client:
        url = f"/api/v1/gate?model={ref}&action={action}"
        first = client.get(url).json()
        assert first == client.get(url).json()
        assert first["outcome"] == evaluate_gate(s.workspace, ref, action).outcome
        # time passes beyond the verdict's stated validity: the engine is asked again
        assert first["valid_until"] is not None
        clock.set(s.workspace.now().replace(year=2027))
        fresh = create_token(s.workspace, s.people["rita"], name="gate-2027", scopes=["gate.read"]).secret
        client.headers["Authorization"] = f"Bearer {fresh}"  # the first token has expired by then
        later = client.get(url).json()
        assert later["decided_at"] != first["decided_at"]
        assert later == evaluate_gate(s.workspace, ref, action).to_dict() | {
            "decided_at": later["decided_at"]
        }
        # a state change (the determination signed) is seen at once
        internal = f"/api/v1/gate?model={ref}&action=deploy-internal"
        before = client.get(internal).json()
        sign_decision(
            s.workspace, s.people["rita"], s.determination_id, "rso", password=PASSWORD, justification="ok"
        )
        after = client.get(internal).json()
        assert after != before
        assert after["outcome"] == evaluate_gate(s.workspace, ref, "deploy-internal").outcome


def test_state_version_follows_every_append_on_both_backends(workspace: Workspace) -> None:
    """The version the server reads (on SQLite and on PostgreSQL, synchronously and on the event loop) is the
    audit log's size, and moves with every recorded change."""
    import asyncio

    from scalegate.audit import log_size
    from scalegate.governance.users import add_user
    from scalegate.web.state import StateVersion

    version = StateVersion(workspace)
    try:
        with workspace.read() as session:
            size = log_size(session)
        assert version.current() == size
        add_user(workspace, Actor(name="root"), "root", admin=True)
        assert version.current() == size + 1

        async def on_loop() -> int:
            try:
                return await version.acurrent()
            finally:
                await version.aclose()

        assert asyncio.run(on_loop()) == size + 1
    finally:
        version.close()


def test_revocation_is_seen_on_both_backends(workspace: Workspace) -> None:
    from scalegate.governance.identity import resolve_actor
    from scalegate.governance.users import add_user, create_token, revoke_token

    add_user(workspace, Actor(name="root"), "root", admin=True)
    root = resolve_actor(workspace, "root")
    add_user(workspace, root, "rita", roles=["rso"])
    issued = create_token(workspace, root, name="t", scopes=["decision.read"], user="rita")
    with TestClient(create_app(workspace, SETTINGS)) as client:
        headers = {"Authorization": f"Bearer {issued.secret}"}
        assert client.get("/api/v1/decisions", headers=headers).status_code == 200
        assert client.get("/api/v1/decisions", headers=headers).status_code == 200
        assert client.get("/api/v1/audit/entries", headers=headers).status_code == 403  # outside the scope
        revoke_token(workspace, root, issued.id)
        assert client.get("/api/v1/decisions", headers=headers).status_code == 401
