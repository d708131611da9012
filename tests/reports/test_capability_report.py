"""The Capability Report: every number equals the stored value it cites, at every stage of the scenario."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from scalegate.assessment.service import assess
from scalegate.canonical import digest
from scalegate.evidence.service import indicator_evidence
from scalegate.gate.service import ACTIONS, evaluate_gate
from scalegate.registry.lookup import resolve_checkpoint
from scalegate.reports.capability import capability_report
from scalegate.reports.document import lookup
from scalegate.reports.render import format_value, render_html, render_markdown
from scalegate.reports.service import write_capability_report
from scalegate.store.models.audit import AuditEntryRow
from tests.reports.conftest import Build
from tests.reports.helpers import read_html
from tests.reports.scenario import REF, Scenario
from tests.support.policy import active_of, policy_of


def _check_numbers(html: str) -> dict[str, Any]:
    """Every printed number is the data block's value at its path, printed the one way the renderer prints."""
    data, _, numbers = read_html(html)
    assert numbers, "the report prints no numbers"
    for path, value, text in numbers:
        assert lookup(data, path) == value, path
        assert text == format_value(value), path
    return data


def test_every_number_equals_the_stored_value_it_cites(scenario_on_both: Scenario) -> None:
    s = scenario_on_both
    ws = s.workspace
    report = capability_report(ws, REF, figures=False)
    data = _check_numbers(render_html(report))
    # The data block is the service objects themselves, not a recomputation.
    assert data["assessment"] == json.loads(json.dumps(assess(ws, REF).to_dict()))
    for action in ACTIONS:
        assert data["verdicts"][action] == json.loads(json.dumps(evaluate_gate(ws, REF, action).to_dict()))
    with ws.read() as session:
        checkpoint = resolve_checkpoint(session, REF)
        for _, indicator in policy_of(ws).indicators():
            stored = indicator_evidence(ws, session, checkpoint.id, indicator)
            assert stored is not None
            assert data["evidence"][indicator.id] == json.loads(json.dumps(stored.to_dict()))
            finding = next(
                i
                for f in data["assessment"]["findings"]
                for i in f["indicators"]
                if i["indicator_id"] == indicator.id
            )
            assert (finding["estimate"], finding["ci_low"], finding["ci_high"], finding["n_samples"]) == (
                stored.estimate,
                stored.ci_low,
                stored.ci_high,
                stored.n_samples,
            )
    assert report.provenance.data_sha256 == digest(data)


def test_the_markdown_prints_the_same_numbers(make_scenario: Build) -> None:
    s = make_scenario("evaluated")
    report = capability_report(s.workspace, REF, figures=False)
    text, _ = render_markdown(report)
    finding = report.data["assessment"]["findings"][0]["indicators"][0]
    row = next(line for line in text.splitlines() if line.startswith(f"| {finding['indicator_id']} |"))
    for key in ("estimate", "ci_low", "ci_high", "alert", "threshold"):
        assert format_value(finding[key]) in row


STAGES = {
    "registered": ["no valid result", "insufficient evidence"],
    "evaluated": ["BIO-1", "alert", "AUTO-1", "ruled out", "missing"],
    "determined": ["signed", "bea@example.org", "agree: L3 required"],
    "safeguarded": ["signed", "allow"],
}


@pytest.mark.slow
@pytest.mark.parametrize("stage", list(STAGES))
def test_the_report_at_each_stage_is_written_recorded_and_says_where_things_stand(
    make_scenario: Build, tmp_path: Path, stage: str
) -> None:
    s = make_scenario(stage)
    paths = write_capability_report(s.workspace, REF, tmp_path / "out", formats=("html", "md"))
    html = paths["html"].read_text(encoding="utf-8")
    data = _check_numbers(html)
    text = re.sub(r"<[^>]+>", " ", html)
    for phrase in STAGES[stage]:
        assert phrase in text, f"{stage}: {phrase!r} missing"
    with s.workspace.read() as session:
        entries = session.execute(
            select(AuditEntryRow).where(AuditEntryRow.event == "report.generated")
        ).scalars()
        recorded = {json.loads(e.body)["data"]["sha256"]: json.loads(e.body)["data"] for e in entries}
    for fmt in ("html", "md"):
        sha = hashlib.sha256(paths[fmt].read_bytes()).hexdigest()
        assert recorded[sha]["format"] == fmt and recorded[sha]["kind"] == "capability"
        assert recorded[sha]["data_sha256"] == digest(data)
    if stage == "registered":
        assert all(f["state"] == "insufficient_evidence" for f in data["assessment"]["findings"])
    if stage == "safeguarded":
        assert data["verdicts"]["continue-training"]["outcome"] == "allow"


def test_the_provenance_cites_each_evidence_file_and_the_audit_head(make_scenario: Build) -> None:
    s = make_scenario("determined")
    report = capability_report(s.workspace, REF, figures=False)
    _, provenance, _ = read_html(render_html(report))
    cited = {(c["kind"], c["sha256"]) for c in provenance["cited"]}
    for ev in report.data["evidence"].values():
        assert ("evidence", ev["sha256"]) in cited
    assert any(kind == "decision" for kind, _ in cited)
    with s.workspace.read() as session:
        size = len(session.execute(select(AuditEntryRow.seq)).all())
    assert provenance["audit"]["size"] == size
    assert provenance["policy"]["content_hash"] == active_of(s.workspace).content_hash
    assert provenance["data_sha256"] == digest(report.data)


@pytest.mark.slow
def test_a_report_that_cannot_be_recorded_leaves_no_file(make_scenario: Build, tmp_path: Path) -> None:
    from scalegate.actor import Actor
    from scalegate.errors import PermissionDenied

    s = make_scenario("evaluated")
    with pytest.raises(PermissionDenied):
        write_capability_report(s.workspace, REF, tmp_path / "out", actor=Actor(name="nobody"))
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
