"""The built-in OpenAI Preparedness Framework v2 and GDM FSF v3.0 policies, checked against their texts."""

from __future__ import annotations

from datetime import date

import pytest

from tests.policy.builtin_support import REFERENCE, WORKFLOW_ROLES, builtin_policy, squash, walk_sources

TEXTS = {
    "openai-preparedness-2": "openai-preparedness-framework-v2.txt",
    "gdm-fsf-3.0": "gdm-frontier-safety-framework-v3.0.txt",
}
ALL_ACTIONS = ["continue-training", "deploy-internal", "deploy-external"]


@pytest.mark.parametrize(
    ("policy_id", "name", "publisher", "version", "effective", "document"),
    [
        (
            "openai-preparedness-2",
            "Preparedness Framework",
            "OpenAI",
            "2",
            date(2025, 4, 15),
            "OpenAI Preparedness Framework v2",
        ),
        (
            "gdm-fsf-3.0",
            "Frontier Safety Framework",
            "Google DeepMind",
            "3.0",
            date(2025, 9, 22),
            "GDM Frontier Safety Framework v3.0",
        ),
    ],
)
def test_framework_identity_and_date(
    policy_id: str, name: str, publisher: str, version: str, effective: date, document: str
) -> None:
    policy = builtin_policy(policy_id)
    assert policy.id == policy_id
    assert (policy.framework.name, policy.framework.publisher) == (name, publisher)
    assert policy.framework.version == version
    assert policy.framework.effective_date == effective
    assert policy.framework.document == document
    assert policy.framework.changelog[-1].date == effective


def test_gdm_changelog_lists_past_versions() -> None:
    dates = {e.version: e.date for e in builtin_policy("gdm-fsf-3.0").framework.changelog}
    assert dates["1.0"] == date(2024, 5, 17)
    assert dates["2.0"] == date(2025, 2, 4)


@pytest.mark.parametrize("policy_id", sorted(TEXTS))
def test_every_quote_is_verbatim_in_the_text(policy_id: str) -> None:
    text_file = REFERENCE / TEXTS[policy_id]
    text = squash(text_file.read_text(encoding="utf-8"))
    policy = builtin_policy(policy_id)
    sources = list(walk_sources(policy))
    assert len(sources) > 40
    missing = [(path, s.quote) for path, s in sources if s.quote is None or squash(s.quote) not in text]
    assert not missing, missing


@pytest.mark.parametrize("policy_id", sorted(TEXTS))
def test_every_source_names_the_framework_document(policy_id: str) -> None:
    policy = builtin_policy(policy_id)
    documents = {s.document for _, s in walk_sources(policy)}
    assert documents == {policy.framework.document}


OPENAI_MAPPING = [
    (
        "Biological and Chemical High",
        [("security", "High", None), ("deployment", "High", ["deploy-external"])],
    ),
    (
        "Biological and Chemical Critical",
        [("security", "Critical", None), ("deployment", "Critical", ALL_ACTIONS)],
    ),
    (
        "Cybersecurity High",
        [("security", "High", None), ("deployment", "High", ["deploy-internal", "deploy-external"])],
    ),
    ("Cybersecurity Critical", [("security", "Critical", None), ("deployment", "Critical", ALL_ACTIONS)]),
    ("AI Self-improvement High", [("security", "High", None)]),
    (
        "AI Self-improvement Critical",
        [("security", "Critical", None), ("deployment", "Critical", ALL_ACTIONS)],
    ),
]

GDM_MAPPING = [
    (
        "CBRN uplift level 1",
        [("security", "SL2", None), ("deployment", "misuse-safety-case", ["deploy-external"])],
    ),
    (
        "Cyber uplift level 1",
        [("security", "SL2", None), ("deployment", "misuse-safety-case", ["deploy-external"])],
    ),
    (
        "Harmful manipulation level 1",
        [("security", "SL2", None), ("deployment", "misuse-safety-case", ["deploy-external"])],
    ),
    (
        "ML R&D acceleration level 1",
        [
            ("security", "SL3", None),
            ("deployment", "ml-rd-safety-case", ["deploy-internal", "deploy-external"]),
        ],
    ),
    (
        "ML R&D automation level 1",
        [
            ("security", "SL4", None),
            ("deployment", "ml-rd-safety-case", ["deploy-internal", "deploy-external"]),
        ],
    ),
]


