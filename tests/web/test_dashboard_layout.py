"""Layout in a real browser: on every dashboard page, at a laptop's width (1366 px) and a phone's (390 px), no
element reaches beyond its container's content box.

A table wider than the screen is allowed only inside a container that scrolls sideways and itself fits, so the
page never scrolls sideways and nothing is cut off or drawn over its neighbour. The walk runs in the page (one
script, every element), so it sees the boxes Chromium actually laid out. Screenshots of each page at both
widths go to tests/artifacts/dashboard/ for a look.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from scalegate.clock import FixedClock
from scalegate.governance import noncompliance
from scalegate.web import WebSettings, create_app
from scalegate.web.server import BackgroundServer
from tests.web.scenario import MODEL, PASSWORD, Scenario, build
from tests.web.test_browser import ARGS, CHROMIUM

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = Path(__file__).parent.parent / "artifacts" / "dashboard"
WIDTHS = {"laptop": 1366, "phone": 390}
TOLERANCE = 0.5
"""Sub-pixel rounding of fractional layout is not an overflow."""


@dataclass(frozen=True)
class Page:
    """One page of the dashboard, and who looks at it (None: nobody signed in)."""

    name: str
    path: str
    user: str | None
    landmark: str
    """A selector that is on the page only once it rendered its content (not a login or error page), and drew
    what its scripts draw (charts, the audit check fetched after load)."""


PAGES = [
    Page("overview", "/", "rita", "#models"),
    Page("model", f"/models/{MODEL}", "rita", "#verdicts"),
    Page("trends", "/trends", "rita", "canvas[data-drawn='1']"),
    Page("thresholds", "/thresholds", "rita", "table.heat"),
    Page("coverage", "/coverage", "rita", "#coverage"),
    Page("safeguards", "/safeguards", "rita", "table"),
    Page("signoffs", "/signoffs", "rita", "input[name=justification]"),
    Page("calendar", "/calendar", "rita", "table"),
    Page("audit", "/audit", "rita", "#verification .badge"),
    Page("audit-verification", "/audit/verification", "rita", "#verification"),
    Page("signing-key", "/signing-key", "rita", "main .explain"),
    Page("not-found", "/models/no-such-model", "rita", "main .callout.bad"),
    Page("noncompliance", "/noncompliance", "bea", "form[action$='/transition']"),
    Page("report", "/report", None, "#report-form"),
    Page("login", "/login", None, "form[action='/login']"),
]
"""Every page of the dashboard, each seen by a role that has something on it to act on."""

OVERFLOWS = """
(tolerance) => {
  const scrolls = (style) => ["auto", "scroll"].includes(style.overflowX);
  const px = (v) => parseFloat(v) || 0;
  const classes = (el) => typeof el.className === "string" ? el.className.trim().split(/\\s+/) : [];
  const name = (el) => [el.tagName.toLowerCase() + (el.id ? "#" + el.id : ""), ...classes(el)]
    .filter(Boolean).join(".");
  const path = (el) => {
    const parts = [];
    for (let e = el; e && e !== document.body && parts.length < 4; e = e.parentElement) {
      parts.unshift(name(e));
    }
    return parts.join(" > ");
  };
  const found = [];
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth) {
    found.push({element: "html", parent: "viewport", over: root.scrollWidth - root.clientWidth});
  }
  for (const el of document.body.querySelectorAll("*")) {
    const style = getComputedStyle(el);
    if (style.display === "none" || style.position === "fixed" || el.getClientRects().length === 0) continue;
    let scrolled = false;
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (scrolls(getComputedStyle(a))) { scrolled = true; break; }
    }
    if (scrolled) continue;
    const parent = el.parentElement;
    const ps = getComputedStyle(parent);
    const pr = parent.getBoundingClientRect();
    const left = pr.left + px(ps.borderLeftWidth) + px(ps.paddingLeft);
    const right = pr.right - px(ps.borderRightWidth) - px(ps.paddingRight);
    const r = el.getBoundingClientRect();
    const over = Math.max(left - r.left, r.right - right);
    if (r.width > 0 && over > tolerance) {
      found.push({element: path(el), parent: name(parent), over: Math.round(over * 10) / 10});
    }
  }
  return found;
}
"""


PLANT = """
() => {
  const main = document.querySelector("main");
  const box = (tag, id) => Object.assign(document.createElement(tag), {id, textContent: "wide"});
  const scroll = Object.assign(document.createElement("div"), {className: "table-scroll"});
  const table = scroll.appendChild(document.createElement("table"));
  table.appendChild(box("caption", "wide-table")).style.width = "3000px";
  const loose = box("div", "too-wide");
  loose.style.width = "3000px";  // set through the DOM: the page's policy refuses inline style attributes
  main.append(scroll, loose);
}
"""
"""Two boxes wider than any screen: one in a scrolling container (allowed), one not (an overflow)."""


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    tmp = tmp_path_factory.mktemp("layout")
    clock = FixedClock(datetime(2025, 6, 1, 12, 0, tzinfo=UTC))
    s = build(f"sqlite:///{tmp / 'scalegate.db'}", clock, tmp)
    noncompliance.report(
        s.workspace,
        description="Evaluation results for step-40000 were shared before the RSO saw them.",
        concerning_role="rso",
        material_risk=True,
    )
    try:
        yield s
    finally:
        s.workspace.close()


@pytest.fixture(scope="module")
def server(scenario: Scenario) -> Iterator[BackgroundServer]:
    settings = WebSettings(session_secret="browser-layout-" + "l" * 40, notifier=scenario.notifier)
    with BackgroundServer(create_app(scenario.workspace, settings)) as running:
        yield running


@pytest.fixture(scope="module")
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


def _sign_in(page: Any, base: str, user: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator(".who").inner_text().startswith(f"Signed in as {user}")


@pytest.mark.parametrize("device", sorted(WIDTHS))
def test_no_element_is_wider_than_its_container(device: str, server: BackgroundServer, browser: Any) -> None:
    width = WIDTHS[device]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    contexts: dict[str | None, Any] = {}
    found: dict[str, list[dict[str, Any]]] = {}
    errors: list[str] = []
    try:
        for page_spec in PAGES:
            if page_spec.user not in contexts:
                context = browser.new_context(viewport={"width": width, "height": 900})
                contexts[page_spec.user] = context
                tab = context.new_page()
                tab.on("pageerror", lambda e: errors.append(str(e)))
                if page_spec.user is not None:
                    _sign_in(tab, server.url, page_spec.user)
            tab = contexts[page_spec.user].pages[0]
            tab.goto(server.url + page_spec.path)
            tab.locator(page_spec.landmark).first.wait_for(state="attached")  # content rendered and drawn
            tab.screenshot(path=str(SCREENSHOTS / f"{page_spec.name}-{width}.png"), full_page=True)
            overflows = tab.evaluate(OVERFLOWS, TOLERANCE)
            if overflows:
                found[page_spec.path] = overflows
        tab.evaluate(PLANT)  # the walk itself: it passes a wide table that scrolls, and catches a wide box
        assert {o["element"] for o in tab.evaluate(OVERFLOWS, TOLERANCE)} == {"html", "main > div#too-wide"}
    finally:
        for context in contexts.values():
            context.close()
    assert found == {}, "\n".join(
        f"{path}: {o['element']} is {o['over']} px beyond {o['parent']}"
        for path, items in found.items()
        for o in items
    )
    assert errors == []
