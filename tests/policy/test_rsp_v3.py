"""The built-in RSP v3.0-v3.4 policies, each checked against its own published text: dates, cadences,
deadlines, chained clocks, approving roles, thresholds and disclosure tiers, and what `policy diff` says."""

from __future__ import annotations

import json
from datetime import date

import pytest

from scalegate.errors import PolicyError
from scalegate.policy import Policy, builtin_ids, builtin_path, load_policy_text
from scalegate.policy.service import diff_summary, policy_summary
from tests.policy.builtin_support import REFERENCE, WORKFLOW_ROLES, builtin_policy, squash, walk_sources

# policy id -> (reference text, manifest identifier, effective date)
V3 = {
    "anthropic-rsp-3.0": ("anthropic-rsp-v3.0.txt", "ANT-RSP-v3-0", date(2026, 2, 24)),
    "anthropic-rsp-3.1": ("anthropic-rsp-v3.1.txt", "ANT-RSP-v3-1", date(2026, 4, 2)),
    "anthropic-rsp-3.2": ("anthropic-rsp-v3.2.txt", "ANT-RSP-v3-2", date(2026, 4, 29)),
    "anthropic-rsp-3.3": ("anthropic-rsp-v3.3.txt", "ANT-RSP-v3-3", date(2026, 5, 26)),
    "anthropic-rsp-3.4": ("anthropic-rsp-v3.4.txt", "ANT-RSP-v3-4", date(2026, 7, 8)),
}
IDS = list(V3)
R30, R31, R32, R33, R34 = IDS


def _ob(policy_id: str) -> Policy:
    policy = builtin_policy(policy_id)
    assert policy.obligations is not None
    return policy


# -- identity, dates, lineage, changelog ---------------------------------------------------------------------


@pytest.mark.parametrize("policy_id", IDS)
def test_version_dates_match_the_text_and_manifest(policy_id: str) -> None:
    text_file, identifier, effective = V3[policy_id]
    policy = builtin_policy(policy_id)
    assert policy_id in builtin_ids()
    version = policy_id.removeprefix("anthropic-rsp-")
    assert (policy.framework.version, policy.framework.effective_date) == (version, effective)
    assert policy.framework.document == f"Anthropic RSP v{version}"
    manifest = {
        e["identifier"]: e
        for e in map(json.loads, (REFERENCE / "manifest.jsonl").read_text(encoding="utf-8").splitlines())
    }
    assert date.fromisoformat(manifest[identifier]["date"]) == effective
    # The text's own changelog names this version with the date written out.
    written = f"{effective:%B} {effective.day}, {effective.year} (RSP v{version})"
    assert squash(written) in squash((REFERENCE / text_file).read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("policy_id", "supersedes"),
    [(R30, "anthropic-rsp-2.2"), (R31, R30), (R32, R31), (R33, R32), (R34, R33)],
)
def test_each_version_supersedes_the_previous(policy_id: str, supersedes: str) -> None:
    assert builtin_policy(policy_id).framework.supersedes == supersedes


@pytest.mark.parametrize("policy_id", IDS)
def test_changelog_encodes_every_entry_up_to_this_version(policy_id: str) -> None:
    entries = [(e.version, e.date) for e in builtin_policy(policy_id).framework.changelog]
    all_entries = [
        ("1.0", date(2023, 9, 19)),
        ("2.0", date(2024, 10, 15)),
        ("2.1", date(2025, 3, 31)),
        ("2.2", date(2025, 5, 14)),
        *((pid.removeprefix("anthropic-rsp-"), V3[pid][2]) for pid in IDS),
    ]
    assert entries == all_entries[: all_entries.index(entries[-1]) + 1]
    assert entries[-1] == (policy_id.removeprefix("anthropic-rsp-"), V3[policy_id][2])


@pytest.mark.parametrize(
    ("policy_id", "phrase"),
    [
        (R30, "comprehensive rewrite"),
        (R31, "factor of 5"),
        (R32, "approve the selection of external reviewers"),
        (R33, "Misaligned AI systems in high-stakes settings"),
        (R34, "at least 200"),
    ],
)
def test_changelog_entry_says_what_the_version_changed(policy_id: str, phrase: str) -> None:
    assert phrase in builtin_policy(policy_id).framework.changelog[-1].summary


