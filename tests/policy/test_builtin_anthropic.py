"""The built-in Anthropic RSP policies (v1.0, v2.0, v2.1, v2.2), checked against the published texts."""

from __future__ import annotations

import json
from datetime import date

import pytest

from scalegate.policy import DEFAULT_POLICY_ID, Policy, builtin_ids
from tests.policy.builtin_support import REFERENCE, WORKFLOW_ROLES, builtin_policy, squash, walk_sources

# policy id -> (reference text, manifest identifier, version, effective date, document name)
POLICIES = {
    "anthropic-rsp-1.0": (
        "anthropic-rsp-v1.0.txt",
        "ANT-RSP-v1-0",
        "1.0",
        date(2023, 9, 19),
        "Anthropic RSP v1.0",
    ),
    "anthropic-rsp-2.0": (
        "anthropic-rsp-v2.0.txt",
        "ANT-RSP-v2-0",
        "2.0",
        date(2024, 10, 15),
        "Anthropic RSP v2.0",
    ),
    "anthropic-rsp-2.1": (
        "anthropic-rsp-v2.1.txt",
        "ANT-RSP-v2-1",
        "2.1",
        date(2025, 3, 31),
        "Anthropic RSP v2.1",
    ),
    "anthropic-rsp-2.2": (
        "anthropic-rsp-v2.2.txt",
        "ANT-RSP-v2-2",
        "2.2",
        date(2025, 5, 14),
        "Anthropic RSP v2.2",
    ),
}
R10, R20, R21, R22 = "anthropic-rsp-1.0", "anthropic-rsp-2.0", "anthropic-rsp-2.1", "anthropic-rsp-2.2"
IDS = list(POLICIES)
V2 = [R20, R21, R22]


def _required(policy: Policy, threshold_id: str) -> set[tuple[str, str]]:
    return {(r.kind, r.level) for r in policy.threshold(threshold_id).required_safeguards}


# -- identity, dates, lineage ----------------------------------------------------------------------------


@pytest.mark.parametrize("policy_id", IDS)
def test_builtin_validates_and_is_listed(policy_id: str) -> None:
    policy = builtin_policy(policy_id)
    assert policy.id == policy_id
    assert policy_id in builtin_ids()
    assert (policy.framework.name, policy.framework.publisher) == ("Responsible Scaling Policy", "Anthropic")


def test_default_policy_is_rsp_2_2() -> None:
    assert DEFAULT_POLICY_ID == R22


@pytest.mark.parametrize("policy_id", IDS)
def test_version_and_effective_date(policy_id: str) -> None:
    _, _, version, effective, document = POLICIES[policy_id]
    framework = builtin_policy(policy_id).framework
    assert framework.version == version
    assert framework.effective_date == effective
    assert framework.document == document
    assert framework.changelog[-1].version == version
    assert framework.changelog[-1].date == effective


@pytest.mark.parametrize("policy_id", IDS)
def test_dates_match_the_reference_manifest(policy_id: str) -> None:
    manifest = REFERENCE / "manifest.jsonl"
    entries = {
        e["identifier"]: e for e in map(json.loads, manifest.read_text(encoding="utf-8").splitlines()) if e
    }
    _, identifier, _, _, _ = POLICIES[policy_id]
    assert builtin_policy(policy_id).framework.effective_date == date.fromisoformat(
        entries[identifier]["date"]
    )


@pytest.mark.parametrize(
    ("policy_id", "supersedes"),
    [(R10, None), (R20, R10), (R21, R20), (R22, R21)],
)
def test_supersedes_the_previous_builtin(policy_id: str, supersedes: str | None) -> None:
    assert builtin_policy(policy_id).framework.supersedes == supersedes


def test_rsp_2_1_changelog_ends_at_2_1() -> None:
    entries = {e.version: e.date for e in builtin_policy(R21).framework.changelog}
    assert entries == {"1.0": date(2023, 9, 19), "2.0": date(2024, 10, 15), "2.1": date(2025, 3, 31)}


