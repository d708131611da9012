"""Moving the demo lab from RSP v2.2 to v3.4, knowing beforehand what the move does (``policy migrate``).

The demo is walked to its sign-off under v2.2 (with the committed Inspect logs, as ``tests/consistency`` and
``tests/governance/test_demo_rsp_v3.py`` walk it) once per backend. The dry run must name the obligations and
verdicts that change and leave every table as it was; a proposal records the impact, and the approval step
refuses to sign once the record has moved under it, until the impact is recorded again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from scalegate.assessment.service import assess
from scalegate.cli.app import app
from scalegate.errors import ConflictError
from scalegate.evidence.service import ingest_file
from scalegate.gate.impact import Impact
from scalegate.gate.migration import change_impact, migrate, record_change_impact
from scalegate.governance import policy_change
from scalegate.governance.users import create_token
from scalegate.jsonable import to_jsonable
from scalegate.policy import Policy, load_builtin
from scalegate.store.models import every_table
from scalegate.testing import demo
from scalegate.web import WebSettings, create_app
from scalegate.workspace import Workspace
from tests.fixtures.inspect_logs.make_logs import committed
from tests.support.demo import signed_demo
from tests.support.policy import policy_of
from tests.support.templates import create_database

TARGET = "anthropic-rsp-3.4"


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def lab(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[demo.DemoState]:
    """The demo at the end of its sign-off under RSP v2.2, on each backend (the tests below run in order: the
    last one proposes the change)."""
    directory = tmp_path_factory.mktemp(f"migrate-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{directory / 'scalegate.db'}"
    else:
        url = create_database(request.getfixturevalue("postgres_url"))
    state = signed_demo(directory, url)
    try:
        yield state
    finally:
        state.workspace.close()


def dump(ws: Workspace) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with ws.read() as session:
        for table in every_table().values():
            order = list(table.primary_key.columns) or list(table.columns)
            out[table.name] = [tuple(row) for row in session.execute(select(table).order_by(*order))]
    return out


def changed(impact: Impact) -> dict[str, tuple[str, str]]:
    """`ref action` -> (before, after) of every verdict that changes."""
    return {f"{ref} {v.action}": (v.before, v.after) for ref, v in impact.verdict_changes}


def test_the_dry_run_lists_what_moving_the_demo_to_rsp_3_4_changes(lab: demo.DemoState) -> None:
    ws = lab.workspace
    assert policy_of(ws).id == "anthropic-rsp-2.2"
    before = dump(ws)
    result = migrate(ws, lab.people["rita"], load_builtin(TARGET), dry_run=True)
    assert dump(ws) == before  # nothing written, in any table
    assert result.dry_run and result.change is None
    impact = result.impact
    assert (impact.from_policy.id, impact.to_policy.id) == ("anthropic-rsp-2.2", TARGET)

    assert {(c.kind, c.id) for c in impact.obligations} == {
        ("added", "briefing:ltbt"),
        ("added", "document:offcycle-internal"),
        ("added", "document:offcycle-public"),
        ("added", "document:risk-report"),
        ("added", "document:roadmap"),
        ("added", "review:external-review"),
        ("changed", "cadence:noncompliance-summary"),
        ("removed", "cadence:drill-severe-jailbreak"),
        ("removed", "cadence:drill-training-pause"),
        ("removed", "cadence:drill-weight-security-incident"),
        ("removed", "cadence:public-updates"),
        ("removed", "cadence:safeguards-reapproval"),
        ("removed", "notice:government"),
        ("removed", "signoff:affirmative_case"),
        ("removed", "signoff:capability_determination"),
        ("removed", "signoff:interim_measures"),
        ("removed", "signoff:safeguards_determination"),
    }
    risk_report = next(c for c in impact.obligations if c.id == "document:risk-report")
    assert risk_report.after is not None
    assert risk_report.after.title == "Risk Report (binding, every 6 months; approved by ceo, rso)"
    assert risk_report.after.clause == "Anthropic RSP v3.4 §3.1"

    # The signed-off checkpoint keeps ASL-3, now as v3.4's baseline; what its actions need changes.
    head = next(c for c in impact.checkpoints if c.ref == lab.ref)
    assert head.required_before == head.required_after == {"deployment": "ASL-3", "security": "ASL-3"}
    assert {(c.kind, c.id) for c in head.obligations} == {
        ("added", "document:external-review"),
        ("added", "document:offcycle-internal"),
        ("added", "document:risk-report"),
        ("changed", "standard:deployment:ASL-3"),
        ("changed", "standard:security:ASL-3"),
        ("removed", "decision:capability_determination"),
        ("removed", "decision:safeguards_determination"),
        ("removed", "notice:government"),
    }
    verdicts = {v.action: v for v in head.verdicts}
    assert {a: (v.before, v.after) for a, v in verdicts.items()} == {
        "continue-training": ("allow", "allow"),
        "deploy-internal": ("allow", "allow"),
        "deploy-external": ("allow", "allow"),
    }
    external = verdicts["deploy-external"]
    assert {
        ("decision.complete", "Anthropic RSP v2.2 §3.3"),
        ("government_notice.sent", "Anthropic RSP v2.2 §7.2"),
    } <= {(e.code, e.clause) for e in external.because_before}
    assert [(e.code, e.clause) for e in external.because_after] == [
        ("risk_report.current", "Anthropic RSP v3.4 §3.1")
    ]
    assert "due 2025-12-01" in external.because_after[0].text

    # The earlier checkpoints, paused under v2.2 (ASL-4 cannot be ruled out), are allowed under v3.4, whose
    # thresholds there are tracked only: every action of every one of them changes, and says why.
    earlier = [f"aurora-1@step-{n}" for n in range(5000, 40000, 5000)]
    assert changed(impact) == {
        f"{ref} {action}": ("pause", "allow")
        for ref in earlier
        for action in ("continue-training", "deploy-internal", "deploy-external")
    }
    first = next(c for c in impact.checkpoints if c.ref == earlier[0])
    assert first.required_before == {"deployment": "ASL-4", "security": "ASL-4"}
    assert first.required_after == {"deployment": "ASL-3", "security": "ASL-3"}
    paused = next(v for v in first.verdicts if v.action == "deploy-external")
    deciding = {(e.code, e.clause) for e in paused.because_before}
    assert {
        ("standard.unmet", "Anthropic RSP v2.2 §2"),
        ("decision.missing", "Anthropic RSP v2.2 §3.3"),
        ("government_notice.due", "Anthropic RSP v2.2 §7.2"),
    } <= deciding
    unmet = next(e for e in paused.because_before if e.code == "standard.unmet")
    assert "ASL-4" in unmet.text and "CBRN-4" in unmet.text
    assert [(e.code, e.clause) for e in paused.because_after] == [
        ("risk_report.current", "Anthropic RSP v3.4 §3.1")
    ]

    # Every sign-off of v2.2 goes stale: v3.4 has no rule for these decisions.
    assert [(d.decision_id, d.decision_type, d.subject) for d in impact.stale_decisions] == [
        (1, "safeguards_determination", "standard:deployment:ASL-2"),
        (2, "safeguards_determination", "standard:security:ASL-2"),
        (3, "safeguards_determination", "standard:deployment:ASL-3"),
        (4, "safeguards_determination", "standard:security:ASL-3"),
        (5, "capability_determination", f"checkpoint:{head_id(lab)}"),
    ]
    for decision in impact.stale_decisions:
        assert decision.signed_roles == ["ceo", "rso"] and decision.roles_after == []

    first_report = next(d for d in impact.deadlines if d.id == "document:risk-report")
    assert first_report.due_at == datetime(2025, 12, 1, 12, 0, tzinfo=UTC)  # 6 months from now
    assert first_report.clause == "Anthropic RSP v3.4 §3.1"

    again = migrate(ws, lab.people["rita"], load_builtin(TARGET), dry_run=True).impact
    assert again.digest == impact.digest  # the same record, the same fingerprint


def head_id(lab: demo.DemoState) -> int:
    return assess(lab.workspace, lab.ref, with_forecasts=False).checkpoint_id


def test_the_cli_and_the_api_show_the_same_impact_and_write_nothing(lab: demo.DemoState) -> None:
    ws = lab.workspace
    before = dump(ws)
    expected = migrate(ws, lab.people["rita"], load_builtin(TARGET), dry_run=True).impact

    runner = CliRunner()
    env = {"SCALEGATE_NOW": ws.now().isoformat(), "SCALEGATE_USER": ""}
    base = ["--db", ws.url, "--as", "rita", "policy", "migrate"]
    shown = runner.invoke(app, [*base, "--to", TARGET, "--dry-run", "--json"], env=env)
    assert shown.exit_code == 0, shown.stderr
    document = json.loads(shown.stdout)
    assert document["dry_run"] is True and document["change"] is None
    assert document["impact"]["digest"] == expected.digest
    text = runner.invoke(app, [*base, "--to", TARGET, "--dry-run"], env=env)
    assert text.exit_code == 0, text.stderr
    assert expected.headline() in text.stdout.replace("\n", " ") or "verdicts change" in text.stdout
    assert "Dry run: nothing was written." in text.stdout
    for bad, what in (
        ("no-such-policy", "no-such-policy"),
        (str(lab.directory / "absent.yaml"), "absent.yaml"),
    ):
        refused = runner.invoke(app, [*base, "--to", bad, "--dry-run"], env=env)
        assert refused.exit_code == 2, refused.stdout
        lines = refused.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and what in lines[0], refused.stderr

    assert dump(ws) == before

    token = create_token(ws, lab.people["rita"], name="migrate", scopes=["*"]).secret
    before = dump(ws)  # the token is the one write of this test, made before the API's reads
    client = TestClient(create_app(ws, WebSettings(session_secret="migrate-" + "m" * 40)))
    auth = {"Authorization": f"Bearer {token}"}
    answer = client.post("/api/v1/policy-migrations/impact", json={"builtin": TARGET}, headers=auth)
    assert answer.status_code == 200, answer.text
    assert answer.json()["digest"] == expected.digest
    moved = {"computed_at", "state_version"}  # the token's entry came after `expected`
    assert {k: v for k, v in answer.json().items() if k not in moved} == {
        k: v for k, v in to_jsonable(expected).items() if k not in moved
    }
    unknown = client.post("/api/v1/policy-migrations/impact", json={"builtin": "nope"}, headers=auth)
    assert unknown.status_code in (400, 404, 422), unknown.text
    assert dump(ws) == before


def test_a_proposal_records_its_impact_and_approval_refuses_it_once_stale(lab: demo.DemoState) -> None:
    ws, people = lab.workspace, lab.people
    password = demo.demo_password
    result = migrate(
        ws,
        people["rita"],
        load_builtin(TARGET),
        dry_run=False,
        effective_at=ws.now() + timedelta(days=1),
        rationale="adopt RSP v3.4",
    )
    change = result.change
    assert change is not None and change.impact is not None
    assert change.impact["digest"] == result.impact.digest
    shown = policy_change.show_change(ws, people["rita"], change.id)
    assert shown.impact == change.impact
    assert change_impact(ws, people["rita"], change.id).current

    policy_change.consult(ws, people["lena"], change.id, "no objection", password=password("lena"))
    # The record moves under the proposal: a rerun of the bio evaluation makes the v2.2 determination stale.
    ingest_file(ws, people["eve"], committed("gate")["wmdp_bio_rerun"], lab.ref)
    assert not change_impact(ws, people["rita"], change.id).current
    for name in ("carl", "rita"):  # the proposers co-sign; the check guards the approvers' signatures
        policy_change.sign_change(ws, people[name], change.id, password=password(name))
    with pytest.raises(ConflictError, match="no longer what the change does"):
        policy_change.sign_change(ws, people["bea"], change.id, password=password("bea"))

    recorded = record_change_impact(ws, people["rita"], change.id)
    assert recorded.current and recorded.recorded is not None
    assert policy_change.show_change(ws, people["rita"], change.id).impact == recorded.recorded
    token = create_token(ws, people["rita"], name="approval", scopes=["*"]).secret
    client = TestClient(create_app(ws, WebSettings(session_secret="migrate-" + "m" * 40)))
    auth = {"Authorization": f"Bearer {token}"}
    current = client.get(f"/api/v1/policy-changes/{change.id}/impact", headers=auth)
    assert current.status_code == 200, current.text
    assert current.json()["current"] is True
    assert current.json()["recorded"]["digest"] == recorded.impact.digest
    view = client.get(f"/api/v1/policy-changes/{change.id}", headers=auth).json()
    assert view["impact"]["digest"] == recorded.impact.digest

    policy_change.sign_change(ws, people["bea"], change.id, password=password("bea"))
    assert policy_change.show_change(ws, people["rita"], change.id).status == "approved"


def amended(version: str) -> dict[str, Any]:
    """RSP v2.2 under another version number: a policy text of its own that changes nothing else."""
    document = load_builtin("anthropic-rsp-2.2").model_dump(mode="json")
    document["framework"]["version"] = version
    return document


def test_every_proposal_door_records_the_impact_and_approval_needs_one(lab: demo.DemoState) -> None:
    """The plain `policy-change propose` and `POST /policy-changes` record the impact as `policy migrate`
    does; a change with none (proposed below the gate, or before impacts were recorded) cannot be approved
    until one is recorded."""
    ws, people = lab.workspace, lab.people
    password = demo.demo_password
    effective = ws.now() + timedelta(days=2)

    runner = CliRunner()
    env = {"SCALEGATE_NOW": ws.now().isoformat(), "SCALEGATE_USER": ""}
    base = ["--db", ws.url, "--as", "rita", "policy-change"]
    path = lab.directory / "rsp-2.2.1.json"
    path.write_text(json.dumps(amended("2.2.1")))
    proposed = runner.invoke(
        app, [*base, "propose", str(path), "--effective", effective.isoformat(), "--json"], env=env
    )
    assert proposed.exit_code == 0, proposed.stderr
    by_cli = json.loads(proposed.stdout)
    assert by_cli["impact"] is not None
    assert by_cli["impact"]["digest"] == change_impact(ws, people["rita"], by_cli["id"]).impact.digest
    shown = runner.invoke(app, [*base, "show", str(by_cli["id"])], env=env)
    assert shown.exit_code == 0, shown.stderr
    assert f"impact ({by_cli['impact']['digest'][:12]}" in shown.stdout
    assert "none recorded" not in shown.stdout
    shown_json = json.loads(runner.invoke(app, [*base, "show", str(by_cli["id"]), "--json"], env=env).stdout)
    assert shown_json["impact"] == by_cli["impact"]

    token = create_token(ws, people["rita"], name="proposal", scopes=["*"]).secret
    client = TestClient(create_app(ws, WebSettings(session_secret="migrate-" + "m" * 40)))
    auth = {"Authorization": f"Bearer {token}"}
    answer = client.post(
        "/api/v1/policy-changes",
        json={"document": json.dumps(amended("2.2.2")), "effective_at": effective.isoformat()},
        headers=auth,
    )
    assert answer.status_code == 201, answer.text
    by_api = answer.json()
    assert by_api["impact"] is not None
    assert by_api["impact"]["digest"] == change_impact(ws, people["rita"], by_api["id"]).impact.digest
    assert (
        client.get(f"/api/v1/policy-changes/{by_api['id']}", headers=auth).json()["impact"]
        == by_api["impact"]
    )

    # A change proposed without an impact: governance alone cannot compute one.
    bare = policy_change.propose(
        ws, people["rita"], Policy.model_validate(amended("2.2.3")), effective_at=effective
    )
    assert bare.impact is None
    policy_change.consult(ws, people["lena"], bare.id, "no objection", password=password("lena"))
    for name in ("carl", "rita"):  # the proposers' co-signatures are not approvals
        policy_change.sign_change(ws, people[name], bare.id, password=password(name))
    with pytest.raises(ConflictError, match=rf"policy change {bare.id}: no impact is recorded") as refused:
        policy_change.sign_change(ws, people["bea"], bare.id, password=password("bea"))
    assert f"`scalegate policy-change impact {bare.id} --record`" in str(refused.value)
    assert policy_change.show_change(ws, people["rita"], bare.id).status == "proposed"
    approve = ["--db", ws.url, "--as", "bea", "policy-change", "approve", str(bare.id)]
    by_door = runner.invoke(app, approve, env={**env, "SCALEGATE_PASSWORD": password("bea")})
    assert by_door.exit_code != 0 and "no impact is recorded" in by_door.stderr, by_door.stderr

    record_change_impact(ws, people["rita"], bare.id)
    policy_change.sign_change(ws, people["bea"], bare.id, password=password("bea"))
    assert policy_change.show_change(ws, people["rita"], bare.id).status == "approved"