# -- the texts: every rule cites a quote that is really there ------------------------------------------------


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
def test_every_quote_occurs_in_its_own_text(policy_id: str) -> None:
    text = squash((REFERENCE / V3[policy_id][0]).read_text(encoding="utf-8"))
    sources = list(walk_sources(builtin_policy(policy_id)))
    assert len(sources) > 90
    missing = [f"{p}: {s.quote!r}" for p, s in sources if s.quote and squash(s.quote) not in text]
    assert missing == []


@pytest.mark.parametrize("policy_id", IDS)
def test_roles_without_a_citation_are_only_workflow_roles(policy_id: str) -> None:
    roles = builtin_policy(policy_id).governance.roles
    assert {r.id for r in roles if r.source is None} <= WORKFLOW_ROLES
    assert {"rso", "ceo", "board", "ltbt", "independent_executive"} <= {r.id for r in roles}


# -- what v3.x removed from v2.2 -----------------------------------------------------------------------------


@pytest.mark.parametrize("policy_id", IDS)
def test_no_v2_gate_survives(policy_id: str) -> None:
    policy = builtin_policy(policy_id)
    assert policy.training_pause is None
    assert policy.government_notice is None
    assert policy.interim_measures is None
    triggers = policy.triggers
    assert (triggers.effective_compute, triggers.calendar, triggers.discretionary) == (None, None, None)
    assert triggers.deadline_days is None
    assert policy.safeguards.reapproval_interval_months is None
    assert all(not t.required_safeguards and t.status == "obligation" for t in policy.thresholds)
    assert all(not a.requires_kinds and not a.requires_decisions for a in policy.actions)
    assert [d.decision for d in policy.decisions] == ["policy_change"]
    # ASLs remain labels of present mitigations whose controls the text does not list (Appendix B).
    assert all(not lv.criteria_published and lv.note for lv in policy.safeguards.levels)


@pytest.mark.parametrize("policy_id", IDS)
def test_gate_requires_binding_obligations_only(policy_id: str) -> None:
    policy = _ob(policy_id)
    required = {a.action: a.requires_obligations for a in policy.actions}
    assert required == {
        "continue-training": [],
        "deploy-internal": ["risk-report", "offcycle-internal", "external-review"],
        "deploy-external": ["risk-report", "external-review"],
    }


# -- Risk Reports: cadence, coverage, approvals, disclosure --------------------------------------------------


@pytest.mark.parametrize("policy_id", IDS)
def test_risk_report_cadence_and_approvals(policy_id: str) -> None:
    report = _ob(policy_id).obligations.document("risk-report")  # type: ignore[union-attr]
    assert report.kind == "risk_report" and report.strength == "binding"
    assert report.cadence is not None
    assert (report.cadence.min_months, report.cadence.max_months) == (3, 6)
    assert report.approver_roles == ["ceo", "rso"]
    assert [(n.role, n.timing) for n in report.notify] == [("board", "promptly"), ("ltbt", "promptly")]
    [conditional] = report.conditional_approvals
    assert (conditional.roles, conditional.when) == (["board", "ltbt"], "marginal_risk_major_role")
    assert len(report.redaction_reasons) == 4
    roadmap_item = {c.id: c for c in report.contents}["roadmap-changes"]
    assert roadmap_item.required_when is None
    marginal = [c.id for c in report.contents if c.required_when == "marginal_risk_argument"]
    assert len(marginal) == 4


@pytest.mark.parametrize(
    ("policy_id", "days"), [(R30, None), (R31, None), (R32, None), (R33, None), (R34, 30)]
)
def test_coverage_date_rule_arrives_in_3_4(policy_id: str, days: int | None) -> None:
    coverage = _ob(policy_id).obligations.document("risk-report").coverage  # type: ignore[union-attr]
    assert (coverage.max_days_before_publication if coverage else None) == days


@pytest.mark.parametrize(
    ("policy_id", "tiers"),
    [
        *(
            (
                pid,
                {("public", "redacted", None, False), ("regular_clearance_staff", "unredacted", None, False)},
            )
            for pid in (R30, R31, R32, R33)
        ),
        (
            R34,
            {
                ("public", "redacted", None, True),
                ("employees", "unredacted", 200, False),
                ("regular_clearance_staff", "minimally_redacted", None, False),
            },
        ),
    ],
)
def test_risk_report_disclosure_tiers(policy_id: str, tiers: set[tuple[str, str, int | None, bool]]) -> None:
    report = _ob(policy_id).obligations.document("risk-report")  # type: ignore[union-attr]
    assert {(t.audience, t.version, t.min_recipients, t.redaction_notes) for t in report.disclosure} == tiers