@pytest.mark.parametrize(
    ("policy_id", "threshold_id", "expected"),
    [("openai-preparedness-2", t, e) for t, e in OPENAI_MAPPING]
    + [("gdm-fsf-3.0", t, e) for t, e in GDM_MAPPING],
)
def test_threshold_requires_safeguards(
    policy_id: str, threshold_id: str, expected: list[tuple[str, str, list[str] | None]]
) -> None:
    threshold = builtin_policy(policy_id).threshold(threshold_id)
    assert threshold.status == "active"
    assert threshold.mapping == "required"
    got = [(r.kind, r.level, r.applies_to) for r in threshold.required_safeguards]
    assert sorted(got, key=str) == sorted(expected, key=str)


@pytest.mark.parametrize(
    ("policy_id", "tracked"),
    [
        ("openai-preparedness-2", {t for t, _ in OPENAI_MAPPING}),
        ("gdm-fsf-3.0", {t for t, _ in GDM_MAPPING}),
    ],
)
def test_only_the_tracked_thresholds_are_active(policy_id: str, tracked: set[str]) -> None:
    policy = builtin_policy(policy_id)
    assert {t.id for t in policy.thresholds if t.status == "active"} == tracked


@pytest.mark.parametrize(
    ("policy_id", "threshold_id"),
    [
        ("openai-preparedness-2", "Long-range Autonomy"),
        ("openai-preparedness-2", "Sandbagging"),
        ("openai-preparedness-2", "Autonomous Replication and Adaptation"),
        ("openai-preparedness-2", "Undermining Safeguards"),
        ("openai-preparedness-2", "Nuclear and Radiological"),
        ("gdm-fsf-3.0", "Instrumental Reasoning Level 1"),
        ("gdm-fsf-3.0", "Instrumental Reasoning Level 2"),
    ],
)
def test_research_and_exploratory_categories_require_no_safeguards(policy_id: str, threshold_id: str) -> None:
    threshold = builtin_policy(policy_id).threshold(threshold_id)
    assert threshold.status == "research_category"
    assert threshold.required_safeguards == []
    assert threshold.on_reach, "the text's potential response or illustrative mitigation is listed"


def test_openai_levels_and_unpublished_critical_standard() -> None:
    policy = builtin_policy("openai-preparedness-2")
    for kind in ("deployment", "security"):
        assert [(lv.id, lv.rank) for lv in policy.levels_of(kind)] == [
            ("Baseline", 0),
            ("High", 1),
            ("Critical", 2),
        ]
        assert policy.level(kind, "High").criteria_published
        assert policy.level(kind, "High").criteria
        critical = policy.level(kind, "Critical")
        assert not critical.criteria_published
        assert critical.criteria == []
    assert {(r.kind, r.level) for r in policy.safeguards.baseline} == {
        ("deployment", "Baseline"),
        ("security", "Baseline"),
    }
    # Appendix C.3 lists sixteen required practices for High capability models.
    assert len(policy.level("security", "High").criteria) == 16


def test_gdm_security_levels_follow_rand() -> None:
    policy = builtin_policy("gdm-fsf-3.0")
    assert [(lv.id, lv.rank) for lv in policy.levels_of("security")] == [(f"SL{n}", n) for n in range(1, 6)]
    assert [lv.id for lv in policy.levels_of("deployment")] == [
        "Baseline",
        "misuse-safety-case",
        "ml-rd-safety-case",
    ]
    assert not policy.level("security", "SL5").criteria_published
    for level in ("SL2", "SL3", "SL4"):
        assert policy.level("security", level).criteria
    assert {(r.kind, r.level) for r in policy.safeguards.baseline} == {
        ("deployment", "Baseline"),
        ("security", "SL1"),
    }


def test_gdm_alert_thresholds_trigger_assessment() -> None:
    assert {t.alert_means for t in builtin_policy("gdm-fsf-3.0").thresholds} == {"comprehensive_assessment"}


def test_openai_alerts_mean_cannot_rule_out() -> None:
    assert {t.alert_means for t in builtin_policy("openai-preparedness-2").thresholds} == {"cannot_rule_out"}


@pytest.mark.parametrize(
    ("policy_id", "decision", "roles"),
    [
        ("openai-preparedness-2", "capability_determination", ["sag", "leadership"]),
        ("openai-preparedness-2", "safeguards_determination", ["sag", "leadership"]),
        ("openai-preparedness-2", "deployment", ["sag", "leadership"]),
        ("gdm-fsf-3.0", "capability_determination", ["governance_function"]),
        ("gdm-fsf-3.0", "safeguards_determination", ["governance_function"]),
        ("gdm-fsf-3.0", "deployment", ["governance_function"]),
    ],
)
def test_signoff_roles(policy_id: str, decision: str, roles: list[str]) -> None:
    rule = builtin_policy(policy_id).decision_rule(decision)
    assert rule is not None
    assert rule.signoff_roles == roles


