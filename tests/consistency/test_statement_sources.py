"""Each statement a window makes comes from one function: notices due from
``governance.decisions.notices_due``, staleness from ``governance.decisions.stale_keys``, the deadlines of a
period from ``governance.calendar.due_in_period``.

Two checks. From the source (``ast``): nothing else in the package picks out the ``before_proceeding``
notices, compares a decision's bound digests with the current ones, or picks the calendar items due between
two times, so no door, page or report can answer one of these questions on its own. In the running system:
each of the three functions has its body replaced by a sentinel's (its ``__code__``, so every caller sees it
however it imported the function), the demo is read through every window (the CLI, the API over HTTP, the
dashboard's pages, the reports' data and their printed PDF text), and every window that makes the statement
must now give the sentinel's answer, which is not the record's.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from scalegate.governance.calendar import due_in_period
from scalegate.governance.decisions import notices_due, stale_keys
from scalegate.reports.compliance import compliance_report
from scalegate.reports.render import render_html
from tests.consistency.conftest import Walk
from tests.consistency.pdf_text import pdf_window, print_report
from tests.consistency.statements import Statements, assert_agree
from tests.consistency.test_demo_windows import EXPECTED, PERIOD, collect
from tests.consistency.windows import cli_window, report_window

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "scalegate"

ONE_PLACE = {
    "before_proceeding": ("governance/decisions.py", "before_proceeding"),
    "bound digests against current ones": ("governance/decisions.py", "stale_keys"),
    "calendar items due in a period": ("governance/calendar.py", "due_in_period"),
}
"""What only one function may compute, and where that function is (module, function)."""


def _functions(tree: ast.AST) -> Iterator[tuple[str, ast.AST]]:
    """Every node of ``tree`` with the name of the innermost function around it ("" at module level)."""

    def walk(node: ast.AST, name: str) -> Iterator[tuple[str, ast.AST]]:
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else name
            yield inner, child
            yield from walk(child, inner)

    yield from walk(tree, "")


def _names(node: ast.AST) -> set[str]:
    """The attribute, variable and string-subscript names a node reads."""
    out: set[str] = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Attribute):
            out.add(n.attr)
        elif isinstance(n, ast.Name):
            out.add(n.id)
        elif isinstance(n, ast.Subscript) and isinstance(n.slice, ast.Constant):
            out.add(str(n.slice.value))
    return out


def _computes(node: ast.AST) -> str | None:
    """Which of the ``ONE_PLACE`` statements a comparison computes, if any."""
    if not isinstance(node, ast.Compare):
        return None
    parts = [node.left, *node.comparators]
    if any(isinstance(p, ast.Constant) and p.value == "before_proceeding" for p in parts):
        return "before_proceeding"
    if len(node.ops) == 2 and "due_at" in _names(node.comparators[0]):
        return "calendar items due in a period"
    if any(isinstance(op, ast.NotEq | ast.Eq) for op in node.ops):
        sides = [_names(p) for p in parts]
        bound = any("bound_state" in s or s == {"v"} for s in sides)
        current = any("current" in s or "current_state" in s for s in sides)
        if bound and current:
            return "bound digests against current ones"
    return None


def test_each_statement_is_computed_in_one_function_only() -> None:
    found: dict[str, list[str]] = {what: [] for what in ONE_PLACE}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith(("policy/", "store/migrations/")):
            continue  # the policy schema declares the timings; migrations only move data
        for function, node in _functions(ast.parse(path.read_text(encoding="utf-8"))):
            what = _computes(node)
            if what is not None:
                found[what].append(f"{rel}:{getattr(node, 'lineno', '?')} in {function or 'module'}()")
    for what, (module, function) in ONE_PLACE.items():
        places = found[what]
        assert places and all(
            p.startswith(f"{module}:") and p.endswith(f" in {function}()") for p in places
        ), f"{what} is computed outside {module}:{function}(): {places}"


def test_the_source_check_catches_a_second_computation() -> None:
    """The check above, shown a door that picks out the notices itself, and a report that filters a period."""
    door = ast.parse(
        "def page(rule):\n    return [n.role for n in rule.notify if n.timing == 'before_proceeding']\n"
    )
    report = ast.parse("def review(items, lo, hi):\n    return [i for i in items if lo <= i.due_at < hi]\n")
    stale = ast.parse(
        "def show(row, current):\n    return [k for k, v in row.bound_state.items() if current[k] != v]\n"
    )
    assert {_computes(n) for _, n in _functions(door)} >= {"before_proceeding"}
    assert {_computes(n) for _, n in _functions(report)} >= {"calendar items due in a period"}
    assert {_computes(n) for _, n in _functions(stale)} >= {"bound digests against current ones"}


# -- every window changes with the one function -----------------------------------------------------------


ON_SQLITE = pytest.mark.parametrize("walk", ["sqlite"], indirect=True, scope="module")
"""The demo of ``conftest.walk`` on SQLite only: the functions replaced are the same on either store."""
SENTINEL = "sentinel-role"


def _owed_to_sentinel(rule: Any, sent: Iterable[Any]) -> list[str]:
    return ["sentinel-role"]


def _never_stale(bound: Mapping[str, str], current: Mapping[str, str]) -> list[str]:
    return []


def _nothing_due(items: Iterable[Any], start: date, end: date) -> list[Any]:
    return []


def _replace_body(
    monkeypatch: pytest.MonkeyPatch, function: Callable[..., Any], by: Callable[..., Any]
) -> None:
    """Give ``function`` the body of ``by`` for the test: every caller, however it imported it, runs it."""
    monkeypatch.setattr(function, "__code__", by.__code__)


def printed_capability(walk: Walk) -> Statements:
    """The Capability Report read at this stage, printed (the one report that states both the staleness and
    the notices of the determination; the others are read from their data)."""
    report, rendered = walk.printable[walk.stage][0]
    return pdf_window([print_report(report, rendered)], PERIOD)


def _says(windows: list[Statements], subject: str, prop: str) -> dict[str, str]:
    """What each window says of ``subject``'s ``prop``; each must say something."""
    said = {w.window: w.said.get((subject, prop)) for w in windows}
    silent = [w for w, v in said.items() if v is None]
    assert not silent, f"{', '.join(silent)} say nothing of {subject}'s {prop}"
    return {w: str(v) for w, v in said.items()}


