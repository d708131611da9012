"""Sign-in, sessions and sealed audit entries in a real browser: headless Chromium (Debian's) driven by
Playwright against a real uvicorn on a loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from scalegate.actor import Actor
from scalegate.governance import noncompliance
from scalegate.governance.identity import resolve_actor
from scalegate.governance.login_throttle import ThrottleSettings
from scalegate.governance.users import add_user
from scalegate.web import WebSettings, create_app
from scalegate.web.server import BackgroundServer
from scalegate.workspace import Workspace
from tests.web.test_browser import ARGS, CHROMIUM, PASSWORD, Visitor

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PER_USER = 3


@pytest.fixture
def people(minimal_ws: Workspace) -> dict[str, Actor]:
    add_user(minimal_ws, Actor(name="root"), "root", admin=True, password=PASSWORD)
    root = resolve_actor(minimal_ws, "root")
    for name, role in (("rita", "rso"), ("bea", "board")):
        add_user(minimal_ws, root, name, roles=[role], password=PASSWORD)
    return {name: resolve_actor(minimal_ws, name) for name in ("root", "rita", "bea")}


@pytest.fixture
def server(minimal_ws: Workspace, people: dict[str, Actor]) -> Iterator[BackgroundServer]:
    settings = WebSettings(
        session_secret="browser-trust-" + "t" * 40, login_throttle=ThrottleSettings(per_user=PER_USER)
    )
    with BackgroundServer(create_app(minimal_ws, settings)) as running:
        yield running


@pytest.fixture
def browser() -> Iterator[Any]:
    from pathlib import Path

    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield instance
        finally:
            instance.close()


def _try(visitor: Visitor, user: str, password: str) -> Any:
    page = visitor.go("/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    with page.expect_response(lambda r: r.url.endswith("/login") and r.request.method == "POST") as answer:
        page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state("networkidle")
    return answer.value


def test_wrong_passwords_in_the_browser_end_in_a_wait(server: BackgroundServer, browser: Any) -> None:
    visitor = Visitor(browser, server.url)
    for i in range(PER_USER):
        assert _try(visitor, "rita", f"wrong guess {i}").status == 401
        assert "Wrong user name or password." in visitor.page.locator("main").inner_text()
    answer = _try(visitor, "rita", PASSWORD)  # right, but throttled
    assert answer.status == 429
    assert int(answer.headers["retry-after"]) > 0
    assert "Too many failed sign-ins" in visitor.page.locator("#throttled").inner_text()
    assert (
        visitor.page.locator(".who").count() == 0
        or "Signed in" not in visitor.page.locator(".who").inner_text()
    )
    assert [e for e in visitor.errors if "Failed to load resource" not in e] == []  # no script or CSP error
    visitor.close()


def test_a_copied_cookie_stops_working_when_its_owner_signs_out(
    server: BackgroundServer, browser: Any
) -> None:
    owner = Visitor(browser, server.url)
    owner.sign_in("rita")
    thief = Visitor(browser, server.url)
    thief.context.add_cookies(owner.context.cookies())
    assert thief.go("/audit").url == server.url + "/audit"  # the copy works while the session lives
    owner.sign_out()
    page = thief.go("/audit")
    assert page.url.startswith(server.url + "/login")  # ended on the server: the copy is worth nothing
    owner.close()
    thief.close()


def test_the_rso_sees_entries_about_a_report_on_the_rso_sealed(
    minimal_ws: Workspace, people: dict[str, Actor], server: BackgroundServer, browser: Any
) -> None:
    report_id = noncompliance.report(
        minimal_ws, description="The RSO skipped the red-team review.", concerning_role="rso"
    ).id
    noncompliance.transition(minimal_ws, people["bea"], report_id, "investigating")
    rso = Visitor(browser, server.url)
    rso.sign_in("rita")
    page = rso.go("/audit")
    sealed = page.locator("tr.sealed")
    assert sealed.count() == 2
    assert "Sealed" in sealed.first.inner_text()
    text = page.locator("main").inner_text()
    assert f"noncompliance:{report_id}" not in text and "noncompliance.transition" not in text
    page = rso.go("/audit?event=noncompliance.received")
    assert page.locator("tbody tr.sealed").count() == 0
    assert "No entries" in page.locator("tbody").inner_text()
    rso.shot("audit-sealed-for-rso")
    rso.sign_out()
    rso.sign_in("bea")
    page = rso.go("/audit")
    assert page.locator("tr.sealed").count() == 0
    assert f"noncompliance:{report_id}" in page.locator("main").inner_text()
    assert rso.errors == []
    rso.close()