def test_rsp_2_2_changelog_encodes_every_entry() -> None:
    entries = {e.version: e.date for e in builtin_policy(R22).framework.changelog}
    assert entries == {
        "1.0": date(2023, 9, 19),
        "2.0": date(2024, 10, 15),
        "2.1": date(2025, 3, 31),
        "2.2": date(2025, 5, 14),
    }


# -- the texts: every rule cites a quote that is really there --------------------------------------------


@pytest.mark.parametrize("policy_id", IDS)
def test_every_source_cites_this_document_with_a_quote(policy_id: str) -> None:
    policy = builtin_policy(policy_id)
    bad = [
        path
        for path, source in walk_sources(policy)
        if source.document != policy.framework.document or not (source.quote or "").strip()
    ]
    assert bad == []


@pytest.mark.parametrize("policy_id", IDS)
def test_every_quote_occurs_in_the_reference_text(policy_id: str) -> None:
    text_file = REFERENCE / POLICIES[policy_id][0]
    text = squash(text_file.read_text(encoding="utf-8"))
    missing = [
        f"{path}: {source.quote!r}"
        for path, source in walk_sources(builtin_policy(policy_id))
        if source.quote and squash(source.quote) not in text
    ]
    assert missing == []


# -- assessment triggers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy_id", "ratio", "months", "basis", "buffer", "deadline_days", "discretionary"),
    [
        (R10, 4.0, 3, "since_last_assessment", 6.0, None, None),
        (R20, 4.0, 6, "post_training_accumulated", None, 30, ["rso"]),
        (R22, 4.0, 6, "post_training_accumulated", None, 30, ["rso"]),
        (R21, 4.0, 6, "post_training_accumulated", None, 30, ["rso"]),
    ],
)
def test_assessment_triggers(
    policy_id: str,
    ratio: float,
    months: int,
    basis: str,
    buffer: float | None,
    deadline_days: int | None,
    discretionary: list[str] | None,
) -> None:
    triggers = builtin_policy(policy_id).triggers
    assert triggers.effective_compute is not None and triggers.effective_compute.ratio == ratio
    assert triggers.calendar is not None
    assert (triggers.calendar.months, triggers.calendar.basis) == (months, basis)
    actual_buffer = triggers.safety_buffer.effective_compute_multiple if triggers.safety_buffer else None
    assert actual_buffer == buffer
    assert triggers.deadline_days == deadline_days
    assert (triggers.deadline_source is not None) == (deadline_days is not None)
    assert (triggers.discretionary.roles if triggers.discretionary else None) == discretionary


def test_v1_buffer_exceeds_its_evaluation_interval() -> None:
    triggers = builtin_policy(R10).triggers
    assert triggers.safety_buffer is not None and triggers.effective_compute is not None
    assert triggers.safety_buffer.effective_compute_multiple > triggers.effective_compute.ratio


# -- thresholds -> required safeguards -------------------------------------------------------------------

DEP3, SEC3 = ("deployment", "ASL-3"), ("security", "ASL-3")
DEP4, SEC4 = ("deployment", "ASL-4"), ("security", "ASL-4")


