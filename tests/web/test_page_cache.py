"""The model page and the trends page are kept in memory only while nothing they show can have changed.

A real workspace (on each backend) with a model, checkpoints and a real Inspect log, served by the real app
and read by a signed-in user through the login form. Each test checks one thing the kept page depends on:
the recorded state (an audited change), what the log does not record (an SQL edit of the stored policy, a
deleted evidence file), the time (the longest a page is kept, a clock set back), and the viewer (each user's
own name and buttons, a message shown once). ``PageCache`` itself is checked on its own at the end.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update

from scalegate.actor import Actor
from scalegate.clock import FixedClock
from scalegate.evidence.service import ingest_file
from scalegate.gate.cache import MAX_AGE
from scalegate.gate.seal import State
from scalegate.governance.identity import resolve_actor
from scalegate.governance.users import add_user
from scalegate.registry.service import create_model, create_run, register_checkpoint
from scalegate.registry.specs import CheckpointSpec
from scalegate.store.models.evidence import EvidenceBlobChunkRow, EvidenceRow
from scalegate.store.models.workspace import PolicyVersionRow
from scalegate.web import create_app
from scalegate.web.ui.page_cache import PageCache
from scalegate.workspace import Workspace
from tests.evidence.conftest import EVALUATOR
from tests.evidence.conftest import inspect_logs as inspect_logs  # the shared fixture
from tests.support.sql import counting
from tests.web.conftest import SETTINGS

PASSWORD = "correct horse battery staple"
PAGES = {"model": "/models/m1", "trends": "/trends?model=m1"}


@pytest.fixture
def served(workspace: Workspace, clock: FixedClock, inspect_logs: dict[str, Path]) -> Workspace:
    """Model ``m1`` with checkpoints c1 and c2, a real Inspect log on c2, and users: rita (RSO, may open a
    determination) and bob (board member, may only read)."""
    create_model(workspace, EVALUATOR, "m1", "fam", "evals team")
    create_run(workspace, EVALUATOR, "m1", "r1", algorithmic_multiplier=1.0)
    for name, flops in (("c1", 1e22), ("c2", 4e22)):
        clock.advance(timedelta(minutes=1))
        spec = CheckpointSpec(name=name, step=int(flops / 1e18), training_flops=flops, run="r1")
        register_checkpoint(workspace, EVALUATOR, "m1", spec)
    ingest_file(workspace, EVALUATOR, inspect_logs["success"], "m1@c2")
    add_user(workspace, Actor(name="root"), "root", admin=True, email="root@example.org", password=PASSWORD)
    root = resolve_actor(workspace, "root")
    add_user(workspace, root, "rita", roles=["rso"], email="rita@example.org", password=PASSWORD)
    add_user(workspace, root, "bob", roles=["board"], email="bob@example.org", password=PASSWORD)
    return workspace


def _client(app: object, user: str) -> TestClient:
    client = TestClient(app, raise_server_exceptions=False)  # type: ignore[arg-type]
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    response = client.post(
        "/login",
        data={"username": user, "password": PASSWORD, "csrf_token": token[1]},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:300]
    return client


@pytest.fixture
def rita(served: Workspace) -> Iterator[TestClient]:
    with _client(create_app(served, SETTINGS), "rita") as client:
        yield client


def _get(ws: Workspace, client: TestClient, path: str) -> tuple[str, int]:
    """The page's HTML and the statements the request sent to the store."""
    with counting(ws) as statements:
        response = client.get(path)
    assert response.status_code == 200, response.text[:500]
    return response.text, len(statements)


@pytest.mark.parametrize("page", list(PAGES))
def test_a_page_is_computed_once_while_the_state_holds(
    served: Workspace, rita: TestClient, page: str
) -> None:
    first, computed = _get(served, rita, PAGES[page])
    again, kept = _get(served, rita, PAGES[page])
    assert again == first
    assert "m1@c2" in first
    assert kept < computed / 2, (kept, computed)


@pytest.mark.parametrize("page", list(PAGES))
def test_an_audited_change_shows_on_the_next_request(
    served: Workspace, rita: TestClient, clock: FixedClock, page: str
) -> None:
    before, _ = _get(served, rita, PAGES[page])
    assert "m1@c3" not in before
    clock.advance(timedelta(minutes=1))
    spec = CheckpointSpec(name="c3", step=90_000, training_flops=9e22, run="r1")
    register_checkpoint(served, EVALUATOR, "m1", spec)
    after, _ = _get(served, rita, PAGES[page])
    assert "m1@c3" in after  # the new latest checkpoint is the one shown


def test_a_deleted_evidence_file_shows_on_the_next_request(served: Workspace, rita: TestClient) -> None:
    missing = "is missing from the store"
    before, _ = _get(served, rita, PAGES["model"])
    assert missing not in before
    with served.engine.begin() as conn:  # behind the log's back: no entry records it
        sha = conn.execute(select(EvidenceRow.sha256)).scalars().first()
        conn.execute(delete(EvidenceBlobChunkRow).where(EvidenceBlobChunkRow.sha256 == sha))
    after, _ = _get(served, rita, PAGES["model"])
    assert missing in after


