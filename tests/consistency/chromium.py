"""The dashboard as a person sees it: its pages rendered by headless Chromium, read from their visible text.

``windows.dashboard_window`` reads the HTML the server sends; this reads what the browser shows after layout,
styles and scripts: ``innerText``, which leaves out whatever is hidden and applies the page's text transforms.
A verdict hidden by a stylesheet, a badge a script rewrote, a column shifted under the wrong heading would
pass the first and fail here. Columns are found by their headings' visible text, not by position in the
source.

Launched as ``tests/web`` launches it (``tests.web.test_browser``: Debian's chromium, never a downloaded one).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.consistency.statements import Statements
from tests.consistency.windows import ACTIONS
from tests.web.test_browser import ARGS, CHROMIUM

__all__ = ["chromium", "chromium_window"]

_ACTION_OF = {a.replace("-", " ").lower(): a for a in ACTIONS}
"""An action by the words a heading or a card title shows for it ("Deploy external")."""

_TABLE = """
(selector) => {
  const table = document.querySelector(selector);
  if (!table) return null;
  const heads = [...table.querySelectorAll("thead th")].map((th) => th.innerText.trim());
  const rows = [...table.querySelectorAll("tbody tr")].map((tr) => [...tr.cells].map((td) => td.innerText));
  return {heads, rows};
}
"""
"""A table as shown: its headings and each row's cells, as visible text."""

_SECTIONS = """
(heading) => {
  const h = [...document.querySelectorAll("h2")].find((e) => e.innerText.trim() === heading);
  const out = [];
  for (let e = h ? h.nextElementSibling : null; e && e.tagName !== "H2"; e = e.nextElementSibling) {
    out.push(e.innerText);
  }
  return h ? out : null;
}
"""
"""The visible text of each element under an ``h2`` of the page, up to the next ``h2`` (null: no heading)."""


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's headless Chromium, through Playwright; skips when it is not installed."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def _first(text: str) -> str:
    lines = _lines(text)
    return lines[0] if lines else ""


def chromium_window(browser: Any, base: str, user: str, password: str, models: list[str]) -> Statements:
    """The overview, each model's page, the Sign-offs page and the calendar, as Chromium renders them for
    ``user`` signed in through the login form (a fresh browser context: no cookie carried over)."""
    out = Statements("chromium")
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(base + "/login")
        page.fill("input[name=username]", user)
        page.fill("input[name=password]", password)
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert page.locator(".who").inner_text().startswith(f"Signed in as {user}"), "not signed in"

        def show(path: str) -> None:
            response = page.goto(base + path)
            assert response is not None and response.status == 200, (path, response and response.status)
            page.wait_for_load_state("networkidle")

        show("/")
        _overview(out, page.evaluate(_TABLE, "#models"), models)
        for name in models:
            show(f"/models/{name}")
            _model(out, page)
        show("/signoffs")
        _signoffs(out, page)
        show("/calendar")
        _calendar(out, page.evaluate(_TABLE, "#calendar"))
    finally:
        context.close()
    assert errors == [], f"script errors in the dashboard: {errors}"
    return out


def _overview(out: Statements, table: dict[str, Any] | None, models: list[str]) -> None:
    assert table is not None, "the overview shows no table of models"
    heads = [h.lower() for h in table["heads"]]
    columns = {i: _ACTION_OF[h] for i, h in enumerate(heads) if h in _ACTION_OF}
    assert sorted(columns.values()) == sorted(ACTIONS), f"overview headings: {table['heads']}"
    for cells in table["rows"]:
        name = _first(cells[0])
        assert name in models, f"the overview shows an unknown model {name!r}"
        ref = f"{name}@{_first(cells[1])}"
        for i, action in columns.items():
            out.add(ref, f"verdict {action}", cells[i].strip().lower())


_HEADING = re.compile(r"^(.+): checkpoint (\S+)$")
_CARD = re.compile(r"^(.+): (allow|restrict|pause)$", re.I)
_DETERMINATION = re.compile(r"Decision #(\d+): (\w+)")
_NOTIFY = re.compile(r"still to notify: (.+?)(?: — |$)")


def _model(out: Statements, page: Any) -> None:
    heading = _HEADING.match(" ".join(page.locator("h1").first.inner_text().split()))
    assert heading is not None, f"no checkpoint heading on {page.url}"
    ref = f"{heading[1]}@{heading[2]}"
    for title in page.locator("#verdicts section.card h3").all_inner_texts():
        card = _CARD.match(" ".join(title.split()))
        assert card is not None, f"a verdict card without a verdict on {page.url}: {title!r}"
        out.add(ref, f"verdict {_ACTION_OF[card[1].lower()]}", card[2].lower())
    shown = page.evaluate(_SECTIONS, "Capability determination") or []
    text = " ".join(" ".join(shown[:1]).split())
    det = _DETERMINATION.search(text)
    if det:
        subject, status = f"decision {det[1]}", det[2].lower()
        out.add(subject, "status", status)
        out.add(subject, "stale", " stale: " in f" {text}")
        if status == "approved":
            notify = _NOTIFY.search(text)
            out.add(subject, "notices due", notify[1].strip().split(", ") if notify else "")


_AWAITING = re.compile(r"^#(\d+) ")
_UNNOTIFIED = re.compile(r"^#(\d+) .*: still to notify (.+)$")


def _signoffs(out: Statements, page: Any) -> None:
    awaiting = page.evaluate(_SECTIONS, "Awaiting signatures")
    assert awaiting is not None, "no 'Awaiting signatures' on the Sign-offs page"
    for block in awaiting:
        found = _AWAITING.match(_first(block))
        if found:
            out.add(f"decision {found[1]}", "status", "open")
    for block in page.evaluate(_SECTIONS, "Signed, but not everyone has been told") or []:
        found = _UNNOTIFIED.match(_first(block))
        if found:
            out.add(f"decision {found[1]}", "notices due", found[2].split(", "))
    table = page.evaluate(_TABLE, ".table-scroll table")
    assert table is not None, "no table of closed decisions on the Sign-offs page"
    heads = [h.lower() for h in table["heads"]]
    at = {h: heads.index(h) for h in ("#", "status", "notified")}
    for cells in table["rows"]:
        if len(cells) < len(heads):
            continue  # "None yet."
        number, status = _first(cells[at["#"]]), _first(cells[at["status"]]).lower()
        notified = _first(cells[at["notified"]])
        out.add(f"decision {number}", "status", status)
        if status == "approved":
            due = "" if notified == "yes" else notified.removeprefix("no: ").split(", ")
            out.add(f"decision {number}", "notices due", due)


def _calendar(out: Statements, table: dict[str, Any] | None) -> None:
    assert table is not None, "the calendar shows no table of deadlines"
    heads = [h.lower() for h in table["heads"]]
    at = {h: heads.index(h) for h in ("status", "due", "what", "about")}
    for cells in table["rows"]:
        if len(cells) < len(heads):
            continue  # "No deadlines."
        key = f"{_first(cells[at['what']])} | {_first(cells[at['about']])} | {_first(cells[at['due']])}"
        out.add(key, "status", _first(cells[at["status"]]).lower())
