"""The coverage matrix is read from the policy files: known frameworks show what their texts say, a policy
file's change shows up in it, and its CSV and JSON exports agree."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from scalegate.errors import InputError, PolicyError
from scalegate.jsonable import to_jsonable
from scalegate.policy import builtin_ids, builtin_path, content_hash, load_builtin, load_policy_text
from scalegate.policy.coverage import CONCEPTS, CSV_HEADER, coverage_matrix, select_policies, to_csv

CONCEPT_IDS = [row.id for row in CONCEPTS]


def _cell(policy_id: str, concept: str) -> tuple[str, str, tuple[str, ...]]:
    cell = coverage_matrix([load_builtin(policy_id)]).columns[0].cell(concept)  # type: ignore[arg-type]
    return cell.status, cell.value, cell.clauses


def test_rsp_v2_2_assesses_at_4x_or_6_months() -> None:
    status, value, clauses = _cell("anthropic-rsp-2.2", "triggers")
    assert status == "stated"
    assert "4x effective compute" in value
    assert "6 months of post-training" in value
    assert "Anthropic RSP v2.2 §3.1" in clauses


def test_rsp_v1_0_assesses_at_4x_or_3_months_with_a_6x_buffer() -> None:
    _, value, _ = _cell("anthropic-rsp-1.0", "triggers")
    assert value.split("; ")[:3] == [
        "4x effective compute",
        "3 months since last assessment",
        "6x safety buffer",
    ]


@pytest.mark.parametrize("policy_id", ["gdm-fsf-1.0", "gdm-fsf-2.0", "gdm-fsf-3.0", "gdm-fsf-3.1"])
def test_gdm_names_critical_capability_levels(policy_id: str) -> None:
    status, value, clauses = _cell(policy_id, "threshold_scale")
    assert status == "stated"
    assert value.startswith("Critical Capability Levels (CCLs)")
    assert len(clauses) == 1 and clauses[0].startswith("GDM Frontier Safety Framework")


def test_openai_preparedness_beta_scores_low_medium_high_critical() -> None:
    _, value, clauses = _cell("openai-preparedness-2023-beta", "threshold_scale")
    assert value.endswith(": Low / Medium / High / Critical")
    assert clauses == ("OpenAI Preparedness Framework 2023 Beta §Tracked Risk Categories",)
    _, thresholds, _ = _cell("openai-preparedness-2023-beta", "thresholds_other")
    assert thresholds == "2: Persuasion High, Persuasion Critical"


def test_the_xai_draft_names_no_decision_maker_and_no_change_approver() -> None:
    status, value, clauses = _cell("xai-rmf-2025-02-draft", "decision_makers")
    assert (status, clauses) == ("not_addressed", ())
    assert "names no decision-maker" in value
    assert "Risk owner" not in value  # the stand-in role the file needs to run is not reported as the text's
    assert _cell("xai-rmf-2025-02-draft", "policy_change")[0] == "not_addressed"
    status, value, _ = _cell("xai-rmf-2025-02-draft", "notifications")
    assert status == "stated" and "law enforcement" in value
    assert _cell("xai-rmf-2025-02-draft", "thresholds_autonomy")[0] == "not_addressed"


def test_rsp_v2_2_governance_rows() -> None:
    assert _cell("anthropic-rsp-2.2", "decision_makers")[1].startswith(
        "Chief Executive Officer, Responsible Scaling Officer (capability determination"
    )
    notified = _cell("anthropic-rsp-2.2", "notifications")[1]
    assert "Board of Directors" in notified and "Long-Term Benefit Trust" in notified
    assert "a relevant U.S. Government entity" in notified
    assert _cell("anthropic-rsp-2.2", "noncompliance")[1].startswith("anonymous reports to Responsible")
    assert "approved by Board of Directors" in _cell("anthropic-rsp-2.2", "policy_change")[1]
    assert _cell("anthropic-rsp-2.2", "thresholds_cbrn")[1] == "2: CBRN-3, CBRN-4"
    assert _cell("anthropic-rsp-3.4", "thresholds_cyber")[0] == "not_addressed"


def test_every_builtin_has_a_cell_for_every_concept_and_stated_cells_cite() -> None:
    matrix = coverage_matrix([load_builtin(i) for i in builtin_ids()])
    assert [c.policy_id for c in matrix.columns] == builtin_ids()
    for column in matrix.columns:
        assert [c.concept for c in column.cells] == CONCEPT_IDS
        for cell in column.cells:
            assert cell.value
            if cell.status == "stated" and not cell.value.endswith("no named scale"):
                assert cell.clauses, (column.policy_id, cell.concept)


# -- derived, not hard-coded ---------------------------------------------------------------------------------

RSP = builtin_path("anthropic-rsp-2.2").read_text(encoding="utf-8")

EXTRA_NOTICE = """    notify:
      - role: auditor
        timing: after_decision
        source: {document: Anthropic RSP v2.2, section: "9.9", quote: "an extra notice"}
