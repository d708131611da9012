"""End to end in a real browser: headless Chromium (Debian's) driven by Playwright against a real uvicorn on a
loopback port, over the dashboard scenario (a model paused until its capability determination is signed).

The story: sign in as the RSO, see the pause, approve the determination; sign in as the CEO, approve it, send
the notices (to a real local SMTP server) and the government notice; watch deployment change from pause to
allow, in the page and in the API. Then, with no session at all, file an anonymous report and check that
nothing identifying was stored. Screenshots of the main pages go to tests/artifacts/screenshots/.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from scalegate.clock import FixedClock
from scalegate.web import WebSettings, create_app
from scalegate.web.server import BackgroundServer
from tests.support.policy import policy_of
from tests.web.scenario import MODEL, PASSWORD, Scenario, build

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = Path(__file__).parent.parent / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@dataclass
class Mailbox:
    """Messages a real SMTP server (aiosmtpd) on loopback accepted."""

    port: int
    messages: list[dict[str, Any]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            {"to": list(envelope.rcpt_tos), "data": envelope.content.decode("utf-8", "replace")}
        )
        return "250 OK queued"


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    box = Mailbox(port)
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def scenario(tmp_path: Path, mailbox: Mailbox) -> Iterator[Scenario]:
    from scalegate.governance.notifications import SMTPNotifier

    clock = FixedClock(datetime(2025, 6, 1, 12, 0, tzinfo=UTC))
    notifier = SMTPNotifier("127.0.0.1", mailbox.port, sender="scalegate@example.org")
    s = build(f"sqlite:///{tmp_path / 'scalegate.db'}", clock, tmp_path, notifier)
    try:
        yield s
    finally:
        s.workspace.close()


@pytest.fixture
def server(scenario: Scenario) -> Iterator[BackgroundServer]:
    settings = WebSettings(session_secret="browser-test-" + "s" * 40, notifier=scenario.notifier)
    with BackgroundServer(create_app(scenario.workspace, settings)) as running:
        yield running


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield instance
        finally:
            instance.close()


class Visitor:
    """One browser context (its own cookies), recording console errors such as CSP violations."""

    def __init__(self, browser: Any, base: str) -> None:
        self.context = browser.new_context(viewport={"width": 1366, "height": 768})
        self.page = self.context.new_page()
        self.base = base
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def go(self, path: str) -> Any:
        self.page.goto(self.base + path)
        self.page.wait_for_load_state("networkidle")
        return self.page

    def shot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    def sign_in(self, user: str) -> None:
        page = self.go("/login")
        page.fill("input[name=username]", user)
        page.fill("input[name=password]", PASSWORD)
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert page.locator(".who").inner_text().startswith(f"Signed in as {user}")

    def sign_out(self) -> None:
        self.page.click(".who button[type=submit]")
        self.page.wait_for_load_state("networkidle")

    def outcome(self, action: str) -> str:
        page = self.go("/")
        return str(page.locator(f"#models .badge[data-action='{action}']").first.inner_text())

    def api_outcome(self, action: str) -> str:
        response = self.context.request.get(f"{self.base}/api/v1/gate?model={MODEL}&action={action}")
        assert response.status == 200, response.text()
        return str(response.json()["outcome"])

    def close(self) -> None:
        self.context.close()


def _approve(visitor: Visitor, decision_id: int, role: str) -> None:
    page = visitor.go("/signoffs")
    card = page.locator(f"#decision-{decision_id}")
    card.locator("input[name=justification]").fill(f"reviewed the findings as {role}")
    card.locator("input[name=password]").fill(PASSWORD)  # every signature asks for the signer's password
    card.locator(f"button:has-text('Approve as {role}')").click()
    page.wait_for_load_state("networkidle")
    assert f"Decision #{decision_id} approved as {role}." in page.locator("main").inner_text()


def test_pause_then_sign_as_rso_and_ceo_then_allow(
    scenario: Scenario, server: BackgroundServer, browser: Any, mailbox: Mailbox
) -> None:
    rso = Visitor(browser, server.url)
    page = rso.go("/models/" + MODEL)
    assert page.url.startswith(server.url + "/login?next=")  # not signed in: sent to the login page
    rso.sign_in("rita")

    page = rso.go("/")
    banner = page.locator("#pause-banner").inner_text()
    assert f"{MODEL} (deploy-internal, deploy-external)" in banner
    assert rso.outcome("deploy-internal") == "pause"
    assert rso.api_outcome("deploy-internal") == "pause"
    rso.shot("overview-paused")

    page = rso.go(f"/models/{MODEL}")
    internal = page.locator("#verdicts [data-action='deploy-internal']").inner_text()
    assert f"capability determination #{scenario.determination_id} awaits sign-off by ceo, rso" in internal
    rso.shot("model-paused")

    _approve(rso, scenario.determination_id, "rso")
    page = rso.go("/signoffs")
    assert "approve as rso" not in page.locator(f"#decision-{scenario.determination_id}").inner_text().lower()
    rso.shot("signoffs-after-rso")
    assert rso.outcome("deploy-internal") == "pause"  # one signature is not enough
    rso.sign_out()

    rso.sign_in("carl")  # the same browser, now the CEO
    ceo = rso
    _approve(ceo, scenario.determination_id, "ceo")
    page = ceo.go("/signoffs")
    notify = page.locator(f"#notify-{scenario.determination_id}")
    assert "board, ltbt" in notify.inner_text()
    notify.locator("button:has-text('Send the notices')").click()
    page.wait_for_load_state("networkidle")
    assert f"Notices for decision #{scenario.determination_id} sent." in page.locator("main").inner_text()
    assert {"bea@example.org", "lena@example.org"} <= {to for m in mailbox.messages for to in m["to"]}

    page = ceo.go(f"/models/{MODEL}")
    page.click("button:has-text('Send the government notice')")
    page.wait_for_load_state("networkidle")
    assert "Government notice for" in page.locator("main").inner_text()

    assert ceo.outcome("deploy-internal") == "allow"
    assert ceo.api_outcome("deploy-internal") == "allow"
    assert ceo.outcome("deploy-external") == "allow"
    assert ceo.go("/").locator("#pause-banner").count() == 0
    ceo.shot("overview-allowed")
    for name, path in [
        ("model-allowed", f"/models/{MODEL}"),
        ("thresholds", "/thresholds"),
        ("trends", "/trends"),
        ("safeguards", "/safeguards"),
        ("signoffs", "/signoffs"),
        ("calendar", "/calendar"),
        ("audit", "/audit"),
    ]:
        ceo.go(path)
        ceo.shot(name)
    assert "The log is intact." in ceo.page.locator("#verification").inner_text()
    assert (
        ceo.page.locator("canvas").count() == 0
    )  # the audit page has no chart; trends had them (next check)
    trends = ceo.go("/trends")
    assert trends.locator("canvas[data-drawn='1']").count() == len(policy_of(scenario.workspace).indicators())
    assert ceo.errors == []  # no CSP violation, no script error, no missing asset
    ceo.close()


def test_anonymous_report_stores_nothing_identifying(
    scenario: Scenario, server: BackgroundServer, browser: Any
) -> None:
    from sqlalchemy import select

    from scalegate.store.base import row_values
    from scalegate.store.models.governance import NoncomplianceReportRow

    staff = Visitor(browser, server.url)  # never signs in
    page = staff.go("/report")
    staff.shot("report-form")
    page.fill(
        "textarea[name=description]", "Evaluation results for step-40000 were shared before the RSO saw them."
    )
    page.select_option("select[name=concerning_role]", "rso")
    page.click("#report-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    receipt = page.locator("#receipt").inner_text()
    assert "Your report was received" in receipt and "routed to the board" in receipt
    staff.shot("report-receipt")
    assert staff.errors == []

    with scenario.workspace.read() as session:
        rows = session.execute(select(NoncomplianceReportRow)).scalars().all()
    assert len(rows) == 1
    stored = row_values(rows[0])
    assert stored["anonymous"] is True and stored["reporter"] is None
    cookies = {c["value"] for c in staff.context.cookies()}
    text = repr(stored)
    assert not any(value and value in text for value in cookies)
    assert "127.0.0.1" not in text

    board = Visitor(browser, server.url)
    board.sign_in("bea")
    page = board.go("/noncompliance")
    assert "shared before the RSO saw them" in page.locator("main").inner_text()
    staff.close()
    board.close()
