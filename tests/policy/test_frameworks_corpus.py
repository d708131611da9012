"""The built-ins for the rest of the public corpus of frontier safety frameworks, each checked against its
text: identity and dates, levels, thresholds, cadences and roles, and that every quote is verbatim."""

from __future__ import annotations

from datetime import date

import pytest

from scalegate.policy import builtin_ids
from scalegate.policy.service import builtin_summaries
from tests.policy.builtin_support import REFERENCE, WORKFLOW_ROLES, builtin_policy, squash, walk_sources

TEXTS = {
    "openai-preparedness-2023-beta": "openai-preparedness-framework-2023-beta.txt",
    "gdm-fsf-1.0": "gdm-frontier-safety-framework-v1.0.txt",
    "gdm-fsf-2.0": "gdm-frontier-safety-framework-v2.0.txt",
    "gdm-fsf-3.1": "gdm-frontier-safety-framework-v3.1.txt",
    "xai-faif-2025-12": "xai-frontier-ai-framework-2025-12.txt",
    "xai-faif-2026-06": "xai-frontier-ai-framework-2026-06.txt",
    "xai-rmf-2025-02-draft": "xai-risk-management-framework-2025-02-draft.txt",
    "xai-rmf-2025-08": "xai-risk-management-framework-2025-08.txt",
}
"""Each policy of this module and the text it quotes."""

FAIF = "xAI Frontier Artificial Intelligence Framework"

IDENTITY = {
    "openai-preparedness-2023-beta": ("Preparedness Framework", "OpenAI", "Beta", date(2023, 12, 18), None),
    "gdm-fsf-1.0": ("Frontier Safety Framework", "Google DeepMind", "1.0", date(2024, 5, 17), None),
    "gdm-fsf-2.0": ("Frontier Safety Framework", "Google DeepMind", "2.0", date(2025, 2, 4), "gdm-fsf-1.0"),
    "gdm-fsf-3.1": ("Frontier Safety Framework", "Google DeepMind", "3.1", date(2026, 4, 17), "gdm-fsf-3.0"),
    "xai-rmf-2025-02-draft": (
        "xAI Risk Management Framework",
        "xAI",
        "2025-02 draft",
        date(2025, 2, 20),
        None,
    ),
    "xai-rmf-2025-08": (
        "xAI Risk Management Framework",
        "xAI",
        "2025-08",
        date(2025, 8, 20),
        "xai-rmf-2025-02-draft",
    ),
    "xai-faif-2025-12": (FAIF, "xAI", "2025-12", date(2025, 12, 30), None),
    "xai-faif-2026-06": (FAIF, "xAI", "2026-06", date(2026, 6, 30), "xai-faif-2025-12"),
}
"""Framework name, publisher, version, effective date and the built-in it supersedes, as each text states them
(the GDM dates from the text's own "Versions" list)."""


@pytest.mark.parametrize("policy_id", sorted(IDENTITY))
def test_identity_dates_and_lineage(policy_id: str) -> None:
    name, publisher, version, effective, supersedes = IDENTITY[policy_id]
    policy = builtin_policy(policy_id)
    assert policy.id == policy_id
    assert (policy.framework.name, policy.framework.publisher) == (name, publisher)
    assert (policy.framework.version, policy.framework.effective_date) == (version, effective)
    assert policy.framework.supersedes == supersedes
    assert supersedes is None or supersedes in builtin_ids()
    assert policy.framework.changelog[-1].date == effective


@pytest.mark.parametrize("policy_id", sorted(TEXTS))
def test_every_quote_is_verbatim_in_its_text(policy_id: str) -> None:
    text = squash((REFERENCE / TEXTS[policy_id]).read_text(encoding="utf-8"))
    sources = list(walk_sources(builtin_policy(policy_id)))
    assert len(sources) > 15
    missing = [(path, s.quote) for path, s in sources if s.quote is None or squash(s.quote) not in text]
    assert not missing, missing


@pytest.mark.parametrize("policy_id", sorted(TEXTS))
def test_every_source_names_the_policys_own_document(policy_id: str) -> None:
    policy = builtin_policy(policy_id)
    documents = {s.document for _, s in walk_sources(policy)}
    assert documents == {policy.framework.document}


@pytest.mark.parametrize("policy_id", sorted(TEXTS))
def test_workflow_roles_carry_no_source(policy_id: str) -> None:
    for role in builtin_policy(policy_id).governance.roles:
        assert (role.source is None) == (role.id in WORKFLOW_ROLES), role.id


