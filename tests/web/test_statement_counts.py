"""The SQL statements of a page, an assessment and a report do not grow with the number of checkpoints.

Two families, one of 5 and one of 25 checkpoints, every checkpoint carrying a real Inspect log and an lm-eval
results file for the two indicators of the minimal policy (the fixture of the assessment's statement-count
test). For the latest checkpoint of each family, the model page and the trends page (over HTTP, logged in as
a user), the threshold heat map over windows of three and four checkpoints, ``assess`` with forecasts, and
the Capability Report's data (``capability_data``) are each counted with SQLAlchemy's
``before_cursor_execute`` event, first with nothing kept (the family's series read and fitted) and then
again (the fits kept under the unchanged audit root).

The counts must be equal at both sizes: a page that listed every checkpoint, or a forecast read per
checkpoint, would add statements per checkpoint and fail here. A page of an older window is counted too, since
finding a window must not walk the family either.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from scalegate.actor import Actor
from scalegate.assessment.forecast import clear_forecast_cache
from scalegate.assessment.service import assess
from scalegate.governance.identity import resolve_actor
from scalegate.governance.users import add_user
from scalegate.reports.capability import capability_data
from scalegate.web import create_app
from scalegate.workspace import Workspace
from tests.assessment.test_statement_counts import SIZES, bio_logs, families
from tests.evidence.conftest import inspect_logs as inspect_logs  # the shared fixture
from tests.support.sql import counting
from tests.web.conftest import SETTINGS

pytestmark = pytest.mark.slow

__all__ = ["bio_logs", "families"]  # fixtures used here, imported from the assessment's test

PASSWORD = "correct horse battery staple"
MAX_STATEMENTS = 100


def _cold_warm(ws: Workspace, call: Callable[[], object]) -> tuple[int, int]:
    """Statements of ``call`` with nothing kept, then of a second call."""
    clear_forecast_cache()
    with counting(ws) as cold:
        call()
    with counting(ws) as warm:
        call()
    return len(cold), len(warm)


def _get(client: TestClient, path: str, expect: str) -> Callable[[], object]:
    def call() -> object:
        response = client.get(path)
        assert response.status_code == 200, response.text[:500]
        assert expect in response.text, path
        return response

    return call


@pytest.fixture
def client(families: Workspace) -> Iterator[TestClient]:
    """A client logged in as a user holding the RSO role (any role that may read assessments would do)."""
    add_user(families, Actor(name="root"), "root", admin=True, email="root@example.org", password=PASSWORD)
    root = resolve_actor(families, "root")
    add_user(families, root, "rita", roles=["rso"], email="rita@example.org", password=PASSWORD)
    with TestClient(create_app(families, SETTINGS), raise_server_exceptions=False) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert token is not None
        client.post("/login", data={"username": "rita", "password": PASSWORD, "csrf_token": token[1]})
        yield client


def test_pages_assess_and_report_cost_the_same_statements_at_5_and_25_checkpoints(
    families: Workspace, client: TestClient
) -> None:
    counts: dict[str, dict[int, tuple[int, int]]] = {}
    for size in SIZES:
        model, latest = f"m{size}", f"m{size}@c{size - 1}"
        figures = {
            "model page": _get(client, f"/models/{model}", f"checkpoint c{size - 1}"),
            "model page, older window": _get(client, f"/models/{model}?checkpoint=c0&size=2", "Newer"),
            "trends page": _get(client, f"/trends?model={model}", 'data-chart="chart-1"'),
            "trends page, older window": _get(client, f"/trends?model={model}&checkpoint=c0&size=2", "Newer"),
            "heat map, window of 3": _get(client, f"/thresholds?model={model}&size=3", "window 1 of"),
            "heat map, window of 4": _get(client, f"/thresholds?model={model}&size=4", "window 1 of"),
            "assess": lambda latest=latest: assess(families, latest),  # type: ignore[misc]
            "capability_data": lambda latest=latest: capability_data(families, latest),  # type: ignore[misc]
        }
        for name, call in figures.items():
            counts.setdefault(name, {})[size] = _cold_warm(families, call)
    print("statements (cold, warm) per family size:", counts)
    small, big = SIZES
    for name, by_size in counts.items():
        assert by_size[big] == by_size[small], f"{name}: statements grow with the family: {counts}"
        assert max(by_size[big]) <= MAX_STATEMENTS, f"{name}: {counts}"
    # the heat map's columns are assessed together: a wider window reads more rows, not more statements
    assert counts["heat map, window of 4"] == counts["heat map, window of 3"], counts