@pytest.mark.slow
@ON_SQLITE
def test_every_window_owes_the_notices_notices_due_names(
    walk: Walk, monkeypatch: pytest.MonkeyPatch, record_property: Callable[[str, object], None]
) -> None:
    walk.advance("notified")  # on record: every notice delivered, nothing due
    assert EXPECTED["notified"]["notices due"] == ""
    _replace_body(monkeypatch, notices_due, _owed_to_sentinel)
    windows = [*collect(walk), printed_capability(walk)]

    assert_agree("sqlite notified, notices_due replaced", windows, record_property)
    decision = f"decision {walk.state.decision_id}"
    assert set(_says(windows, decision, "notices due").values()) == {SENTINEL}
    for w in windows:
        owed = w.about("notices due")
        assert owed and set(owed.values()) == {SENTINEL}, f"{w.window}: {owed}"
        assert w.said.get((walk.state.ref, "verdict deploy-external"), "pause") == "pause", w.window


@pytest.mark.slow
@ON_SQLITE
def test_every_window_judges_staleness_as_stale_keys_does(
    walk: Walk, monkeypatch: pytest.MonkeyPatch, record_property: Callable[[str, object], None]
) -> None:
    walk.advance("stale")  # on record: the determination is stale (a rerun ingested after sign-off)
    assert EXPECTED["stale"]["stale"] == "true"
    _replace_body(monkeypatch, stale_keys, _never_stale)
    windows = [*collect(walk), printed_capability(walk)]

    assert_agree("sqlite stale, stale_keys replaced", windows, record_property)
    decision = f"decision {walk.state.decision_id}"
    assert set(_says(windows, decision, "stale").values()) == {"false"}
    for w in windows:
        assert set(w.about("stale").values()) <= {"false"}, f"{w.window}: {w.about('stale')}"


@pytest.mark.slow
@ON_SQLITE
def test_the_compliance_review_lists_the_deadlines_due_in_period_finds(
    walk: Walk, monkeypatch: pytest.MonkeyPatch
) -> None:
    walk.advance("stale")
    ws, rita = walk.state.workspace, walk.state.people["rita"]
    period = f"period {PERIOD[0]}..{PERIOD[1]}"
    calendar = cli_window(ws.url, [], PERIOD, now=ws.now(), user="rita")
    assert calendar.said[(period, "deadlines")], "the calendar has no deadline in the period to leave out"

    _replace_body(monkeypatch, due_in_period, _nothing_due)
    review = compliance_report(ws, *PERIOD, rita)
    rendered = render_html(review)
    windows = [report_window([], rendered, PERIOD), pdf_window([print_report(review, rendered)], PERIOD)]

    assert _says(windows, period, "deadlines") == {"reports": "", "pdf": ""}
