"""Thresholds whose consequence is an obligation act on the record: a threshold the assessment finds crossed
(or cannot rule out) makes the obligations its consequences name binding in the gate, and its Automated R&D
finding makes a covered model highly capable; one ruled out does neither. The Risk Report draft carries the
findings, the gate's verdicts and the mitigation tracks as the assessment and the policy give them."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from scalegate.actor import Actor
from scalegate.assessment.service import assess
from scalegate.clock import FixedClock
from scalegate.evidence.service import ingest_file
from scalegate.gate.service import evaluate_gate
from scalegate.governance.decisions import sign
from scalegate.governance.documents import offcycle, reviews, risk_reports
from scalegate.governance.notifications import InMemoryNotifier
from scalegate.reports.risk_report import write_risk_report
from scalegate.store.models.documents import RiskReportRow
from scalegate.workspace import Workspace, init_workspace
from tests.fixtures.inspect_logs.make_logs import committed
from tests.governance.conftest import document_lab
from tests.support.signing import PASSWORD

FIXTURE = Path(__file__).parents[1] / "fixtures" / "policies" / "process.yaml"
START = datetime(2026, 7, 10, 12, 0, tzinfo=UTC)
REF = "m@c1"
BARS = {"crossed": (0.50, 0.40), "ruled_out": (0.95, 0.90)}
"""Threshold and alert of the Automated R&D indicator: the stand-in log scores 74%, above the first pair and
below both numbers of the second."""


def _policy(tmp: Path, bar: tuple[float, float]) -> Path:
    """The process fixture with an indicator on its Automated R&D threshold, whose consequence
    ``offcycle-internal`` no action rule lists, a mitigation track, and the ``highly_capable`` term."""
    doc = yaml.safe_load(FIXTURE.read_text())
    source = {"document": "TPP v3.4", "section": "1"}
    [rd] = doc["thresholds"]
    rd["indicators"] = [
        {
            "id": "rd-proxy",
            "evaluation": {"harness": "inspect", "task": "inspect_evals/wmdp_bio"},
            "metric": "accuracy",
            "threshold": bar[0],
            "alert": bar[1],
            "min_samples": 100,
            "source": source,
        }
    ]
    rd["consequences"].append(
        {
            "kind": "analysis",
            "text": "An off-cycle analysis.",
            "obligation": "offcycle-internal",
            "source": source,
        }
    )
    rd["mitigations"] = [
        {"track": "company_plan", "strength": "binding", "items": ["Eyes on everything."], "source": source},
        {
            "track": "industry_recommendation",
            "strength": "recommendation",
            "items": ["RAND SL4."],
            "source": source,
        },
    ]
    for rule in doc["actions"]:
        rule["requires_obligations"] = [] if rule["action"] == "continue-training" else ["risk-report"]
    doc["obligations"]["terms"] = [
        {"id": "highly_capable", "threshold": rd["id"], "text": "Crosses Automated R&D.", "source": source}
    ]
    path = tmp / "policy.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


@pytest.fixture(params=sorted(BARS))
def lab(
    request: pytest.FixtureRequest, db_url: str, tmp_path: Path
) -> Iterator[tuple[str, Workspace, FixedClock, dict[str, Actor]]]:
    clock = FixedClock(START)
    ws = init_workspace(db_url, str(_policy(tmp_path, BARS[request.param])), clock=clock)
    people = document_lab(ws)
    log = Path(shutil.copy(committed("gate")["wmdp_bio"], tmp_path / "wmdp_bio.eval"))
    ingest_file(ws, people["eve"], log, REF)
    try:
        yield request.param, ws, clock, people
    finally:
        ws.close()


def test_a_crossed_threshold_binds_its_consequence_and_a_ruled_out_one_does_not(
    lab: tuple[str, Workspace, FixedClock, dict[str, Actor]],
) -> None:
    case, ws, clock, people = lab
    [finding] = assess(ws, REF).findings
    assert finding.ruled_out is (case == "ruled_out")
    analysis = offcycle.determine(ws, people["rita"], model="m", reason="exceeds prior analysis")
    clock.set(analysis.due_at + timedelta(days=1))  # type: ignore[operator]
    verdict = evaluate_gate(ws, REF, "deploy-internal")
    brought = [
        r
        for r in verdict.reasons
        if r.code == "threshold.consequence_binding" and r.data["obligation"] == "offcycle-internal"
    ]
    if case == "crossed":
        assert verdict.outcome == "pause" and "offcycle.overdue" in {r.code for r in verdict.reasons}
        [reason] = brought
        assert reason.effect == "info" and reason.clause == finding.clause
        assert reason.data["obligation"] == "offcycle-internal" and reason.data["threshold"] == "AUTOMATED-RD"
        [numbers] = finding.indicators
        assert (
            f"rd-proxy {numbers.estimate:g} [{numbers.ci_low:g}, {numbers.ci_high:g}] vs threshold 0.5"
            in reason.text
        )
    else:
        assert brought == [] and not any(r.code.startswith("offcycle.") for r in verdict.reasons)
        assert verdict.outcome == "allow", verdict.reasons
    # An action whose rule binds by no obligation is not gated by process, crossed or not.
    training = evaluate_gate(ws, REF, "continue-training").reasons
    assert not any(r.code.startswith(("offcycle.", "threshold.")) for r in training)


def test_highly_capable_comes_from_the_record_and_drives_the_external_review(
    lab: tuple[str, Workspace, FixedClock, dict[str, Actor]], tmp_path: Path
) -> None:
    case, ws, clock, people = lab
    rita = people["rita"]
    clock.advance(timedelta(days=3))
    draft = risk_reports.draft(ws, people["eve"], title="RR", coverage_date=clock.now() - timedelta(days=1))
    assert draft.highly_capable is (case == "crossed")
    assert draft.contents["highly_capable"] == {
        "derived_for": ["m"] if case == "crossed" else [],
        "marked": False,
    }

    # The draft's findings, verdicts and tracks are the assessment's, the gate's and the policy's.
    assessment = assess(ws, REF)
    [model] = draft.contents["models"]
    assert [(t["threshold"], t["state"], t["ruled_out"], t["clause"]) for t in model["thresholds"]] == [
        (f.threshold_id, f.state, f.ruled_out, f.clause) for f in assessment.findings
    ]
    numbers = [
        (i["estimate"], i["ci_low"], i["ci_high"], i["threshold"])
        for i in model["thresholds"][0]["indicators"]
    ]
    assert numbers == [
        (i.estimate, i.ci_low, i.ci_high, i.threshold) for i in assessment.findings[0].indicators
    ]
    assert [(v["action"], v["outcome"]) for v in model["verdicts"]] == [
        (a, evaluate_gate(ws, REF, a).outcome)
        for a in ("continue-training", "deploy-internal", "deploy-external")
    ]
    assert [(t["track"], t["strength"]) for t in draft.contents["tracks"]] == [
        ("company_plan", "binding"),
        ("industry_recommendation", "recommendation"),
    ]

    submitted = risk_reports.submit(ws, people["eve"], draft.id)
    assert submitted.approval_decision_id is not None
    for name, role in (("carl", "ceo"), ("rita", "rso")):
        sign(ws, people[name], submitted.approval_decision_id, role, password=PASSWORD)
    risk_reports.share(ws, rita, draft.id, notifier=InMemoryNotifier())
    reviews.deem_significantly_redacted(ws, people["lou"], draft.id)
    with ws.reading() as ctx:
        assert reviews.required(ctx.session.get_one(RiskReportRow, draft.id)) is (case == "crossed")

    markdown = write_risk_report(ws, rita, draft.id, tmp_path / "out", ("md",))["md"].read_text()
    assert (
        "## Threshold findings" in markdown
        and "| m | AUTOMATED-RD | " + assessment.findings[0].state in markdown
    )
    assert "| m | deploy-internal | " in markdown and "| AUTOMATED-RD | company plan | binding |" in markdown


def test_the_drafter_may_mark_highly_capable_but_not_unmark_it(
    lab: tuple[str, Workspace, FixedClock, dict[str, Actor]],
) -> None:
    _, ws, clock, people = lab
    clock.advance(timedelta(days=3))
    marked = risk_reports.draft(
        ws, people["eve"], title="RR", coverage_date=clock.now() - timedelta(days=1), highly_capable=True
    )
    assert marked.highly_capable is True
    assert marked.contents["highly_capable"]["marked"] is True
