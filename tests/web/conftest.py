"""Fixtures of the web tests: an app over a real workspace, and an HTTP client on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from scalegate.clock import FixedClock
from scalegate.web import WebSettings, create_app
from scalegate.web.limits import BodyLimit
from scalegate.workspace import Workspace, init_workspace
from tests.conftest import MINIMAL_POLICY

SETTINGS = WebSettings(
    session_secret="test-secret-" + "x" * 40, body_limit=BodyLimit(default=64 * 1024, upload=256 * 1024)
)
"""Small body limits so the limit tests need only small bodies."""

ALL_SLOW = {"test_schemathesis.py"}
"""Modules whose every test is marked slow and whose collection alone costs seconds (schemathesis reads the
OpenAPI document and makes one test per operation while collecting)."""


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """A run whose ``-m`` deselects slow tests (``make test-fast``) does not collect ``ALL_SLOW`` at all."""
    if collection_path.name not in ALL_SLOW or not config.option.markexpr:
        return None
    from _pytest.mark.expression import Expression

    return not Expression.compile(config.option.markexpr).evaluate(lambda name, **_: name == "slow") or None


@pytest.fixture
def minimal_ws(sqlite_url: str, clock: FixedClock) -> Iterator[Workspace]:
    """A SQLite workspace with the minimal test policy."""
    ws = init_workspace(sqlite_url, str(MINIMAL_POLICY), clock=clock)
    try:
        yield ws
    finally:
        ws.close()


@pytest.fixture
def app(minimal_ws: Workspace) -> FastAPI:
    return create_app(minimal_ws, SETTINGS)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
