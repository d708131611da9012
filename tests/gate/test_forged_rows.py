"""A record forged with SQL never changes a verdict, even before anyone runs ``audit verify``.

Each test starts from a workspace whose gate allows, then edits or inserts one row the verdict relies on
directly in the store (SQLite and PostgreSQL), and asks for a fresh verdict: it must pause, with a
``record.unverified`` reason naming the table and the row. Undoing the edit gives the allow back, so the
pause comes from the forged row and nothing else. A forged row that would complete a decision awaiting
sign-off does not turn its pause into an allow. And the check raises no alarm on the untouched scenario and
demo workspaces.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.gate.conftest import LOW, MODEL, Flow, blocking
from tests.support.policy import policy_of

C1 = f"{MODEL}@c1"
ACTIONS = ("continue-training", "deploy-external")


def _allowed(flow_for: Any, logs: dict[str, Path]) -> tuple[Flow, int]:
    """c1 with low results, assessed, its capability determination signed and notified: every action of
    ``ACTIONS`` is allowed. Returns the flow and the determination's decision id."""
    from scalegate.registry.assessments_due import record_prior_assessment

    flow: Flow = flow_for("anthropic-rsp-2.2")
    flow.register("c1", 1.0e24)
    flow.ingest(C1, logs, ["wmdp_bio_low", *LOW])
    record_prior_assessment(flow.workspace, flow.person("rso"), C1, flow.clock.now())
    decision = flow.determine(C1)
    for action in ACTIONS:
        verdict = flow.gate(C1, action)
        assert verdict["outcome"] == "allow", (action, blocking(verdict))
    return flow, decision


def _scalar(flow: Flow, sql: str, **params: Any) -> Any:
    with flow.workspace.read() as session:
        return session.execute(text(sql), params).scalar_one()


def _write(flow: Flow, sql: str, **params: Any) -> None:
    with flow.workspace.transaction() as session:
        session.execute(text(sql), params)


def _unverified(verdict: dict[str, Any]) -> list[tuple[str, Any, str]]:
    return [
        (r["data"]["table"], r["data"]["pk"], r["data"]["problem"])
        for r in verdict["reasons"]
        if r["code"] == "record.unverified"
    ]


# (what, table, the row's id as SQL over the decision id, column, the forged value as SQL). Every edit pauses
# deploy-external, which relies on all of them; those marked BOTH pause continue-training too (it relies on
# the findings and the checkpoint, not on the capability determination's sign-offs and notices).
BOTH = ACTIONS
EDITS = [
    ("a sign-off", "signatures", "SELECT min(id) FROM signatures WHERE decision_id = :d", "justification",
     "'forged'", ACTIONS[1:]),
    ("a decision", "decisions", "SELECT :d", "opened_by", "'mallory'", ACTIONS[1:]),
    ("a notice", "notifications", "SELECT min(id) FROM notifications WHERE decision_id = :d", "sent_by",
     "'mallory'", ACTIONS[1:]),
    ("a safeguard's evidence", "safeguard_evidence",
     "SELECT min(id) FROM safeguard_evidence WHERE status = 'approved' AND :d > 0", "reviewed_by",
     "'mallory'", ACTIONS[1:]),
    ("a safeguard's implementation", "safeguard_implementations",
     "SELECT min(id) FROM safeguard_implementations WHERE :d > 0", "owner", "'mallory'", ACTIONS[1:]),
    ("an evidence record", "evidence", "SELECT min(id) FROM evidence WHERE :d > 0", "ingested_by",
     "'mallory'", BOTH),
    ("a score summary", "evidence_scores",
     "SELECT min(id) FROM evidence_scores WHERE successes > 0 AND :d > 0", "successes", "0", BOTH),
    ("a checkpoint's effective compute", "checkpoints", "SELECT min(id) FROM checkpoints WHERE :d > 0",
     "effective_compute", "effective_compute / 10", BOTH),
]  # fmt: skip


