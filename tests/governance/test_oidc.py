"""Sign-in through a real OpenID Connect provider (oidc-provider-mock) started on loopback by the test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from scalegate.actor import Actor
from scalegate.clock import FixedClock, SystemClock
from scalegate.errors import AuthenticationError
from scalegate.governance.oidc import OIDCClient, OIDCConfig, oidc_login
from scalegate.store.models.audit import AuditEntryRow
from scalegate.workspace import Workspace

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """The issuer URL of a running OIDC provider."""
    from oidc_provider_mock import run_server_in_thread  # type: ignore[import-untyped]

    with run_server_in_thread(port=0) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def client(provider: str, clock: FixedClock) -> OIDCClient:
    clock.set(SystemClock().now())  # the provider stamps tokens with the real time
    return OIDCClient(
        OIDCConfig(
            issuer=provider,
            client_id="scalegate",
            client_secret="s3cret",
            redirect_uri="http://127.0.0.1:8000/auth/callback",
        )
    )


def set_user(provider: str, sub: str, claims: dict[str, Any]) -> None:
    httpx.put(f"{provider}/users/{sub}", json=claims).raise_for_status()


def sign_in_at_provider(request_url: str, sub: str) -> str:
    """What the browser does at the provider: choose the identity; returns the redirect back to scalegate."""
    response = httpx.post(request_url, data={"sub": sub}, follow_redirects=False)
    assert response.status_code == 302, response.text
    return response.headers["location"]


def test_login_links_by_verified_email_then_by_subject(
    workspace: Workspace, people: dict[str, Actor], provider: str, client: OIDCClient
) -> None:
    now = int(workspace.now().timestamp())
    set_user(provider, "sub-rita", {"email": "rita@example.org", "email_verified": True})
    request = client.begin()
    assert "code_challenge=" in request.url and f"nonce={request.nonce}" in request.url
    claims = client.finish(request, sign_in_at_provider(request.url, "sub-rita"), now=now)
    assert claims["sub"] == "sub-rita" and "scalegate" in claims["aud"]
    actor = oidc_login(workspace, provider, claims)
    assert actor.name == "rita" and actor.roles == {"rso"}
    with workspace.read() as session:
        events = list(session.execute(select(AuditEntryRow.event)).scalars())
    assert events.count("user.oidc_linked") == 1

    set_user(provider, "sub-rita", {"email": "rita.new@example.org", "email_verified": True})
    again = client.begin()
    claims = client.finish(again, sign_in_at_provider(again.url, "sub-rita"), now=now)
    assert oidc_login(workspace, provider, claims).name == "rita"


def test_unverified_or_unknown_people_are_refused(
    workspace: Workspace, people: dict[str, Actor], provider: str, client: OIDCClient
) -> None:
    now = int(workspace.now().timestamp())
    set_user(provider, "sub-carl", {"email": "carl@example.org", "email_verified": False})
    request = client.begin()
    claims = client.finish(request, sign_in_at_provider(request.url, "sub-carl"), now=now)
    with pytest.raises(AuthenticationError, match="no verified email"):
        oidc_login(workspace, provider, claims)
    set_user(provider, "sub-mallory", {"email": "mallory@example.org", "email_verified": True})
    request = client.begin()
    claims = client.finish(request, sign_in_at_provider(request.url, "sub-mallory"), now=now)
    with pytest.raises(AuthenticationError, match="no workspace user has the email address"):
        oidc_login(workspace, provider, claims)


def test_tokens_are_verified(workspace: Workspace, provider: str, client: OIDCClient) -> None:
    now = int(workspace.now().timestamp())
    request = client.begin()
    callback = sign_in_at_provider(request.url, "sub-x")
    with pytest.raises(AuthenticationError, match="state mismatch"):
        client.finish(request, callback.replace(f"state={request.state}", "state=forged"), now=now)
    other = client.begin()
    with pytest.raises(AuthenticationError, match="nonce"):
        client.finish(
            type(other)(other.url, other.state, "wrong-nonce", other.code_verifier),
            sign_in_at_provider(other.url, "sub-x"),
            now=now,
        )
    late = client.begin()
    with pytest.raises(AuthenticationError, match="expired"):
        client.finish(late, sign_in_at_provider(late.url, "sub-x"), now=now + 2 * 3600)
    fresh = client.begin()
    token = _id_token(client, fresh)
    head, body, signature = token.split(".")
    with pytest.raises(AuthenticationError, match="ID token rejected"):
        client.verify(f"{head}.{body}.{signature[::-1]}", nonce=fresh.nonce, now=now)


def _id_token(client: OIDCClient, request: Any) -> str:
    from urllib.parse import parse_qs, urlparse

    callback = sign_in_at_provider(request.url, "sub-y")
    code = parse_qs(urlparse(callback).query)["code"][0]
    with client._oauth() as oauth:
        token = oauth.fetch_token(
            client.metadata()["token_endpoint"], code=code, code_verifier=request.code_verifier
        )
    return str(token["id_token"])