def test_policy_list_shows_publisher_date_and_lineage() -> None:
    rows = {r["id"]: r for r in builtin_summaries()}
    assert rows["gdm-fsf-3.1"]["publisher"] == "Google DeepMind"
    assert rows["gdm-fsf-3.1"]["effective_date"] == "2026-04-17"
    assert rows["gdm-fsf-3.1"]["supersedes"] == "gdm-fsf-3.0"
    assert rows["gdm-fsf-3.0"]["superseded_by"] == "gdm-fsf-3.1"
    assert rows["gdm-fsf-3.0"]["supersedes"] == "gdm-fsf-2.0"
    assert rows["gdm-fsf-2.0"]["superseded_by"] == "gdm-fsf-3.0"
    assert rows["anthropic-rsp-3.0"]["supersedes"] == "anthropic-rsp-2.2"
    assert rows["anthropic-rsp-1.0"]["supersedes"] is None
    assert rows["openai-preparedness-2"]["supersedes"] == "openai-preparedness-2023-beta"
    assert rows["xai-rmf-2025-08"]["supersedes"] == "xai-rmf-2025-02-draft"
    assert len(rows) == 19
    assert rows["xai-faif-2025-12"]["supersedes"] is None, "the FAIF does not say it replaces the RMF"


# --- GDM Frontier Safety Framework v3.1 ---------------------------------------------------------------------


def test_gdm_31_thresholds_are_ccls_and_tcls() -> None:
    policy = builtin_policy("gdm-fsf-3.1")
    assert [t.id for t in policy.thresholds] == [
        "CBRN uplift level 1",
        "CBRN uplift TCL",
        "Cyber uplift level 1",
        "Harmful manipulation level 1",
        "ML R&D acceleration level 1",
        "ML R&D automation level 1",
        "Stealth and Situational Awareness TCL",
    ]
    assert "Instrumental Reasoning Level 2" not in {t.id for t in policy.thresholds}
    assert "significant but not severe harm" in policy.threshold("CBRN uplift TCL").definition


@pytest.mark.parametrize(
    ("threshold_id", "security"),
    [
        ("CBRN uplift level 1", "SL2-plus"),
        ("Cyber uplift level 1", "SL2-plus"),
        ("Harmful manipulation level 1", "SL2-plus"),
        ("ML R&D acceleration level 1", "SL3"),
        ("ML R&D automation level 1", "SL4"),
        ("CBRN uplift TCL", None),
        ("Stealth and Situational Awareness TCL", None),
    ],
)
def test_gdm_31_recommended_security_levels(threshold_id: str, security: str | None) -> None:
    threshold = builtin_policy("gdm-fsf-3.1").threshold(threshold_id)
    levels = [r.level for r in threshold.required_safeguards if r.kind == "security"]
    assert levels == ([] if security is None else [security])


def test_gdm_31_security_level_2_plus_sits_between_sl2_and_sl3() -> None:
    policy = builtin_policy("gdm-fsf-3.1")
    ranks = {lv.id: lv.rank for lv in policy.safeguards.levels if lv.kind == "security"}
    assert ranks["SL2"] < ranks["SL2-plus"] < ranks["SL3"] < ranks["SL4"] < ranks["SL5"]
    assert len(policy.level("security", "SL2-plus").criteria) == 7
    assert not policy.level("security", "SL2").criteria


def test_gdm_31_ml_rd_mitigations_cover_internal_deployment() -> None:
    policy = builtin_policy("gdm-fsf-3.1")
    for threshold_id in ("ML R&D acceleration level 1", "Stealth and Situational Awareness TCL"):
        deployment = [r for r in policy.threshold(threshold_id).required_safeguards if r.kind == "deployment"]
        assert [r.applies_to for r in deployment] == [["deploy-internal", "deploy-external"]]
    misuse = [r for r in policy.threshold("CBRN uplift TCL").required_safeguards if r.kind == "deployment"]
    assert [r.applies_to for r in misuse] == [["deploy-external"]]


