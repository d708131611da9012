"""Running the app with uvicorn, shared by ``scalegate serve``, the demo, the browser tests and the bench.

The access log never shows who filed an anonymous noncompliance report: lines for the intake paths are dropped
before they are written (the report itself stores no identity, and the log must not add one back).

``serve_workers`` runs N worker processes behind one listening socket (uvicorn's supervisor, which restarts a
worker that dies). The workers share nothing but the store: the workspace URL and the key that signs session
cookies reach them through the environment (a key drawn at start when ``SCALEGATE_SESSION_SECRET`` is unset,
so a browser session opened on one worker is honoured by every other), and every other piece of state a
request depends on (server sessions, the sign-in throttle, the audit log's size that versions the answer
caches) is read from the store. Several hosts over one PostgreSQL are the same case with the secret set.

On SIGTERM (or Ctrl-C) uvicorn stops accepting connections, lets the requests in flight finish (a write in
flight commits and is answered) for up to ``GRACEFUL_SECONDS``, then exits.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from typing import Any

import uvicorn
from fastapi import FastAPI

from scalegate.web import create_app
from scalegate.web.request_log import logging_config

__all__ = [
    "ANONYMOUS_PATHS",
    "GRACEFUL_SECONDS",
    "BackgroundServer",
    "free_port",
    "serve_app",
    "serve_workers",
    "uvicorn_config",
    "worker_app",
]

ANONYMOUS_PATHS = ("/report", "/api/v1/noncompliance/reports")
"""Paths whose requests must leave no trace of the caller (client address) in any log."""

GRACEFUL_SECONDS = 30
"""On shutdown, how long requests in flight may take to finish before their connections are closed."""

WORKER_START_SECONDS = 120
"""How long a worker may take to start or to answer the supervisor's health check before it is replaced
(uvicorn's 5 s replaces workers that are merely slow to import on a busy machine, over and over)."""

_URL_ENV = "SCALEGATE_DATABASE_URL"
_SECRET_ENV = "SCALEGATE_SESSION_SECRET"
_METRICS_ENV = "PROMETHEUS_MULTIPROC_DIR"


class _DropAnonymous(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        path = str(args[2]) if len(args) > 2 else ""
        return not path.split("?", 1)[0].startswith(ANONYMOUS_PATHS)


def uvicorn_config(
    app: FastAPI, *, host: str, port: int, log_level: str = "info", **extra: Any
) -> uvicorn.Config:
    """A uvicorn configuration for the app (one process; the workspace's engine is shared by its threads)."""
    _drop_anonymous()
    extra.setdefault("timeout_graceful_shutdown", GRACEFUL_SECONDS)
    extra.setdefault("log_config", logging_config(log_level))  # JSON lines, one per request with its id
    return uvicorn.Config(app, host=host, port=port, log_level=log_level, proxy_headers=False, **extra)


def _drop_anonymous() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, _DropAnonymous) for f in access.filters):
        access.addFilter(_DropAnonymous())


def serve_app(app: FastAPI, *, host: str, port: int, log_level: str = "info") -> None:
    """Serve until interrupted."""
    uvicorn.Server(uvicorn_config(app, host=host, port=port, log_level=log_level)).run()


def serve_workers(url: str, *, host: str, port: int, workers: int, log_level: str = "info") -> None:
    """Serve the workspace at ``url`` from ``workers`` processes on one socket until interrupted."""
    os.environ[_URL_ENV] = url
    if not os.environ.get(_SECRET_ENV):  # one key for all workers, so each honours the others' cookies
        os.environ[_SECRET_ENV] = secrets.token_urlsafe(48)
    if not os.environ.get(_METRICS_ENV):  # every worker counts into files there; /metrics adds them up
        import tempfile

        os.environ[_METRICS_ENV] = tempfile.mkdtemp(prefix="scalegate-metrics-")

    uvicorn.run(
        f"{__name__}:worker_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        proxy_headers=False,
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
        timeout_worker_healthcheck=WORKER_START_SECONDS,
        log_config=dict(logging_config(log_level)),  # uvicorn types the document as a plain dict
    )


def worker_app() -> FastAPI:
    """The app of one worker process of ``serve_workers`` (uvicorn calls it in each worker)."""
    _drop_anonymous()  # in this process: the supervisor's filters do not cross into its workers
    return create_app(os.environ[_URL_ENV])


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free right now on ``host``."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class BackgroundServer:
    """uvicorn serving an app in a thread of this process (tests and the demo); ``url`` once started."""

    def __init__(self, app: FastAPI, host: str = "127.0.0.1", port: int | None = None, **extra: Any) -> None:
        self.host, self.port = host, port or free_port(host)
        self.server = uvicorn.Server(
            uvicorn_config(app, host=self.host, port=self.port, log_level="warning", **extra)
        )
        self.thread = threading.Thread(target=self.server.run, name="scalegate-web", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 20.0) -> BackgroundServer:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"web server did not start on {self.url}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
