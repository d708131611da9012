"""Every route declares its permission, and the server enforces it for every role: zero unauthorised
successes.

Each route of the app is called by every identity (nobody; a user holding each role of the default policy; an
admin; a token narrowed to `gate.read`). Wherever governance's ``allowed`` says no, the answer must be 401
(nobody) or 403, whatever the input; wherever it says yes, the door must not be what refuses. Unsafe requests
made with the session cookie and no CSRF token are refused too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from scalegate.actor import ANONYMOUS, Actor
from scalegate.clock import FixedClock
from scalegate.governance.permissions import allowed
from scalegate.web import create_app
from scalegate.web.auth import declared_permission, route_list
from scalegate.workspace import Workspace, init_workspace
from tests.support.policy import policy_of
from tests.web.conftest import SETTINGS
from tests.web.scenario import PASSWORD, PEOPLE

pytestmark = pytest.mark.slow

PUBLIC = {
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/api/docs"),
    ("GET", "/api/v1/health"),
    ("GET", "/api/v1/whoami"),
    ("POST", "/api/v1/noncompliance/reports"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("GET", "/login/sso"),
    ("GET", "/login/sso/callback"),
    ("GET", "/signing-key"),
    ("POST", "/signing-key"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/report"),
    ("POST", "/report"),
}
"""The only routes open to everyone; adding one must be a conscious decision."""


@dataclass(frozen=True)
class Caller:
    """An identity calling the API, and the actor governance would see."""

    label: str
    actor: Actor
    token: str | None


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, list[Caller]]]:
    from datetime import UTC, datetime

    from scalegate.governance.identity import resolve_actor
    from scalegate.governance.users import add_user, create_token

    tmp: Path = tmp_path_factory.mktemp("permissions")
    ws = init_workspace(
        f"sqlite:///{tmp / 'p.db'}",
        "anthropic-rsp-2.2",
        clock=FixedClock(datetime(2025, 6, 1, 12, tzinfo=UTC)),
    )
    add_user(ws, Actor(name="root"), "root", admin=True, password=PASSWORD, email="root@example.org")
    root = resolve_actor(ws, "root")
    callers = [Caller("nobody", ANONYMOUS, None)]
    for name, role in PEOPLE.items():
        add_user(ws, root, name, roles=[role], password=PASSWORD, email=f"{name}@example.org")
    for name in ["root", *PEOPLE]:
        token = create_token(ws, root, name="all", scopes=["*"], user=name).secret
        callers.append(Caller(f"{name} ({PEOPLE.get(name, 'admin')})", resolve_actor(ws, name), token))
    narrow = create_token(ws, root, name="gate only", scopes=["gate.read"], user="rita").secret
    rita = resolve_actor(ws, "rita")
    callers.append(
        Caller(
            "rita via a gate.read token",
            Actor(rita.name, rita.roles, "user", rita.user_id, frozenset({"gate.read"})),
            narrow,
        )
    )
    try:
        yield ws, callers
    finally:
        ws.close()


@pytest.fixture(scope="module")
def app(world: tuple[Workspace, list[Caller]]) -> FastAPI:
    return create_app(world[0], SETTINGS)


def _routes(app: FastAPI) -> list[tuple[str, str, Any]]:
    out = []
    for route in route_list(app.routes):
        for method in sorted(getattr(route, "methods", None) or []):
            if method != "HEAD":
                out.append((method, route.path, route))
    return out


def _concrete(path: str) -> str:
    """Placeholders for path parameters naming nothing that exists (so no call changes anything it could
    hurt)."""
    return re.sub(
        r"\{(\w+)\}",
        lambda m: "999999" if m.group(1).endswith("id") or m.group(1) == "seq" else "nobody",
        path,
    )


def test_every_route_declares_a_permission(app: FastAPI) -> None:
    undeclared = [
        f"{m} {p}"
        for m, p, r in _routes(app)
        if getattr(r, "dependant", None) is not None and declared_permission(r) is None
    ]
    assert undeclared == []
    others = [getattr(r, "path", r) for r in route_list(app.routes) if getattr(r, "dependant", None) is None]
    assert others == ["/static"]  # static files: the vendored scripts and the stylesheet


def test_public_routes_are_exactly_the_intended_ones(app: FastAPI) -> None:
    declared = {(m, p): declared_permission(r) for m, p, r in _routes(app)}
    public = {
        key for key, permission in declared.items() if permission is not None and permission.action is None
    }
    assert public == PUBLIC


def test_no_unauthorised_success_for_any_route_and_role(
    app: FastAPI, world: tuple[Workspace, list[Caller]]
) -> None:
    ws, callers = world
    policy = policy_of(ws)
    routes = [(m, p, declared_permission(r)) for m, p, r in _routes(app)]
    checked = refused = 0
    with TestClient(app, raise_server_exceptions=False) as client:
        for method, path, permission in routes:
            assert permission is not None
            if permission.action is None:
                continue
            for caller in callers:
                headers = {"Accept": "application/json"}
                if caller.token:
                    headers["Authorization"] = f"Bearer {caller.token}"
                body: dict[str, Any] | None = {} if method in ("POST", "PUT") else None
                client.cookies.clear()
                response = client.request(method, _concrete(path), headers=headers, json=body)
                may = allowed(caller.actor, permission.action, policy)
                where = (
                    f"{caller.label}: {method} {path} ({permission.action}) -> "
                    f"{response.status_code} {response.text[:200]}"
                )
                checked += 1
                if not may:
                    refused += 1
                    expected = 401 if caller.token is None else 403
                    assert response.status_code == expected, where
                else:
                    assert response.status_code != 401, where
                    assert f"may not {permission.action}" not in response.text, where
                    named = re.findall(r"may not ([a-z_]+\.[a-z_]+)", response.text)
                    assert set(named) <= {"users.admin"}, where  # no other action refused on the way
    assert checked > 500 and refused > 200  # the matrix was really exercised


def test_session_posts_without_csrf_token_are_refused(
    app: FastAPI, world: tuple[Workspace, list[Caller]]
) -> None:
    ws, callers = world
    rita = next(c.actor for c in callers if c.label == "rita (rso)")
    with TestClient(app, raise_server_exceptions=False) as client:
        form = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token is not None
        response = client.post(
            "/login",
            data={"username": "rita", "password": PASSWORD, "csrf_token": token[1]},
            follow_redirects=False,
        )
        assert response.status_code == 303
        unsafe = []
        for m, p, r in _routes(app):
            permission = declared_permission(r)
            assert permission is not None
            if m in ("POST", "PUT", "DELETE") and (
                permission.action is None or allowed(rita, permission.action, policy_of(ws))
            ):
                unsafe.append((m, p))
        assert len(unsafe) > 20
        for method, path in unsafe:
            response = client.request(
                method, _concrete(path), headers={"Accept": "application/json"}, json={}
            )
            assert response.status_code == 403, f"{method} {path} -> {response.status_code}"
            assert "CSRF" in response.json()["error"]["message"]


def test_login_form_needs_its_csrf_token(app: FastAPI) -> None:
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post(
            "/login",
            data={"username": "rita", "password": PASSWORD},
            follow_redirects=False,
            headers={"Accept": "application/json"},
        )
        assert response.status_code == 403
        assert response.json()["error"]["where"] == "form.csrf_token"


def test_session_user_with_csrf_header_may_act(app: FastAPI) -> None:
    with TestClient(app, raise_server_exceptions=False) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert token is not None
        client.post("/login", data={"username": "root", "password": PASSWORD, "csrf_token": token[1]})
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/report").text)
        assert csrf is not None
        response = client.post(
            "/api/v1/tokens", json={"name": "ci", "scopes": ["gate.read"]}, headers={"X-CSRF-Token": csrf[1]}
        )
        assert response.status_code == 201, response.text
        assert response.json()["secret"].startswith("sgt_")
        assert client.get("/api/v1/whoami").json()["via"] == "session"
