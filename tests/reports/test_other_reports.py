"""Safeguards Report, compliance review, public summary: numbers from the record, redaction per policy."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from scalegate.actor import ANONYMOUS
from scalegate.governance.noncompliance import disclosure, report
from scalegate.jsonable import to_jsonable
from scalegate.reports.compliance import compliance_report
from scalegate.reports.document import lookup
from scalegate.reports.public import public_summary
from scalegate.reports.render import format_value, render_html, render_markdown
from scalegate.reports.safeguards import safeguards_report
from scalegate.reports.service import write_public_summary
from scalegate.safeguards.service import standard_status
from tests.reports.conftest import Build
from tests.reports.helpers import read_html
from tests.reports.scenario import REF
from tests.support.policy import policy_of


def _numbers_match(html: str) -> dict[str, Any]:
    data, _, numbers = read_html(html)
    for path, value, text in numbers:
        assert lookup(data, path) == value and text == format_value(value), path
    return data


def test_the_safeguards_report_is_the_safeguards_service_status(make_scenario: Build) -> None:
    s = make_scenario("safeguarded")
    rep = safeguards_report(s.workspace, "security", "L3", ref=REF)
    data = _numbers_match(render_html(rep))
    with s.workspace.reading() as ctx:
        status = standard_status(ctx, "security", "L3")
    assert data["status"] == json.loads(json.dumps(status.to_dict()))
    assert data["status"]["met"] is True
    evidence = data["evidence"]["l3-sec-audit"]
    assert (
        len(evidence) == 1
        and evidence[0]["status"] == "approved"
        and evidence[0]["reviewed_by"] == "user:rita"
    )
    assert evidence[0]["audit_seq"] is not None
    cited = {c.sha256 for c in rep.provenance.cited}
    assert evidence[0]["sha256"] in cited
    assert data["required_by"]["this_standard_required"] is True


def test_the_safeguards_report_names_the_notices_still_owed(make_scenario: Build) -> None:
    """A signed safeguards determination whose Board notice has not gone out blocks the gate
    (decision.unnotified); the report says which notices are owed, in its summary and its determination."""
    from scalegate.gate.service import evaluate_gate
    from tests.reports.scenario import safeguard

    s = make_scenario("determined")
    safeguard(s, notify=False)
    reasons = evaluate_gate(s.workspace, REF, "deploy-external").to_dict()["reasons"]
    assert any(r["code"] == "decision.unnotified" and r["effect"] == "blocks" for r in reasons)
    rep = safeguards_report(s.workspace, "deployment", "L3", ref=REF)
    html = render_html(rep)
    data = _numbers_match(html)
    assert data["notices"]["missing"] == ["board"] == data["notices"]["required_before_proceeding"]
    assert "Notices owed before proceeding: board" in html
    assert "not yet notified: board" in html
    text, _ = render_markdown(rep)
    assert "NOT YET NOTIFIED: board" in text


def test_a_safeguards_report_before_any_safeguard_lists_every_gap(make_scenario: Build) -> None:
    s = make_scenario("evaluated")
    rep = safeguards_report(s.workspace, "deployment", "L3")
    html = render_html(rep)
    data = _numbers_match(html)
    assert data["status"]["met"] is False
    assert set(data["status"]["gaps"]) == {"l2-dep-usage-policy", "l3-dep-red-team", "l3-dep-monitoring"}
    assert html.count("no evidence submitted") == 3


def test_the_compliance_review_counts_what_the_governance_record_holds(make_scenario: Build) -> None:
    s = make_scenario("determined")
    report(s.workspace, description="a safeguard was skipped", concerning_role="rso")
    start = s.clock.now().date() - timedelta(days=60)
    end = s.clock.now().date()
    rep = compliance_report(s.workspace, start, end, s.people["rita"])
    data = _numbers_match(render_html(rep))
    public_counts = {k: v for k, v in to_jsonable(disclosure(s.workspace, ANONYMOUS)).items() if k != "as_of"}
    assert {k: v for k, v in data["noncompliance"]["disclosure"].items() if k != "as_of"} == public_counts
    assert data["noncompliance"]["disclosure"]["total"] == 1
    types = {d["decision_type"] for d in data["decisions"]}
    assert "capability_determination" in types
    assert data["audit"]["entries"] == sum(data["audit"]["by_event"].values()) > 0
    assert data["audit"]["by_event"]["evidence.ingested"] == 6
    assert all(
        i["status"] in ("met", "missed", "overdue", "due", "upcoming") for i in data["deadlines"]["items"]
    )
    text, _ = render_markdown(rep)
    assert "## Deadlines met and missed" in text and "## Policy changes" in text


def test_the_compliance_review_lists_only_deadlines_due_in_its_period(make_scenario: Build) -> None:
    """The assessment of atlas@c1 falls due on 2025-07-01 and was met on 2025-06-23: it belongs to the July
    review, not June's, however early it was met."""
    s = make_scenario("determined")
    june = compliance_report(s.workspace, date(2025, 6, 1), date(2025, 6, 30), s.people["rita"]).data
    july = compliance_report(s.workspace, date(2025, 7, 1), date(2025, 7, 31), s.people["rita"]).data
    due = {i["title"]: i["due_at"][:10] for i in june["deadlines"]["items"]}
    assert due and all("2025-06-01" <= d <= "2025-06-30" for d in due.values()), due
    assert [i["due_at"][:10] for i in july["deadlines"]["items"]] == ["2025-07-01"]
    assert july["deadlines"]["counts"]["met"] == 1


