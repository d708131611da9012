"""A determination the gate treats as stale is stale in every door: the service, ``decision show`` and
``decision list --json``, and the API."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.gate.conftest import LOW, MODEL, Flow, blocking
from tests.support.signing import PASSWORD

C1 = f"{MODEL}@c1"


def _cli(flow: Flow, *args: str) -> Any:
    from scalegate.cli.app import app

    env = {
        "SCALEGATE_NOW": flow.clock.now().isoformat(),
        "SCALEGATE_USER": "",
        "SCALEGATE_PASSWORD": PASSWORD,
    }
    argv = ["--db", flow.workspace.url, "--as", "rso-holder", *args, "--json"]
    result = CliRunner().invoke(app, argv, env=env)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return json.loads(result.stdout)


def _api(flow: Flow, path: str) -> Any:
    from scalegate.governance.users import create_token
    from scalegate.web import create_app
    from tests.web.conftest import SETTINGS

    token = create_token(flow.workspace, flow.person("rso"), name="read", scopes=["decision.read"])
    with TestClient(create_app(flow.workspace, SETTINGS)) as client:
        response = client.get(path, headers={"Authorization": f"Bearer {token.secret}"})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_determination_stale_for_the_gate_is_stale_everywhere(
    flow_for: Any, standin_logs: dict[str, Path]
) -> None:
    from scalegate.assessment.standing import decision, decisions

    flow: Flow = flow_for("anthropic-rsp-2.2")
    flow.register("c1", 1.0e24)
    flow.ingest(C1, standin_logs, LOW)
    decision_id = flow.determine(C1)
    rso = flow.person("rso")
    assert decision(flow.workspace, rso, decision_id).stale is False
    assert "decision.stale" not in blocking(flow.gate(C1, "deploy-external"))

    flow.clock.advance(timedelta(days=1))
    flow.ingest(
        C1, standin_logs, ["wmdp_bio_low"]
    )  # a new result: the evidence set the sign-offs bound changed
    assert "decision.stale" in blocking(flow.gate(C1, "deploy-external"))
    shown = decision(flow.workspace, rso, decision_id)
    assert shown.stale is True and "evidence_set" in shown.stale_keys
    listed = {d.decision_id: d for d in decisions(flow.workspace, rso)}
    assert listed[decision_id].stale is True
    assert _cli(flow, "decision", "show", str(decision_id))["stale"] is True
    by_id = {d["decision_id"]: d for d in _cli(flow, "decision", "list")}
    assert by_id[decision_id]["stale"] is True
    assert _api(flow, f"/api/v1/decisions/{decision_id}")["stale"] is True
    assert {d["decision_id"]: d["stale"] for d in _api(flow, "/api/v1/decisions")}[decision_id] is True
