"""Safety cases built from the record: leaves bound to stored files and audit entries, and staleness."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from scalegate.errors import NotFoundError
from scalegate.evidence.manual import ManualResult
from scalegate.evidence.service import indicator_evidence, ingest_manual
from scalegate.months import add_months
from scalegate.reports.records import audit_entry
from scalegate.reports.safeguards import safeguards_data
from scalegate.reports.safety_case.builder import build_control_case, build_inability_case
from scalegate.reports.safety_case.freshness import validate_against_record
from scalegate.reports.safety_case.validate import CaseValidation, validate_case
from scalegate.safeguards.service import record_implementation
from scalegate.store.models.audit import AuditEntryRow
from tests.reports.conftest import Build
from tests.reports.scenario import MODEL, REF, evaluate, safeguard
from tests.support.policy import policy_of


def test_an_inability_case_binds_each_leaf_to_the_ingested_file_and_its_audit_entry(
    make_scenario: Build,
) -> None:
    s = make_scenario("evaluated")
    case = build_inability_case(s.workspace, REF, "AUTO-1", purpose="deploy")
    leaves = case.solutions()
    assert len(leaves) == 1
    binding = leaves[0].evidence
    assert binding is not None and binding.source == "evaluation" and binding.ref == "auto-tasks"
    indicator = policy_of(s.workspace).threshold("AUTO-1").indicators[0]
    with s.workspace.read() as session:
        stored = indicator_evidence(s.workspace, session, int(leaves[0].data["checkpoint_id"]), indicator)
        entry = session.get(AuditEntryRow, binding.audit_seq)
        assert stored is not None and entry is not None
        assert binding.sha256 == stored.sha256 and binding.audit_seq == stored.audit_seq
        assert entry.event == "evidence.ingested" and stored.sha256 in entry.body
    result = validate_against_record(s.workspace, case)
    assert result.valid, [d.to_dict() for d in result.diagnostics]


def test_a_threshold_the_evidence_cannot_rule_out_leaves_an_undeveloped_goal(make_scenario: Build) -> None:
    s = make_scenario("evaluated")
    case = build_inability_case(s.workspace, REF, "BIO-1", purpose="deploy")
    goal = case.node("G1.1")
    assert goal.undeveloped and not goal.supported_by and "alert" in goal.text
    assert case.solutions() == []
    review = validate_case(case, for_deploy=False)
    assert review.valid and [w.code for w in review.warnings] == ["C09"]  # it argues nothing yet
    assert validate_case(case).codes() == {"C09", "D01"}


def test_without_evidence_no_threshold_can_be_argued(make_scenario: Build) -> None:
    s = make_scenario("registered")
    case = build_inability_case(s.workspace, REF, "AUTO-1", purpose="deploy")
    assert case.node("G1.1").undeveloped and "insufficient evidence" in case.node("G1.1").text
    assert not validate_against_record(s.workspace, case).valid


def test_superseding_evidence_makes_the_case_stale(make_scenario: Build) -> None:
    s = make_scenario("evaluated")
    case = build_inability_case(s.workspace, REF, "AUTO-1", purpose="deploy")
    assert validate_against_record(s.workspace, case).valid
    old = case.solutions()[0].evidence
    assert old is not None
    # The same trial is re-graded: one more sample counts as correct, so the file and its hash change.
    samples = [{"id": f"s{i:03d}", "value": 1.0 if i < 3 else 0.0} for i in range(30)]
    result = ManualResult.model_validate(
        {
            "task": "tiny_auto",
            "metric": "acc",
            "model": MODEL,
            "run_id": "tiny_auto-c3",
            "samples": samples,
            "elicitation": ["helpful_only"],
        }
    )
    ingest_manual(s.workspace, s.evaluator, result, REF)
    stale = validate_against_record(s.workspace, case)
    assert not stale.valid
    f01 = [d for d in stale.diagnostics if d.code == "F01"]
    assert len(f01) == 1 and f01[0].node == case.solutions()[0].id and old.sha256[:12] in f01[0].message
    # Rebuilt from the record, the case is fresh again and cites the new file.
    rebuilt = build_inability_case(s.workspace, REF, "AUTO-1", purpose="deploy")
    new = rebuilt.solutions()[0].evidence
    assert new is not None and new.sha256 != old.sha256
    assert validate_against_record(s.workspace, rebuilt).valid


def test_a_leaf_citing_the_wrong_audit_entry_is_caught(make_scenario: Build) -> None:
    s = make_scenario("evaluated")
    case = build_inability_case(s.workspace, REF, "AUTO-1", purpose="deploy")
    doc = json.loads(case.to_json())
    leaf = next(n for n in doc["nodes"] if n["kind"] == "solution")
    leaf["evidence"]["audit_seq"] = 0  # the workspace's first entry records no evidence file
    forged = type(case).model_validate(doc)
    with s.workspace.read() as session:
        assert audit_entry(session, 0) is not None
    result = validate_against_record(s.workspace, forged)
    assert "F02" in result.codes() and not result.valid
    leaf["evidence"]["audit_seq"] = 10**6
    assert "F02" in validate_against_record(s.workspace, type(case).model_validate(doc)).codes()


def test_a_control_case_is_valid_once_safeguards_are_approved_and_goes_stale_when_evidence_expires(
    make_scenario: Build,
) -> None:
    s = make_scenario("safeguarded")
    case = build_control_case(s.workspace, "deployment", "L3", purpose="deploy", subject=REF)
    criteria = [n for n in case.nodes if n.kind == "goal" and n.data.get("criterion")]
    assert {n.data["criterion"] for n in criteria} == {
        "l2-dep-usage-policy",
        "l3-dep-red-team",
        "l3-dep-monitoring",
    }
    leaves = case.solutions()
    assert {leaf.evidence.source for leaf in leaves if leaf.evidence} == {"safeguard_evidence", "decision"}
    assert all(leaf.evidence is not None for leaf in leaves)
    fresh = validate_against_record(s.workspace, case)
    assert fresh.valid, [d.to_dict() for d in fresh.diagnostics]
    s.clock.advance(timedelta(days=400))  # past every document's expiry
    stale = validate_against_record(s.workspace, case)
    assert not stale.valid
    expired = [d for d in stale.diagnostics if d.code == "F03"]
    assert len(expired) == 3 and all("expired" in d.message for d in expired)
    assert "F04" in stale.codes()  # the determination no longer stands either
    assert build_control_case(s.workspace, "deployment", "L3", purpose="deploy").node("G1.1").undeveloped


def test_a_control_case_without_safeguards_admits_every_gap(make_scenario: Build) -> None:
    s = make_scenario("evaluated")
    case = build_control_case(s.workspace, "security", "L3", purpose="deploy")
    undeveloped = {n.id for n in case.nodes if n.undeveloped}
    assert undeveloped == {"G1.1", "G1.2", "G2"}
    assert validate_case(case).codes() == {"C09", "D01"}
    review = validate_case(case, for_deploy=False)
    assert review.valid and [w.code for w in review.warnings] == ["C09"]  # not "valid, 0 warnings"


# -- undeveloped goals go stale (gaps.py) ------------------------------------------------------------------


def _stale_gaps(result: CaseValidation) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for d in result.diagnostics:
        if d.code in ("F06", "F07"):
            found.setdefault(d.code, set()).add(str(d.node))
    return found


def test_an_undeveloped_goal_goes_stale_when_its_indicator_gets_a_result(make_scenario: Build) -> None:
    """The case admits a gap (no result for auto-tasks); once a result is ingested the gap it describes is
    no longer the record's, so the case is stale (F06) until rebuilt."""
    s = make_scenario("registered")
    case = build_inability_case(s.workspace, REF, "AUTO-1")
    assert case.node("G1.1").undeveloped
    before = validate_against_record(s.workspace, case)
    assert before.valid and _stale_gaps(before) == {}
    evaluate(s)
    after = validate_against_record(s.workspace, case)
    assert not after.valid and _stale_gaps(after) == {"F06": {"G1.1"}}
    [f06] = [d for d in after.diagnostics if d.code == "F06"]
    assert "no result when built" in f06.message and "auto-tasks" in f06.message
    rebuilt = build_inability_case(s.workspace, REF, "AUTO-1")
    assert _stale_gaps(validate_against_record(s.workspace, rebuilt)) == {}


