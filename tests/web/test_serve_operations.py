"""Operations of a real ``scalegate serve --workers 2``: every scrape of ``/metrics`` counts the requests of
both worker processes (prometheus_client's multiprocess mode), and each request leaves one JSON log line on
the server's stderr carrying the id the caller sees in ``X-Request-ID``."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from scalegate.web.server import free_port
from scalegate.workspace import init_workspace

pytestmark = pytest.mark.slow

REQUESTS = 40


def _healthz_count(body: str) -> float:
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            if sample.name == "scalegate_http_requests_total" and sample.labels.get("route") == "/healthz":
                return sample.value
    return 0.0


def test_two_workers_are_counted_together_and_log_json_lines(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'scalegate.db'}"
    init_workspace(url).close()
    port = free_port()
    exe = Path(sys.executable).with_name("scalegate")
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        [str(exe), "--db", url, "serve", "--port", str(port), "--workers", "2"], stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90  # two workers import the whole app
        while True:
            assert server.poll() is None, (tmp_path / "server.log").read_text()[-2000:]
            try:
                if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
        ids = []
        for i in range(REQUESTS):  # a new connection each time, so both workers answer some
            answer = httpx.get(f"{base}/healthz", headers={"X-Request-ID": f"probe-{i}"})
            assert answer.status_code == 200 and answer.headers["x-request-id"] == f"probe-{i}"
            ids.append(f"probe-{i}")
        counts = {_healthz_count(httpx.get(f"{base}/metrics").text) for _ in range(10)}
        assert counts == {float(REQUESTS)}  # the same total whichever worker answers the scrape
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()
    lines = [
        json.loads(line)
        for line in (tmp_path / "server.log").read_text().splitlines()
        if line.startswith("{")
    ]
    access = [line for line in lines if line.get("logger") == "scalegate.access"]
    assert sorted(line["request_id"] for line in access if line["route"] == "/healthz") == sorted(ids)
    assert all(
        line["status"] == 200 and line["method"] == "GET" for line in access if line["route"] == "/healthz"
    )
