"""The dashboard links the reports: a checkpoint's page generates its Capability Report from the record."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from scalegate.clock import FixedClock
from scalegate.store.models.audit import AuditEntryRow
from scalegate.web import create_app
from tests.web.conftest import SETTINGS
from tests.web.scenario import MODEL, PASSWORD, build

pytestmark = pytest.mark.slow


def _login(client: TestClient, user: str) -> str:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    client.post("/login", data={"username": user, "password": PASSWORD, "csrf_token": token[1]})
    page = client.get(f"/models/{MODEL}")
    assert page.status_code == 200
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    return csrf[1]


def test_model_page_generates_the_capability_report(
    sqlite_url: str, clock: FixedClock, tmp_path: Path
) -> None:
    scenario = build(sqlite_url, clock, tmp_path)
    app = create_app(scenario.workspace, SETTINGS)
    with TestClient(app, raise_server_exceptions=False) as client:
        csrf = _login(client, "rita")
        assert "Generate report" in client.get(f"/models/{MODEL}").text
        ref = f"{MODEL}@step-40000"
        response = client.post(
            f"/models/{MODEL}/capability-report",
            data={"checkpoint": ref, "format": "html", "csrf_token": csrf},
        )
        assert response.status_code == 200, response.text[:500]
        assert response.headers["content-type"].startswith("text/html")
        assert "Capability Report" in response.text and ref in response.text
        digest = hashlib.sha256(response.content).hexdigest()
        with scenario.workspace.read() as session:
            bodies = (
                session.execute(select(AuditEntryRow.body).where(AuditEntryRow.event == "report.generated"))
                .scalars()
                .all()
            )
        assert any(digest in body for body in bodies), (
            "the served report is recorded in the audit log by hash"
        )
        pdf = client.post(
            f"/models/{MODEL}/capability-report",
            data={"checkpoint": ref, "format": "pdf", "csrf_token": csrf},
        )
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