def test_an_edited_row_the_verdict_relies_on_turns_allow_into_pause(
    flow_for: Any, standin_logs: dict[str, Path]
) -> None:
    flow, decision = _allowed(flow_for, standin_logs)
    for what, table, pick, column, forged, actions in EDITS:
        row_id = int(_scalar(flow, pick, d=decision))
        before = _scalar(flow, f"SELECT {column} FROM {table} WHERE id = :i", i=row_id)
        _write(flow, f"UPDATE {table} SET {column} = {forged} WHERE id = :i", i=row_id)
        for action in actions:
            verdict = flow.gate(C1, action)
            assert verdict["outcome"] == "pause" and verdict["exit_code"] == 3, (what, action)
            assert (table, row_id, "edited") in _unverified(verdict), (what, action, _unverified(verdict))
        _write(flow, f"UPDATE {table} SET {column} = :v WHERE id = :i", v=before, i=row_id)
        assert flow.gate(C1, "deploy-external")["outcome"] == "allow", what


def test_an_edited_active_policy_version_pauses(flow_for: Any, standin_logs: dict[str, Path]) -> None:
    """The active policy's document is hash-checked, but which version is active, and since when, are
    columns: an edit of the active version's row (here its origin) is a row the log does not vouch for."""
    flow, _ = _allowed(flow_for, standin_logs)
    active = int(_scalar(flow, "SELECT id FROM policy_versions WHERE status = 'active'"))
    _write(flow, "UPDATE policy_versions SET origin = 'forged' WHERE id = :i", i=active)
    verdict = flow.gate(C1, "continue-training")
    assert verdict["outcome"] == "pause"
    assert ("policy_versions", active, "edited") in _unverified(verdict), _unverified(verdict)


def test_an_inserted_row_turns_allow_into_pause(flow_for: Any, standin_logs: dict[str, Path]) -> None:
    """A copy of an approved safeguard's evidence under a new id: no entry names it."""
    flow, _ = _allowed(flow_for, standin_logs)
    first = int(_scalar(flow, "SELECT min(id) FROM safeguard_evidence WHERE status = 'approved'"))
    forged = int(_scalar(flow, "SELECT max(id) FROM safeguard_evidence")) + 1
    columns = (
        "criterion_id, kind, title, sha256, uri, result, submitted_by, submitted_at, expires_at, status, "
        "reviewed_by, reviewed_at, review_note"
    )
    _write(
        flow,
        f"INSERT INTO safeguard_evidence (id, {columns}) SELECT :n, {columns} FROM safeguard_evidence "
        "WHERE id = :i",
        n=forged,
        i=first,
    )
    verdict = flow.gate(C1, "deploy-external")
    assert verdict["outcome"] == "pause"
    assert ("safeguard_evidence", forged, "unlogged") in _unverified(verdict), _unverified(verdict)
    _write(flow, "DELETE FROM safeguard_evidence WHERE id = :n", n=forged)
    assert flow.gate(C1, "deploy-external")["outcome"] == "allow"


def test_a_forged_signoff_cannot_turn_pause_into_allow(flow_for: Any, standin_logs: dict[str, Path]) -> None:
    """A determination awaiting the CEO: a copied sign-off relabelled as the CEO's, and the decision marked
    approved with SQL, leave the gate paused, now naming both rows."""
    from scalegate.assessment.determination import propose_determination
    from scalegate.registry.assessments_due import record_prior_assessment

    flow: Flow = flow_for("anthropic-rsp-2.2")
    flow.register("c1", 1.0e24)
    flow.ingest(C1, standin_logs, ["wmdp_bio_low", *LOW])
    record_prior_assessment(flow.workspace, flow.person("rso"), C1, flow.clock.now())
    rule = policy_of(flow.workspace).decision_rule("capability_determination")
    assert rule is not None and "ceo" in rule.signoff_roles
    decision = int(propose_determination(flow.workspace, flow.person("evaluator"), C1).id)
    flow.sign_all(decision, [r for r in rule.signoff_roles if r != "ceo"])
    assert flow.gate(C1, "deploy-external")["outcome"] == "pause"
    first = int(_scalar(flow, "SELECT min(id) FROM signatures WHERE decision_id = :d", d=decision))
    forged = int(_scalar(flow, "SELECT max(id) FROM signatures")) + 1
    ceo = int(_scalar(flow, "SELECT user_id FROM user_roles WHERE role = 'ceo'"))
    _write(
        flow,
        "INSERT INTO signatures (id, decision_id, role, user_id, signer, approve, justification, "
        "bound_state, policy_version_id, signed_at, key_id, signature) "
        "SELECT :n, decision_id, 'ceo', :u, 'ceo-holder', "
        "approve, justification, bound_state, policy_version_id, signed_at, key_id, signature "
        "FROM signatures WHERE id = :i",
        n=forged,
        u=ceo,
        i=first,
    )
    _write(flow, "UPDATE decisions SET status = 'approved' WHERE id = :d", d=decision)
    verdict = flow.gate(C1, "deploy-external")
    assert verdict["outcome"] == "pause"
    found = _unverified(verdict)
    assert ("signatures", forged, "unlogged") in found and ("decisions", decision, "edited") in found, found


