"""What a Risk Report draft records: the shapes of its contents, for the checker.

``risk_reports.draft`` builds the contents from the record as of the coverage date, adds each covered
model's standing (its threshold findings and gate verdicts, read by ``scalegate.gate.drafting``), then
stores them as JSON; their SHA-256 is what every approval is bound to, so these shapes are a file format:
a key renamed here changes every digest drafted after it.
"""

from __future__ import annotations

from datetime import datetime
from typing import NotRequired, TypedDict

from scalegate.jsonable import JsonObject

__all__ = [
    "DisclosureTier",
    "IndicatorStanding",
    "ModelRecord",
    "ModelStanding",
    "ReportContents",
    "RoadmapRecord",
    "ThresholdStanding",
    "VerdictStanding",
]


class IndicatorStanding(TypedDict):
    """One indicator's finding, with the numbers that decided it."""

    indicator: str
    state: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    confidence_level: float | None
    threshold: float | None
    clause: str


class ThresholdStanding(TypedDict):
    """One threshold's finding for a covered model."""

    threshold: str
    state: str
    ruled_out: bool
    clause: str
    reason: str
    indicators: list[IndicatorStanding]


class ReasonStanding(TypedDict):
    """One top-level reason of a verdict, as a draft records it (without the numbers of its data)."""

    code: str
    effect: str
    clause: str | None
    text: str


class VerdictStanding(TypedDict):
    """The gate's verdict for one action on a covered model."""

    action: str
    outcome: str
    reasons: list[ReasonStanding]


class ModelStanding(TypedDict):
    """A covered model's findings and verdicts, and whether the record makes it highly capable (no
    ``checkpoint`` when the model has none to assess)."""

    checkpoint: NotRequired[str]
    thresholds: list[ThresholdStanding]
    verdicts: list[VerdictStanding]
    highly_capable: bool


class CheckpointRecord(TypedDict):
    """A checkpoint of a covered model registered by the coverage date."""

    name: str
    step: int
    stage: str
    effective_compute: float | None


class AssessmentRecord(TypedDict):
    """An assessment of a covered model triggered by the coverage date (completed only if by then)."""

    kind: str
    trigger: str
    due_at: datetime
    completed_at: datetime | None


class ModelRecord(TypedDict):
    """A covered model: its checkpoints and assessments, then its standing (added once read)."""

    name: str
    family: str
    checkpoints: list[CheckpointRecord]
    assessments: list[AssessmentRecord]
    checkpoint: NotRequired[str]
    thresholds: NotRequired[list[ThresholdStanding]]
    verdicts: NotRequired[list[VerdictStanding]]
    highly_capable: NotRequired[bool]


class RoadmapItemRecord(TypedDict):
    """A roadmap goal as of the coverage date, graded (``missed`` once past its target and not met)."""

    id: int
    area: str
    title: str
    target_date: datetime
    status: str
    note: str


class RoadmapRecord(TypedDict):
    """The roadmap's goals, and the missed ones no published report has listed yet."""

    items: list[RoadmapItemRecord]
    misses_to_list: list[int]


class SafeguardRecord(TypedDict):
    """A safeguard criterion's implementation status."""

    criterion: str
    status: str
    owner: str


class FindingRecord(TypedDict):
    """An open compliance finding detected by the coverage date."""

    kind: str
    subject: str
    clause: str
    days_late: int


class PastReportRecord(TypedDict):
    """A Risk Report published before this one."""

    id: int
    title: str
    coverage_date: datetime
    published_at: datetime | None


class OffCycleRecord(TypedDict):
    """An off-cycle analysis determined by the coverage date."""

    id: int
    model: str
    determined_at: datetime
    published_at: datetime | None
    artifact: str | None


class ReviewRecord(TypedDict):
    """A compliance review completed by the coverage date."""

    cadence: str
    completed_at: datetime


class TrackRecord(TypedDict):
    """A threshold's mitigation track, with how firmly the policy commits to it."""

    threshold: str
    track: str
    strength: str
    items: list[str]
    hedges: list[str]
    clause: str


class HighlyCapableRecord(TypedDict):
    """Which covered models the record makes highly capable, and whether the drafter marked the report so."""

    derived_for: list[str]
    marked: bool


class ReportContents(TypedDict):
    """A Risk Report's contents as drafted; ``tracks`` and ``highly_capable`` follow the record's sections.

    ``competitor_determinations`` carry each decision's payload, whose keys its proposer chose."""

    models: list[ModelRecord]
    safeguards: list[SafeguardRecord]
    findings: list[FindingRecord]
    roadmap: RoadmapRecord
    past_reports: list[PastReportRecord]
    offcycle_analyses: list[OffCycleRecord]
    competitor_determinations: list[JsonObject]
    compliance_events: list[ReviewRecord]
    tracks: NotRequired[list[TrackRecord]]
    highly_capable: NotRequired[HighlyCapableRecord]


class DisclosureTier(TypedDict):
    """Who received one version of a published report, against the fewest recipients the policy asks."""

    version: str
    recipients: int | None
    min_recipients: int | None
    clause: str
