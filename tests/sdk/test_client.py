"""The SDK client on a local workspace: reports reach the service layer, and the gate fails closed."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from scalegate.actor import Actor
from scalegate.governance.identity import resolve_actor
from scalegate.governance.users import add_user
from scalegate.registry import fits
from scalegate.sdk import EXIT_CODES, Client, GateResult, check_and_report
from scalegate.workspace import Workspace
from tests.registry.conftest import RSO, law_loss, reference_points


def add_trainer(workspace: Workspace) -> None:
    """A workspace user `trainer` who may register checkpoints (an evaluator), with an admin to add them."""
    add_user(workspace, Actor("root"), "root", admin=True)
    add_user(workspace, resolve_actor(workspace, "root"), "trainer", roles=["evaluator"])


@pytest.fixture
def client(workspace: Workspace) -> Client:
    add_trainer(workspace)  # a demo workspace (explicit test clock): the name alone is enough
    sdk = Client(workspace=workspace, user="trainer")
    sdk.ensure_model("m1", "fam", "team")
    fits.fit_family(workspace, RSO, "fam", reference_points())  # a law is fitted for a family with a model
    return sdk


def test_report_checkpoint_goes_through_the_service(client: Client) -> None:
    report = client.report_checkpoint("m1", "c1", 100, 1e20, {"heldout": law_loss(3e21)})
    assert report["checkpoint"]["ref"] == "m1@c1"
    assert report["effective_compute"]["value"] == pytest.approx(3e21, rel=1e-6)
    assert client.ensure_model("m1", "other-family", "x")["family"] == "fam"  # exists: unchanged


def test_gate_uses_the_real_gate(client: Client) -> None:
    client.report_checkpoint("m1", "c1", 100, 1e20, {"heldout": law_loss(3e21)})
    result = client.gate("m1@c1", "deploy-external")
    assert result.outcome in EXIT_CODES and result.exit_code == EXIT_CODES[result.outcome]
    assert result.checkpoint == "m1@c1"
    assert result.reasons and all("text" in r and "clause" in r for r in result.reasons)
    assert result.outcome == "pause"  # nothing assessed, no safeguards: cannot deploy


def test_gate_errors_are_pauses(workspace: Workspace) -> None:
    def broken(ws: Any, ref: str, action: str) -> Any:
        raise RuntimeError("rule exploded")

    result = Client(workspace=workspace, gate_fn=broken).gate("m1", "continue-training")
    assert result.outcome == "pause" and result.exit_code == 3
    assert "gate failed: RuntimeError: rule exploded" in result.explain()


def test_unrecognised_outcome_is_a_pause(workspace: Workspace) -> None:
    result = Client(workspace=workspace, gate_fn=lambda ws, ref, action: {"outcome": "maybe"}).gate("m1", "x")
    assert result.outcome == "pause" and "unrecognised gate outcome 'maybe'" in result.explain()
    number = Client(workspace=workspace, gate_fn=lambda ws, ref, action: 42).gate("m1", "x")
    assert number.outcome == "pause" and "unrecognised gate outcome None" in number.explain()

    class Odd:
        outcome = "proceed"
        reasons = ("because",)

    odd = Client(workspace=workspace, gate_fn=lambda ws, ref, action: Odd()).gate("m1", "x")
    assert odd.outcome == "pause" and "unrecognised gate outcome 'proceed'" in odd.explain()
    assert "because" in odd.explain()


def test_missing_gate_fails_closed(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "scalegate.gate.service", None)
    result = Client(workspace=workspace).gate("m1", "continue-training")
    assert result.outcome == "pause" and result.reasons[0]["text"].startswith("gate unavailable")


def test_check_and_report_pauses_when_the_report_fails(client: Client) -> None:
    result = check_and_report(client, "nope", "c1", 1, 1e20, {"heldout": 2.0})
    assert (
        result.outcome == "pause"
        and "could not report checkpoint nope@c1: no model 'nope'" in result.explain()
    )
    bad = check_and_report(client, "m1", "c1", 1, 1e20, {"heldout": 0.5})
    assert bad.outcome == "pause" and "at or below the fitted irreducible loss" in bad.explain()


def test_check_and_report_gates_an_already_reported_checkpoint(client: Client) -> None:
    calls: list[str] = []
    client.report_checkpoint("m1", "c1", 1, 1e20, {"heldout": law_loss(2e21)})

    def allow(ws: Any, ref: str, action: str) -> dict[str, str]:
        calls.append(ref)
        return {"outcome": "allow"}

    client.transport._gate_fn = allow  # type: ignore[attr-defined]
    again = check_and_report(client, "m1", "c1", 1, 1e20, {"heldout": law_loss(2e21)})
    assert again.outcome == "allow" and again.exit_code == 0 and calls == ["m1@c1"]


def test_client_opens_a_workspace_by_url(workspace: Workspace) -> None:
    with Client(workspace.url) as sdk:
        assert sdk.gate("nothing", "continue-training").outcome == "pause"


def test_result_from_a_verdict_document() -> None:
    result = GateResult.from_dict(
        {"ref": "m@c", "outcome": "restrict", "reasons": [{"text": "t", "clause": "§6"}]}
    )
    assert (result.outcome, result.exit_code, result.checkpoint) == ("restrict", 4, "m@c")
    assert result.may_proceed and result.explain() == "t [§6]"


def test_client_without_a_workspace_fails_clearly(tmp_path: Path) -> None:
    from scalegate.errors import StoreError

    with pytest.raises(StoreError, match="no workspace at"):
        Client(f"sqlite:///{tmp_path / 'none.db'}")
