"""Pages that page: a window of checkpoints, the audit log and the evidence lists are read a page at a time
from the store, with a total and a way to the next page, and long trend series are drawn downsampled."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from scalegate.actor import Actor
from scalegate.assessment.forecast import ForecastPoint
from scalegate.audit.entries import page
from scalegate.clock import FixedClock
from scalegate.governance.identity import resolve_actor
from scalegate.governance.users import add_user, create_token
from scalegate.registry.lookup import checkpoint_window
from scalegate.registry.service import create_model, create_run, register_checkpoints
from scalegate.registry.specs import CheckpointSpec
from scalegate.safeguards.service import add_evidence
from scalegate.web import create_app
from scalegate.web.ui.trends import downsample
from scalegate.workspace import Workspace
from tests.web.conftest import SETTINGS

PASSWORD = "correct horse battery staple"


@pytest.fixture
def root(minimal_ws: Workspace) -> Actor:
    add_user(minimal_ws, Actor(name="root"), "root", admin=True, roles=["rso"], password=PASSWORD)
    return resolve_actor(minimal_ws, "root")


@pytest.fixture
def api(minimal_ws: Workspace, root: Actor) -> Iterator[tuple[TestClient, dict[str, str]]]:
    issued = create_token(minimal_ws, root, name="t", scopes=["*"])
    with TestClient(create_app(minimal_ws, SETTINGS), raise_server_exceptions=False) as client:
        yield client, {"Authorization": f"Bearer {issued.secret}"}


@pytest.fixture
def family(minimal_ws: Workspace, root: Actor, clock: FixedClock) -> list[str]:
    """Model ``m`` with 7 checkpoints c0..c6, recorded an hour apart (c6 the newest)."""
    create_model(minimal_ws, root, "m", "f", "evals team")
    create_run(minimal_ws, root, "m", "r", algorithmic_multiplier=1.0)
    start = clock.now() - timedelta(hours=10)
    specs = [
        (None, CheckpointSpec(name=f"c{i}", step=i, training_flops=1e21 * 2**i, run="r",
                              recorded_at=start + timedelta(hours=i)))
        for i in range(7)
    ]  # fmt: skip
    register_checkpoints(minimal_ws, root, "m", specs)
    return [f"c{i}" for i in range(7)]


def test_a_window_of_checkpoints_is_read_by_page_or_around_a_checkpoint(
    minimal_ws: Workspace, family: list[str]
) -> None:
    with minimal_ws.read() as session:
        first = checkpoint_window(session, "m", size=3)
        assert [e.name for e in first.entries] == ["c6", "c5", "c4"]
        assert (first.total, first.page, first.pages, first.newer, first.older) == (7, 1, 3, None, 2)
        last = checkpoint_window(session, "m", size=3, page=99)  # past the end: the last page
        assert [e.name for e in last.entries] == ["c0"] and last.older is None and last.newer == 2
        around = checkpoint_window(session, "m", size=3, around="c2")
        assert around.page == 2 and "c2" in [e.name for e in around.entries]
        assert checkpoint_window(session, "m", size=3, around="nope").page == 1
        assert checkpoint_window(session, "m", page=2, size=3, around="c0").page == 2  # page wins


def test_the_model_trends_and_threshold_pages_link_older_and_newer_windows(
    minimal_ws: Workspace, root: Actor, family: list[str]
) -> None:
    with TestClient(create_app(minimal_ws, SETTINGS)) as client:
        form = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert form is not None
        client.post("/login", data={"username": "root", "password": PASSWORD, "csrf_token": form[1]})
        model = client.get("/models/m?size=2").text
        assert "checkpoint c6" in model and "of 7, newest first (window 1 of 4)" in model
        assert 'href="/models/m?checkpoint=c6&amp;size=2&amp;page=2">Older' in model
        assert 'value="c5"' in model and 'value="c4"' not in model
        old = client.get("/models/m?checkpoint=c1&size=2").text
        assert "checkpoint c1" in old and "window 3 of 4" in old and ">Newer<" in old
        trends = client.get("/trends?model=m&size=2&page=4").text
        assert "window 4 of 4" in trends and ">c0</a>" in trends and ">c6<" not in trends
        heat = client.get("/thresholds?model=m&size=2&page=2").text
        assert "window 2 of 4" in heat and re.findall(r"checkpoint=(c\d)", heat) == ["c3", "c4"]


def test_the_audit_log_pages_by_keyset_with_a_total_of_the_filtered_entries(
    minimal_ws: Workspace, family: list[str], api: tuple[TestClient, dict[str, str]]
) -> None:
    everything = page(minimal_ws, limit=10_000)
    seen: list[int] = []
    before = None
    while True:
        found = page(minimal_ws, limit=3, before=before)
        assert found.total == found.size == everything.size
        seen += [e.seq for e in found.entries]
        if found.next_before is None:
            break
        before = found.next_before
    assert seen == [e.seq for e in everything.entries] == sorted(seen, reverse=True)
    events = {e.event for e in everything.entries}
    event = "model.created" if "model.created" in events else sorted(events)[0]
    filtered = page(minimal_ws, event=event)
    assert filtered.total == sum(e.event == event for e in everything.entries) < filtered.size
    client, headers = api
    body = client.get("/api/v1/audit/entries?limit=2", headers=headers).json()
    assert len(body["entries"]) == 2 and body["next_before"] == body["entries"][-1]["seq"]
    older = client.get(f"/api/v1/audit/entries?limit=2&before={body['next_before']}", headers=headers).json()
    assert older["entries"][0]["seq"] == body["next_before"] - 1


def test_safeguard_evidence_pages_with_a_total_and_a_next_link(
    minimal_ws: Workspace, root: Actor, api: tuple[TestClient, dict[str, str]]
) -> None:
    add_user(minimal_ws, root, "sol", roles=["security"], password=PASSWORD)
    sol = resolve_actor(minimal_ws, "sol")
    ids = [
        add_evidence(minimal_ws, sol, "l2-sec-vendor", title=f"e{n}", kind="link", uri=f"https://x/{n}").id
        for n in range(5)
    ]
    client, headers = api
    seen: list[int] = []
    url: str | None = "/api/v1/safeguards/evidence?limit=2"
    while url is not None:
        response = client.get(url, headers=headers)
        assert response.status_code == 200 and response.headers["X-Total-Count"] == "5"
        seen += [e["id"] for e in response.json()]
        link = re.match(r'<([^>]+)>; rel="next"', response.headers.get("Link", ""))
        url = link[1] if link else None
        assert len(seen) <= 5
    assert seen == ids[::-1]
    evidence = client.get("/api/v1/evidence?limit=1", headers=headers)
    assert evidence.status_code == 200 and evidence.headers["X-Total-Count"] == "0"
    assert evidence.json() == [] and "Link" not in evidence.headers


def _points(estimates: list[float]) -> list[ForecastPoint]:
    return [ForecastPoint(f"m@c{i}", 10.0 ** (20 + i / 100), y) for i, y in enumerate(estimates)]


def test_downsampling_keeps_the_extremes_the_crossings_and_the_current_checkpoint() -> None:
    short = _points([0.1, 0.2, 0.3])
    assert downsample(short, 10, (0.5,), None) == short
    estimates = [0.2 + 0.001 * (i % 7) for i in range(1000)]
    estimates[400], estimates[401] = 0.9, 0.1  # a spike over the alert value, then the lowest point
    estimates[999] = 0.25
    points = _points(estimates)
    drawn = downsample(points, 50, (0.5, None), "m@c123")
    refs = [p.checkpoint for p in drawn]
    assert len(drawn) <= 52 and refs == sorted(refs, key=lambda r: int(r.split("@c")[1]))
    for kept in ("m@c0", "m@c999", "m@c123", "m@c399", "m@c400", "m@c401"):
        assert kept in refs, kept
