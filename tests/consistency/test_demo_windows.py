"""Every window tells the same truth about the demo, at every stage, on SQLite and PostgreSQL.

At each stage of the demo (``tests/consistency/conftest.py``) the CLI's ``--json``, the API over real HTTP,
the dashboard's served pages, the reports' data blocks and the text of the reports printed to PDF are read
into ``(subject, property, value)`` statements (``tests/consistency/windows.py``, ``pdf_text.py``): the gate's
verdict for each action, each decision's status, staleness and notices due, each deadline's status and the
deadlines of the year's compliance review. Then, in a test of its own (marked ``browser``), the dashboard as
headless Chromium renders it (``chromium.py``) is read too and checked against all of them. Two windows that
give one subject and property different values fail the test, which names both. The number of statements
cross-checked is printed (``-s``) and recorded as a property of the test (``--junitxml``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from scalegate.reports.capability import capability_report
from scalegate.reports.compliance import compliance_report
from scalegate.reports.render import render_html
from scalegate.reports.safeguards import safeguards_report
from scalegate.testing import demo
from tests.consistency.chromium import chromium_window
from tests.consistency.conftest import STAGES, Walk
from tests.consistency.pdf_text import pdf_window, print_report
from tests.consistency.readings import read, readings
from tests.consistency.statements import Statements, assert_agree
from tests.consistency.windows import (
    ACTIONS,
    api_window,
    cli_window,
    dashboard_window,
    report_window,
    required_standards,
)

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
    """Read the served windows of the demo as it stands (each report rendered once; kept for printing)."""
    s = w.state
    ws = s.workspace
    refs = [s.ref]
    capability = capability_report(ws, s.ref, figures=False)
    compliance = compliance_report(ws, *PERIOD, s.people["rita"])
    standards = [safeguards_report(ws, kind, level) for kind, level in required_standards(capability)]
    html = {id(r): render_html(r) for r in (capability, compliance, *standards)}
    w.printable[w.stage] = [(r, html[id(r)]) for r in (capability, compliance, *standards)]
    return [
        cli_window(ws.url, refs, PERIOD, now=ws.now(), user="rita"),
        api_window(w.api, w.token, refs, PERIOD),
        dashboard_window(w.session, [MODEL]),
        report_window(
            [html[id(capability)]], html[id(compliance)], PERIOD, tuple(html[id(r)] for r in standards)
        ),
    ]


def printed(w: Walk) -> Statements:
    """The reports read at this stage, printed to PDF (once each) and read back."""
    return pdf_window([print_report(r, rendered) for r, rendered in w.printable[w.stage]], PERIOD)


def _covers(windows: list[Statements], check: Callable[..., bool], what: str) -> None:
    missing = [w.window for w in windows if not check(w)]
    assert not missing, f"{', '.join(missing)} say nothing about {what}"


@pytest.mark.parametrize("stage, through", readings(STAGES))
def test_every_window_says_the_same(
    walk: Walk,
    stage: str,
    through: str,
    request: pytest.FixtureRequest,
    record_property: Callable[[str, object], None],
) -> None:
    walk.advance(stage)
    windows = read(
        walk.seen,
        stage,
        through,
        lambda: collect(walk),
        {
            "printed": lambda: printed(walk),
            "chromium": lambda: chromium_window(
                request.getfixturevalue("browser"), walk.base, "rita", demo.demo_password("rita"), [MODEL]
            ),
        },
    )

    assert_agree(f"{walk.backend} {stage} ({through})", windows, record_property)

    ref, decision = walk.state.ref, f"decision {walk.state.decision_id}"
    expected = EXPECTED[stage]
    keys = [(ref, f"verdict {a}") for a in ACTIONS] + [(decision, "status"), (decision, "stale")]
    for key in keys + ([(decision, "notices due")] if "notices due" in expected else []):
        _covers(windows, lambda w, k=key: k in w.said, f"{key[0]}'s {key[1]}")
    _covers(
        [w for w in windows if w.window not in ("dashboard", "chromium")],
        lambda w: any(p == "status" and " | " in s for s, p in w.said),
        "deadlines",
    )
    said = {**windows[0].said, **windows[1].said}
    assert [said[(ref, f"verdict {a}")] for a in ACTIONS] == expected["verdicts"].split(), ref
    for prop in ("status", "stale", "notices due"):
        if prop in expected:
            assert said[(decision, prop)] == expected[prop], prop