def test_gdm_31_cadence_triggers_and_roles() -> None:
    policy = builtin_policy("gdm-fsf-3.1")
    assert [(c.interval_months, c.source.quote) for c in policy.governance.cadences] == [
        (12, "The Frontier Safety Framework will be reviewed at least once a year")
    ]
    assert policy.triggers.effective_compute is None and policy.triggers.calendar is None
    assert [e.event for e in policy.triggers.events] == [
        "before_deployment",
        "capability_increase",
        "training_run_completed",
    ]
    named = {r.id for r in policy.governance.roles} - WORKFLOW_ROLES
    assert named == {"governance_function", "corporate_governance_bodies"}
    assert {d.decision: d.signoff_roles for d in policy.decisions}["deployment"] == ["governance_function"]


def test_gdm_31_ccl_alerts_mean_assessment_and_tcls_have_none() -> None:
    policy = builtin_policy("gdm-fsf-3.1")
    for threshold in policy.thresholds:
        expected = "cannot_rule_out" if threshold.id.endswith("TCL") else "comprehensive_assessment"
        assert threshold.alert_means == expected, threshold.id
        assert all(i.example for i in threshold.indicators), threshold.id


# --- GDM Frontier Safety Framework v2.0 ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("threshold_id", "security", "status"),
    [
        ("CBRN uplift 1", "SL2", "active"),
        ("Cyber autonomy level 1", "SL2", "active"),
        ("Cyber uplift level 1", "SL2", "active"),
        ("Machine Learning R&D uplift level 1", "SL3", "active"),
        ("Machine Learning R&D autonomy level 1", "SL4", "active"),
        ("Instrumental Reasoning Level 1", None, "research_category"),
        ("Instrumental Reasoning Level 2", None, "research_category"),
    ],
)
def test_gdm_20_ccls_and_recommended_security(threshold_id: str, security: str | None, status: str) -> None:
    threshold = builtin_policy("gdm-fsf-2.0").threshold(threshold_id)
    assert threshold.status == status
    assert [r.level for r in threshold.required_safeguards if r.kind == "security"] == (
        [] if security is None else [security]
    )
    assert not threshold.indicators


def test_gdm_20_publishes_no_security_measures_and_one_deployment_process() -> None:
    policy = builtin_policy("gdm-fsf-2.0")
    assert all(not lv.criteria for lv in policy.safeguards.levels if lv.kind == "security")
    deployment = {r.level for t in policy.thresholds for r in t.required_safeguards if r.kind == "deployment"}
    assert deployment == {"safety-case"}
    assert "2x" in policy.threshold("Machine Learning R&D uplift level 1").definition


def test_gdm_20_roles_name_the_councils_and_no_cadence() -> None:
    policy = builtin_policy("gdm-fsf-2.0")
    named = {r.id for r in policy.governance.roles} - WORKFLOW_ROLES
    assert named == {"corporate_governance_body", "agi_safety_council"}
    roles = {r.id: r for r in policy.governance.roles}
    assert "Trust & Compliance Council" in roles["corporate_governance_body"].description
    assert policy.governance.cadences == []
    assert policy.triggers.calendar is None and policy.triggers.effective_compute is None


def test_gdm_20_notes_say_what_the_missing_page_leaves_unknown() -> None:
    notes = " ".join(builtin_policy("gdm-fsf-2.0").notes)
    assert "Missing page 2" in notes
    assert "how the text defines and determines CCLs" in notes
    text = (REFERENCE / TEXTS["gdm-fsf-2.0"]).read_text(encoding="utf-8")
    assert "1 - " not in text and "2 - Assessing the Capabilities of Frontier Models" in text


# --- GDM Frontier Safety Framework v1.0 ---------------------------------------------------------------------


def test_gdm_10_ccls_are_checkpoints_mapped_to_no_level() -> None:
    policy = builtin_policy("gdm-fsf-1.0")
    assert [t.id for t in policy.thresholds] == [
        "Autonomy level 1",
        "Bio amateur enablement level 1",
        "Bio expert enablement level 1",
        "Cyber autonomy level 1",
        "Cyber enablement level 1",
        "Machine Learning R&D level 1",
        "Machine Learning R&D level 2",
    ]
    for threshold in policy.thresholds:
        assert threshold.status == "checkpoint" and not threshold.required_safeguards, threshold.id
        assert threshold.on_reach and not threshold.indicators, threshold.id
    assert "3X" in policy.threshold("Machine Learning R&D level 1").definition


