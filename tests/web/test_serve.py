"""`scalegate serve` starts uvicorn on the workspace and answers on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from scalegate.web.server import free_port
from scalegate.workspace import init_workspace
from tests.conftest import MINIMAL_POLICY

pytestmark = pytest.mark.slow


def test_serve_answers_health_on_loopback(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'scalegate.db'}"
    init_workspace(url, str(MINIMAL_POLICY)).close()
    port = free_port()
    exe = Path(sys.executable).with_name("scalegate")
    proc = subprocess.Popen(
        [str(exe), "--db", url, "serve", "--port", str(port), "--log-level", "warning"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ},
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "exited"
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.1)
        assert response.status_code == 200
        assert response.json()["policy_id"] == "test-minimal"
        assert response.headers["content-security-policy"].startswith("default-src 'self'")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert proc.returncode is not None


def test_serve_on_a_missing_workspace_fails_with_one_line(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("scalegate")
    result = subprocess.run(
        [str(exe), "--db", f"sqlite:///{tmp_path / 'none.db'}", "serve"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: no workspace at")
    assert result.stderr.count("\n") == 1
