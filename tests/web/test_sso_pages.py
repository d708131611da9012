"""The sign-in pages with and without single sign-on, over the app's HTTP interface: the provider's button,
the password form that disappears when local passwords are off, and clean refusals."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from scalegate.actor import Actor
from scalegate.governance.identity import resolve_actor
from scalegate.governance.sso import configure_sso
from scalegate.governance.users import add_user
from scalegate.web.server import free_port
from scalegate.workspace import Workspace

PASSWORD = "a long enough password"


def _configure(workspace: Workspace, **change: Any) -> None:
    add_user(workspace, Actor(name="root"), "root", admin=True, password=PASSWORD)
    settings = {
        "provider_name": "Corp ID",
        "issuer": f"http://127.0.0.1:{free_port()}",  # nothing listens there
        "client_id": "scalegate",
        **change,
    }
    configure_sso(workspace, resolve_actor(workspace, "root"), settings)


def test_without_single_sign_on_the_page_is_the_password_form(client: TestClient) -> None:
    page = client.get("/login").text
    assert 'name="password"' in page and 'id="sso"' not in page
    assert client.get("/login/sso").status_code == 404
    assert client.get("/signing-key", follow_redirects=False).headers["location"].startswith("/login")


def test_the_button_appears_and_an_unreachable_provider_is_a_clean_refusal(
    minimal_ws: Workspace, client: TestClient
) -> None:
    _configure(minimal_ws)
    page = client.get("/login?next=/signoffs").text
    assert 'href="/login/sso?next=/signoffs"' in page and "Sign in with Corp ID" in page
    assert 'name="password"' in page  # local passwords stay on unless turned off
    refused = client.get("/login/sso")
    assert refused.status_code == 503
    assert "cannot reach the identity provider" in refused.text
    stray = client.get("/login/sso/callback?code=x&state=y")
    assert stray.status_code == 401 and "no sign-in is under way" in stray.text


def test_with_local_passwords_off_the_form_is_gone_and_the_route_refuses(
    minimal_ws: Workspace, client: TestClient
) -> None:
    _configure(minimal_ws, local_passwords=False)
    page = client.get("/login").text
    assert 'name="password"' not in page and "Sign in with Corp ID" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/report").text)
    assert token is not None
    answer = client.post("/login", data={"username": "root", "password": PASSWORD, "csrf_token": token[1]})
    assert answer.status_code == 403
    assert "Password sign-in is turned off" in answer.text
