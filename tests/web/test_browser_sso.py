"""Single sign-on in a real browser: headless Chromium (Debian's) signs in through a real OpenID Connect
provider (oidc-provider-mock on loopback), gets its role from a group claim, chooses a signing passphrase and
signs a determination; signing out ends the session at the provider too."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from scalegate.actor import SYSTEM, Actor
from scalegate.audit.verify import verify
from scalegate.clock import FixedClock, SystemClock
from scalegate.errors import AuthenticationError
from scalegate.governance.decisions import show_decision
from scalegate.governance.identity import resolve_actor
from scalegate.governance.signing_keys import approve_key, list_keys
from scalegate.governance.sso import configure_sso
from scalegate.governance.users import add_user, authenticate_password
from scalegate.store.models.audit import AuditEntryRow
from scalegate.web import WebSettings, create_app
from scalegate.web.server import BackgroundServer
from scalegate.workspace import Workspace
from tests.governance.test_decisions import open_cd
from tests.web.test_browser import PASSWORD, Visitor
from tests.web.test_browser_trust import browser

__all__ = ["browser"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSPHRASE = "correct horse battery staple"
RULE = {"group": "rsp-officers", "roles": ["rso"]}


@pytest.fixture
def provider() -> Iterator[str]:
    """The issuer URL of a running OIDC provider."""
    from oidc_provider_mock import run_server_in_thread  # type: ignore[import-untyped]

    with run_server_in_thread(port=0) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def root(minimal_ws: Workspace, clock: FixedClock, provider: str) -> Actor:
    """The workspace's admin, who configured single sign-on with local passwords off."""
    clock.set(SystemClock().now())  # the provider stamps its tokens with the real time
    add_user(minimal_ws, Actor(name="root"), "root", admin=True, password=PASSWORD)
    admin = resolve_actor(minimal_ws, "root")
    configure_sso(
        minimal_ws,
        admin,
        {
            "provider_name": "Corp ID",
            "issuer": provider,
            "client_id": "scalegate",
            "role_rules": [RULE],
            "local_passwords": False,
        },
    )
    return admin


@pytest.fixture
def server(minimal_ws: Workspace, root: Actor) -> Iterator[BackgroundServer]:
    settings = WebSettings(session_secret="browser-sso-" + "o" * 40, oidc_client_secret="s3cret")
    with BackgroundServer(create_app(minimal_ws, settings)) as running:
        yield running


def _through_provider(visitor: Visitor, subject: str) -> Any:
    page = visitor.go("/login?next=/signoffs")
    assert page.locator("input[name=password]").count() == 0  # local passwords are off
    page.click("#sso")
    page.wait_for_load_state("networkidle")
    assert "/oauth2/authorize" in page.url
    page.fill("input[name=sub]", subject)
    page.click("button[type=submit]:has-text('Authorize')")
    page.wait_for_load_state("networkidle")
    return page


def test_a_provider_account_signs_a_determination_with_its_group_role(
    minimal_ws: Workspace, root: Actor, provider: str, server: BackgroundServer, browser: Any
) -> None:
    claims = {
        "email": "rita@corp.example",
        "email_verified": True,
        "preferred_username": "rita.sso",
        "groups": ["staff", "rsp-officers"],
    }
    httpx.put(f"{provider}/users/sub-rita", json=claims).raise_for_status()
    decision_id = open_cd(minimal_ws, SYSTEM)
    rita = Visitor(browser, server.url)
    page = _through_provider(rita, "sub-rita")
    assert page.url.startswith(server.url + "/signing-key")  # a new user has no key yet
    assert "Signed in as rita.sso (rso)" in page.locator(".who").inner_text()
    page.fill("input[name=passphrase]", PASSPHRASE)
    page.fill("input[name=repeat]", PASSPHRASE)
    page.click("form[action='/signing-key'] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.url == server.url + "/signoffs"
    assert "signs once an admin approves it" in page.locator("main").inner_text()

    (key,) = [k for k in list_keys(minimal_ws, root) if k.user == "rita.sso"]
    approve_key(minimal_ws, root, key.key_id, PASSWORD)  # the admin approves it, signing with their own key

    page = rita.go("/signoffs")
    form = page.locator(f"form[action='/signoffs/{decision_id}/sign']")
    form.locator("input[name=password]").fill("not the passphrase")
    form.locator("button[value=approve]").click()
    page.wait_for_load_state("networkidle")
    assert "Not done: wrong password" in page.locator("main").inner_text()
    form = page.locator(f"form[action='/signoffs/{decision_id}/sign']")
    form.locator("input[name=password]").fill(PASSPHRASE)
    form.locator("button[value=approve]").click()
    page.wait_for_load_state("networkidle")
    assert f"Decision #{decision_id} approved as rso." in page.locator("main").inner_text()
    rita.shot("sso-signed")

    signatures = show_decision(minimal_ws, resolve_actor(minimal_ws, "rita.sso"), decision_id).signatures
    assert [(s.signer, s.role) for s in signatures] == [("rita.sso", "rso")]
    with minimal_ws.read() as session:
        bodies = session.execute(
            select(AuditEntryRow.body).where(AuditEntryRow.event == "user.added").order_by(AuditEntryRow.seq)
        ).scalars()
        jit = [d["data"] for d in map(json.loads, bodies) if d["data"].get("via") == "sso"]
    assert [(d["name"], d["roles"], d["groups"]) for d in jit] == [
        ("rita.sso", ["rso"], ["rsp-officers", "staff"])
    ]
    report = verify(minimal_ws, checkpoint=False)
    assert report.ok, report.problems

    page.click(".who button[type=submit]")  # sign out: here, then at the provider
    page.wait_for_load_state("networkidle")
    assert page.url.startswith(provider + "/oauth2/end_session")
    assert rita.go("/signoffs").url.startswith(server.url + "/login")
    assert [e for e in rita.errors if "Failed to load resource" not in e] == []
    rita.close()


def test_groups_that_grant_no_role_get_no_account_and_passwords_are_refused(
    minimal_ws: Workspace, root: Actor, provider: str, server: BackgroundServer, browser: Any
) -> None:
    httpx.put(f"{provider}/users/sub-eve", json={"groups": ["interns"]}).raise_for_status()
    eve = Visitor(browser, server.url)
    page = _through_provider(eve, "sub-eve")
    assert "groups grant no role" in page.locator("#sso-failed").inner_text()
    assert resolve_actor(minimal_ws, "root").name == "root"
    with minimal_ws.read() as session:
        events = list(session.execute(select(AuditEntryRow.event)).scalars())
    assert events.count("user.added") == 1  # root only
    eve.close()
    with pytest.raises(AuthenticationError, match="password sign-in is turned off"):
        authenticate_password(minimal_ws, "root", PASSWORD)