def test_an_index_edited_to_vouch_for_a_forged_row_does_not(
    flow_for: Any, standin_logs: dict[str, Path]
) -> None:
    """The row index is a cache: pointing it at the forged row's digest does not make the row pass, because
    the entry it names does not record that digest."""
    from scalegate.store.base import row_digest
    from scalegate.store.models.governance import SignatureRow

    flow, decision = _allowed(flow_for, standin_logs)
    row_id = int(_scalar(flow, "SELECT min(id) FROM signatures WHERE decision_id = :d", d=decision))
    _write(flow, "UPDATE signatures SET justification = 'forged' WHERE id = :i", i=row_id)
    with flow.workspace.read() as session:
        row = session.get(SignatureRow, row_id)
        assert row is not None
        forged_digest = row_digest(row)
    _write(
        flow,
        "UPDATE audit_row_index SET digest = :g WHERE table_name = 'signatures' AND pk = :p",
        g=forged_digest,
        p=str(row_id),
    )
    verdict = flow.gate(C1, "deploy-external")
    assert verdict["outcome"] == "pause"
    assert ("signatures", row_id, "edited") in _unverified(verdict)
    # The gate found the index wrong and rebuilt it from the log.
    logged = _scalar(
        flow, "SELECT digest FROM audit_row_index WHERE table_name = 'signatures' AND pk = :p", p=str(row_id)
    )
    assert logged != forged_digest


def test_a_destroyed_index_costs_speed_not_the_answer(flow_for: Any, standin_logs: dict[str, Path]) -> None:
    flow, _ = _allowed(flow_for, standin_logs)
    indexed = int(_scalar(flow, "SELECT count(*) FROM audit_row_index"))
    _write(flow, "DELETE FROM audit_row_index")
    assert flow.gate(C1, "deploy-external")["outcome"] == "allow"
    assert int(_scalar(flow, "SELECT count(*) FROM audit_row_index")) == indexed


@pytest.mark.slow
def test_no_false_alarm_on_the_demo_workspace(tmp_path: Path) -> None:
    from scalegate.gate.service import evaluate_actions
    from scalegate.testing.demo import build_demo

    state = build_demo(tmp_path / "demo")
    try:
        with state.workspace.read() as session:
            refs = [
                f"{m}@{c}"
                for m, c in session.execute(
                    text("SELECT m.name, c.name FROM checkpoints c JOIN models m ON m.id = c.model_id")
                )
            ]
        assert refs
        for ref in refs:
            for action, verdict in evaluate_actions(state.workspace, ref).items():
                assert not _unverified(verdict.to_dict()), (ref, action, _unverified(verdict.to_dict()))
    finally:
        state.workspace.close()


# -- the documents a process-bound policy obliges (RSP v3.4) ------------------------------------------------


def _published_report(db_url: str, tmp_path: Path) -> tuple[Any, int]:
    """Under RSP v3.4: models m (covered by a published Risk Report) and n (registered before the report's
    coverage date, not covered by it). Returns the workspace and the report's id; deploy-external allows m@c1
    and pauses n@c1 with ``risk_report.not_covered``."""
    from datetime import UTC, datetime, timedelta

    from scalegate.clock import FixedClock
    from scalegate.governance.decisions import sign
    from scalegate.governance.documents import risk_reports
    from scalegate.governance.notifications import InMemoryNotifier
    from scalegate.registry import service
    from scalegate.registry.specs import CheckpointSpec
    from scalegate.workspace import init_workspace
    from tests.governance.conftest import make_people
    from tests.support.signing import PASSWORD

    clock = FixedClock(datetime(2026, 7, 10, 12, 0, tzinfo=UTC))
    ws = init_workspace(db_url, "anthropic-rsp-3.4", clock=clock)
    roles = {"rita": ["rso"], "carl": ["ceo"], "eve": ["evaluator"], "bea": ["board"], "lou": ["ltbt"]}
    people = make_people(ws, roles)
    for model in ("m", "n"):
        service.create_model(ws, people["rita"], model, "fam", "team")
        spec = CheckpointSpec(name="c1", step=1, training_flops=1e24)
        service.register_checkpoint(ws, people["rita"], model, spec)
    clock.advance(timedelta(days=10))
    draft = risk_reports.draft(
        ws, people["eve"], title="RR", coverage_date=clock.now() - timedelta(days=2), models=["m"]
    )
    submitted = risk_reports.submit(ws, people["eve"], draft.id)
    assert submitted.approval_decision_id is not None
    for name, role in (("carl", "ceo"), ("rita", "rso")):
        sign(ws, people[name], submitted.approval_decision_id, role, password=PASSWORD)
    risk_reports.share(ws, people["rita"], draft.id, notifier=InMemoryNotifier())
    recipients = {"public": 1, "employees": 250, "regular_clearance_staff": 900}
    risk_reports.publish(ws, people["rita"], draft.id, redactions=[], recipients=recipients)
    return ws, draft.id


