"""Shared fixtures: workspaces on a real SQLite file and a real PostgreSQL server; a controllable clock."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scalegate import wiring
from scalegate.clock import FixedClock
from scalegate.workspace import Workspace, init_workspace
from tests.support.templates import SqliteTemplate, create_database, drop_database, migrate_postgres_template

FIXTURES = Path(__file__).parent / "fixtures"
MINIMAL_POLICY = FIXTURES / "policies" / "minimal.yaml"

wiring.install()  # the governance hooks, as every door installs them when it opens a workspace


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that reaches the PostgreSQL server is marked ``postgres``, so ``-m "not postgres"`` (the
    fast lane) never starts one; ``db_url``'s PostgreSQL parameter carries the mark itself."""
    for item in items:
        if "postgres_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


def _no_silent_skip(report: pytest.TestReport | pytest.CollectReport) -> None:
    """Turn a skip into a failure that gives the skip's reason."""
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped, and this suite does not skip silently: {reason}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    """A skipped test fails: a check that cannot run (a missing tool, file or package) must say so loudly, or
    CI goes green without it. Leave a test out with ``-m`` instead; ``make system-deps venv`` installs
    everything the suite needs."""
    report: pytest.TestReport = yield
    _no_silent_skip(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Iterator[pytest.CollectReport]:
    """A module that skips itself at import (``pytest.importorskip``) fails the same way."""
    report: pytest.CollectReport = yield
    _no_silent_skip(report)
    return report


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """Admin URL of a real PostgreSQL server on loopback, started for this test session."""
    preset = os.environ.get("SCALEGATE_TEST_PG_URL")
    if preset:
        yield preset
        return
    from tests.support.postgres import PostgresServer

    server = PostgresServer()
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplate:
    """A SQLite store migrated once for the session; ``url_at(path)`` copies it to ``path``."""
    return SqliteTemplate(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def postgres_template(postgres_url: str) -> Iterator[str]:
    """URL of a PostgreSQL database migrated once for the session, cloned by each test's ``db_url``."""
    url = migrate_postgres_template(postgres_url)
    yield url
    if os.environ.get("SCALEGATE_TEST_PG_URL"):  # a server of our own is deleted whole at the end
        drop_database(postgres_url, url)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh store on each backend, its schema already at head (cloned from the session's template)."""
    if request.param == "sqlite":
        template: SqliteTemplate = request.getfixturevalue("sqlite_template")
        return template.url_at(tmp_path / "scalegate.db")
    return create_database(
        request.getfixturevalue("postgres_url"), request.getfixturevalue("postgres_template")
    )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty store on each backend: for the tests of the migrations themselves."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'scalegate.db'}"
    return create_database(request.getfixturevalue("postgres_url"))


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: SqliteTemplate) -> str:
    """A fresh SQLite store at head (for tests that exercise a door rather than the store)."""
    return sqlite_template.url_at(tmp_path / "scalegate.db")


@pytest.fixture
def clock() -> FixedClock:
    """A clock standing at 2025-06-01T12:00Z until moved."""
    return FixedClock(datetime(2025, 6, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
def workspace(db_url: str, clock: FixedClock) -> Iterator[Workspace]:
    """A workspace with the minimal test policy, on each backend."""
    ws = init_workspace(db_url, str(MINIMAL_POLICY), clock=clock)
    try:
        yield ws
    finally:
        ws.close()
