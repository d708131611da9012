"""Every window tells the same truth about the gate scenario, at each step of the RSP v2.2 flow, on SQLite and
PostgreSQL.

The scenario is the gate tests' (``tests/gate/conftest.py``'s ``Flow``, the RSP v2.2 flow of
``tests/gate/test_scenario.py``, with the committed Inspect logs) on a production workspace: people sign in
with passwords and tokens, the clock moves between steps. At each step the CLI (with an API token), the API
over real HTTP, the dashboard's pages, the reports' data blocks and their printed PDF text are read into
statements and compared, then the dashboard once more as Chromium renders it (marked ``browser``), as for the
demo (``tests/consistency/test_demo_windows.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from scalegate.assessment.service import assess
from scalegate.clock import FixedClock
from scalegate.governance.users import create_token
from scalegate.registry.assessments_due import record_prior_assessment
from scalegate.reports.capability import capability_report
from scalegate.reports.compliance import compliance_report
from scalegate.reports.document import Report
from scalegate.reports.render import render_html
from scalegate.reports.safeguards import safeguards_report
from scalegate.web import WebSettings, create_app
from scalegate.web.server import BackgroundServer
from scalegate.workspace import init_workspace
from tests.consistency.chromium import chromium_window
from tests.consistency.conftest import login
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
from tests.fixtures.inspect_logs.make_logs import committed
from tests.gate.conftest import LOW, MODEL, Flow
from tests.support.signing import PASSWORD
from tests.support.templates import create_database

pytestmark = pytest.mark.slow  # a scenario walked through every window: tens of seconds a step

PERIOD = (date(2025, 1, 1), date(2025, 12, 31))
C1, C3 = f"{MODEL}@c1", f"{MODEL}@c3"
STEPS = ("registered", "evidenced", "security", "safeguarded", "determined", "government", "stale")

EXPECTED = {
    "registered": "allow pause",
    "evidenced": "pause pause",
    "security": "allow pause",
    "safeguarded": "allow pause",
    "determined": "allow pause",
    "government": "allow allow",
    "stale": "allow pause",
}
"""The gate's verdicts for C3 (continue-training, deploy-external) after each step, as the gate tests have
them, so that windows agreeing on a wrong answer fail too."""


@dataclass
class GateWalk:
    """The gate scenario on one backend, the step it has reached, and doors open on it."""

    flow: Flow
    logs: dict[str, Path]
    backend: str
    session: httpx.Client
    api: httpx.Client
    token: str
    step: str = ""
    decision_id: int | None = None
    done: list[str] = field(default_factory=list)
    seen: dict[str, list[Statements]] = field(default_factory=dict)
    """The windows read at each step, kept for the next reading of the same step (``readings``)."""
    printable: dict[str, list[tuple[Report, str]]] = field(default_factory=dict)
    """The reports read at each step and their HTML, kept to be printed to PDF."""

    def advance(self, step: str) -> None:
        """Walk forward to ``step`` (never back)."""
        if self.step and STEPS.index(step) < STEPS.index(self.step):
            raise AssertionError(f"the scenario is at {self.step}; it cannot go back to {step}")
        while self.step != step:
            self.step = STEPS[STEPS.index(self.step) + 1 if self.step else 0]
            getattr(self, "_" + self.step)()

    def _registered(self) -> None:
        f = self.flow
        f.register("c1", 1.0e24)
        f.ingest(C1, self.logs, ["wmdp_bio_low", *LOW])
        record_prior_assessment(f.workspace, f.person("rso"), C1, f.clock.now())
        f.clock.advance(timedelta(days=20))
        f.register("c2", 3.9e24)
        f.clock.advance(timedelta(days=5))
        f.register("c3", 4.1e24)

    def _evidenced(self) -> None:
        self.flow.ingest(C3, self.logs, ["wmdp_bio", *LOW])

    def _security(self) -> None:
        self.flow.meet_standard("security", "ASL-3")

    def _safeguarded(self) -> None:
        self.flow.meet_standard("deployment", "ASL-3")

    def _determined(self) -> None:
        self.decision_id = self.flow.determine(C3)

    def _government(self) -> None:
        levels = {k: v.level for k, v in assess(self.flow.workspace, C3).requirements.levels.items()}
        self.flow.notify_government(C3, levels)

    def _stale(self) -> None:
        self.flow.clock.advance(timedelta(days=1))
        self.flow.ingest(C3, self.logs, ["wmdp_bio_rerun"])


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def gate_walk(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GateWalk]:
    """The gate scenario under RSP v2.2 on a fresh store of each backend, served by uvicorn."""
    directory = tmp_path_factory.mktemp(f"gate-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{directory / 'scalegate.db'}"
    else:
        url = create_database(request.getfixturevalue("postgres_url"))
    clock = FixedClock(datetime(2025, 6, 2, 9, 0, tzinfo=UTC))
    workspace = init_workspace(url, "anthropic-rsp-2.2", clock=clock)
    try:
        flow = Flow(workspace, clock, directory)
        flow.setup_people()
        flow.baseline()
        token = create_token(workspace, flow.person("rso"), name="consistency", scopes=["*"]).secret
        settings = WebSettings(session_secret="consistency-" + "g" * 40)
        with (
            BackgroundServer(create_app(workspace, settings)) as server,
            httpx.Client(base_url=server.url, timeout=60) as session,
            httpx.Client(base_url=server.url, timeout=60) as api,
        ):
            yield GateWalk(flow, committed("gate"), request.param, session, api, token)
    finally:
        workspace.close()  # the database is left to the server, deleted whole at the end of the session


def collect(w: GateWalk) -> list[Statements]:
    """Read the served windows of the scenario as it stands (each report rendered once; C3's and the review
    kept for printing: what the checks below are about, within the time a reading may take)."""
    ws = w.flow.workspace
    refs = [C1, C3]
    capability = [capability_report(ws, ref, figures=False) for ref in refs]
    compliance = compliance_report(ws, *PERIOD, w.flow.person("rso"))
    kinds = {standard for report in capability for standard in required_standards(report)}
    standards = {(kind, level): safeguards_report(ws, kind, level) for kind, level in sorted(kinds)}
    html = {id(r): render_html(r) for r in [*capability, compliance, *standards.values()]}
    shown = [capability[1], compliance, *(standards[k] for k in required_standards(capability[1]))]
    w.printable[w.step] = [(r, html[id(r)]) for r in shown]
    w.session.cookies.clear()
    login(w.session, "rso-holder", PASSWORD)  # anew: the clock moves between steps, past the session's age
    return [
        cli_window(ws.url, refs, PERIOD, now=ws.now(), token=w.token),
        api_window(w.api, w.token, refs, PERIOD),
        dashboard_window(w.session, [MODEL]),
        report_window(
            [html[id(r)] for r in capability],
            html[id(compliance)],
            PERIOD,
            tuple(html[id(r)] for r in standards.values()),
        ),
    ]


def printed(w: GateWalk) -> Statements:
    """The reports kept at this step, printed to PDF (once each) and read back."""
    return pdf_window([print_report(r, rendered) for r, rendered in w.printable[w.step]], PERIOD)


@pytest.mark.parametrize("step, through", readings(STEPS))
def test_every_window_says_the_same(
    gate_walk: GateWalk,
    step: str,
    through: str,
    request: pytest.FixtureRequest,
    record_property: Callable[[str, object], None],
) -> None:
    gate_walk.advance(step)
    base = str(gate_walk.session.base_url).rstrip("/")
    windows = read(
        gate_walk.seen,
        step,
        through,
        lambda: collect(gate_walk),
        {
            "printed": lambda: printed(gate_walk),
            "chromium": lambda: chromium_window(
                request.getfixturevalue("browser"), base, "rso-holder", PASSWORD, [MODEL]
            ),
        },
    )

    assert_agree(f"{gate_walk.backend} {step} ({through})", windows, record_property)

    for window in windows:
        for action in ACTIONS:
            assert (C3, f"verdict {action}") in window.said, f"{window.window} gives no verdict for {action}"
    said = windows[0].said
    verdicts = [said[(C3, "verdict continue-training")], said[(C3, "verdict deploy-external")]]
    assert verdicts == EXPECTED[step].split(), step
    if gate_walk.decision_id is not None:
        decision = f"decision {gate_walk.decision_id}"
        assert all((decision, "status") in w.said for w in windows if w.window != "dashboard"), decision
        assert said[(decision, "stale")] == ("true" if step == "stale" else "false")