@pytest.mark.parametrize(
    ("policy_id", "threshold_id", "status", "required", "mapping", "affirmative_case"),
    [
        (R22, "CBRN-3", "active", {DEP3, SEC3}, "required", False),
        (R22, "CBRN-4", "active", {DEP4, SEC4}, "expected", False),
        (R22, "AI R&D-4", "active", {SEC3}, "required", True),
        (R22, "AI R&D-5", "active", {SEC4}, "required", True),
        (R22, "autonomy-checkpoint", "checkpoint", set(), "required", False),
        (R22, "Cyber Operations", "ongoing_assessment", set(), "required", False),
        (R21, "CBRN-3", "active", {DEP3, SEC3}, "required", False),
        (R21, "CBRN-4", "active", {DEP4, SEC4}, "expected", False),
        (R21, "AI R&D-4", "active", {SEC3}, "required", True),
        (R21, "AI R&D-5", "active", {SEC4}, "required", True),
        (R20, "CBRN", "active", {DEP3, SEC3}, "required", False),
        (R20, "AI R&D", "active", {SEC3}, "required", True),
        (R20, "autonomy-checkpoint", "checkpoint", set(), "required", False),
        (R20, "Cyber Operations", "ongoing_assessment", set(), "required", False),
        (R10, "ASL-3 misuse", "active", {DEP3, SEC3}, "required", False),
        (R10, "ASL-3 ARA", "active", {DEP3, SEC3}, "required", False),
    ],
)
def test_threshold_maps_to_required_safeguards(
    policy_id: str,
    threshold_id: str,
    status: str,
    required: set[tuple[str, str]],
    mapping: str,
    affirmative_case: bool,
) -> None:
    policy = builtin_policy(policy_id)
    threshold = policy.threshold(threshold_id)
    assert threshold.status == status
    assert _required(policy, threshold_id) == required
    assert threshold.mapping == mapping
    assert threshold.affirmative_case_required is affirmative_case


@pytest.mark.parametrize(
    ("policy_id", "thresholds"),
    [
        (R10, {"ASL-3 misuse", "ASL-3 ARA"}),
        (R20, {"CBRN", "AI R&D", "autonomy-checkpoint", "Cyber Operations"}),
        (R22, {"CBRN-3", "CBRN-4", "AI R&D-4", "AI R&D-5", "autonomy-checkpoint", "Cyber Operations"}),
        (R21, {"CBRN-3", "CBRN-4", "AI R&D-4", "AI R&D-5", "autonomy-checkpoint", "Cyber Operations"}),
    ],
)
def test_threshold_set(policy_id: str, thresholds: set[str]) -> None:
    assert {t.id for t in builtin_policy(policy_id).thresholds} == thresholds


@pytest.mark.parametrize(
    ("policy_id", "rules_out"),
    [(R20, ["AI R&D"]), (R21, ["AI R&D-4", "AI R&D-5"]), (R22, ["AI R&D-4", "AI R&D-5"])],
)
def test_autonomy_checkpoint_rules_out_the_ai_rd_thresholds(policy_id: str, rules_out: list[str]) -> None:
    policy = builtin_policy(policy_id)
    checkpoint = policy.threshold("autonomy-checkpoint")
    assert checkpoint.rules_out == rules_out
    assert checkpoint.on_reach
    assert checkpoint.indicators
    # The AI R&D thresholds have no evidence of their own: only the checkpoint rules them out.
    assert all(not policy.threshold(t).indicators for t in rules_out)


@pytest.mark.parametrize("policy_id", IDS)
def test_asl4_criteria_are_unpublished(policy_id: str) -> None:
    policy = builtin_policy(policy_id)
    for kind in ("deployment", "security"):
        level = policy.level(kind, "ASL-4")
        assert level.criteria_published is False
        assert level.criteria == []
        assert level.note


@pytest.mark.parametrize("policy_id", IDS)
def test_levels_are_ranked_by_asl_number_and_baseline_is_asl2(policy_id: str) -> None:
    policy = builtin_policy(policy_id)
    assert {(r.kind, r.level) for r in policy.safeguards.baseline} == {
        ("deployment", "ASL-2"),
        ("security", "ASL-2"),
    }
    for level in policy.safeguards.levels:
        assert level.rank == int(level.id.removeprefix("ASL-"))
        assert level.criteria or not level.criteria_published or level.id == "ASL-1"


