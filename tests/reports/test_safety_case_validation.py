"""Structural validation of safety cases: one test per check, each on a case valid but for one defect."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from scalegate.errors import InputError
from scalegate.reports.safety_case import (
    EvidenceBinding,
    SafetyCase,
    load_case,
    render_svg,
    validate_case,
)

SHA = "ab" * 32


def _binding(seq: int = 3) -> EvidenceBinding:
    return EvidenceBinding(sha256=SHA, audit_seq=seq, source="evaluation", ref="bio-mcq", label="result")


def _nodes() -> list[dict[str, Any]]:
    return [
        {
            "id": "G1",
            "kind": "goal",
            "text": "The model cannot provide uplift",
            "supported_by": ["S1"],
            "in_context_of": ["C1", "A1"],
        },
        {
            "id": "S1",
            "kind": "strategy",
            "text": "Argue over each indicator",
            "supported_by": ["G2", "G3"],
            "in_context_of": ["J1"],
        },
        {"id": "G2", "kind": "goal", "text": "bio-mcq is ruled out", "supported_by": ["Sn1"]},
        {"id": "G3", "kind": "goal", "text": "auto-tasks is ruled out", "supported_by": ["Sn2"]},
        {"id": "Sn1", "kind": "solution", "text": "bio-mcq result", "evidence": _binding(3).model_dump()},
        {"id": "Sn2", "kind": "solution", "text": "auto-tasks result", "evidence": _binding(4).model_dump()},
        {"id": "C1", "kind": "context", "text": "Threshold definition"},
        {"id": "A1", "kind": "assumption", "text": "The evaluations measure the capability"},
        {"id": "J1", "kind": "justification", "text": "Safety buffer rule"},
    ]


def _case(nodes: list[dict[str, Any]], purpose: str = "deploy") -> SafetyCase:
    return SafetyCase.model_validate(
        {"id": "case", "title": "Test case", "kind": "custom", "purpose": purpose, "nodes": nodes}
    )


def _edit(node_id: str, **changes: Any) -> Callable[[list[dict[str, Any]]], None]:
    def apply(nodes: list[dict[str, Any]]) -> None:
        next(n for n in nodes if n["id"] == node_id).update(changes)

    return apply


def _add(node: dict[str, Any]) -> Callable[[list[dict[str, Any]]], None]:
    return lambda nodes: nodes.append(node)


def _drop(node_id: str) -> Callable[[list[dict[str, Any]]], None]:
    def apply(nodes: list[dict[str, Any]]) -> None:
        nodes[:] = [n for n in nodes if n["id"] != node_id]

    return apply


def _undevelop_g3(nodes: list[dict[str, Any]], mark: bool = True) -> None:
    _edit("G3", supported_by=[], undeveloped=mark)(nodes)
    _drop("Sn2")(nodes)


def test_the_base_case_is_valid_for_deployment() -> None:
    result = validate_case(_case(_nodes()))
    assert result.valid and result.for_deploy
    assert result.diagnostics == []


DEFECTS: list[tuple[str, str, Callable[[list[dict[str, Any]]], None]]] = [
    ("V02", "goal with neither support nor the undeveloped mark", lambda nodes: _undevelop_g3(nodes, False)),
    ("V03", "undeveloped goal that is supported", _edit("G2", undeveloped=True)),
    ("V03", "undeveloped solution", _edit("Sn1", undeveloped=True)),
    ("V04", "justification under supported_by", _edit("G2", supported_by=["Sn1", "J1"])),
    ("V04", "strategy supported by a solution", _edit("S1", supported_by=["G2", "G3", "Sn1"])),
    ("V04", "goal in the context of a goal", _edit("G2", in_context_of=["G3"])),
    ("V04", "solution with a context", _edit("Sn1", in_context_of=["C1"])),
    ("V05", "the same reference twice", _edit("S1", supported_by=["G2", "G2", "G3"])),
    ("V06", "a goal supporting itself", _edit("G2", supported_by=["Sn1", "G2"])),
    ("V08", "id prefix contradicting the type", _edit("C1", id="X1")),
    (
        "C01",
        "two top-level elements",
        _add({"id": "G9", "kind": "goal", "text": "another root", "supported_by": ["Sn1"]}),
    ),
    (
        "C02",
        "a strategy at the top",
        _edit("G1", kind="strategy", supported_by=["G2", "G3"], in_context_of=[]),
    ),
    ("C03", "a reference to nothing", _edit("G2", supported_by=["Sn1", "Sn7"])),
    ("C04", "a supported_by cycle", _edit("G3", supported_by=["Sn2", "S1"])),
    (
        "C07",
        "a duplicate id",
        _add({"id": "Sn1", "kind": "solution", "text": "again", "evidence": _binding().model_dump()}),
    ),
    (
        "C08",
        "an island reachable from no root",
        lambda nodes: nodes.extend(
            [
                {"id": "G7", "kind": "goal", "text": "island", "supported_by": ["G8"]},
                {"id": "G8", "kind": "goal", "text": "island", "supported_by": ["G7"]},
            ]
        ),
    ),
    ("D01", "an undeveloped goal in a case used to deploy", _undevelop_g3),
    ("E01", "a solution bound to no stored file", _edit("Sn2", evidence=None)),
    ("E02", "evidence on a goal", _edit("G2", evidence=_binding().model_dump())),
]


@pytest.mark.parametrize(("code", "what", "defect"), DEFECTS, ids=[f"{c}-{w}" for c, w, _ in DEFECTS])
def test_each_check_reports_its_defect(
    code: str, what: str, defect: Callable[[list[dict[str, Any]]], None]
) -> None:
    nodes = _nodes()
    defect(nodes)
    result = validate_case(_case(nodes))
    assert code in result.codes(), f"{what}: got {[d.to_dict() for d in result.diagnostics]}"
    severity = {d.code: d.severity for d in result.diagnostics}[code]
    assert severity == ("warning" if code in ("V02", "V08") else "error")
    assert result.valid == (severity == "warning" and not result.errors)


def test_a_cycle_is_reported_once_with_its_path() -> None:
    nodes = _nodes()
    _edit("G3", supported_by=["Sn2", "S1"])(nodes)
    cycles = [d for d in validate_case(_case(nodes)).diagnostics if d.code == "C04"]
    assert len(cycles) == 1
    assert "S1" in cycles[0].message and "G3" in cycles[0].message


def test_an_undeveloped_goal_is_allowed_in_a_review_case_but_not_to_deploy() -> None:
    nodes = _nodes()
    _undevelop_g3(nodes)
    case = _case(nodes, purpose="review")
    assert validate_case(case).valid
    assert not validate_case(case, for_deploy=True).valid
    assert validate_case(case, for_deploy=True).codes() == {"D01"}


def test_a_case_whose_top_claim_is_unsupported_is_not_silent() -> None:
    """A case that argues nothing (its top goal undeveloped) is not "valid, 0 warnings": a review case warns,
    a case used to deploy is invalid."""
    nodes = [{"id": "G1", "kind": "goal", "text": "The model is safe to deploy", "undeveloped": True}]
    review = validate_case(_case(nodes, purpose="review"))
    assert review.valid and [w.code for w in review.warnings] == ["C09"]
    assert validate_case(_case(nodes, purpose="deploy")).codes() == {"C09", "D01"}
    assert "C09" not in validate_case(_case(_nodes())).codes()


def test_a_top_claim_whose_every_branch_ends_undeveloped_is_not_silent() -> None:
    """Supported on paper (G1 -> S1 -> G2, G3) but with every sub-goal undeveloped, the top claim rests on no
    evidence: a review case warns (C09) instead of validating "valid, 0 warnings"; one developed branch is
    enough to argue something."""
    nodes = _nodes()
    _undevelop_g3(nodes)
    _edit("G2", supported_by=[], undeveloped=True)(nodes)
    nodes[:] = [n for n in nodes if n["kind"] != "solution"]
    review = validate_case(_case(nodes, purpose="review"))
    assert review.valid and [(w.code, w.node) for w in review.warnings] == [("C09", "G1")]
    assert "rests on no evidence" in review.warnings[0].message
    assert validate_case(_case(nodes, purpose="deploy")).codes() == {"C09", "D01"}
    one_branch = _nodes()
    _undevelop_g3(one_branch)
    assert "C09" not in validate_case(_case(one_branch, purpose="review")).codes()


def test_gsn2x_yaml_export_keeps_every_element_and_relation() -> None:
    case = _case(_nodes())
    doc = yaml.safe_load(case.to_gsn_yaml())
    assert doc["module"]["name"] == "case"
    assert doc["G1"] == {
        "text": "The model cannot provide uplift",
        "supportedBy": ["S1"],
        "inContextOf": ["C1", "A1"],
    }
    assert doc["S1"]["supportedBy"] == ["G2", "G3"]
    assert set(doc) - {"module"} == {n["id"] for n in _nodes()}


def test_the_diagram_is_an_svg_with_every_element(tmp_path: Path) -> None:
    case = _case(_nodes())
    svg = render_svg(case, {"G3": "F01: superseded"}).decode("utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    for node in _nodes():
        assert f"<title>{node['id']}</title>" in svg
    assert "F01: superseded" in svg  # the problem is the highlighted element's tooltip
    assert "#c62828" in svg


def test_a_case_file_round_trips_and_a_bad_one_is_one_input_error(tmp_path: Path) -> None:
    case = _case(_nodes())
    path = tmp_path / "case.json"
    path.write_text(case.to_json(), encoding="utf-8")
    assert load_case(path) == case
    assert load_case(path).digest() == case.digest()
    path.write_text('{"id": "x"}', encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_case(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)
