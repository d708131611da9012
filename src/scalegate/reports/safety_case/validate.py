"""Structural validation of a safety case, following the checks of the open-source gsn2x tool.

Codes ``Vnn`` (per element) and ``Cnn`` (whole graph) keep gsn2x's numbering so a reader who knows that tool
recognises them; scalegate's own checks use ``D`` (fitness to deploy), ``E`` (evidence binding) and ``F``
(freshness against the workspace, see ``freshness.py``).

    V02  goal or strategy neither supported nor marked undeveloped (warning; D01 makes it an error to deploy)
    V03  element marked undeveloped but supported
    V04  relation that makes no sense in GSN (e.g. a justification under supported_by)
    V05  duplicate reference in one list
    V06  element refers to itself
    V08  id prefix contradicts the element type (warning)
    C01  not exactly one top-level element
    C02  the top-level element is not a goal
    C03  reference to an element that does not exist
    C04  circular supported_by chain
    C07  duplicate element id
    C08  element not reachable from the root
    C09  the top-level goal is unsupported: nothing supports it, or every branch under it ends undeveloped, so
         no evidence reaches it and the case argues nothing yet (warning; D01 makes it an error to deploy)
    D01  undeveloped goal or strategy in a case used to deploy
    E01  solution without an evidence binding
    E02  evidence binding on an element that is not a solution
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal, TypedDict

from scalegate.reports.safety_case.model import PREFIX, Node, NodeKind, SafetyCase

__all__ = [
    "CaseValidation",
    "CaseValidationDocument",
    "Diagnostic",
    "DiagnosticDocument",
    "Severity",
    "validate_case",
]

Severity = Literal["error", "warning"]
"""An error makes the case invalid; a warning is reported but does not."""

_SUPPORTS: dict[NodeKind, set[NodeKind]] = {
    "goal": {"goal", "strategy", "solution"},
    "strategy": {"goal"},
}
_CONTEXTS: set[NodeKind] = {"context", "assumption", "justification"}


class DiagnosticDocument(TypedDict):
    """A ``Diagnostic`` as JSON."""

    code: str
    severity: Severity
    node: str | None
    message: str


class CaseValidationDocument(TypedDict):
    """A validation run as JSON: the case, whether it is valid, the counts, every diagnostic."""

    case: str
    for_deploy: bool
    valid: bool
    errors: int
    warnings: int
    diagnostics: list[DiagnosticDocument]


@dataclass(frozen=True)
class Diagnostic:
    """One finding of validation."""

    code: str
    severity: Severity
    node: str | None
    message: str

    def to_dict(self) -> DiagnosticDocument:
        return {"code": self.code, "severity": self.severity, "node": self.node, "message": self.message}


@dataclass
class CaseValidation:
    """Every diagnostic of one validation run."""

    case_id: str
    for_deploy: bool
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]

    @property
    def valid(self) -> bool:
        return not self.errors

    def codes(self) -> set[str]:
        """The distinct codes reported."""
        return {d.code for d in self.diagnostics}

    def add(self, code: str, severity: Severity, node: str | None, message: str) -> None:
        self.diagnostics.append(Diagnostic(code, severity, node, message))

    def to_dict(self) -> CaseValidationDocument:
        return {
            "case": self.case_id,
            "for_deploy": self.for_deploy,
            "valid": self.valid,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "diagnostics": [d.to_dict() for d in self.diagnostics],
        }


def validate_case(case: SafetyCase, *, for_deploy: bool | None = None) -> CaseValidation:
    """Check the structure of ``case``; ``for_deploy`` defaults to the case's own purpose."""
    deploy = case.purpose == "deploy" if for_deploy is None else for_deploy
    result = CaseValidation(case.id, deploy)
    _check_ids(case, result)
    nodes = case.by_id()
    for node in case.nodes:
        _check_element(node, nodes, result, deploy)
    _check_graph(case, nodes, result)
    return result


def _check_ids(case: SafetyCase, result: CaseValidation) -> None:
    counts = Counter(n.id for n in case.nodes)
    for node_id, count in sorted(counts.items()):
        if count > 1:
            result.add("C07", "error", node_id, f"element id {node_id} is used {count} times")
    for node in case.nodes:
        if not _prefix_matches(node):
            result.add(
                "V08",
                "warning",
                node.id,
                f"id {node.id} does not start with {PREFIX[node.kind]!r}, the prefix of a {node.kind}",
            )


def _prefix_matches(node: Node) -> bool:
    if node.kind == "strategy":
        return node.id.startswith("S") and not node.id.startswith("Sn")
    return node.id.startswith(PREFIX[node.kind])


def _check_element(node: Node, nodes: dict[str, Node], result: CaseValidation, deploy: bool) -> None:
    _check_refs(node, "supported_by", node.supported_by, nodes, result)
    _check_refs(node, "in_context_of", node.in_context_of, nodes, result)
    allowed = _SUPPORTS.get(node.kind, set())
    for ref in node.supported_by:
        target = nodes.get(ref)
        if target is not None and target.kind not in allowed:
            what = (
                f"a {node.kind} cannot be supported by anything"
                if not allowed
                else (f"a {node.kind} can only be supported by {', '.join(sorted(allowed))}")
            )
            result.add("V04", "error", node.id, f"{node.id} supported_by {ref} ({target.kind}): {what}")
    for ref in node.in_context_of:
        target = nodes.get(ref)
        if node.kind not in _SUPPORTS:
            result.add("V04", "error", node.id, f"a {node.kind} cannot have in_context_of ({ref})")
        elif target is not None and target.kind not in _CONTEXTS:
            result.add(
                "V04",
                "error",
                node.id,
                f"{node.id} in_context_of {ref} ({target.kind}): only contexts, assumptions, justifications",
            )
    _check_development(node, result, deploy)
    _check_evidence(node, result)