@pytest.mark.parametrize(
    ("policy_id", "deployment", "security"),
    [
        (
            R22,
            {
                "threat-modeling",
                "defense-in-depth",
                "red-teaming",
                "rapid-remediation",
                "monitoring",
                "trusted-users",
                "third-party-environments",
            },
            {
                "threat-modeling",
                "frameworks-perimeters-access",
                "frameworks-lifecycle",
                "frameworks-monitoring",
                "frameworks-resourcing",
                "frameworks-existing-guidance",
                "audits",
                "third-party-environments",
            },
        ),
        (
            R20,
            {
                "threat-modeling",
                "defense-in-depth",
                "red-teaming",
                "rapid-remediation",
                "monitoring",
                "trusted-users",
                "third-party-environments",
            },
            {
                "threat-modeling",
                "frameworks-perimeters-access",
                "frameworks-lifecycle",
                "frameworks-monitoring",
                "frameworks-resourcing",
                "frameworks-existing-guidance",
                "audits",
                "third-party-environments",
            },
        ),
    ],
)
def test_asl3_criteria_follow_section_4(policy_id: str, deployment: set[str], security: set[str]) -> None:
    policy = builtin_policy(policy_id)
    assert {
        c.id.removeprefix("asl3-dep-") for c in policy.level("deployment", "ASL-3").criteria
    } == deployment
    assert {c.id.removeprefix("asl3-sec-") for c in policy.level("security", "ASL-3").criteria} == security


@pytest.mark.parametrize("policy_id", V2)
def test_asl2_criteria_follow_appendix_b(policy_id: str) -> None:
    policy = builtin_policy(policy_id)
    assert len(policy.level("deployment", "ASL-2").criteria) == 4
    assert len(policy.level("security", "ASL-2").criteria) == 6


@pytest.mark.parametrize(
    ("policy_id", "out_of_scope_fragment", "present"),
    [
        (R22, "sophisticated insiders", True),
        (R22, "state-compromised insiders", True),
        (R21, "highly sophisticated state-compromised insiders", True),
        (R21, "sophisticated insiders (persistent", False),
        (R20, "highly sophisticated state-compromised insiders", True),
        (R20, "sophisticated insiders (persistent", False),
        (R10, "state-level resourcing", True),
    ],
)
def test_asl3_security_threat_actors(policy_id: str, out_of_scope_fragment: str, present: bool) -> None:
    level = builtin_policy(policy_id).level("security", "ASL-3")
    assert level.threat_actors_in_scope
    assert any(out_of_scope_fragment in actor for actor in level.threat_actors_out_of_scope) is present


@pytest.mark.parametrize(("policy_id", "months"), [(R10, None), (R20, 12), (R21, 12), (R22, 12)])
def test_safeguards_reapproval_interval(policy_id: str, months: int | None) -> None:
    safeguards = builtin_policy(policy_id).safeguards
    assert safeguards.reapproval_interval_months == months
    assert (safeguards.reapproval_source is not None) == (months is not None)


# -- indicators: examples are marked as examples ---------------------------------------------------------


@pytest.mark.parametrize("policy_id", IDS)
def test_public_eval_bindings_are_marked_examples(policy_id: str) -> None:
    for threshold, indicator in builtin_policy(policy_id).indicators():
        if indicator.evaluation.task.startswith("inspect_evals/"):
            assert indicator.example, (
                f"{threshold.id}/{indicator.id} binds a public eval but is not marked an example"
            )
            assert indicator.note
            assert indicator.threshold is not None and indicator.alert is not None
            assert indicator.alert < indicator.threshold
            assert indicator.min_samples > 1


def test_rsp_2_2_example_bindings() -> None:
    policy = builtin_policy(R22)
    tasks = {t.id: {i.evaluation.task for i in t.indicators} for t in policy.thresholds}
    assert tasks["CBRN-3"] == {"inspect_evals/wmdp_bio", "inspect_evals/lab_bench_protocolqa"}
    assert tasks["Cyber Operations"] == {"inspect_evals/cybench"}
    assert tasks["autonomy-checkpoint"]
    # Ruling out CBRN-3 rules out CBRN-4; CBRN-4's own example asks for a higher score on the same benchmark.
    assert policy.threshold("CBRN-3").rules_out == ["CBRN-4"]
    cbrn3 = {i.evaluation.task: i for i in policy.threshold("CBRN-3").indicators}
    for indicator in policy.threshold("CBRN-4").indicators:
        lower = cbrn3[indicator.evaluation.task]
        assert indicator.alert is not None and lower.threshold is not None
        assert indicator.alert > lower.threshold