@pytest.mark.parametrize("page", list(PAGES))
def test_an_sql_edit_of_the_stored_policy_is_not_served_from_memory(
    served: Workspace, rita: TestClient, page: str
) -> None:
    kept, _ = _get(served, rita, PAGES[page])
    with served.engine.begin() as conn:
        document = conn.execute(
            select(PolicyVersionRow.document).where(PolicyVersionRow.status == "active")
        ).scalar_one()
        conn.execute(
            update(PolicyVersionRow)
            .where(PolicyVersionRow.status == "active")
            .values(document={**document, "title": "edited"})
        )
    served.forget_policy()
    response = rita.get(PAGES[page])
    assert response.text != kept
    assert response.status_code == 500 and "policy_versions[1]" in response.text  # refused, not kept


def test_a_page_is_kept_no_longer_than_its_time_bound_and_not_across_a_clock_set_back(
    served: Workspace, rita: TestClient, clock: FixedClock
) -> None:
    path = PAGES["model"]
    _get(served, rita, path)
    kept = _get(served, rita, path)[1]
    clock.advance(MAX_AGE)
    assert _get(served, rita, path)[1] > 2 * kept  # computed afresh
    assert _get(served, rita, path)[1] == kept
    clock.advance(-timedelta(seconds=1))
    assert _get(served, rita, path)[1] > 2 * kept  # kept at a later time: not served earlier
    assert _get(served, rita, path)[1] == kept


def test_each_viewer_gets_their_own_name_and_buttons(served: Workspace) -> None:
    app = create_app(served, SETTINGS)
    open_form = 'action="/models/m1/determinations"'
    with _client(app, "rita") as rita, _client(app, "bob") as bob:
        for _ in range(2):  # computed for rita, then kept; rendered for each viewer, then kept for each
            as_rita, as_bob = rita.get(PAGES["model"]).text, bob.get(PAGES["model"]).text
            assert "<strong>rita</strong>" in as_rita and open_form in as_rita
            assert "<strong>bob</strong>" in as_bob and open_form not in as_bob
            tokens = [re.findall(r'X-CSRF-Token": "([^"]+)"', page) for page in (as_rita, as_bob)]
            assert all(len(t) == 1 for t in tokens) and tokens[0] != tokens[1]  # each session's own


def test_a_message_is_shown_once_on_a_kept_page(served: Workspace, rita: TestClient) -> None:
    rita.get(PAGES["model"])
    page = rita.get(PAGES["model"]).text
    token = re.search(r'X-CSRF-Token": "([^"]+)"', page)
    assert token is not None
    response = rita.post(
        "/models/m1/determinations",
        data={"checkpoint": "m1@c2", "csrf_token": token[1]},
        follow_redirects=False,
    )
    assert response.status_code == 303
    shown = rita.get(PAGES["model"]).text
    assert 'class="callout ok"' in shown or 'class="callout bad"' in shown
    later = rita.get(PAGES["model"]).text
    assert 'class="callout ok"' not in later and 'class="callout bad"' not in later


# -- PageCache on its own ----------------------------------------------------------------------------------

T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
STATE = State(10, "ab" * 32, "1:hash:doc", "1:10:1/1:10")


def test_page_cache_serves_an_answer_only_in_its_state_and_time() -> None:
    cache = PageCache()
    until = cache.put("q", STATE, "answer", T0, T0 + timedelta(hours=2))
    assert until == T0 + MAX_AGE  # capped
    assert cache.get("q", STATE, T0 + timedelta(minutes=5)) == ("answer", until)
    for other in (
        State(11, "cd" * 32, STATE.policy_digest, STATE.blob_state),  # another audit root
        State(STATE.audit_size, STATE.audit_leaf, "2:other:doc", STATE.blob_state),  # another policy
        State(STATE.audit_size, STATE.audit_leaf, STATE.policy_digest, "1:10:1/1:9"),  # a truncated file
    ):
        cache.put("q", STATE, "answer", T0, None)
        assert cache.get("q", other, T0) is None
        assert cache.get("q", STATE, T0) is None  # a miss forgets the answer
    cache.put("q", STATE, "answer", T0, T0 + timedelta(minutes=10))
    assert cache.get("q", STATE, T0 + timedelta(minutes=10)) is None  # its own bound
    cache.put("q", STATE, "answer", T0, None)
    assert cache.get("q", STATE, T0 - timedelta(seconds=1)) is None  # before it was computed
    assert cache.put("q", STATE, "answer", T0, T0) is None  # already over: not kept
    unknown = State(STATE.audit_size, STATE.audit_leaf, "", STATE.blob_state)  # no single active policy
    assert cache.put("q", unknown, "answer", T0, None) is None
    assert cache.get("q", unknown, T0) is None


def test_page_cache_keeps_the_most_recently_used_answers() -> None:
    cache = PageCache(size=2)
    for key in ("a", "b"):
        cache.put(key, STATE, key, T0, None)
    assert cache.get("a", STATE, T0) is not None
    cache.put("c", STATE, "c", T0, None)
    assert cache.get("b", STATE, T0) is None
    assert cache.get("a", STATE, T0) is not None and cache.get("c", STATE, T0) is not None