def _check_refs(
    node: Node, relation: str, refs: list[str], nodes: dict[str, Node], result: CaseValidation
) -> None:
    for ref, count in Counter(refs).items():
        if count > 1:
            result.add("V05", "error", node.id, f"{node.id} lists {ref} {count} times under {relation}")
        if ref == node.id:
            result.add("V06", "error", node.id, f"{node.id} refers to itself under {relation}")
        elif ref not in nodes:
            result.add("C03", "error", node.id, f"{node.id} {relation} {ref}: no such element")


def _check_development(node: Node, result: CaseValidation, deploy: bool) -> None:
    if node.kind not in _SUPPORTS:
        if node.undeveloped:
            result.add(
                "V03", "error", node.id, f"only goals and strategies can be undeveloped, not a {node.kind}"
            )
        return
    if node.undeveloped and node.supported_by:
        result.add("V03", "error", node.id, f"{node.id} is marked undeveloped but is supported")
    if not node.supported_by and not node.undeveloped:
        result.add(
            "V02", "warning", node.id, f"{node.kind} {node.id} has no support and is not marked undeveloped"
        )
    if deploy and not node.supported_by:
        result.add("D01", "error", node.id, f"{node.kind} {node.id} is undeveloped in a case used to deploy")


def _check_evidence(node: Node, result: CaseValidation) -> None:
    if node.kind == "solution" and node.evidence is None:
        result.add(
            "E01", "error", node.id, f"solution {node.id} is not bound to a stored file and audit entry"
        )
    if node.kind != "solution" and node.evidence is not None:
        result.add("E02", "error", node.id, f"{node.kind} {node.id} carries evidence; only solutions may")


def _check_graph(case: SafetyCase, nodes: dict[str, Node], result: CaseValidation) -> None:
    referenced = {ref for n in case.nodes for ref in (*n.supported_by, *n.in_context_of)}
    tops = [n for n in case.nodes if n.id not in referenced]
    if len(tops) != 1:
        names = ", ".join(n.id for n in tops) or "none"
        result.add(
            "C01", "error", None, f"expected exactly one top-level element, found {len(tops)}: {names}"
        )
    for top in tops:
        if top.kind != "goal":
            result.add("C02", "error", top.id, f"top-level element {top.id} is a {top.kind}, not a goal")
        elif not top.supported_by:
            result.add(
                "C09",
                "warning",
                top.id,
                f"the top-level goal {top.id} has no support: the case argues nothing yet",
            )
        elif not _evidence_reaches(top.id, nodes):
            result.add(
                "C09",
                "warning",
                top.id,
                f"the top-level goal {top.id} rests on no evidence: every branch under it ends undeveloped, "
                "so the case argues nothing yet",
            )
    for cycle in _cycles(nodes):
        result.add("C04", "error", cycle[0], "circular supported_by: " + " -> ".join([*cycle, cycle[0]]))
    if len(tops) == 1:
        reached = _reachable(tops[0].id, nodes)
        for node in case.nodes:
            if node.id not in reached:
                result.add("C08", "error", node.id, f"{node.id} is not reachable from the root {tops[0].id}")


def _cycles(nodes: dict[str, Node]) -> list[list[str]]:
    """Each distinct supported_by cycle once (iterative DFS with colours)."""
    state: dict[str, int] = {}
    found: list[list[str]] = []
    seen_cycles: set[frozenset[str]] = set()
    for start in nodes:
        if state.get(start):
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        path: list[str] = []
        while stack:
            node_id, index = stack.pop()
            if index == 0:
                state[node_id] = 1
                path.append(node_id)
            children = [c for c in nodes[node_id].supported_by if c in nodes]
            if index < len(children):
                stack.append((node_id, index + 1))
                child = children[index]
                if state.get(child) == 1:
                    cycle = path[path.index(child) :]
                    if frozenset(cycle) not in seen_cycles:
                        seen_cycles.add(frozenset(cycle))
                        found.append(cycle)
                elif not state.get(child):
                    stack.append((child, 0))
            else:
                state[node_id] = 2
                path.pop()
    return found


def _evidence_reaches(root: str, nodes: dict[str, Node]) -> bool:
    """Whether a solution lies below ``root`` along ``supported_by`` (contexts frame a claim; they are not
    evidence for it)."""
    seen = {root}
    todo = [root]
    while todo:
        node = nodes.get(todo.pop())
        if node is None:
            continue
        if node.kind == "solution":
            return True
        for ref in node.supported_by:
            if ref in nodes and ref not in seen:
                seen.add(ref)
                todo.append(ref)
    return False


def _reachable(root: str, nodes: dict[str, Node]) -> set[str]:
    seen = {root}
    todo = [root]
    while todo:
        node = nodes.get(todo.pop())
        if node is None:
            continue
        for ref in (*node.supported_by, *node.in_context_of):
            if ref in nodes and ref not in seen:
                seen.add(ref)
                todo.append(ref)
    return seen
