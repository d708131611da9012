"""From threshold findings to required safeguards: the maximum over thresholds not ruled out, per kind.

Only ``active`` thresholds require safeguards. A threshold whose `alert_means` is `comprehensive_assessment`
(GDM's alert thresholds) requires its safeguards only when crossed or unassessable; an alert there triggers a
comprehensive assessment instead. ``expected`` mappings (RSP's CBRN-4 -> ASL-4) are required too, and flagged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypedDict

from scalegate.assessment.findings import ThresholdFinding
from scalegate.jsonable import JsonObject
from scalegate.policy import Policy

__all__ = [
    "RequiredLevel",
    "RequiredLevelDocument",
    "Requirements",
    "RequirementsDocument",
    "required_levels",
]


class RequiredLevelDocument(TypedDict):
    """A required level as JSON (``RequiredLevel.to_dict``): its fields."""

    kind: str
    level: str
    rank: int
    because: list[str]
    clauses: list[str]
    expected_only: bool
    criteria_published: bool


class RequirementsDocument(TypedDict):
    """The requirements as JSON (``Requirements.to_dict``); ``checkpoint_work`` as its rules state it."""

    levels: dict[str, RequiredLevelDocument]
    affirmative_case_for: list[str]
    comprehensive_assessment_for: list[str]
    checkpoint_work: list[JsonObject]


@dataclass(frozen=True)
class RequiredLevel:
    """The level required for one kind, and why."""

    kind: str
    level: str
    rank: int
    because: list[str]
    """Threshold ids that require it; empty when it is the policy's baseline."""
    clauses: list[str]
    expected_only: bool = False
    criteria_published: bool = True

    def to_dict(self) -> RequiredLevelDocument:
        return {
            "kind": self.kind,
            "level": self.level,
            "rank": self.rank,
            "because": self.because,
            "clauses": self.clauses,
            "expected_only": self.expected_only,
            "criteria_published": self.criteria_published,
        }


@dataclass(frozen=True)
class Requirements:
    """Required level per kind, plus the other consequences of the findings."""

    levels: dict[str, RequiredLevel]
    affirmative_case_for: list[str] = field(default_factory=list)
    comprehensive_assessment_for: list[str] = field(default_factory=list)
    checkpoint_work: list[dict[str, Any]] = field(default_factory=list)

    def level_of(self, kind: str) -> RequiredLevel | None:
        return self.levels.get(kind)

    def to_dict(self) -> RequirementsDocument:
        return {
            "levels": {k: v.to_dict() for k, v in self.levels.items()},
            "affirmative_case_for": self.affirmative_case_for,
            "comprehensive_assessment_for": self.comprehensive_assessment_for,
            "checkpoint_work": self.checkpoint_work,
        }


def _requires_safeguards(policy: Policy, finding: ThresholdFinding) -> bool:
    if finding.ruled_out:
        return False
    threshold = policy.threshold(finding.threshold_id)
    return not (threshold.alert_means == "comprehensive_assessment" and finding.state == "alert")


def required_levels(
    policy: Policy, findings: list[ThresholdFinding], action: str | None = None
) -> Requirements:
    """Required level per kind: the baseline, raised by every active threshold that is not ruled out.

    With ``action``, requirements scoped to other actions (``applies_to``) are left out; without it, every
    requirement counts (the most conservative view, shown by ``assess``).
    """
    levels: dict[str, RequiredLevel] = {}
    source = policy.safeguards.source.cite()
    for req in policy.safeguards.baseline:
        lv = policy.level(req.kind, req.level)
        levels[req.kind] = RequiredLevel(req.kind, lv.id, lv.rank, [], [source], False, lv.criteria_published)
    affirmative: list[str] = []
    comprehensive: list[str] = []
    work: list[dict[str, Any]] = []
    for finding in findings:
        threshold = policy.threshold(finding.threshold_id)
        if threshold.status == "checkpoint" and not finding.ruled_out:
            work.append(
                {"checkpoint": threshold.id, "work": threshold.on_reach, "clause": threshold.source.cite()}
            )
        if threshold.status != "active":
            continue
        if threshold.alert_means == "comprehensive_assessment" and finding.state == "alert":
            comprehensive.append(threshold.id)
        if not _requires_safeguards(policy, finding):
            continue
        if threshold.affirmative_case_required:
            affirmative.append(threshold.id)
        for req in threshold.required_safeguards:
            if action is not None and req.applies_to is not None and action not in req.applies_to:
                continue
            lv = policy.level(req.kind, req.level)
            current = levels.get(req.kind)
            expected = threshold.mapping == "expected"
            if current is None or lv.rank > current.rank:
                levels[req.kind] = RequiredLevel(
                    req.kind,
                    lv.id,
                    lv.rank,
                    [threshold.id],
                    [threshold.source.cite()],
                    expected,
                    lv.criteria_published,
                )
            elif lv.rank == current.rank and current.because is not None:
                levels[req.kind] = RequiredLevel(
                    req.kind,
                    current.level,
                    current.rank,
                    [*current.because, threshold.id],
                    [*current.clauses, threshold.source.cite()],
                    current.expected_only and expected,
                    current.criteria_published,
                )
    return Requirements(levels, affirmative, comprehensive, work)