@pytest.mark.parametrize("policy_id", IDS)
def test_roadmap_is_kept_but_its_goals_are_not_hard_commitments(policy_id: str) -> None:
    roadmap = _ob(policy_id).obligations.document("roadmap")  # type: ignore[union-attr]
    assert (roadmap.kind, roadmap.strength, roadmap.item_strength) == ("roadmap", "binding", "goal")
    assert roadmap.cadence is None  # the text gives no cadence for Roadmap updates
    assert {t.audience for t in roadmap.disclosure} == {"full_time_employees", "board", "ltbt", "public"}
    assert next(t for t in roadmap.disclosure if t.audience == "public").version == "redacted"


# -- off-cycle analyses: triggers and deadlines --------------------------------------------------------------


@pytest.mark.parametrize("policy_id", IDS)
def test_offcycle_internal_has_a_30_day_clock_and_public_none(policy_id: str) -> None:
    ob = _ob(policy_id).obligations
    assert ob is not None
    internal, public = ob.document("offcycle-internal"), ob.document("offcycle-public")
    assert internal.trigger is not None and public.trigger is not None
    assert (internal.trigger.determination, internal.trigger.deadline_days) == (
        "internal_model_exceeds_analysis",
        30,
    )
    assert (public.trigger.determination, public.trigger.deadline_days) == (
        "public_model_exceeds_analysis",
        None,
    )
    assert {d.kind for d in ob.documents_of("offcycle_analysis")} == {"offcycle_analysis"}


@pytest.mark.parametrize(
    ("policy_id", "internal_scope_names_misalignment"),
    [(R30, False), (R31, False), (R32, False), (R33, True), (R34, True)],
)
def test_offcycle_scope_narrows_in_3_3(policy_id: str, internal_scope_names_misalignment: bool) -> None:
    policy = _ob(policy_id)
    trigger = policy.obligations.document("offcycle-internal").trigger  # type: ignore[union-attr]
    assert trigger is not None
    assert ("high-stakes misalignment or automated R&D" in trigger.text) is internal_scope_names_misalignment
    brings = {t.id: {c.obligation for c in t.consequences} for t in policy.thresholds}
    assert ("offcycle-internal" in brings["chem-bio-novel"]) is not internal_scope_names_misalignment
    assert ("offcycle-public" in brings["chem-bio-novel"]) is internal_scope_names_misalignment
    assert "offcycle-internal" in brings["automated-rd"]


# -- external review: trigger, chained clocks, reviewer selection, split -------------------------------------


@pytest.mark.parametrize(
    ("policy_id", "requested_by", "approvers", "consulted", "split"),
    [
        (R30, [], [], ["board", "ltbt"], False),
        (R31, [], [], ["board", "ltbt"], False),
        (R32, ["ltbt"], ["ltbt"], ["board"], False),
        (R33, ["ltbt"], ["ltbt"], ["board"], False),
        (R34, ["ltbt"], ["ltbt"], ["board"], True),
    ],
)
def test_external_review(
    policy_id: str, requested_by: list[str], approvers: list[str], consulted: list[str], split: bool
) -> None:
    review = _ob(policy_id).obligations.review("external-review")  # type: ignore[union-attr]
    assert review.reviews == "risk-report" and review.strength == "binding"
    assert review.trigger.all_of == ["highly_capable", "significantly_redacted"]
    assert review.trigger.requested_by == requested_by
    assert review.selection is not None
    assert (review.selection.approver_roles, review.selection.consulted_roles) == (approvers, consulted)
    assert len(review.selection.criteria) == 3
    assert review.split_allowed is split
    assert (review.split_source is not None) is split


@pytest.mark.parametrize("policy_id", IDS)
def test_external_review_clocks_are_chained(policy_id: str) -> None:
    review = _ob(policy_id).obligations.review("external-review")  # type: ignore[union-attr]
    clocks = {d.id: (d.days, d.after, d.strength) for d in review.deadlines}
    # Sent within one week of the Board/LTBT submission; commentary asked for within 30 days of receipt,
    # so the second clock starts when the first step is done.
    assert clocks == {"send": (7, "governance_submission", "binding"), "commentary": (30, "send", "request")}


# -- determinations and defined terms ------------------------------------------------------------------------


