"""schemathesis over the OpenAPI document: generated requests to every API operation never get a 5xx, and
every error they get has the one error shape. Runs in-process against the ASGI app over the dashboard
scenario, as the RSO (a token holding the broadest set of permissions) and as nobody, with a bounded number
of examples.

The scenario is built by a module-scoped fixture when the first test here runs, so collecting the suite (or
running any other test) does not pay for it."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from scalegate.clock import FixedClock
from scalegate.web import WebSettings, create_app
from scalegate.web.api.meta import with_security
from scalegate.workspace import init_workspace
from tests.support.templates import SqliteTemplate
from tests.web.scenario import build
from tests.web.test_errors import assert_error_shape

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory, sqlite_template: SqliteTemplate) -> Iterator[Any]:
    """The app over the dashboard scenario, built once for this module (never at collection time)."""
    from scalegate.governance.notifications import InMemoryNotifier
    from scalegate.governance.users import create_token

    tmp = tmp_path_factory.mktemp("schemathesis")
    scenario = build(
        sqlite_template.url_at(tmp / "scalegate.db"),
        FixedClock(datetime(2025, 6, 1, 12, tzinfo=UTC)),
        tmp,
        InMemoryNotifier(),
    )
    token = create_token(scenario.workspace, scenario.people["rita"], name="fuzz", scopes=["*"]).secret
    app = create_app(scenario.workspace, WebSettings(session_secret="f" * 48, notifier=InMemoryNotifier()))
    app.state.fuzz_token = token
    try:
        yield app
    finally:
        scenario.workspace.close()


def _openapi_document() -> dict[str, Any]:
    """The API's OpenAPI document, from an app over a throwaway empty workspace.

    schemathesis makes one test per operation at collection time, so it needs the document then; the document
    comes from the routes alone (``test_the_fuzzed_app_serves_the_collected_document`` checks the scenario's
    app serves the same one), which costs a second instead of building the scenario during collection.
    """
    with tempfile.TemporaryDirectory(prefix="scalegate-openapi-") as tmp:
        workspace = init_workspace(f"sqlite:///{tmp}/scalegate.db", "anthropic-rsp-2.2")
        try:
            app = create_app(workspace, WebSettings(session_secret="f" * 48))
            document: dict[str, Any] = with_security(app.openapi())  # as GET /api/v1/openapi.json serves it
        finally:
            workspace.close()
    return document


DOCUMENT = _openapi_document()
schema = schemathesis.openapi.from_dict(DOCUMENT)


def test_the_fuzzed_app_serves_the_collected_document(fuzz_app: Any) -> None:
    from fastapi.testclient import TestClient

    with TestClient(fuzz_app) as client:
        assert client.get("/api/v1/openapi.json").json() == DOCUMENT


FUZZ = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)


def check(case: Any, app: Any, headers: dict[str, str]) -> None:
    """No 5xx, and every 4xx in the one error shape."""
    response = case.call(app=app, headers=headers)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}"
    )
    if response.status_code >= 400:
        assert_error_shape(response.json(), response.json()["error"]["code"])


@schema.parametrize()
@FUZZ
def test_as_the_rso_no_server_error_and_one_error_shape(case: Any, fuzz_app: Any) -> None:
    check(case, fuzz_app, {"Authorization": f"Bearer {fuzz_app.state.fuzz_token}"})


@schema.parametrize()
@FUZZ
def test_as_nobody_no_server_error_and_one_error_shape(case: Any, fuzz_app: Any) -> None:
    check(case, fuzz_app, {})
