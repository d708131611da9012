"""A password typed to sign is a guess like a sign-in's: over real HTTP, wrong signing passwords are counted
against the signer and end in 429 with Retry-After, even for the right password, and nothing is signed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from scalegate.clock import FixedClock
from scalegate.governance.login_throttle import ThrottleSettings
from scalegate.governance.users import create_token
from scalegate.store.models.governance import SignatureRow
from scalegate.web import WebSettings, create_app
from scalegate.web.server import BackgroundServer
from tests.web.scenario import PASSWORD, Scenario, build

pytestmark = pytest.mark.slow

PER_USER = 3


@pytest.fixture
def scenario(tmp_path: Path, clock: FixedClock) -> Iterator[Scenario]:
    s = build(f"sqlite:///{tmp_path / 'scalegate.db'}", clock, tmp_path)
    try:
        yield s
    finally:
        s.workspace.close()


@pytest.fixture
def base(scenario: Scenario) -> Iterator[str]:
    settings = WebSettings(
        session_secret="signing-throttle-" + "s" * 40, login_throttle=ThrottleSettings(per_user=PER_USER)
    )
    with BackgroundServer(create_app(scenario.workspace, settings)) as server:
        yield server.url


def test_wrong_signing_passwords_are_throttled_like_sign_ins(scenario: Scenario, base: str) -> None:
    token = create_token(scenario.workspace, scenario.people["rita"], name="t", scopes=["*"]).secret
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{base}/api/v1/decisions/{scenario.determination_id}/signatures"

    def sign(password: str) -> httpx.Response:
        body = {"role": "rso", "approve": True, "justification": "read it", "password": password}
        return httpx.post(url, json=body, headers=headers, timeout=60)

    wrong = [sign(f"guess number {i}") for i in range(PER_USER)]
    assert [r.status_code for r in wrong] == [403] * PER_USER
    assert all("wrong password" in r.json()["error"]["message"] for r in wrong)
    refused = sign(PASSWORD)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "too_many_requests"
    assert int(refused.headers["Retry-After"]) > 0
    with scenario.workspace.read() as session:
        signed = session.execute(
            select(func.count())
            .select_from(SignatureRow)
            .where(SignatureRow.decision_id == scenario.determination_id)
        ).scalar_one()
    assert signed == 0
