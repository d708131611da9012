"""The dashboard shows each role what it may act on, and nothing it may not: the Board reads a material-risk
report routed to the RSO but gets no transition buttons (the server would refuse them); the menu links the
noncompliance page for those who may read it; the audit page names the commands that verify offline."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from scalegate.actor import Actor
from scalegate.clock import FixedClock
from scalegate.web import create_app
from scalegate.workspace import Workspace, init_workspace
from tests.support.signing import PASSWORD
from tests.web.conftest import SETTINGS

PEOPLE = {"rita": ["rso"], "bea": ["board"], "eve": ["evaluator"]}


@pytest.fixture
def rsp_ws(sqlite_url: str, clock: FixedClock) -> Iterator[Workspace]:
    from scalegate.governance.identity import resolve_actor
    from scalegate.governance.noncompliance import report
    from scalegate.governance.users import add_user

    workspace = init_workspace(sqlite_url, "anthropic-rsp-2.2", clock=clock)
    add_user(workspace, Actor(name="root"), "root", admin=True, email="root@example.org", password=PASSWORD)
    admin = resolve_actor(workspace, "root")
    for name, roles in PEOPLE.items():
        add_user(workspace, admin, name, roles=roles, email=f"{name}@example.org", password=PASSWORD)
    report(workspace, description="results shared before review", material_risk=True)
    try:
        yield workspace
    finally:
        workspace.close()


def _client(workspace: Workspace, user: str) -> TestClient:
    client = TestClient(create_app(workspace, SETTINGS), raise_server_exceptions=False)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    signed = client.post("/login", data={"username": user, "password": PASSWORD, "csrf_token": token[1]})
    assert signed.status_code < 400, signed.text[:300]
    return client


def test_the_board_reads_a_report_routed_to_the_rso_without_transition_buttons(rsp_ws: Workspace) -> None:
    with _client(rsp_ws, "bea") as board:
        page = board.get("/noncompliance")
        assert page.status_code == 200
        assert "results shared before review" in page.text and "routed to rso" in page.text
        assert "/transition" not in page.text and "Move to" not in page.text
        assert 'href="/noncompliance" aria-current="page"' in page.text
    with _client(rsp_ws, "rita") as rso:
        page = rso.get("/noncompliance")
        assert "/transition" in page.text and "Move to investigating" in page.text


def test_the_menu_links_noncompliance_only_for_those_who_may_read_it(rsp_ws: Workspace) -> None:
    with _client(rsp_ws, "rita") as rso:
        assert 'href="/noncompliance"' in rso.get("/calendar").text
    with _client(rsp_ws, "eve") as evaluator:
        page = evaluator.get("/thresholds")
        assert page.status_code == 200
        assert 'href="/noncompliance"' not in page.text and 'href="/report"' in page.text


def test_the_audit_page_names_the_offline_verification_commands(rsp_ws: Workspace) -> None:
    with _client(rsp_ws, "rita") as rso:
        fragment = rso.get("/audit/verification")
        assert fragment.status_code == 200, fragment.text[:300]
        text = fragment.text
        assert "scalegate audit export DIR" in text and "verify_offline.py DIR --public-key" in text
        assert "scalegate audit keys public" in text