def test_rsp_1_0_autonomy_indicator_uses_the_published_numbers() -> None:
    indicator = next(iter(builtin_policy(R10).threshold("ASL-3 ARA").indicators))
    assert indicator.example is False
    assert indicator.evaluation.harness == "manual"
    assert (indicator.threshold, indicator.min_samples, indicator.min_epochs) == (0.5, 5, 10)


# -- decisions, notices, gate rules ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy_id", "decision", "signers", "notified", "timing"),
    [
        (R22, "capability_determination", ["ceo", "rso"], {"board", "ltbt"}, "before_proceeding"),
        (R22, "safeguards_determination", ["ceo", "rso"], {"board", "ltbt"}, "before_proceeding"),
        (R22, "affirmative_case", ["ceo", "rso"], {"board", "ltbt"}, "before_proceeding"),
        (R22, "interim_measures", ["ceo", "rso"], {"board", "ltbt"}, "after_decision"),
        (R22, "policy_change", ["ceo", "rso", "board"], {"ltbt"}, "before_proceeding"),
        (R20, "capability_determination", ["ceo", "rso"], {"board", "ltbt"}, "before_proceeding"),
        (R20, "safeguards_determination", ["ceo", "rso"], {"board", "ltbt"}, "before_proceeding"),
        (R20, "interim_measures", ["ceo", "rso"], {"board", "ltbt"}, "after_decision"),
        (R20, "policy_change", ["ceo", "rso", "board"], {"ltbt"}, "before_proceeding"),
        (R10, "capability_determination", ["rso"], {"board", "ltbt"}, "promptly"),
        (R10, "policy_change", ["board"], {"ltbt"}, "before_proceeding"),
    ],
)
def test_decision_signoffs_and_notifications(
    policy_id: str, decision: str, signers: list[str], notified: set[str], timing: str
) -> None:
    rule = builtin_policy(policy_id).decision_rule(decision)
    assert rule is not None
    assert rule.signoff_roles == signers
    assert {n.role for n in rule.notify} == notified
    assert {n.timing for n in rule.notify} == {timing}


def test_rsp_1_0_has_no_safeguards_or_interim_process() -> None:
    policy = builtin_policy(R10)
    assert policy.decision_rule("safeguards_determination") is None
    assert policy.interim_measures is None
    assert policy.government_notice is None


@pytest.mark.parametrize("policy_id", V2)
def test_government_notice_above_asl2(policy_id: str) -> None:
    notice = builtin_policy(policy_id).government_notice
    assert notice is not None
    assert {(r.kind, r.level) for r in notice.when_required_exceeds} == {
        ("deployment", "ASL-2"),
        ("security", "ASL-2"),
    }


@pytest.mark.parametrize(
    ("policy_id", "action", "kinds", "decisions"),
    [
        (R22, "continue-training", ["security"], []),
        (
            R22,
            "deploy-internal",
            ["deployment", "security"],
            ["capability_determination", "safeguards_determination"],
        ),
        (
            R22,
            "deploy-external",
            ["deployment", "security"],
            ["capability_determination", "safeguards_determination"],
        ),
        (R20, "continue-training", ["security"], []),
        (
            R20,
            "deploy-internal",
            ["deployment", "security"],
            ["capability_determination", "safeguards_determination"],
        ),
        (
            R20,
            "deploy-external",
            ["deployment", "security"],
            ["capability_determination", "safeguards_determination"],
        ),
        (R10, "continue-training", ["security"], []),
        (R10, "deploy-internal", ["deployment", "security"], ["capability_determination"]),
        (R10, "deploy-external", ["deployment", "security"], ["capability_determination"]),
    ],
)
def test_gate_action_rules(policy_id: str, action: str, kinds: list[str], decisions: list[str]) -> None:
    rule = next(a for a in builtin_policy(policy_id).actions if a.action == action)
    assert rule.requires_kinds == kinds
    assert rule.requires_decisions == decisions


