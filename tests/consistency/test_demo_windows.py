"""Every window tells the same truth about the demo, at every stage, on SQLite and PostgreSQL.

At each stage of the demo (``tests/consistency/conftest.py``) the CLI's ``--json``, the API over real HTTP,
the dashboard's served pages and the reports' data blocks are read into ``(subject, property, value)``
statements (``tests/consistency/windows.py``): the gate's verdict for each action, each decision's status,
staleness and notices due, each deadline's status and the deadlines of the year's compliance review. Two
windows that give one subject and property different values fail the test, which names both. The number of
statements cross-checked is printed (``-s``) and recorded as a property of the test (``--junitxml``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from scalegate.reports.capability import capability_report
from scalegate.reports.compliance import compliance_report
from scalegate.reports.render import render_html
from tests.consistency.conftest import STAGES, Walk
from tests.consistency.statements import Statements, assert_agree
from tests.consistency.windows import ACTIONS, api_window, cli_window, dashboard_window, report_window

pytestmark = pytest.mark.slow  # a scenario walked through every window: tens of seconds a step

PERIOD = (date(2025, 1, 1), date(2025, 12, 31))
MODEL = "aurora-1"

EXPECTED: dict[str, dict[str, str]] = {
    "proposed": {"verdicts": "allow pause pause", "status": "open", "stale": "false"},
    "signed": {
        "verdicts": "allow pause pause",
        "status": "approved",
        "stale": "false",
        "notices due": "board, ltbt",
    },
    "notified": {"verdicts": "allow allow allow", "status": "approved", "stale": "false", "notices due": ""},
    "stale": {"verdicts": "allow pause pause", "status": "approved", "stale": "true"},
}
"""What the record says at each stage about the latest checkpoint (its verdicts for continue-training,
deploy-internal, deploy-external) and its capability determination, so that
windows agreeing on a wrong answer fail too."""


def collect(w: Walk) -> list[Statements]:
    """Read every window of the demo as it stands."""
    s = w.state
    ws = s.workspace
    refs = [s.ref]
    capability = render_html(capability_report(ws, s.ref, figures=False))
    compliance = render_html(compliance_report(ws, *PERIOD, s.people["rita"]))
    return [
        cli_window(ws.url, refs, PERIOD, now=ws.now(), user="rita"),
        api_window(w.api, w.token, refs, PERIOD),
        dashboard_window(w.session, [MODEL]),
        report_window([capability], compliance, PERIOD),
    ]


def _covers(windows: list[Statements], check: Callable[[Statements], bool], what: str) -> None:
    missing = [w.window for w in windows if not check(w)]
    assert not missing, f"{', '.join(missing)} say nothing about {what}"


@pytest.mark.parametrize("stage", STAGES)
def test_every_window_says_the_same(
    walk: Walk, stage: str, record_property: Callable[[str, object], None]
) -> None:
    walk.advance(stage)
    windows = collect(walk)

    assert_agree(f"{walk.backend} {stage}", windows, record_property)

    ref, decision = walk.state.ref, f"decision {walk.state.decision_id}"
    for action in ACTIONS:
        _covers(windows, lambda w, a=action: (ref, f"verdict {a}") in w.said, f"{ref}'s verdict for {action}")
    _covers(windows, lambda w: (decision, "status") in w.said, f"{decision}'s status")
    _covers(
        [w for w in windows if w.window != "dashboard"],
        lambda w: any(p == "status" and " | " in s for s, p in w.said),
        "deadlines",
    )
    expected = EXPECTED[stage]
    said = {**windows[0].said, **windows[1].said}
    assert [said[(ref, f"verdict {a}")] for a in ACTIONS] == expected["verdicts"].split(), ref
    for prop in ("status", "stale", "notices due"):
        if prop in expected:
            assert said[(decision, prop)] == expected[prop], prop