def test_the_compliance_review_shows_a_determination_stale_as_the_gate_does(make_scenario: Build) -> None:
    from scalegate.evidence.manual import ManualResult
    from scalegate.evidence.service import ingest_manual
    from scalegate.gate.service import evaluate_gate

    s = make_scenario("determined")
    period = (s.clock.now().date() - timedelta(days=60), s.clock.now().date())

    def capability(data: dict[str, Any]) -> dict[str, Any]:
        return next(d for d in data["decisions"] if d["decision_type"] == "capability_determination")

    assert capability(compliance_report(s.workspace, *period, s.people["rita"]).data)["stale"] is False
    rerun = ManualResult.model_validate(
        {
            "task": "tiny_auto",
            "metric": "acc",
            "model": "atlas",
            "run_id": "tiny_auto-c3-rerun",
            "samples": [{"id": f"s{i:03d}", "value": 1.0 if i < 3 else 0.0} for i in range(30)],
            "elicitation": ["helpful_only"],
        }
    )
    ingest_manual(s.workspace, s.evaluator, rerun, REF)
    reasons = evaluate_gate(s.workspace, REF, "deploy-internal").to_dict()["reasons"]
    assert any(r["code"] == "decision.stale" for r in reasons)
    assert capability(compliance_report(s.workspace, *period, s.people["rita"]).data)["stale"] is True


def test_an_empty_period_reports_nothing_rather_than_failing(make_scenario: Build) -> None:
    s = make_scenario("registered")
    rep = compliance_report(s.workspace, date(2020, 1, 1), date(2020, 1, 31), s.people["rita"])
    data = _numbers_match(render_html(rep))
    assert data["decisions"] == [] and data["audit"]["entries"] == 0 and data["policy_changes"] == []


def test_the_public_summary_leaves_out_what_the_redaction_rules_hide(
    make_scenario: Build, tmp_path: Path
) -> None:
    s = make_scenario("determined")
    paths = write_public_summary(s.workspace, REF, tmp_path, formats=("html", "md"), actor=s.people["rita"])
    html = paths["html"].read_text(encoding="utf-8")
    md = paths["md"].read_text(encoding="utf-8")
    data = _numbers_match(html)
    full = public_summary(s.workspace, REF)
    secrets = set()
    for f in full.data["thresholds"]:
        assert all(set(i) == {"indicator_id", "state"} for i in f["indicators"])
    from scalegate.reports.capability import capability_data

    source, _ = capability_data(s.workspace, REF)
    for f in source["assessment"]["findings"]:
        for i in f["indicators"]:
            secrets |= {
                format_value(i["estimate"]),
                format_value(i["ci_low"]),
                format_value(i["ci_high"]),
                repr(i["estimate"]),
                i["sha256"],
            }
    for ev in source["evidence"].values():
        secrets.add(ev["sha256"])
    for document in (html, md):
        text = re.sub(r"<[^>]+>", " ", document)
        assert "auto-tasks" not in document  # hide_indicator_ids: gone altogether
        for secret in secrets:
            assert secret not in text, secret
    assert "bio-mcq" in html and "BIO-1" in html and "AUTO-1" in html
    assert data["redaction"]["hidden_indicators"] == 1
    assert data["required"]["deployment"]["level"] == "L3"
    assert data["determination"]["approved"] is True
    assert [c["kind"] for c in read_html(html)[1]["cited"]] == []


def test_the_public_summary_shows_values_when_the_policy_allows(make_scenario: Build) -> None:
    from scalegate.policy.schema import Redaction
    from scalegate.reports.capability import capability_data
    from scalegate.reports.public import redact_capability

    s = make_scenario("evaluated")
    full, _ = capability_data(s.workspace, REF)
    names = {t.id: (t.name, t.domain) for t in policy_of(s.workspace).thresholds}
    open_data = redact_capability(
        full, Redaction(hide_indicator_values=False, hide_evidence_files=False), names
    )
    indicator = open_data["thresholds"][0]["indicators"][0]
    source = full["assessment"]["findings"][0]["indicators"][0]
    assert indicator["estimate"] == source["estimate"] and indicator["sha256"] == source["sha256"]
