"""The documents a policy obliges over HTTP, with API tokens: a Risk Report drafted, approved through the
decisions route, shared and published; a reviewer selection needing the LTBT; the gate following."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from scalegate.actor import Actor
from scalegate.clock import FixedClock
from scalegate.governance.notifications import InMemoryNotifier
from scalegate.governance.users import create_token
from scalegate.registry import service
from scalegate.registry.specs import CheckpointSpec
from scalegate.web import create_app
from scalegate.workspace import Workspace, init_workspace
from tests.governance.conftest import make_people
from tests.support.signing import PASSWORD
from tests.web.conftest import SETTINGS

POLICY = Path(__file__).parents[1] / "fixtures" / "policies" / "process.yaml"


@pytest.fixture
def lab(sqlite_url: str) -> Iterator[tuple[Workspace, dict[str, Actor]]]:
    ws = init_workspace(sqlite_url, str(POLICY), clock=FixedClock(datetime(2026, 7, 10, tzinfo=UTC)))
    people = make_people(
        ws, {"rita": ["rso"], "carl": ["ceo"], "lou": ["ltbt"], "bea": ["board"], "sam": ["staff"]}
    )
    service.create_model(ws, people["rita"], "m", "fam", "team")
    service.register_checkpoint(
        ws, people["rita"], "m", CheckpointSpec(name="c1", step=1, training_flops=1e24)
    )
    try:
        yield ws, people
    finally:
        ws.close()


def _bearer(ws: Workspace, people: dict[str, Actor], user: str) -> dict[str, str]:
    token = create_token(ws, people[user], name="test", scopes=["*"])
    return {"Authorization": f"Bearer {token.secret}"}


def test_a_risk_report_over_http(lab: tuple[Workspace, dict[str, Actor]]) -> None:
    ws, people = lab
    app = create_app(ws, replace(SETTINGS, notifier=InMemoryNotifier()))
    rita, carl, lou, sam = (_bearer(ws, people, u) for u in ("rita", "carl", "lou", "sam"))
    with TestClient(app, raise_server_exceptions=False) as client:
        coverage = ws.now().isoformat()
        body = {"title": "RR", "coverage_date": coverage, "highly_capable": True}
        assert client.post("/api/v1/risk-reports", headers=sam, json=body).status_code == 403
        drafted = client.post("/api/v1/risk-reports", headers=rita, json=body)
        assert drafted.status_code == 201, drafted.text
        report = drafted.json()
        assert report["models"] == ["m"] and report["status"] == "draft"
        future = client.post(
            "/api/v1/risk-reports", headers=rita, json={**body, "coverage_date": "2030-01-01"}
        )
        assert future.status_code == 400 and "in the future" in future.json()["error"]["message"]

        submitted = client.post(f"/api/v1/risk-reports/{report['id']}/submission", headers=carl).json()
        decision = submitted["approval_decision_id"]
        for who, role in ((rita, "rso"), (lou, "ltbt")):
            signed = client.post(
                f"/api/v1/decisions/{decision}/signatures",
                headers=who,
                json={"role": role, "password": PASSWORD},
            )
            assert signed.status_code == (201 if role == "rso" else 400), signed.text
        early = client.post(f"/api/v1/risk-reports/{report['id']}/sharing", headers=rita)
        assert early.status_code == 409
        # carl opened the decision, so the CEO's approval needs another CEO: the separation of duties holds.
        assert (
            client.post(
                f"/api/v1/decisions/{decision}/signatures",
                headers=carl,
                json={"role": "ceo", "password": PASSWORD},
            ).status_code
            == 409
        )
        assert client.get(f"/api/v1/risk-reports/{report['id']}", headers=rita).json()["approved"] is False

        judged = client.post(f"/api/v1/risk-reports/{report['id']}/redaction-judgments", headers=lou)
        assert judged.status_code == 201
        assert client.get(f"/api/v1/risk-reports/{report['id']}", headers=rita).json()[
            "significantly_redacted_by"
        ] == ["ltbt"]
        review = client.post(
            f"/api/v1/risk-reports/{report['id']}/external-reviews",
            headers=rita,
            json={"reviewers": [{"name": "Institute", "sections": []}]},
        )
        assert review.status_code == 201, review.text
        sent = client.post(
            f"/api/v1/external-reviews/{review.json()['id']}/sendings",
            headers=rita,
            json={"reviewer": "Institute"},
        )
        assert sent.status_code == 409 and "ltbt must approve" in sent.json()["error"]["message"]

        goal = client.post(
            "/api/v1/roadmap",
            headers=rita,
            json={"area": "security", "title": "g", "target_date": "2026-09-01"},
        )
        assert (
            goal.status_code == 201
            and client.get("/api/v1/roadmap", headers=rita).json()[0]["status"] == "open"
        )
