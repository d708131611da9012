"""`GET /api/v1/gate` over real HTTP: without credentials, only what the public summary publishes (the
outcome, no reasons with estimates, intervals or evidence hashes); with a token, the whole verdict."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from scalegate.clock import FixedClock
from scalegate.gate.disclosure import PUBLIC_FIELDS
from scalegate.governance.users import create_token
from scalegate.web import WebSettings, create_app
from scalegate.web.server import BackgroundServer
from tests.web.scenario import MODEL, Scenario, build

pytestmark = pytest.mark.slow


@pytest.fixture
def scenario(tmp_path: Path, clock: FixedClock) -> Iterator[Scenario]:
    s = build(f"sqlite:///{tmp_path / 'scalegate.db'}", clock, tmp_path)
    try:
        yield s
    finally:
        s.workspace.close()


@pytest.fixture
def base(scenario: Scenario) -> Iterator[str]:
    settings = WebSettings(session_secret="gate-test-" + "g" * 40)
    with BackgroundServer(create_app(scenario.workspace, settings)) as server:
        yield server.url


HEX64 = re.compile(r"[0-9a-f]{64}")


def test_an_anonymous_caller_gets_the_outcome_without_the_reasons(scenario: Scenario, base: str) -> None:
    token = create_token(scenario.workspace, scenario.people["eve"], name="ci", scopes=["gate.read"]).secret
    url = f"{base}/api/v1/gate?model={MODEL}&action=deploy-external"
    full = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    anonymous = httpx.get(url, timeout=60)
    assert full.status_code == anonymous.status_code == 200
    whole, public = full.json(), anonymous.json()
    assert whole["reasons"], "the verdict explains itself to a caller with credentials"
    assert HEX64.search(full.text), "the full verdict cites evidence by hash"
    assert public["public"] is True
    assert {k: public[k] for k in PUBLIC_FIELDS} == {k: whole[k] for k in PUBLIC_FIELDS}
    assert (public["reasons"], public["restrictions"], public["errors"]) == ([], [], [])
    assert public["valid_until"] is None
    # nothing the public summary withholds: no evidence hash, no estimate or interval
    published = anonymous.text
    for value in whole["policy"].values():  # the policy's content hash is public
        published = published.replace(str(value), "")
    assert not HEX64.search(published)
    for withheld in ("estimate", "ci_low", "ci_high", "sha256", "threshold"):
        assert withheld not in anonymous.text
    # a second anonymous call (served from the kept verdict) is as redacted as the first
    assert httpx.get(url, timeout=60).json() == public
