"""Operations: liveness and readiness probes, Prometheus metrics, request ids and JSON log lines, and the
headers a server behind TLS sends."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from scalegate.audit.verify import verify
from scalegate.clock import FixedClock
from scalegate.governance.notifications import InMemoryNotifier
from scalegate.store.revision import HEAD_REVISION
from scalegate.web import WebSettings, create_app
from scalegate.web.request_log import JsonFormatter
from scalegate.workspace import Workspace, init_workspace
from tests.conftest import MINIMAL_POLICY
from tests.web.conftest import SETTINGS
from tests.web.scenario import MODEL, Scenario, build


def _samples(body: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }


def _value(body: str, name: str, **labels: str) -> float:
    return _samples(body).get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def ws(db_url: str, clock: FixedClock) -> Iterator[Workspace]:
    workspace = init_workspace(db_url, str(MINIMAL_POLICY), clock=clock)
    try:
        yield workspace
    finally:
        workspace.close()


def test_liveness_and_readiness_follow_the_store_and_its_schema(ws: Workspace) -> None:
    with TestClient(create_app(ws, SETTINGS), raise_server_exceptions=False) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {
            "status": "ok",
            "store": "ok",
            "schema": HEAD_REVISION,
            "expected_schema": HEAD_REVISION,
        }
        with ws.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))
        behind = client.get("/readyz")
        assert behind.status_code == 503
        assert behind.json()["reason"] == "schema is not at head"
        assert behind.json()["schema"] == "0099_from_the_future"
        with ws.engine.begin() as conn:
            conn.execute(text("DROP TABLE alembic_version"))
        gone = client.get("/readyz")  # the store answers, but holds no schema at all
        assert gone.status_code == 503 and gone.json()["reason"] == "schema is not at head"
        assert gone.json()["schema"] is None
        assert client.get("/healthz").status_code == 200  # the process itself is still up


def test_a_store_that_does_not_answer_is_unreachable_not_ready(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from sqlalchemy import create_engine

    from scalegate.web.operations import readiness

    engine = create_engine(f"sqlite:///{tmp_path / 'no-such-directory' / 'scalegate.db'}")
    ready, document = readiness(SimpleNamespace(engine=engine))
    assert not ready
    assert document["store"] == "unreachable" and "unable to open database file" in document["reason"]


def test_metrics_count_requests_verdicts_and_read_the_store(tmp_path: Path, clock: FixedClock) -> None:
    scenario: Scenario = build(f"sqlite:///{tmp_path / 'scalegate.db'}", clock, tmp_path, InMemoryNotifier())
    try:
        settings = WebSettings(session_secret="ops-test-" + "m" * 40, notifier=scenario.notifier)
        with TestClient(create_app(scenario.workspace, settings), raise_server_exceptions=False) as client:
            before = client.get("/metrics").text
            gate = f"/api/v1/gate?model={MODEL}&action=deploy-internal"
            for _ in range(3):
                assert client.get(gate).json()["outcome"] == "pause"
            assert client.get("/no/such/page").status_code == 404
            response = client.get("/metrics")
            assert response.headers["content-type"].startswith("text/plain")
            after = response.text
            delta = _value(after, "scalegate_gate_verdicts_total", outcome="pause") - _value(
                before, "scalegate_gate_verdicts_total", outcome="pause"
            )
            assert delta == 3
            route = {"method": "GET", "route": "/api/v1/gate", "status": "200"}
            assert (
                _value(after, "scalegate_http_requests_total", **route)
                - _value(before, "scalegate_http_requests_total", **route)
                == 3
            )
            assert (
                _value(after, "scalegate_http_requests_total", method="GET", route="unmatched", status="404")
                >= 1
            )
            with scenario.workspace.read() as session:
                size = session.execute(text("SELECT size FROM audit_head WHERE id = 1")).scalar_one()
                files = session.execute(text("SELECT count(*) FROM evidence_blobs")).scalar_one()
            assert _value(after, "scalegate_audit_log_entries") == size
            assert files > 0 and _value(after, "scalegate_ingested_files_total") == files
            assert _value(after, "scalegate_ingested_bytes_total") > 0
            assert _value(after, "scalegate_audit_seconds_since_signed_tree_head") == float("inf")
            assert verify(scenario.workspace).checkpoint is not None  # signs a tree head now
            clock.advance(timedelta(seconds=90))
            signed = _value(client.get("/metrics").text, "scalegate_audit_seconds_since_signed_tree_head")
            assert signed == 90
    finally:
        scenario.workspace.close()


def test_every_answer_carries_a_request_id_and_one_json_log_line(
    minimal_ws: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        TestClient(create_app(minimal_ws, SETTINGS), raise_server_exceptions=False) as client,
        caplog.at_level(logging.INFO, logger="scalegate.access"),
    ):
        given = client.get("/healthz", headers={"X-Request-ID": "trace-42.a"})
        fresh = client.get("/api/v1/models/nope")
        forged = client.get("/healthz", headers={"X-Request-ID": "bad id\r\nx"})
        client.post("/report", data={"description": "x"})
    assert given.headers["x-request-id"] == "trace-42.a"
    assert fresh.status_code in (401, 404) and len(fresh.headers["x-request-id"]) == 32
    assert "error" in fresh.json()  # the one error shape, with the id in the header
    assert forged.headers["x-request-id"] != "bad id\r\nx" and len(forged.headers["x-request-id"]) == 32
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "scalegate.access"]
    first = lines[0]
    assert first["request_id"] == "trace-42.a" and first["status"] == 200 and first["route"] == "/healthz"
    assert first["level"] == "info" and first["duration_ms"] >= 0
    assert [line["request_id"] for line in lines[1:3]] == [
        fresh.headers["x-request-id"],
        forged.headers["x-request-id"],
    ]
    report = lines[3]
    assert report["path"] == "/report" and "testclient" not in json.dumps(report)  # no client address


@pytest.mark.parametrize("tls", [False, True])
def test_a_server_behind_tls_sends_hsts_and_secure_cookies(minimal_ws: Workspace, tls: bool) -> None:
    settings = WebSettings(session_secret="tls-test-" + "t" * 40, secure_cookies=tls)
    with TestClient(create_app(minimal_ws, settings), base_url="https://testserver") as client:
        page = client.get("/login")
    assert ("strict-transport-security" in page.headers) is tls
    if tls:
        assert page.headers["strict-transport-security"].startswith("max-age=31536000")
    cookie = page.headers["set-cookie"]
    assert ("secure" in cookie.lower()) is tls