def test_gdm_10_levels_and_evaluation_cadence() -> None:
    policy = builtin_policy("gdm-fsf-1.0")
    security = [lv.id for lv in policy.safeguards.levels if lv.kind == "security"]
    deployment = [lv.id for lv in policy.safeguards.levels if lv.kind == "deployment"]
    assert security == [f"Security Level {n}" for n in range(5)]
    assert deployment == [f"Deployment Level {n}" for n in range(4)]
    assert not policy.level("deployment", "Deployment Level 3").criteria
    assert policy.triggers.effective_compute is not None and policy.triggers.effective_compute.ratio == 6.0
    assert policy.triggers.calendar is not None
    assert (policy.triggers.calendar.months, policy.triggers.calendar.basis) == (
        3,
        "post_training_accumulated",
    )


def test_gdm_10_names_no_decision_maker() -> None:
    policy = builtin_policy("gdm-fsf-1.0")
    assert [(d.decision, d.signoff_roles) for d in policy.decisions] == [
        ("safeguards_determination", ["framework_owner"])
    ]
    assert {r.id for r in policy.governance.roles} - WORKFLOW_ROLES == {"framework_owner"}
    assert any("names no decision-maker" in n for n in policy.notes)


# --- xAI Risk Management Framework (August 2025) ------------------------------------------------------------


def test_xai_rmf_2025_08_acceptance_criteria_are_the_texts_numbers() -> None:
    policy = builtin_policy("xai-rmf-2025-08")
    criteria = {c.id: c for c in policy.level("deployment", "heightened-safeguards").criteria}
    assert "less than 1 out of 20" in criteria["xai-rmf-restricted-answer-rate"].source.quote
    assert "less than 1 out of 2 on MASK" in criteria["xai-rmf-mask-dishonesty"].source.quote
    assert all(not t.indicators for t in policy.thresholds)


@pytest.mark.parametrize(
    ("threshold_id", "status", "deployment"),
    [
        ("Biological and Chemical Weapons", "active", ["heightened-safeguards"]),
        ("Loss of Control", "active", ["heightened-safeguards"]),
        ("Cyber Attacks on Critical Infrastructure", "ongoing_assessment", []),
        ("Radiological and Nuclear Weapons", "ongoing_assessment", []),
    ],
)
def test_xai_rmf_2025_08_risks(threshold_id: str, status: str, deployment: list[str]) -> None:
    threshold = builtin_policy("xai-rmf-2025-08").threshold(threshold_id)
    assert threshold.status == status
    assert [r.level for r in threshold.required_safeguards] == deployment
    assert all(r.applies_to == ["deploy-external"] for r in threshold.required_safeguards)


def test_xai_rmf_2025_08_names_only_risk_owners_and_no_cadence() -> None:
    policy = builtin_policy("xai-rmf-2025-08")
    assert {r.id for r in policy.governance.roles} - WORKFLOW_ROLES == {"risk_owner"}
    assert [d.signoff_roles for d in policy.decisions] == [["risk_owner"]]
    assert policy.governance.cadences == []
    assert policy.governance.noncompliance.anonymous_intake
    assert policy.government_notice is None
    notes = " ".join(policy.notes)
    assert "more than one hundred deaths or over $1 billion" in notes
    assert "names no decision-maker" in notes


# --- xAI Frontier AI Framework (December 2025, June 2026) ---------------------------------------------------


def test_xai_faif_2025_12_keeps_the_rmf_criteria_under_the_tfaia_definition() -> None:
    policy = builtin_policy("xai-faif-2025-12")
    criteria = {c.id for c in policy.level("deployment", "heightened-safeguards").criteria}
    assert {"xai-rmf-restricted-answer-rate", "xai-rmf-mask-dishonesty"} <= criteria
    definition = policy.threshold("Biological and Chemical Weapons").definition
    assert "50 people" in " ".join(definition.split())
    assert "one hundred" not in " ".join(definition.split())


def test_xai_faif_2026_06_has_four_domains_and_no_numbers() -> None:
    policy = builtin_policy("xai-faif-2026-06")
    assert [t.id for t in policy.thresholds] == [
        "CBRN Risks",
        "Offensive Cybersecurity Risks",
        "Loss of Control Risks",
        "Harmful Manipulation Risks",
    ]
    for threshold in policy.thresholds:
        assert not threshold.indicators, threshold.id
        assert [r.level for r in threshold.required_safeguards] == ["systemic-risk-acceptance"]
    texts = " ".join(c.text for lv in policy.safeguards.levels for c in lv.criteria)
    assert "1 out of 20" not in texts and "MASK" not in texts


