"""The API drives the service layer end to end: upload evidence, assess, open and sign a determination,
notify, and see the gate and the audit log follow, over HTTP with API tokens."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from scalegate.clock import FixedClock
from scalegate.governance.notifications import InMemoryNotifier
from scalegate.web import WebSettings, create_app
from tests.web.inspect_logs import write_log
from tests.web.scenario import MODEL, PASSWORD, Scenario, build
from tests.web.test_errors import assert_error_shape

pytestmark = pytest.mark.slow


@pytest.fixture
def scenario(tmp_path: Path, clock: FixedClock) -> Iterator[Scenario]:
    s = build(f"sqlite:///{tmp_path / 'scalegate.db'}", clock, tmp_path, InMemoryNotifier())
    try:
        yield s
    finally:
        s.workspace.close()


@pytest.fixture
def client(scenario: Scenario) -> Iterator[TestClient]:
    settings = WebSettings(session_secret="api-test-" + "k" * 40, notifier=scenario.notifier)
    with TestClient(create_app(scenario.workspace, settings), raise_server_exceptions=False) as c:
        yield c


def _bearer(scenario: Scenario, user: str, scopes: tuple[str, ...] = ("*",)) -> dict[str, str]:
    from scalegate.governance.users import create_token

    token = create_token(scenario.workspace, scenario.people[user], name="test", scopes=list(scopes))
    return {"Authorization": f"Bearer {token.secret}"}


def test_evidence_upload_is_ingested_once(scenario: Scenario, client: TestClient, tmp_path: Path) -> None:
    from scalegate.evidence.tested_model import declare_tested_model

    eve = _bearer(scenario, "eve")
    log = write_log(tmp_path / "upload.json", task="inspect_evals/wmdp_bio", model="lab/x", n=120, correct=30)
    # The log ran `lab/x`: eve declares (an audited step) that it stands for the checkpoint it is filed under.
    declare_tested_model(scenario.workspace, scenario.people["eve"], "lab/x", scenario.latest)
    form = {"checkpoint": scenario.latest, "elicitation": "helpful_only"}
    first = client.post(
        "/api/v1/evidence",
        headers=eve,
        data=form,
        files={"file": ("../../etc/upload.json", log.read_bytes())},
    )
    assert first.status_code == 201, first.text
    record = first.json()["records"][0]
    assert first.json()["created"] is True and record["filename"] == "upload.json"
    again = client.post(
        "/api/v1/evidence", headers=eve, data=form, files={"file": ("upload.json", log.read_bytes())}
    )
    assert again.status_code == 201 and again.json()["created"] is False
    listed = client.get(f"/api/v1/evidence?checkpoint={scenario.latest}", headers=eve).json()
    assert record["id"] in [r["id"] for r in listed]
    assert client.get(f"/api/v1/evidence/{record['id']}", headers=eve).json()["sha256"] == record["sha256"]


def test_unreadable_upload_is_a_400_naming_the_problem(scenario: Scenario, client: TestClient) -> None:
    response = client.post(
        "/api/v1/evidence",
        headers=_bearer(scenario, "eve"),
        data={"checkpoint": scenario.latest},
        files={"file": ("notes.txt", b"just some text")},
    )
    assert response.status_code == 400
    assert_error_shape(response.json(), "invalid_evidence")


def test_staff_may_not_upload_evidence(scenario: Scenario, client: TestClient, tmp_path: Path) -> None:
    log = write_log(tmp_path / "x.json", task="inspect_evals/wmdp_bio", model="lab/x", n=10, correct=1)
    response = client.post(
        "/api/v1/evidence",
        headers=_bearer(scenario, "stan"),
        data={"checkpoint": scenario.latest},
        files={"file": ("x.json", log.read_bytes())},
    )
    assert response.status_code == 403
    assert "may not evidence.ingest" in response.json()["error"]["message"]


def test_determination_signed_over_http_lifts_the_pause(scenario: Scenario, client: TestClient) -> None:
    rita, carl = _bearer(scenario, "rita"), _bearer(scenario, "carl")
    gate = f"/api/v1/gate?model={MODEL}&action=deploy-internal"
    assert client.get(gate).json()["outcome"] == "pause"
    assessment = client.get(f"/api/v1/assessments/{scenario.latest}", headers=rita).json()
    assert assessment["requirements"]["levels"]["deployment"]["level"] == "ASL-3"
    assert {f["threshold_id"]: f["state"] for f in assessment["findings"]}["CBRN-3"] == "alert"

    url = f"/api/v1/decisions/{scenario.determination_id}/signatures"
    own = client.post(url, headers=rita, json={"role": "ceo", "password": PASSWORD})
    assert own.status_code == 403  # rita does not hold the ceo role
    unsigned = client.post(url, headers=rita, json={"role": "rso", "justification": "ok"})
    assert unsigned.status_code == 422  # a sign-off needs the signer's password at that moment
    wrong = client.post(url, headers=rita, json={"role": "rso", "password": "not rita's password"})
    assert wrong.status_code == 403 and "does not open" in wrong.json()["error"]["message"]
    signoff = {"role": "rso", "justification": "ok", "password": PASSWORD}
    assert client.post(url, headers=rita, json=signoff).status_code == 201
    twice = client.post(url, headers=rita, json={"role": "rso", "password": PASSWORD})
    assert twice.status_code == 409
    assert_error_shape(twice.json(), "conflict")
    signed = client.post(url, headers=carl, json={"role": "ceo", "justification": "ok", "password": PASSWORD})
    assert signed.status_code == 201 and signed.json()["status"] == "approved"
    sent = client.post(f"/api/v1/decisions/{scenario.determination_id}/notifications", headers=rita)
    assert sent.status_code == 201 and {n["role"] for n in sent.json()} == {"board", "ltbt"}
    notice = client.post("/api/v1/government-notices", headers=rita, json={"checkpoint": scenario.latest})
    assert notice.status_code == 201 and notice.json()["due"] is True
    assert client.get(gate).json()["outcome"] == "allow"

    aud = _bearer(scenario, "aud")
    entries = client.get("/api/v1/audit/entries?event=decision.signed", headers=aud).json()
    assert {e["data"]["role"] for e in entries["entries"]} >= {"rso", "ceo"}
    verified = client.get("/api/v1/audit/verification", headers=aud).json()
    assert verified["ok"] is True and verified["entries"] == entries["size"]


def test_anonymous_report_over_the_api_ignores_credentials(scenario: Scenario, client: TestClient) -> None:
    response = client.post(
        "/api/v1/noncompliance/reports",
        headers=_bearer(scenario, "stan"),
        json={"description": "a log was edited after the fact", "concerning_role": "rso"},
    )
    assert response.status_code == 201
    receipt = response.json()
    assert receipt["routed_to"] == "board"
    report = client.get(
        f"/api/v1/noncompliance/reports/{receipt['id']}", headers=_bearer(scenario, "bea")
    ).json()
    assert report.get("reporter") is None and "stan" not in str(report)