def test_openai_board_committee_oversees_decisions() -> None:
    policy = builtin_policy("openai-preparedness-2")
    for rule in policy.decisions:
        assert [(n.role, n.timing) for n in rule.notify] == [("ssc", "after_decision")]
    cc = policy.governance.change_control
    assert (cc.approver_roles, cc.consulted_roles) == (["leadership"], ["sag"])


@pytest.mark.parametrize("policy_id", sorted(TEXTS))
def test_workflow_roles_have_no_source(policy_id: str) -> None:
    roles = {r.id: r for r in builtin_policy(policy_id).governance.roles}
    assert set(roles) >= WORKFLOW_ROLES
    for role_id, role in roles.items():
        assert (role.source is None) == (role_id in WORKFLOW_ROLES), role_id


@pytest.mark.parametrize("policy_id", sorted(TEXTS))
def test_no_compute_or_calendar_trigger_but_events(policy_id: str) -> None:
    triggers = builtin_policy(policy_id).triggers
    assert triggers.effective_compute is None
    assert triggers.calendar is None
    assert triggers.safety_buffer is None
    assert "before_deployment" in {e.event for e in triggers.events}
    assert "capability_increase" in {e.event for e in triggers.events}


def test_openai_sag_may_call_for_deep_dives() -> None:
    discretionary = builtin_policy("openai-preparedness-2").triggers.discretionary
    assert discretionary is not None
    assert discretionary.roles == ["sag"]


@pytest.mark.parametrize("policy_id", sorted(TEXTS))
def test_training_needs_security_and_deployment_needs_both(policy_id: str) -> None:
    policy = builtin_policy(policy_id)
    actions = {a.action: a for a in policy.actions}
    assert actions["continue-training"].requires_kinds == ["security"]
    assert set(actions["deploy-external"].requires_kinds) == {"security", "deployment"}
    assert set(actions["deploy-external"].requires_decisions) >= {"capability_determination", "deployment"}
    assert policy.training_pause is not None
    assert policy.training_pause.kind == "security"
    assert policy.training_pause.sufficient_level is None


@pytest.mark.parametrize("policy_id", sorted(TEXTS))
def test_indicators_are_marked_examples_with_a_safety_buffer(policy_id: str) -> None:
    policy = builtin_policy(policy_id)
    pairs = policy.indicators()
    assert pairs
    for _, indicator in pairs:
        assert indicator.threshold is not None and indicator.alert is not None, indicator.id
        assert indicator.alert < indicator.threshold, indicator.id
        assert indicator.note, indicator.id
        if indicator.evaluation.harness == "inspect":
            assert indicator.example, indicator.id
            assert indicator.evaluation.task.startswith("inspect_evals/"), indicator.id
            assert indicator.min_samples > 1, indicator.id
    # Every active threshold has at least one indicator, so it can be ruled out by data.
    with_indicators = {t.id for t, _ in pairs}
    assert {t.id for t in policy.thresholds if t.status == "active"} <= with_indicators


def test_openai_lagging_indicator_uses_the_texts_own_number() -> None:
    policy = builtin_policy("openai-preparedness-2")
    indicator = next(i for _, i in policy.indicators() if i.id == "oai-si-critical-generational-speedup")
    assert indicator.threshold == 5.0  # "in 1/5th the wall-clock time of equivalent progress in 2024"
    assert not indicator.example


@pytest.mark.parametrize(
    ("policy_id", "phrases"),
    [
        (
            "openai-preparedness-2",
            ["indicative thresholds", "effective-compute", "deadline", "re-approval", "negligible rate"],
        ),
        ("gdm-fsf-3.0", ["alert thresholds", "effective-compute", "deadline", "re-approval", "governance"]),
    ],
)
def test_notes_state_where_the_text_gives_no_number(policy_id: str, phrases: list[str]) -> None:
    notes = " ".join(builtin_policy(policy_id).notes)
    assert notes.count("No ") >= 5
    for phrase in phrases:
        assert phrase in notes, phrase


@pytest.mark.parametrize("category", ["Biological and Chemical", "Cybersecurity", "AI Self-improvement"])
def test_openai_ruling_out_high_rules_out_critical(category: str) -> None:
    # "the SAG may conclude that the model does not have High or Critical capability" (Section 3.3)
    assert builtin_policy("openai-preparedness-2").threshold(f"{category} High").rules_out == [
        f"{category} Critical"
    ]