def test_xai_faif_2026_06_cadences_and_triggers() -> None:
    policy = builtin_policy("xai-faif-2026-06")
    assert {c.id: c.interval_months for c in policy.governance.cadences} == {
        "systemic-risk-assessment": 12,
        "security-goal-review": 12,
    }
    assert policy.triggers.calendar is not None and policy.triggers.calendar.months == 12
    assert [e.event for e in policy.triggers.events] == ["before_deployment", "deployment_change"]
    assert {r.id for r in policy.governance.roles} - WORKFLOW_ROLES == {"risk_owner"}
    assert [d.signoff_roles for d in policy.decisions] == [["risk_owner"]]
    assert policy.government_notice is None
    security = policy.level("security", "security-goal")
    assert len(security.threat_actors_in_scope) == 3


# --- xAI Risk Management Framework (Draft, February 2025) ---------------------------------------------------


def test_xai_rmf_draft_encodes_no_placeholder_threshold() -> None:
    policy = builtin_policy("xai-rmf-2025-02-draft")
    assert [t.id for t in policy.thresholds] == ["Malicious Use", "Loss of Control"]
    assert all(not t.indicators for t in policy.thresholds)
    notes = " ".join(policy.notes)
    for placeholder in ("'X%'", "(e.g. 15%)", "'>Z'"):
        assert placeholder in notes
    text = (REFERENCE / TEXTS["xai-rmf-2025-02-draft"]).read_text(encoding="utf-8")
    assert "X%\n(e.g. 15%)" in text


def test_xai_rmf_draft_scopes_and_roles() -> None:
    policy = builtin_policy("xai-rmf-2025-02-draft")
    scopes = {t.id: t.required_safeguards[0].applies_to for t in policy.thresholds}
    assert scopes == {
        "Malicious Use": ["deploy-external"],
        "Loss of Control": ["deploy-internal", "deploy-external"],
    }
    assert {r.id for r in policy.governance.roles} - WORKFLOW_ROLES == {"risk_owner"}
    assert [d.signoff_roles for d in policy.decisions] == [["risk_owner"]]
    assert policy.governance.cadences == []
    assert "one hundred deaths" in policy.threshold("Malicious Use").definition


# --- OpenAI Preparedness Framework (Beta, December 2023) ----------------------------------------------------

CATEGORIES = ["Cybersecurity", "CBRN", "Persuasion", "Model autonomy"]


def test_openai_beta_tracks_high_and_critical_in_four_categories() -> None:
    policy = builtin_policy("openai-preparedness-2023-beta")
    assert [t.id for t in policy.thresholds] == [
        f"{c} {level}" for c in CATEGORIES for level in ("High", "Critical")
    ]
    assert all(not t.indicators for t in policy.thresholds)


@pytest.mark.parametrize("category", CATEGORIES)
def test_openai_beta_safety_baselines(category: str) -> None:
    policy = builtin_policy("openai-preparedness-2023-beta")
    high = {(r.kind, r.level): r.applies_to for r in policy.threshold(f"{category} High").required_safeguards}
    assert high == {
        ("security", "asset-protection"): None,
        ("deployment", "post-mitigation-medium"): ["deploy-external"],
    }
    critical = {
        (r.kind, r.level): r.applies_to for r in policy.threshold(f"{category} Critical").required_safeguards
    }
    assert critical == {("security", "asset-protection"): None, ("deployment", "critical-mitigations"): None}


def test_openai_beta_triggers_roles_and_cadences() -> None:
    policy = builtin_policy("openai-preparedness-2023-beta")
    assert policy.triggers.effective_compute is not None and policy.triggers.effective_compute.ratio == 2.0
    assert {r.id for r in policy.governance.roles} - WORKFLOW_ROLES == {
        "preparedness_team",
        "sag",
        "sag_chair",
        "leadership",
        "board",
    }
    assert all(d.signoff_roles == ["leadership"] for d in policy.decisions)
    cadences = {c.id: (c.interval_months, c.kind) for c in policy.governance.cadences}
    assert cadences == {
        "monthly-report": (1, "summary"),
        "safety-drills": (12, "drill"),
        "sag-rotation": (12, "review"),
    }
    alignment = policy.level("deployment", "critical-mitigations").criteria[-1]
    assert "sufficiently aligned" in alignment.source.quote