@pytest.mark.parametrize("policy_id", IDS)
def test_significantly_redacted_is_any_one_of_four(policy_id: str) -> None:
    rule = _ob(policy_id).obligations.determination("significantly_redacted")  # type: ignore[union-attr]
    assert rule is not None
    assert (sorted(rule.roles), rule.mode) == (["board", "ceo", "ltbt", "rso"], "any")


@pytest.mark.parametrize(
    ("policy_id", "present"), [(R30, False), (R31, False), (R32, True), (R33, True), (R34, True)]
)
def test_ltbt_may_request_a_review_and_is_briefed_from_3_2(policy_id: str, present: bool) -> None:
    policy = _ob(policy_id)
    rule = policy.obligations.determination("review_requested")  # type: ignore[union-attr]
    assert (rule is not None and rule.roles == ["ltbt"]) is present
    briefings = policy.governance.briefings
    assert ([(b.role, b.interval_months) for b in briefings] == [("ltbt", None)]) is present
    assert (not briefings) is not present


@pytest.mark.parametrize("policy_id", IDS)
def test_highly_capable_is_crossing_the_automated_rd_threshold(policy_id: str) -> None:
    policy = _ob(policy_id)
    term = policy.obligations.term("highly_capable")  # type: ignore[union-attr]
    assert term is not None and term.threshold == "automated-rd"
    assert policy.threshold("automated-rd").crossing is not None


# -- thresholds ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("policy_id", IDS)
def test_four_thresholds_one_usage_based(policy_id: str) -> None:
    policy = builtin_policy(policy_id)
    assert [t.id for t in policy.thresholds] == [
        "chem-bio-non-novel",
        "chem-bio-novel",
        "high-stakes-sabotage",
        "automated-rd",
    ]
    assert {t.id: t.basis for t in policy.thresholds if t.basis == "usage"} == {
        "high-stakes-sabotage": "usage"
    }
    assert all(not t.indicators for t in policy.thresholds)  # the text publishes no evaluation or number


@pytest.mark.parametrize("policy_id", IDS)
def test_two_mitigation_tracks_per_threshold_each_with_its_strength(policy_id: str) -> None:
    for threshold in builtin_policy(policy_id).thresholds:
        tracks = {m.track: m.strength for m in threshold.mitigations}
        assert tracks == {"company_plan": "binding", "industry_recommendation": "recommendation"}


@pytest.mark.parametrize(
    ("policy_id", "name"),
    [
        (R30, "High-stakes sabotage opportunities"),
        (R32, "High-stakes sabotage opportunities"),
        (R33, "Misaligned AI systems in high-stakes settings"),
        (R34, "Misaligned AI systems in high-stakes settings"),
    ],
)
def test_sabotage_threshold_is_renamed_in_3_3(policy_id: str, name: str) -> None:
    assert builtin_policy(policy_id).threshold("high-stakes-sabotage").name == name


@pytest.mark.parametrize(
    ("policy_id", "branches", "parameters"),
    [
        (R30, ["compress-two-years"], {"years_of_progress": 2, "compressed_into_years": 1}),
        (
            R31,
            ["full-substitution", "dramatic-acceleration"],
            {"cost_factor": 5, "rate_of_progress_multiple": 2},
        ),
        (
            R33,
            ["full-substitution", "dramatic-acceleration"],
            {"cost_factor": 5, "rate_of_progress_multiple": 2},
        ),
        (
            R34,
            ["full-substitution", "dramatic-acceleration"],
            {"cost_factor": 5, "rate_of_progress_multiple": 2, "extended_progress_generations": 3},
        ),
    ],
)
def test_automated_rd_either_or_test_uses_only_the_texts_numbers(
    policy_id: str, branches: list[str], parameters: dict[str, float]
) -> None:
    crossing = builtin_policy(policy_id).threshold("automated-rd").crossing
    assert crossing is not None and crossing.mode == "any"
    assert [b.id for b in crossing.branches] == branches
    assert {p.name: p.value for b in crossing.branches for p in b.parameters} == parameters


@pytest.mark.parametrize(
    ("policy_id", "verb"), [(R31, "could lead"), (R33, "could lead"), (R34, "seems likely")]
)
def test_dramatic_acceleration_needs_both_clauses(policy_id: str, verb: str) -> None:
    crossing = builtin_policy(policy_id).threshold("automated-rd").crossing
    assert crossing is not None
    branch = {b.id: b for b in crossing.branches}["dramatic-acceleration"]
    assert branch.requires[0].startswith("(a)") and branch.requires[1].startswith("(b)")
    assert verb in " ".join(branch.requires[1].split())