@pytest.mark.parametrize("policy_id", IDS)
def test_training_pause_is_on_the_security_standard(policy_id: str) -> None:
    pause = builtin_policy(policy_id).training_pause
    assert pause is not None
    assert (pause.kind, pause.effective_compute_multiple, pause.sufficient_level) == ("security", 1.0, None)


@pytest.mark.parametrize("policy_id", V2)
def test_interim_measures(policy_id: str) -> None:
    interim = builtin_policy(policy_id).interim_measures
    assert interim is not None
    assert interim.approver_roles == ["ceo", "rso"]
    assert {n.role for n in interim.notify} == {"board", "ltbt"}
    assert interim.actions == ["deploy-internal", "deploy-external"]


# -- governance ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("policy_id", IDS)
def test_roles_include_framework_and_workflow_roles(policy_id: str) -> None:
    roles = builtin_policy(policy_id).role_ids()
    assert {"rso", "ceo", "board", "ltbt"} <= roles
    assert roles >= WORKFLOW_ROLES


@pytest.mark.parametrize(
    ("policy_id", "proposers", "routing"),
    [
        (R10, ["rso"], set()),
        (R20, ["ceo", "rso"], {("rso", "board")}),
        (R22, ["ceo", "rso"], {("rso", "board")}),
    ],
)
def test_change_control_and_noncompliance(
    policy_id: str, proposers: list[str], routing: set[tuple[str, str]]
) -> None:
    governance = builtin_policy(policy_id).governance
    change = governance.change_control
    assert change.proposer_roles == proposers
    assert (change.approver_roles, change.consulted_roles) == (["board"], ["ltbt"])
    assert change.publication_before_effect is True
    nc = governance.noncompliance
    assert nc.anonymous_intake is True
    assert (nc.recipient_role, nc.material_risk_notify_role, nc.summary_interval_months) == (
        "rso",
        "board",
        3,
    )
    assert {(r.concerning_role, r.route_to) for r in nc.routing} == routing


@pytest.mark.parametrize(
    ("policy_id", "cadences"),
    [
        (
            R22,
            {
                ("procedural-review", "review", 12),
                ("public-updates", "publication", 12),
                ("safeguards-reapproval", "reapproval", 12),
                ("noncompliance-summary", "summary", 3),
                ("drill-training-pause", "drill", 12),
                ("drill-weight-security-incident", "drill", 12),
                ("drill-severe-jailbreak", "drill", 12),
            },
        ),
        (
            R20,
            {
                ("procedural-review", "review", 12),
                ("public-updates", "publication", 12),
                ("safeguards-reapproval", "reapproval", 12),
                ("noncompliance-summary", "summary", 3),
                ("drill-training-pause", "drill", 12),
                ("drill-weight-security-incident", "drill", 12),
                ("drill-severe-jailbreak", "drill", 12),
            },
        ),
        (
            R10,
            {
                ("rso-quarterly-report", "summary", 3),
                ("drill-training-pause", "drill", 12),
                ("drill-vulnerability-response", "drill", 12),
            },
        ),
    ],
)
def test_cadences(policy_id: str, cadences: set[tuple[str, str, int]]) -> None:
    actual = {(c.id, c.kind, c.interval_months) for c in builtin_policy(policy_id).governance.cadences}
    assert actual == cadences


@pytest.mark.parametrize("policy_id", IDS)
def test_public_summary_hides_indicator_values(policy_id: str) -> None:
    redaction = builtin_policy(policy_id).redaction
    assert redaction.hide_indicator_values is True
    assert redaction.source is not None


@pytest.mark.parametrize("policy_id", IDS)
def test_notes_explain_the_examples(policy_id: str) -> None:
    notes = " ".join(builtin_policy(policy_id).notes)
    assert "EXAMPLE" in notes
    assert "ASL-4" in notes
