"""The demo scenario for the consistency tests: built once per backend (module scope) and walked forward one
stage at a time, with a real uvicorn server on its workspace for the API and the dashboard.

The scenario is the demo's (``scalegate.testing.demo``) with the committed Inspect logs in place of fresh
runs, as in ``tests/governance/test_demo_rsp_v3.py``. Its stages, in order:

- ``proposed``: evidence in, safeguards determined and notified, the capability determination awaiting the RSO
  and the CEO (the government notice sent);
- ``signed``: both signed, the Board and the LTBT not yet notified;
- ``notified``: the Board and the LTBT notified (the demo's ``sign`` stage ends here);
- ``stale``: a rerun of the bio evaluation ingested after the sign-off, so the determination no longer binds
  the evidence on record.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from scalegate.clock import FixedClock
from scalegate.evidence.service import ingest_file
from scalegate.governance.decisions import sign as sign_decision
from scalegate.governance.notifications import notify_decision
from scalegate.governance.users import create_token
from scalegate.reports.document import Report
from scalegate.testing import demo
from scalegate.web import WebSettings, create_app
from scalegate.web.server import BackgroundServer
from scalegate.workspace import init_workspace
from tests.consistency.chromium import chromium
from tests.consistency.statements import Statements
from tests.fixtures.inspect_logs.make_logs import committed
from tests.support.templates import create_database

START = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
STAGES = ("proposed", "signed", "notified", "stale")
EVALS = ("wmdp_bio", "lab_bench_protocolqa", "swe_bench", "cybench")


@dataclass
class Walk:
    """The demo on one backend, the stage it has reached, and doors open on it."""

    state: demo.DemoState
    backend: str
    base: str
    session: httpx.Client
    api: httpx.Client
    token: str
    stage: str = ""
    logs: dict[str, Path] = field(default_factory=dict)
    seen: dict[str, list[Statements]] = field(default_factory=dict)
    """The windows read at each stage, kept for the next reading of the same stage (``readings``)."""
    printable: dict[str, list[tuple[Report, str]]] = field(default_factory=dict)
    """The reports read at each stage and their HTML, kept to be printed to PDF."""

    def advance(self, stage: str) -> None:
        """Walk forward to ``stage`` (never back: the stages build on one another)."""
        if self.stage and STAGES.index(stage) < STAGES.index(self.stage):
            raise AssertionError(f"the scenario is at {self.stage}; it cannot go back to {stage}")
        while self.stage != stage:
            self.stage = STAGES[STAGES.index(self.stage) + 1 if self.stage else 0]
            _STEPS[self.stage](self)


def _proposed(w: Walk) -> None:
    s = w.state
    demo.seed(s)
    for name in EVALS:
        ingest_file(s.workspace, s.people["eve"], w.logs[name], s.ref)
    demo.safeguard(s)
    demo.propose(s)


def _signed(w: Walk) -> None:
    s = w.state
    assert s.decision_id is not None
    for name, role in (("rita", "rso"), ("carl", "ceo")):
        sign_decision(
            s.workspace,
            s.people[name],
            s.decision_id,
            role,
            password=demo.demo_password(name),
            justification="findings and forecast reviewed",
        )


def _notified(w: Walk) -> None:
    assert w.state.decision_id is not None
    notify_decision(w.state.workspace, w.state.people["rita"], w.state.decision_id, w.state.outbox)


def _stale(w: Walk) -> None:
    ingest_file(w.state.workspace, w.state.people["eve"], w.logs["wmdp_bio_rerun"], w.state.ref)


_STEPS = {"proposed": _proposed, "signed": _signed, "notified": _notified, "stale": _stale}


def login(client: httpx.Client, user: str, password: str) -> None:
    """Sign ``client`` in to the dashboard."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert found is not None
    data = {"username": user, "password": password, "csrf_token": found[1]}
    assert client.post("/login", data=data).status_code == 303


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def walk(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Walk]:
    """The demo on a fresh store of each backend, served by uvicorn, not yet walked."""
    directory = tmp_path_factory.mktemp(f"demo-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{directory / 'scalegate.db'}"
    else:
        url = create_database(request.getfixturevalue("postgres_url"))
    workspace = init_workspace(url, clock=FixedClock(START), mode="demo")
    state = demo.DemoState(workspace, directory)
    try:
        settings = WebSettings(session_secret="consistency-" + "c" * 40)
        with (
            BackgroundServer(create_app(workspace, settings)) as server,
            httpx.Client(base_url=server.url, timeout=60) as session,
            httpx.Client(base_url=server.url, timeout=60) as api,
        ):
            w = Walk(state, request.param, server.url, session, api, token="", logs=committed("gate"))
            w.advance("proposed")
            w.token = create_token(workspace, state.people["rita"], name="consistency", scopes=["*"]).secret
            login(session, "rita", demo.demo_password("rita"))
            yield w
    finally:
        workspace.close()  # the database is left to the server, deleted whole at the end of the session


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium, one per module, asked for only by the tests that read the dashboard through it."""
    with chromium() as instance:
        yield instance
