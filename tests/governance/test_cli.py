"""The governance commands through the real CLI: JSON documents on success, one-line errors and exit 2 on bad
input, nothing written by a refused command."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from scalegate.actor import SYSTEM
from scalegate.audit import log_size
from scalegate.cli.app import app
from scalegate.clock import FixedClock
from scalegate.governance.decisions import open_decision
from scalegate.store.models.governance import NoncomplianceReportRow
from scalegate.workspace import Workspace
from tests.governance.test_decisions import h, open_cd
from tests.support.signing import PASSWORD


class Cli:
    def __init__(self, workspace: Workspace, clock: FixedClock) -> None:
        self.workspace, self.clock = workspace, clock
        self.runner = CliRunner()

    def __call__(self, *args: str, user: str | None = None, stdin: str | None = None, code: int = 0) -> Any:
        argv = ["--db", self.workspace.url, *(["--as", user] if user else []), *args]
        env = {
            "SCALEGATE_NOW": self.clock.now().isoformat(),
            "SCALEGATE_USER": "",
            **({"SCALEGATE_PASSWORD": PASSWORD} if user else {}),
        }
        result = self.runner.invoke(app, argv, input=stdin, env=env)
        assert result.exit_code == code, (result.stdout, result.stderr)
        if code:
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
            return lines[0]
        return json.loads(result.stdout) if "--json" in args else result.stdout

    def size(self) -> int:
        with self.workspace.read() as session:
            return log_size(session)


@pytest.fixture
def cli(workspace: Workspace, clock: FixedClock) -> Cli:
    run = Cli(workspace, clock)
    # Users with a password get a signing key; root's key approves the others' (root signs with PASSWORD).
    password = ("--password-stdin", "--json")
    run(
        "user",
        "add",
        "root",
        "--admin",
        "--email",
        "root@example.org",
        *password,
        stdin=f"{PASSWORD}\n",
    )
    for name, role in (("rita", "rso"), ("carl", "ceo"), ("bea", "board"), ("sam", "staff")):
        email = f"{name}@example.org"
        run(
            "user",
            "add",
            name,
            "--role",
            role,
            "--email",
            email,
            *password,
            user="root",
            stdin=f"{PASSWORD}\n",
        )
    return run


def test_users_and_tokens(cli: Cli) -> None:
    users = cli("user", "list", "--json", user="root")
    assert [(u["name"], u["roles"]) for u in users] == [
        ("bea", ["board"]),
        ("carl", ["ceo"]),
        ("rita", ["rso"]),
        ("root", ["admin"]),
        ("sam", ["staff"]),
    ]
    assert "may not users.admin" in cli("user", "add", "eve", user="sam", code=2)
    assert "unknown role 'cfo'" in cli("user", "grant", "sam", "cfo", user="root", code=2)
    granted = cli("user", "grant", "sam", "ceo", "--json", user="root")
    assert granted["roles"] == ["ceo", "staff"]
    token = cli(
        "token",
        "create",
        "--name",
        "ci",
        "--scope",
        "gate.read",
        "--expires-days",
        "30",
        "--json",
        user="rita",
    )
    assert token["secret"].startswith("sgt_") and token["scopes"] == ["gate.read"]
    listed = cli("token", "list", "--json", user="rita")
    assert len(listed) == 1 and "secret" not in listed[0] and token["secret"] not in json.dumps(listed)
    assert "matches no action" in cli(
        "token", "create", "--name", "x", "--scope", "nope", user="rita", code=2
    )
    cli("token", "revoke", str(token["id"]), "--json", user="rita")
    assert cli("token", "list", "--json", user="rita")[0]["valid"] is False
    assert "too short" in cli(
        "user", "passwd", "rita", "--password-stdin", user="rita", stdin="short\n", code=2
    )
    # Last: from here on rita's password is no longer the one SCALEGATE_PASSWORD carries.
    cli("user", "passwd", "rita", "--password-stdin", user="rita", stdin="correct horse battery staple\n")


def open_sd(workspace: Workspace) -> int:
    """A safeguards determination awaiting sign-off (no registry record behind it)."""
    with workspace.transaction() as session:
        return open_decision(
            workspace,
            session,
            SYSTEM,
            decision_type="safeguards_determination",
            subject="standard:security:L2",
            payload={},
            bound_state={"evidence_set": h("e")},
        ).id


def test_signoff_and_decisions(cli: Cli, workspace: Workspace) -> None:
    decision_id = open_sd(workspace)
    before = cli.size()
    assert "does not hold role 'ceo'" in cli(
        "signoff", str(decision_id), "--role", "ceo", user="rita", code=2
    )
    assert "no decision 999" in cli("signoff", "999", "--role", "rso", user="rita", code=2)
    assert cli.size() == before
    signed = cli("signoff", str(decision_id), "--role", "rso", "--json", user="rita")
    assert signed["signer"] == "rita" and signed["approve"] is True
    cli("signoff", str(decision_id), "--role", "ceo", "--json", user="carl")
    shown = cli("decision", "show", str(decision_id), "--json", user="bea")
    assert shown["approved"] and [s["role"] for s in shown["signatures"]] == ["rso", "ceo"]
    listed = cli("decision", "list", "--status", "approved", "--json", user="bea")
    assert [d["decision_id"] for d in listed] == [decision_id]
    assert "may not decision.read" in cli("decision", "list", "--json", user="sam", code=2)
    usage = cli.runner.invoke(
        app, ["--db", workspace.url, "--as", "rita", "signoff", str(decision_id), "--rol", "x"]
    )
    assert usage.exit_code == 2 and "--rol" in usage.stderr


def test_anonymous_report_through_the_cli_ignores_the_user(cli: Cli, workspace: Workspace) -> None:
    receipt = cli(
        "noncompliance",
        "report",
        "--description",
        "Drill skipped",
        "--concerning",
        "rso",
        "--json",
        user="sam",
    )
    assert receipt["routed_to"] == "board"
    with workspace.read() as session:
        row = session.execute(select(NoncomplianceReportRow)).scalar_one()
    assert row.reporter is None and row.anonymous
    assert cli("noncompliance", "list", "--json", user="rita") == []
    [seen] = cli("noncompliance", "list", "--json", user="bea")
    assert seen["id"] == receipt["id"]
    moved = cli("noncompliance", "transition", str(receipt["id"]), "investigating", "--json", user="bea")
    assert moved["status"] == "investigating"
    assert "cannot move from investigating to closed" in cli(
        "noncompliance", "transition", str(receipt["id"]), "closed", user="bea", code=2
    )
    counts = cli("noncompliance", "summary", "--public", "--json", user="sam")
    assert counts["total"] == 1 and "description" not in json.dumps(counts)


def test_compliance_and_cadences(cli: Cli) -> None:
    from datetime import UTC, datetime

    cadences = cli("cadence", "list", "--json", user="rita")
    assert {c["details"]["cadence"] for c in cadences} == {"procedural-review", "noncompliance-summary"}
    cli.clock.set(datetime(2025, 9, 10, tzinfo=UTC))
    report = cli("compliance", "--json", user="rita")
    assert report["counts"]["overdue"] == 1 and report["findings"][0]["kind"] == "summary_overdue"
    done = cli("cadence", "record", "procedural-review", "--at", "2025-09-01", "--json", user="rita")
    assert done["days_late"] == 0
    assert "not an ISO-8601" in cli(
        "cadence", "record", "procedural-review", "--at", "soon", user="rita", code=2
    )
    assert "no drill 'procedural-review'" in cli("drill", "record", "procedural-review", user="rita", code=2)
    assert "may not compliance.read" in cli("compliance", user="sam", code=2)


def test_policy_change_through_the_cli(cli: Cli, tmp_path: Any) -> None:
    from tests.conftest import MINIMAL_POLICY

    amended = tmp_path / "amended.yaml"
    amended.write_text(MINIMAL_POLICY.read_text().replace('version: "1.0"', 'version: "1.1"'))
    change = cli("policy-change", "propose", str(amended), "--effective", "2025-07-01", "--json", user="rita")
    assert change["status"] == "proposed" and change["version"] == "1.1"
    assert "may not policy.propose" in cli(
        "policy-change", "propose", str(amended), "--effective", "2025-07-01", user="sam", code=2
    )
    approved = cli("policy-change", "approve", str(change["id"]), "--json", user="bea")
    assert approved["status"] == "approved"
    cli(
        "policy-change", "publish", str(change["id"]), "--url", "https://example.org/p", "--json", user="rita"
    )
    assert "not before" in cli("policy-change", "activate", str(change["id"]), user="rita", code=2)
    from datetime import UTC, datetime

    cli.clock.set(datetime(2025, 7, 1, tzinfo=UTC))
    active = cli("policy-change", "activate", str(change["id"]), "--json", user="rita")
    assert active["status"] == "active"
    assert [c["id"] for c in cli("policy-change", "list", "--json", user="sam")] == [change["id"]]
    assert cli("policy-change", "show", str(change["id"]), "--json", user="sam")["activated_at"]


def test_notify_over_a_real_smtp_server(cli: Cli, workspace: Workspace, smtp_server: Any) -> None:
    decision_id = open_cd(workspace, SYSTEM)
    for name in ("rita", "carl"):  # signed through the service, as every door does
        from scalegate.governance.decisions import sign
        from scalegate.governance.identity import resolve_actor

        actor = resolve_actor(workspace, name)
        sign(workspace, actor, decision_id, next(iter(actor.roles)), password=PASSWORD)
    target = f"{smtp_server.host}:{smtp_server.port}"
    [notice] = cli("notify", "decision", str(decision_id), "--smtp", target, "--json", user="rita")
    assert notice["status"] == "delivered" and notice["proof"]["reply_code"] == 250
    assert smtp_server.messages[0]["to"] == ["bea@example.org"]
    assert "host:port" in cli("notify", "decision", str(decision_id), "--smtp", "nohost", user="rita", code=2)
    assert "KIND=LEVEL" in cli(
        "notify", "government", "checkpoint:1", "--level", "security", user="rita", code=2
    )
    gov = cli(
        "notify",
        "government",
        "checkpoint:1",
        "--level",
        "security=L3",
        "--address",
        "g@example.gov",
        "--smtp",
        target,
        "--json",
        user="rita",
    )
    assert gov["status"] == "delivered"
    assert cli("permissions", "--json")["policy.approve"][0]["roles"] == ["board"]