def test_an_undeveloped_criterion_goes_stale_when_its_evidence_changes(make_scenario: Build) -> None:
    s = make_scenario("evaluated")
    case = build_control_case(s.workspace, "security", "L3")
    goals = {n.data["criterion"]: n.id for n in case.nodes if n.undeveloped and "criterion" in n.data}
    assert _stale_gaps(validate_against_record(s.workspace, case)) == {}
    criterion = sorted(goals)[0]
    record_implementation(s.workspace, s.people["sol"], criterion, owner="sol", status="in_progress")
    stale = validate_against_record(s.workspace, case)
    assert _stale_gaps(stale) == {"F06": {goals[criterion]}}, [d.to_dict() for d in stale.diagnostics]


def test_an_undeveloped_determination_goes_stale_when_one_is_signed(make_scenario: Build) -> None:
    s = make_scenario("evaluated")
    case = build_control_case(s.workspace, "security", "L3")
    assert case.node("G2").undeveloped
    safeguard(s, ("security",))
    stale = _stale_gaps(validate_against_record(s.workspace, case))
    assert "G2" in stale["F06"] and set(stale["F06"]) == {n.id for n in case.nodes if n.undeveloped}


@pytest.mark.parametrize(
    ("kind", "months"),
    [("inability", 6), ("control", 12)],  # triggers.calendar (§3.1); safeguards re-approval (§4)
)
def test_an_undeveloped_goal_older_than_the_policys_cadence_is_stale(
    make_scenario: Build, kind: str, months: int
) -> None:
    s = make_scenario("evaluated")
    if kind == "inability":
        case = build_inability_case(s.workspace, REF, "BIO-1")
    else:
        case = build_control_case(s.workspace, "security", "L3")
    gaps = {n.id for n in case.nodes if n.undeveloped}
    assert gaps
    s.clock.set(add_months(s.clock.now(), months) - timedelta(days=1))
    assert "F07" not in validate_against_record(s.workspace, case).codes()
    s.clock.advance(timedelta(days=1))
    stale = validate_against_record(s.workspace, case)
    assert not stale.valid and _stale_gaps(stale).get("F07") == gaps
    f07 = next(d for d in stale.diagnostics if d.code == "F07")
    assert f"{months} months" in f07.message and "TSP v1.0" in f07.message


@pytest.mark.parametrize("kind", ["deployment", "security"])
def test_a_standard_the_policy_lacks_is_refused_by_name_in_the_case_and_the_report(
    make_scenario: Build, kind: str
) -> None:
    s = make_scenario("evaluated")
    policy_id = policy_of(s.workspace).id
    for build in (build_control_case, safeguards_data):
        with pytest.raises(NotFoundError, match=f"policy {policy_id} has no {kind} level 'L9'") as refused:
            build(s.workspace, kind, "L9")
        assert refused.value.where == "standard"
