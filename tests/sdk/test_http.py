"""The SDK over HTTP against the real web API (FastAPI app over a real workspace, bearer token)."""

from __future__ import annotations

import importlib.util
import socket
from collections.abc import Iterator

import pytest

from scalegate.actor import Actor
from scalegate.errors import ConflictError, InputError, NotFoundError
from scalegate.registry import fits, service
from scalegate.sdk import EXIT_CODES, Client, check_and_report
from scalegate.workspace import Workspace
from tests.registry.conftest import RSO, law_loss, reference_points

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("scalegate.web.app") is None, reason="HTTP API not present"
)


@pytest.fixture
def http_client(workspace: Workspace) -> Iterator[Client]:
    from fastapi.testclient import TestClient

    from scalegate.governance.identity import resolve_actor
    from scalegate.governance.users import add_user, create_token
    from scalegate.web import WebSettings, create_app

    add_user(workspace, Actor("root"), "root", admin=True)
    add_user(workspace, resolve_actor(workspace, "root"), "trainer", roles=["rso"])
    token = create_token(
        workspace, resolve_actor(workspace, "trainer"), name="training", scopes=["registry.*", "gate.read"]
    ).secret
    service.create_model(workspace, RSO, "m1", "fam", "team")  # a law is fitted for a family with a model
    fits.fit_family(workspace, RSO, "fam", reference_points())
    app = create_app(workspace, WebSettings(session_secret="s" * 48))
    with (
        TestClient(app, raise_server_exceptions=False) as http,
        Client(base_url="http://testserver", token=token, http_client=http) as sdk,  # type: ignore[arg-type]
    ):
        yield sdk


def test_report_and_gate_over_http(http_client: Client, workspace: Workspace) -> None:
    assert http_client.ensure_model("m1", "fam", "team")["name"] == "m1"
    assert http_client.ensure_model("m1", "fam", "team")["name"] == "m1"  # 409 means it exists already
    report = http_client.report_checkpoint("m1", "c1", 100, 1e20, {"heldout": law_loss(3e21)})
    assert report["checkpoint"]["ref"] == "m1@c1"
    assert report["effective_compute"]["value"] == pytest.approx(3e21, rel=1e-6)
    result = http_client.gate("m1@c1", "deploy-external")
    local = Client(workspace=workspace).gate("m1@c1", "deploy-external")
    assert result.outcome == local.outcome and result.exit_code == EXIT_CODES[result.outcome]
    assert result.checkpoint == "m1@c1"
    assert [r["text"] for r in result.reasons] == [r["text"] for r in local.reasons]


def test_http_errors_map_to_the_exception_tree(http_client: Client) -> None:
    http_client.ensure_model("m1", "fam", "team")
    http_client.report_checkpoint("m1", "c1", 1, 1e20, {"heldout": law_loss(2e21)})
    with pytest.raises(ConflictError, match="HTTP 409: checkpoint m1@c1 already exists"):
        http_client.report_checkpoint("m1", "c1", 1, 1e20, {"heldout": law_loss(2e21)})
    with pytest.raises(NotFoundError, match="HTTP 404: no model 'nope'"):
        http_client.report_checkpoint("nope", "c1", 1, 1e20, {"heldout": 2.0})
    with pytest.raises(InputError, match=r"HTTP 400: m1@c2: loss 0\.5 is at or below"):
        http_client.report_checkpoint("m1", "c2", 2, 1e20, {"heldout": 0.5})
    paused = check_and_report(http_client, "nope", "c1", 1, 1e20, {"heldout": 2.0})
    assert paused.outcome == "pause" and "no model 'nope'" in paused.explain()


def test_bad_action_over_http_is_a_pause(http_client: Client) -> None:
    result = http_client.gate("m1", "sing")
    assert result.outcome == "pause" and "HTTP 422" in result.explain()


def test_unreachable_server_is_a_pause() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with Client(base_url=f"http://127.0.0.1:{port}", token="x", timeout=2) as sdk:
        result = sdk.gate("m1", "continue-training")
    assert result.outcome == "pause" and "gate unreachable" in result.explain()
