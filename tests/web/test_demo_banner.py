"""A demo workspace says so on every dashboard page and in every report; a production one never does."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from scalegate.actor import Actor
from scalegate.reports.compliance import compliance_report
from scalegate.reports.render import render_html, render_markdown
from scalegate.web import create_app
from scalegate.workspace import init_workspace
from tests.conftest import MINIMAL_POLICY
from tests.web.conftest import SETTINGS

RSO = Actor(name="rita", roles=frozenset({"rso"}))


@pytest.mark.parametrize("mode", ["demo", "production"])
def test_pages_and_reports_say_demo_workspace_exactly_in_a_demo(sqlite_url: str, mode: str) -> None:
    ws = init_workspace(sqlite_url, str(MINIMAL_POLICY), mode=mode)  # type: ignore[arg-type]
    try:
        with TestClient(create_app(ws, SETTINGS), raise_server_exceptions=False) as http:
            html = {"accept": "text/html"}
            pages = [http.get(path, headers=html) for path in ("/login", "/report", "/no-such-page")]
        assert [page.status_code for page in pages] == [200, 200, 404]
        report = compliance_report(ws, date(2025, 1, 1), date(2025, 12, 31), RSO)
        documents = [page.text for page in pages] + [render_html(report), render_markdown(report)[0]]
    finally:
        ws.close()
    assert all("Demo workspace" in doc for doc in documents) is (mode == "demo")
    assert any("Demo workspace" in doc for doc in documents) is (mode == "demo")
    assert report.provenance.workspace_mode == mode
