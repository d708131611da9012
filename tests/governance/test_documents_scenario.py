"""A process-bound policy from end to end, on SQLite and PostgreSQL: a Risk Report that is late, then approved
by the CEO and RSO and (as a marginal-risk argument is major) by the Board and LTBT, shared and published; an
external review triggered and then overdue; an off-cycle analysis with its 30-day clock; a signed competitor
determination. The gate, the calendar and the findings are checked at every step."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scalegate.actor import Actor
from scalegate.clock import FixedClock
from scalegate.errors import ConflictError, InputError, PermissionDenied
from scalegate.gate.service import evaluate_gate
from scalegate.gate.verdict import Verdict
from scalegate.governance.compliance import compliance_status
from scalegate.governance.decisions import sign
from scalegate.governance.documents import competitors, offcycle, reviews, risk_reports, roadmap
from scalegate.governance.documents.risk_reports import Redaction
from scalegate.governance.notifications import InMemoryNotifier
from scalegate.workspace import Workspace, init_workspace
from tests.governance.conftest import document_lab
from tests.support.signing import PASSWORD

POLICY = Path(__file__).parents[1] / "fixtures" / "policies" / "process.yaml"
START = datetime(2026, 7, 10, 12, 0, tzinfo=UTC)
REF = "m@c1"
RECIPIENTS = {"public": 1, "employees": 250, "regular_clearance_staff": 900}


POLICIES = {
    "fixture": (str(POLICY), "in-the-lead", (("carl", "ceo"), ("rita", "rso"))),
    "anthropic-rsp-3.4": ("anthropic-rsp-3.4", "anthropic-in-the-lead", (("rita", "rso"),)),
}
"""Each policy the scenario runs under: the test fixture and the built-in RSP v3.4, with the id of a scenario
whose outcome is a delay and who signs a competitor determination under it."""


@pytest.fixture(params=sorted(POLICIES))
def policy(request: pytest.FixtureRequest) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    return POLICIES[request.param]


@pytest.fixture
def lab(
    db_url: str, policy: tuple[str, str, tuple[tuple[str, str], ...]]
) -> Iterator[tuple[Workspace, FixedClock, dict[str, Actor]]]:
    clock = FixedClock(START)
    ws = init_workspace(db_url, policy[0], clock=clock)
    people = document_lab(ws)
    try:
        yield ws, clock, people
    finally:
        ws.close()


def codes(verdict: Verdict, effect: str = "blocks") -> set[str]:
    return {r.code for r in verdict.reasons if r.effect == effect}


def open_findings(ws: Workspace, actor: Actor) -> set[str]:
    return {f.kind for f in compliance_status(ws, actor).findings if f.open}


def approve(ws: Workspace, people: dict[str, Actor], decision_id: int, *signers: tuple[str, str]) -> None:
    for name, role in signers:
        sign(ws, people[name], decision_id, role, password=PASSWORD)


def test_a_late_report_an_overdue_review_and_an_offcycle_clock(
    lab: tuple[Workspace, FixedClock, dict[str, Actor]],
) -> None:
    ws, clock, people = lab
    rita, eve = people["rita"], people["eve"]

    # Under the cadence's longest interval since adoption, nothing is due yet.
    assert evaluate_gate(ws, REF, "deploy-external").outcome == "allow"
    goal = roadmap.add_item(
        ws, rita, area="security", title="Harden weights", target_date=START + timedelta(days=90)
    )

    # Six months later without a report: late. The gate pauses and the calendar records a finding.
    clock.set(START + timedelta(days=190))
    late = evaluate_gate(ws, REF, "deploy-external")
    assert late.outcome == "pause" and "risk_report.overdue" in codes(late)
    assert str(next(r for r in late.reasons if r.code == "risk_report.overdue").clause).endswith("v3.4 §3.1")
    assert "risk_report_overdue" in open_findings(ws, rita)

    # A draft from the record: it lists the missed roadmap goal; a marginal-risk argument is major.
    draft = risk_reports.draft(
        ws,
        eve,
        title="Risk Report 1",
        coverage_date=clock.now() - timedelta(days=5),
        marginal_risk_major=True,
        highly_capable=True,
    )
    assert draft.models == ["m"] and draft.contents["roadmap"]["misses_to_list"] == [goal.id]
    submitted = risk_reports.submit(ws, eve, draft.id)
    assert submitted.approval_decision_id and submitted.board_decision_id
    approve(ws, people, submitted.approval_decision_id, ("carl", "ceo"), ("rita", "rso"))
    approved = risk_reports.show(ws, rita, draft.id)
    assert approved.status == "approved" and approved.approved and approved.board_approved is False
    with pytest.raises(ConflictError, match="once approved and shared"):
        risk_reports.publish(ws, rita, draft.id, redactions=[], recipients=RECIPIENTS)

    # Shared with the Board and LTBT (the external review's clock starts); publishing still needs their
    # explicit approval, and the gate says so.
    notifier = InMemoryNotifier()
    shared = risk_reports.share(ws, rita, draft.id, notifier=notifier)
    assert shared.shared_at == clock.now() and len(notifier.messages) == 2
    with pytest.raises(ConflictError, match="marginal-risk argument"):
        risk_reports.publish(ws, rita, draft.id, redactions=[], recipients=RECIPIENTS)
    assert "risk_report.board_approval_missing" in codes(evaluate_gate(ws, REF, "deploy-internal"))
    approve(ws, people, submitted.board_decision_id, ("bea", "board"), ("lou", "ltbt"))

    # The LTBT deems the public version significantly redacted: with highly capable models, a review is due.
    reviews.deem_significantly_redacted(ws, people["lou"], draft.id)
    with pytest.raises(ConflictError, match="at least 200"):
        risk_reports.publish(ws, rita, draft.id, redactions=[], recipients={**RECIPIENTS, "employees": 150})
    with pytest.raises(InputError, match="gives no reason"):
        risk_reports.publish(ws, rita, draft.id, redactions=[Redaction("models", "")], recipients=RECIPIENTS)
    published = risk_reports.publish(
        ws,
        rita,
        draft.id,
        redactions=[Redaction("safeguards", "public safety", "exploit details")],
        recipients=RECIPIENTS,
        url="https://example.org/rr1",
    )
    assert published.status == "published" and published.redactions[0]["note"] == "exploit details"
    assert roadmap.list_items(ws, rita)[0].listed_in_report_id == draft.id
    now = evaluate_gate(ws, REF, "deploy-external")
    assert now.outcome == "allow", now.reasons
    assert "external_review.pending" in codes(now, "info")
    assert "risk_report_overdue" not in open_findings(ws, rita)

    # A week after the submission to the Board and LTBT, no approved reviewers: the review is overdue.
    clock.advance(timedelta(days=8))
    overdue = evaluate_gate(ws, REF, "deploy-external")
    assert overdue.outcome == "pause" and codes(overdue) == {"external_review.overdue"}
    assert "external_review_start_overdue" in open_findings(ws, rita)

    # A split review: every section goes to one reviewer; the LTBT approves the selection; both receive it.
    half = len(reviews.REPORT_SECTIONS) // 2
    with pytest.raises(InputError, match="every section"):
        reviews.start(ws, rita, draft.id, reviewers=[("A", list(reviews.REPORT_SECTIONS[:half]))])
    review = reviews.start(
        ws,
        rita,
        draft.id,
        reviewers=[("A", list(reviews.REPORT_SECTIONS[:half])), ("B", list(reviews.REPORT_SECTIONS[half:]))],
    )
    with pytest.raises(ConflictError, match="must approve the reviewers"):
        reviews.send(ws, rita, review.id, "A")
    assert review.selection_decision_id is not None
    approve(ws, people, review.selection_decision_id, ("lou", "ltbt"))
    reviews.send(ws, rita, review.id, "A")
    sent = reviews.send(ws, rita, review.id, "B")
    assert [r.commentary_due_at for r in sent.reviewers] == [clock.now() + timedelta(days=30)] * 2
    assert evaluate_gate(ws, REF, "deploy-external").outcome == "allow"

    # An internally deployed model exceeds what was analysed: 30 days to publish its analysis.
    analysis = offcycle.determine(ws, rita, model="m", reason="exceeds prior analysis of automated R&D")
    assert analysis.due_at == clock.now() + timedelta(days=30)
    assert "offcycle.pending" in codes(evaluate_gate(ws, REF, "deploy-internal"), "info")
    clock.advance(timedelta(days=31))
    stalled = evaluate_gate(ws, REF, "deploy-internal")
    assert stalled.outcome == "pause" and "offcycle.overdue" in codes(stalled)
    assert {"offcycle_analysis_overdue", "external_review_commentary_overdue"} <= open_findings(ws, rita)
    assert "external_review.commentary_late" in codes(stalled, "info")
    offcycle.publish(ws, rita, analysis.id, artifact="System Card addendum")
    assert evaluate_gate(ws, REF, "deploy-internal").outcome == "allow"


def test_a_competitor_delay_holds_only_once_signed(
    lab: tuple[Workspace, FixedClock, dict[str, Actor]], policy: tuple[str, str, tuple[tuple[str, str], ...]]
) -> None:
    ws, _, people = lab
    _, scenario, signers = policy
    decision_id = competitors.determine(
        ws, people["eve"], model="m", scenario=scenario, evidence="no competitor within a year (memo 12)"
    )
    unsigned = evaluate_gate(ws, REF, "continue-training")
    assert unsigned.outcome == "allow" and "competitor.unsigned" in codes(unsigned, "info")
    approve(ws, people, decision_id, *signers)
    delayed = evaluate_gate(ws, REF, "continue-training")
    assert delayed.outcome == "pause" and codes(delayed) == {"competitor.delay"}
    with pytest.raises(InputError, match="unknown scenario"):
        competitors.determine(ws, people["eve"], model="m", scenario="guess", evidence="x")


def test_a_stale_coverage_date_cannot_be_published(
    lab: tuple[Workspace, FixedClock, dict[str, Actor]],
) -> None:
    ws, clock, people = lab
    rita = people["rita"]
    draft = risk_reports.draft(ws, people["eve"], title="RR", coverage_date=clock.now() - timedelta(days=20))
    submitted = risk_reports.submit(ws, people["eve"], draft.id)
    assert submitted.board_decision_id is None
    assert submitted.approval_decision_id is not None
    approve(ws, people, submitted.approval_decision_id, ("carl", "ceo"), ("rita", "rso"))
    risk_reports.share(ws, rita, draft.id, notifier=InMemoryNotifier())
    clock.advance(timedelta(days=11))
    assert "risk_report_coverage_overdue" in open_findings(ws, rita)
    with pytest.raises(ConflictError, match="31 days before publication; at most 30"):
        risk_reports.publish(ws, rita, draft.id, redactions=[], recipients=RECIPIENTS)
    with pytest.raises(PermissionDenied, match="significantly redacted"):
        reviews.deem_significantly_redacted(ws, people["eve"], draft.id)


def test_the_report_and_the_reviewer_packet_render_from_the_record(
    lab: tuple[Workspace, FixedClock, dict[str, Actor]], tmp_path: Path
) -> None:
    from scalegate.reports.risk_report import write_risk_report

    ws, clock, people = lab
    rita = people["rita"]
    roadmap.add_item(
        ws, rita, area="alignment", title="Audit goal", target_date=clock.now() + timedelta(days=1)
    )
    clock.advance(timedelta(days=10))
    draft = risk_reports.draft(
        ws, people["eve"], title="RR one", coverage_date=clock.now() - timedelta(days=2)
    )
    submitted = risk_reports.submit(ws, people["eve"], draft.id)
    assert submitted.approval_decision_id is not None
    approve(ws, people, submitted.approval_decision_id, ("carl", "ceo"), ("rita", "rso"))
    risk_reports.share(ws, rita, draft.id, notifier=InMemoryNotifier())
    secret = Redaction("safeguards", "public safety", "exploit details withheld")
    risk_reports.publish(ws, rita, draft.id, redactions=[secret], recipients=RECIPIENTS)

    public = write_risk_report(ws, rita, draft.id, tmp_path / "public", ("html", "md"))
    markdown = public["md"].read_text()
    assert "coverage date **" + (clock.now() - timedelta(days=2)).isoformat()[:10] in markdown
    assert "*Redacted (public safety): exploit details withheld.*" in markdown
    assert "| ceo | carl | approved |" in markdown and "| rso | rita | approved |" in markdown
    assert "Audit goal" in markdown and "Goals missed: 1." in markdown
    assert "| employees | unredacted | 250 | 200 |" in markdown
    assert "exploit details withheld" in public["html"].read_text()

    packet = write_risk_report(ws, rita, draft.id, tmp_path / "packet", ("md", "pdf"), packet=True)
    text = packet["md"].read_text()
    assert "Materiality" in text and "Redacted (" not in text
    assert packet["pdf"].read_bytes().startswith(b"%PDF")