@pytest.mark.parametrize(("policy_id", "tested"), [(R32, False), (R33, True), (R34, True)])
def test_novel_chem_bio_threshold_from_3_3(policy_id: str, tested: bool) -> None:
    threshold = builtin_policy(policy_id).threshold("chem-bio-novel")
    assert ("functionally substitute" in threshold.definition) is tested
    assert (threshold.crossing is not None) is tested
    if threshold.crossing:
        # The footnotes' examples ("hundreds", "millions of dollars") are clauses, not numbers to compare.
        assert [p for b in threshold.crossing.branches for p in b.parameters] == []
        assert len(threshold.crossing.branches[0].requires) == 4


# -- competitor-contingent outcomes --------------------------------------------------------------------------


@pytest.mark.parametrize("policy_id", IDS)
def test_competitor_scenarios_delay_or_best_effort(policy_id: str) -> None:
    ob = _ob(policy_id).obligations
    assert ob is not None
    scenarios = {o.id: (o.determination, o.outcome, o.strength) for o in ob.outcomes if o.determination}
    assert scenarios == {
        "anthropic-in-the-lead": ("competitor_scenario", "delay", "binding"),
        "competitors-strong-safety": ("competitor_scenario", "delay", "binding"),
        "general-upleveling": ("competitor_scenario", "best_effort_no_delay", "best_effort"),
    }
    assert all(o.evidence for o in ob.outcomes if o.determination)
    lead = next(o for o in ob.outcomes if o.id == "anthropic-in-the-lead")
    assert lead.applies_to == ["continue-training", "deploy-internal", "deploy-external"]


@pytest.mark.parametrize(("policy_id", "present"), [(R30, False), (R31, True), (R34, True)])
def test_cautionary_pause_is_left_to_judgment_from_3_1(policy_id: str, present: bool) -> None:
    ob = _ob(policy_id).obligations
    assert ob is not None
    pause = [o for o in ob.outcomes if o.id == "cautionary-pause"]
    assert bool(pause) is present
    if pause:
        assert (pause[0].determination, pause[0].outcome, pause[0].strength) == (
            None,
            "consider_pause",
            "aim",
        )


# -- governance ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("policy_id", IDS)
def test_governance(policy_id: str) -> None:
    governance = builtin_policy(policy_id).governance
    review = {c.id: c for c in governance.cadences}["procedural-review"]
    assert (review.interval_months, review.third_party) == (12, True)
    nc = governance.noncompliance
    assert nc.recipient_role == "rso" and nc.recipient_options == ["independent_executive"]
    assert [(r.concerning_role, r.route_to) for r in nc.routing] == [("rso", "board")]
    assert (nc.material_risk_notify_role, nc.summary_interval_months) == ("board", 3)
    cc = governance.change_control
    assert (cc.proposer_roles, cc.approver_roles, cc.consulted_roles) == (["ceo", "rso"], ["board"], ["ltbt"])
    assert cc.publication_before_effect is False  # "prior to or on its effective date"


@pytest.mark.parametrize("policy_id", IDS)
def test_notes_say_which_numbers_the_text_does_not_give(policy_id: str) -> None:
    notes = " ".join(builtin_policy(policy_id).notes)
    assert "Numbers scalegate chose because the text gives none" in notes
    assert "no deadline for the public off-cycle discussion" in notes


# -- policy diff explains the rewrite and each step ---------------------------------------------------------


