"""The framework comparison report: one checkpoint's record judged under each framework.

The data block is the ``Comparison`` the gate's comparison returns (``scalegate.gate.comparison``), serialised
once; the templates print its rows and every number through the data block, and the provenance cites each
framework by its content hash. Nothing is decided here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict

from scalegate.gate.comparison import Comparison, compare
from scalegate.jsonable import JsonObject, JsonValue, to_jsonable
from scalegate.reports.document import Report
from scalegate.reports.provenance import Citation, build_provenance

if TYPE_CHECKING:
    from scalegate.policy import Policy
    from scalegate.workspace import Workspace

__all__ = ["ComparisonData", "comparison_data", "comparison_report"]


class FindingCited(TypedDict):
    """A threshold finding a deciding reason rests on."""

    threshold_id: JsonValue
    indicator_id: JsonValue
    state: JsonValue
    clause: JsonValue


class DecidingReason(TypedDict):
    """A framework's deciding reason, once, with the actions it decides and where it first occurs."""

    code: str
    effect: str
    text: str
    clause: str
    actions: list[str]
    path: str
    findings: list[FindingCited]


class ComparisonData(TypedDict):
    """The data block of the comparison report: the comparison as JSON, then each framework's reasons."""

    report: str
    comparison: JsonObject
    reasons: list[list[DecidingReason]]


def comparison_data(comparison: Comparison) -> ComparisonData:
    """The report's data block: the comparison as JSON, and for each framework its deciding reasons once
    each (the three actions share most of them), naming the actions and the path of the first occurrence,
    whose numbers the report prints."""
    document: dict[str, Any] = to_jsonable(comparison)
    return {
        "report": "comparison",
        "comparison": document,
        "reasons": [_reasons_once(i, f) for i, f in enumerate(document["frameworks"])],
    }


def _reasons_once(index: int, framework: dict[str, Any]) -> list[DecidingReason]:
    merged: dict[tuple[str, str], DecidingReason] = {}
    for action, row in framework["actions"].items():
        for k, d in enumerate(row["decisive"]):
            entry = merged.setdefault(
                (d["effect"], d["text"]),
                {
                    "code": d["code"],
                    "effect": d["effect"],
                    "text": d["text"],
                    "clause": d["clause"],
                    "actions": [],
                    "path": f"comparison/frameworks/{index}/actions/{action}/decisive/{k}",
                    "findings": [
                        {
                            "threshold_id": x["threshold_id"],
                            "indicator_id": x["indicator_id"],
                            "state": x["state"],
                            "clause": x["clause"],
                        }
                        for x in d["numbers"]
                    ],
                },
            )
            entry["actions"].append(action)
    return list(merged.values())


def comparison_report(workspace: Workspace, ref: str, policies: list[Policy]) -> Report:
    """Build the comparison report of checkpoint ``ref`` under ``policies``."""
    comparison = compare(workspace, ref, policies)
    data = comparison_data(comparison)
    cited = [Citation("policy", f.policy_id, f.content_hash) for f in comparison.frameworks]
    return Report(
        kind="comparison",
        title=f"Framework comparison: {comparison.ref}",
        subject=comparison.ref,
        data=data,
        provenance=build_provenance(workspace, data, cited),
    )