def _gate(ws: Any, ref: str) -> dict[str, Any]:
    from scalegate.gate.service import evaluate_gate

    verdict: dict[str, Any] = evaluate_gate(ws, ref, "deploy-external").to_dict()
    return verdict


def _sql(ws: Any, sql: str, **params: Any) -> None:
    with ws.transaction() as session:
        session.execute(text(sql), params)


def test_a_forged_risk_report_pauses_under_rsp_3_4(db_url: str, tmp_path: Path) -> None:
    """An edited status or coverage date of the published report, and an approved report inserted with SQL,
    each pause a verdict that allowed; undone, the allow is back."""
    ws, report = _published_report(db_url, tmp_path)
    try:
        assert _gate(ws, "m@c1")["outcome"] == "allow"
        with ws.read() as session:
            coverage = session.execute(
                text("SELECT coverage_date FROM risk_reports WHERE id = :i"), {"i": report}
            ).scalar_one()
        edits = [
            ("status = 'rejected'", "status = 'published'", {}),
            ("coverage_date = published_at", "coverage_date = :c", {"c": coverage}),
        ]
        for forged, undo, params in edits:
            _sql(ws, f"UPDATE risk_reports SET {forged} WHERE id = :i", i=report)
            verdict = _gate(ws, "m@c1")
            assert verdict["outcome"] == "pause" and verdict["exit_code"] == 3, forged
            assert ("risk_reports", report, "edited") in _unverified(verdict), (forged, _unverified(verdict))
            _sql(ws, f"UPDATE risk_reports SET {undo} WHERE id = :i", i=report, **params)
            assert _gate(ws, "m@c1")["outcome"] == "allow", forged

        forged_id = report + 1
        columns = (
            "obligation, title, coverage_date, models, contents, contents_sha256, marginal_risk_major, "
            "highly_capable, significantly_redacted_by, redactions, disclosure, approval_decision_id, "
            "board_decision_id, drafted_at, drafted_by, policy_version_id, shared_at"
        )
        _sql(
            ws,
            f"INSERT INTO risk_reports (id, status, {columns}) SELECT :n, 'approved', {columns} "
            "FROM risk_reports WHERE id = :i",
            n=forged_id,
            i=report,
        )
        verdict = _gate(ws, "m@c1")
        assert verdict["outcome"] == "pause"
        assert ("risk_reports", forged_id, "unlogged") in _unverified(verdict), _unverified(verdict)
        _sql(ws, "DELETE FROM risk_reports WHERE id = :n", n=forged_id)
        assert _gate(ws, "m@c1")["outcome"] == "allow"
    finally:
        ws.close()


def test_a_report_forged_out_of_the_gates_queries_still_pauses(db_url: str, tmp_path: Path) -> None:
    """A row the gate's queries filter out is relied on too: the report that does not cover n, set to rejected
    and unpublished with SQL, is no longer the current report, so nothing would say n is not covered. The
    gate checks every row of the document tables, and pauses on the forged one."""
    ws, report = _published_report(db_url, tmp_path)
    try:
        covered = _gate(ws, "n@c1")
        assert covered["outcome"] == "pause" and "risk_report.not_covered" in blocking(covered)
        _sql(ws, "UPDATE risk_reports SET status = 'rejected', published_at = NULL WHERE id = :i", i=report)
        verdict = _gate(ws, "n@c1")
        assert verdict["outcome"] == "pause"
        assert ("risk_reports", report, "edited") in _unverified(verdict), _unverified(verdict)
    finally:
        ws.close()