def test_diff_from_2_2_to_3_4_explains_the_rewrite() -> None:
    summary = diff_summary(builtin_policy("anthropic-rsp-2.2"), builtin_policy(R34))["summary"]
    text = "\n".join(summary)
    for expected in (
        "gate deploy-external: safeguard kinds deployment, security -> none",
        "obligations none -> risk-report, offcycle-internal, external-review",
        "training pause removed",
        "government notice removed",
        "effective-compute trigger removed",
        "calendar trigger removed",
        "safeguards re-approval interval removed",
        "obligation risk-report added: Risk Report (risk_report, binding); every 3-6 months;"
        " coverage date at most 30 days before publication; approved by ceo, rso",
        "review external-review added",
        "send within 7 days of governance_submission; commentary within 30 days of send (requested)",
        "determination significantly_redacted added: recorded by any one of rso, ceo, board, ltbt",
        "outcome anthropic-in-the-lead added",
        "threshold high-stakes-sabotage added (obligation, usage-based, requires no safeguard level)",
        "at least 200 employees: unredacted",
    ):
        assert expected in text, expected


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            R30,
            R31,
            [
                "threshold automated-rd: crossing test changed"
                " (now full-substitution or dramatic-acceleration)"
            ],
        ),
        (
            R31,
            R32,
            [
                "review external-review changed: now on request of ltbt; now reviewers approved by ltbt",
                "determination review_requested added: recorded by ltbt",
                "briefing of ltbt added",
            ],
        ),
        (
            R32,
            R33,
            [
                "threshold high-stakes-sabotage renamed: 'High-stakes sabotage opportunities'"
                " -> 'Misaligned AI systems in high-stakes settings'",
                "threshold chem-bio-novel: crossing test changed (now functional-substitution)",
            ],
        ),
        (
            R33,
            R34,
            [
                "obligation risk-report changed: now coverage date at most 30 days before publication",
                "now at least 200 employees: unredacted",
                "review external-review changed: now may be split across reviewers",
            ],
        ),
    ],
)
def test_diff_explains_each_step(old: str, new: str, expected: list[str]) -> None:
    result = diff_summary(builtin_policy(old), builtin_policy(new))
    text = "\n".join(result["summary"])
    for line in expected:
        assert line in text, line
    # Every version cites its own document, so most changes are citations, marked as such.
    citations = [c for c in result["changes"] if c["citation"]]
    assert citations and all(c["path"].endswith("source") or "source" in c["path"] for c in citations)


def test_a_v2_policy_dumps_no_v3_field_so_its_content_hash_is_unchanged() -> None:
    dump = builtin_policy("anthropic-rsp-2.2").model_dump(mode="json")
    assert "obligations" not in dump
    assert all("requires_obligations" not in a for a in dump["actions"])
    assert all(not {"basis", "crossing", "consequences", "mitigations"} & set(t) for t in dump["thresholds"])
    assert "briefings" not in dump["governance"]
    assert "recipient_options" not in dump["governance"]["noncompliance"]


# -- the schema refuses obligations that do not hold together ----------------------------------------------

EDITS = [
    (
        [
            (
                "requires_obligations: [risk-report, external-review]",
                "requires_obligations: [risk-report, report]",
            )
        ],
        "actions[deploy-external].requires_obligations: no obligation 'report'",
    ),
    (
        [
            ("requires_obligations: [risk-report, external-review]", "requires_obligations: [roadmap]"),
            ("      item_strength: goal\n", "      item_strength: goal\n      strength: goal\n"),
        ],
        "obligation 'roadmap' is not binding, so it cannot block an action",
    ),
    (
        [("      reviews: risk-report\n", "      reviews: system-card\n")],
        "no document obligation 'system-card'",
    ),
    (
        [("          after: send\n", "          after: publication\n")],
        "after 'publication' is neither an anchor",
    ),
    (
        [("      roles: [rso, ceo, board, ltbt]\n", "      roles: [rso, ceo, board, cfo]\n")],
        "obligations.determinations[significantly_redacted].roles: unknown role 'cfo'",
    ),
    (
        [("      strength: aim\n", "      strength: binding\n")],
        "a binding outcome needs the determination it rests on",
    ),
    ([("        max_months: 6\n", "        max_months: 2\n")], "min_months 3 exceeds max_months 2"),
]


@pytest.mark.parametrize(("edits", "message"), EDITS)
def test_inconsistent_obligations_are_rejected_with_their_place(
    edits: list[tuple[str, str]], message: str
) -> None:
    text = builtin_path(R34).read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    with pytest.raises(PolicyError) as info:
        load_policy_text(text, "rsp-3.4.yaml")
    assert message in str(info.value)
    assert str(info.value).startswith("rsp-3.4.yaml:")


def test_policy_summary_states_gates_and_obligations() -> None:
    summary = policy_summary(builtin_policy(R34))
    gates = {g["action"]: g["requires_obligations"] for g in summary["gates"]}
    assert gates["deploy-internal"] == ["risk-report", "offcycle-internal", "external-review"]
    lines = "\n".join(summary["obligations"])
    assert "risk-report: Risk Report (risk_report, binding); every 3-6 months" in lines
    assert "external-review: External review of a Risk Report" in lines
    assert policy_summary(builtin_policy("anthropic-rsp-2.2"))["obligations"] == []
