"""SIGTERM during a write: `scalegate serve --workers 2` finishes the write in flight, answers it, and exits.

The write is held in flight deterministically: the test itself holds the store's write lock (SQLite's
``BEGIN IMMEDIATE``, PostgreSQL's writer lock) while the request arrives, sends SIGTERM to the server, checks
that no new connection is served, then lets go. The request must then be answered with success and its
change be in the store, with the log verifying; the server exits 0.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, select, text

from scalegate.actor import Actor
from scalegate.audit.verify import verify
from scalegate.governance.identity import resolve_actor
from scalegate.governance.users import add_user, create_token
from scalegate.store.models.registry import ModelRow
from scalegate.store.write_lock import WRITE_LOCK_KEY
from scalegate.web.server import free_port
from scalegate.workspace import Workspace, init_workspace
from tests.conftest import MINIMAL_POLICY

pytestmark = pytest.mark.slow

PASSWORD = "a long enough password for the test"


@contextmanager
def _write_lock(url: str) -> Iterator[None]:
    """Hold the store's write lock as another writer would, until the block ends."""
    if url.startswith("sqlite:///"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None, timeout=30)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})"))
            yield
            conn.rollback()
    finally:
        engine.dispose()


def _wait_up(proc: subprocess.Popen[bytes], port: int, timeout: float = 95) -> None:
    """Poll the health route until the server answers. Two worker processes each import the whole app: on
    a two-core machine under load that takes most of a minute, and the rest of the test about ten seconds,
    so the wait is bounded to keep the test within its 120 s."""
    deadline = time.monotonic() + timeout
    while True:
        assert proc.poll() is None, (proc.stderr.read() if proc.stderr else b"").decode()[-2000:]
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.2)


@pytest.fixture
def wall_clock_ws(db_url: str) -> Iterator[Workspace]:
    """A workspace on the system clock, like the server's (a token's expiry is then the server's time)."""
    ws = init_workspace(db_url, str(MINIMAL_POLICY))
    try:
        yield ws
    finally:
        ws.close()


def test_a_write_in_flight_during_sigterm_is_committed_and_answered(
    wall_clock_ws: Workspace, tmp_path: Path
) -> None:
    workspace = wall_clock_ws
    add_user(workspace, Actor(name="root"), "root", admin=True, password=PASSWORD)
    root = resolve_actor(workspace, "root")
    add_user(workspace, root, "rita", roles=["rso"], password=PASSWORD, approver_password=PASSWORD)
    token = create_token(workspace, resolve_actor(workspace, "rita"), name="t", scopes=["*"]).secret
    port = free_port()
    env = {**os.environ, "SCALEGATE_AUDIT_KEY_DIR": str(tmp_path / "keys")}
    env.pop("SCALEGATE_NOW", None)
    exe = Path(sys.executable).with_name("scalegate")
    argv = [str(exe), "--db", workspace.url, "serve", "--port", str(port), "--workers", "2"]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    answers: list[httpx.Response | Exception] = []

    def write() -> None:
        try:
            answers.append(
                httpx.post(
                    f"http://127.0.0.1:{port}/api/v1/models",
                    json={"name": "in-flight", "family": "fam", "owner": "lab"},
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=30,
                )
            )
        except Exception as exc:  # the assertion below says what it was
            answers.append(exc)

    try:
        _wait_up(proc, port)
        with _write_lock(workspace.url):
            writer = threading.Thread(target=write)
            writer.start()
            time.sleep(3)  # the request reaches a worker and waits for the lock
            assert not answers, answers
            proc.send_signal(signal.SIGTERM)
            time.sleep(2)
            with pytest.raises(httpx.TransportError):  # no new request is served once shutting down
                httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=3)
            assert not answers, answers
        writer.join(timeout=30)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert len(answers) == 1 and isinstance(answers[0], httpx.Response), answers
    assert answers[0].status_code == 201, answers[0].text
    with workspace.read() as session:
        assert session.execute(select(ModelRow.name).where(ModelRow.name == "in-flight")).scalar_one()
    report = verify(workspace, checkpoint=False)
    assert report.ok, [p.line() for p in report.problems]