"""


def test_an_extra_notification_in_the_file_shows_up_in_the_matrix() -> None:
    anchor = "  - decision: capability_determination\n    signoff_roles: [ceo, rso]\n"
    assert anchor in RSP
    start = RSP.index(anchor) + len(anchor)
    notify = RSP.index("    notify:\n", start)
    changed = RSP[:notify] + EXTRA_NOTICE + RSP[notify + len("    notify:\n") :]
    policy = load_policy_text(changed, "extra.yaml")
    cell = coverage_matrix([policy]).columns[0].cell("notifications")
    assert "Auditor (capability determination)" in cell.value
    assert "Anthropic RSP v2.2 §9.9" in cell.clauses
    assert "Auditor" not in _cell("anthropic-rsp-2.2", "notifications")[1]


def test_a_note_leaving_a_concept_to_the_lab_replaces_the_derived_cell() -> None:
    note = """coverage:
  notes:
    - concept: external_review
      status: left_to_lab
      text: the lab chooses its reviewers
      source: {document: Anthropic RSP v2.2, section: "7.2", quote: "expert input"}

notes:
"""
    policy = load_policy_text(RSP.replace("\nnotes:\n", "\n" + note, 1), "note.yaml")
    cell = coverage_matrix([policy]).columns[0].cell("external_review")
    assert (cell.status, cell.value, cell.clauses) == (
        "left_to_lab",
        "the lab chooses its reviewers",
        ("Anthropic RSP v2.2 §7.2",),
    )


def test_a_stated_note_without_a_source_is_refused() -> None:
    note = "coverage:\n  notes:\n    - {concept: disclosure, status: stated, text: says so}\n\nnotes:\n"
    with pytest.raises(PolicyError, match="needs a source"):
        load_policy_text(RSP.replace("\nnotes:\n", "\n" + note, 1), "bad.yaml")


def test_policies_without_coverage_notes_keep_their_content_hash() -> None:
    policy = load_builtin("anthropic-rsp-2.2")
    assert policy.coverage is None
    assert "coverage" not in policy.model_dump(mode="json")
    assert content_hash(policy) == content_hash(load_policy_text(RSP, "again.yaml"))


# -- exports and selection -----------------------------------------------------------------------------------


def test_csv_and_json_exports_agree() -> None:
    matrix = coverage_matrix([load_builtin(i) for i in builtin_ids()])
    rows = list(csv.DictReader(io.StringIO(to_csv(matrix))))
    document = json.loads(json.dumps(to_jsonable(matrix)))
    from_json = [
        (col["policy_id"], c["concept"], c["status"], c["value"], list(c["clauses"]))
        for col in document["columns"]
        for c in col["cells"]
    ]
    from_csv = [
        (
            r["policy_id"],
            r["concept"],
            r["status"],
            r["value"],
            r["clauses"].split(" | ") if r["clauses"] else [],
        )
        for r in rows
    ]
    assert list(rows[0]) == list(CSV_HEADER)
    assert from_csv == from_json
    assert len(from_csv) == len(builtin_ids()) * len(CONCEPTS)


def test_selection_names_builtins_or_all() -> None:
    assert [p.id for p in select_policies("all")] == builtin_ids()
    assert [p.id for p in select_policies("all, all")] == builtin_ids()
    assert [p.id for p in select_policies(" gdm-fsf-3.0 ,anthropic-rsp-1.0,gdm-fsf-3.0")] == [
        "gdm-fsf-3.0",
        "anthropic-rsp-1.0",
    ]


@pytest.mark.parametrize(
    "spec", ["", " , ", "nope", "gdm-fsf-3.0,../../etc/passwd", "all,gdm-fsf-3.0", "ALL"]
)
def test_selection_refuses_what_is_not_a_builtin(spec: str) -> None:
    with pytest.raises(InputError) as info:
        select_policies(spec)
    assert info.value.where == "policies"


def test_files_are_read_only_when_allowed(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(RSP, encoding="utf-8")
    with pytest.raises(InputError):
        select_policies(str(path))
    assert [p.id for p in select_policies(str(path), allow_files=True)] == ["anthropic-rsp-2.2"]
