"""The values the evidence domain hands to the rest of scalegate: records, per-indicator estimates, flags.

They are plain frozen dataclasses (no ORM, no ``inspect_ai``), so the assessment engine, reports, the API and
the CLI can all hold them without importing the store or a harness.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, TypedDict

__all__ = [
    "FLAG_CODES",
    "EvidenceRecord",
    "EvidenceRecordDocument",
    "FlagCode",
    "Harness",
    "IndicatorEvidence",
    "IndicatorEvidenceDocument",
    "IngestResult",
    "IngestResultDocument",
    "IntervalMethod",
    "LogFormat",
    "QualityFlag",
    "QualityFlagDocument",
    "ScorerSummary",
    "ScorerSummaryDocument",
]

Harness = Literal["inspect", "lm_eval", "manual"]
"""Where a result comes from (the same vocabulary as a policy's `evaluation.harness`)."""

LogFormat = Literal["inspect_eval", "inspect_json", "lm_eval_results", "manual"]
"""The file format an evidence record was read from."""

IntervalMethod = Literal["wilson", "bootstrap", "reported"]
"""How an interval was computed: Wilson score interval (binary scores, one observation per sample), clustered
bootstrap over samples (other scores, or several epochs), or the harness's reported standard error (or a
manual result's stated interval) when per-sample scores are not available."""

FlagCode = Literal[
    "too_few_samples",
    "too_few_epochs",
    "high_error_rate",
    "high_refusal_rate",
    "limits_hit",
    "task_version_mismatch",
    "missing_elicitation",
    "non_success_status",
    "no_uncertainty",
    "evidence_missing",
]
"""Reasons a result counts as insufficient evidence rather than reassurance."""

FLAG_CODES: tuple[str, ...] = FlagCode.__args__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class QualityFlag:
    """One reason a result is insufficient; ``message`` gives the numbers."""

    code: FlagCode
    message: str


class QualityFlagDocument(TypedDict):
    """A ``QualityFlag`` as JSON."""

    code: FlagCode
    message: str


@dataclass(frozen=True)
class ScorerSummary:
    """One scorer (Inspect) or filter (lm-eval) of a record, with the metrics the harness reported."""

    name: str
    metrics: dict[str, float | None]
    n_samples: int
    epochs: int
    reducer: str | None = None
    binary: bool = False


class ScorerSummaryDocument(TypedDict):
    """A ``ScorerSummary`` as JSON, its fields in declaration order."""

    name: str
    metrics: dict[str, float | None]
    n_samples: int
    epochs: int
    reducer: str | None
    binary: bool


def _scorer_document(scorer: ScorerSummary) -> ScorerSummaryDocument:
    return {
        "name": scorer.name,
        "metrics": dict(scorer.metrics),
        "n_samples": scorer.n_samples,
        "epochs": scorer.epochs,
        "reducer": scorer.reducer,
        "binary": scorer.binary,
    }


class EvidenceRecordDocument(TypedDict):
    """An ``EvidenceRecord`` as JSON (the API's and the CLI's record): its fields, then ``current``."""

    id: int
    checkpoint_id: int
    sha256: str
    harness: Harness
    format: LogFormat
    filename: str
    task: str
    task_version: str | None
    model: str
    run_id: str
    status: str
    supersedes_id: int | None
    superseded_by_id: int | None
    ingested_at: str
    ingested_by: str
    size: int
    elicitation: list[str]
    counts: dict[str, Any]
    info: dict[str, Any]
    scorers: list[ScorerSummaryDocument]
    current: bool


@dataclass(frozen=True)
class EvidenceRecord:
    """An ingested result: one task of one file, for one checkpoint. Immutable once written."""

    id: int
    checkpoint_id: int
    sha256: str
    harness: Harness
    format: LogFormat
    filename: str
    task: str
    task_version: str | None
    model: str
    run_id: str
    status: str
    supersedes_id: int | None
    superseded_by_id: int | None
    ingested_at: datetime
    ingested_by: str
    size: int
    elicitation: list[str]
    counts: dict[str, Any]
    info: dict[str, Any]
    scorers: list[ScorerSummary] = field(default_factory=list)

    @property
    def current(self) -> bool:
        """Whether no later record supersedes this one."""
        return self.superseded_by_id is None

    def to_dict(self) -> EvidenceRecordDocument:
        return {
            "id": self.id,
            "checkpoint_id": self.checkpoint_id,
            "sha256": self.sha256,
            "harness": self.harness,
            "format": self.format,
            "filename": self.filename,
            "task": self.task,
            "task_version": self.task_version,
            "model": self.model,
            "run_id": self.run_id,
            "status": self.status,
            "supersedes_id": self.supersedes_id,
            "superseded_by_id": self.superseded_by_id,
            "ingested_at": self.ingested_at.isoformat(),
            "ingested_by": self.ingested_by,
            "size": self.size,
            "elicitation": list(self.elicitation),
            "counts": deepcopy(self.counts),
            "info": deepcopy(self.info),
            "scorers": [_scorer_document(s) for s in self.scorers],
            "current": self.current,
        }


class IngestResultDocument(TypedDict):
    """What an ingestion did, as JSON."""

    created: bool
    records: list[EvidenceRecordDocument]


@dataclass(frozen=True)
class IngestResult:
    """What an ingestion did: ``created`` is False when the same file was already ingested for the checkpoint.

    An Inspect log holds one task and gives one record; an lm-eval results file gives one record per task.
    """

    records: list[EvidenceRecord]
    created: bool

    @property
    def record(self) -> EvidenceRecord:
        """The first (for an Inspect log, the only) record."""
        return self.records[0]

    @property
    def id(self) -> int:
        return self.records[0].id

    def to_dict(self) -> IngestResultDocument:
        return {"created": self.created, "records": [r.to_dict() for r in self.records]}


@dataclass(frozen=True)
class IndicatorEvidence:
    """The latest current result for a policy indicator on a checkpoint, as the assessment engine reads it."""

    evidence_id: int
    sha256: str
    harness: str
    task: str
    task_version: str | None
    model: str
    metric: str
    estimate: float
    ci_low: float
    ci_high: float
    confidence_level: float
    n_samples: int
    """Distinct samples scored."""
    epochs: int
    binary: bool
    interval_method: IntervalMethod
    flags: list[QualityFlag]
    ingested_at: datetime
    audit_seq: int | None
    elicitation: list[str]
    scorer: str | None = None

    @property
    def sufficient(self) -> bool:
        """True when no quality flag makes the result insufficient."""
        return not self.flags

    def to_dict(self) -> IndicatorEvidenceDocument:
        return {
            "evidence_id": self.evidence_id,
            "sha256": self.sha256,
            "harness": self.harness,
            "task": self.task,
            "task_version": self.task_version,
            "model": self.model,
            "metric": self.metric,
            "estimate": self.estimate,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "confidence_level": self.confidence_level,
            "n_samples": self.n_samples,
            "epochs": self.epochs,
            "binary": self.binary,
            "interval_method": self.interval_method,
            "flags": [{"code": f.code, "message": f.message} for f in self.flags],
            "ingested_at": self.ingested_at.isoformat(),
            "audit_seq": self.audit_seq,
            "elicitation": list(self.elicitation),
            "scorer": self.scorer,
            "sufficient": self.sufficient,
        }


class IndicatorEvidenceDocument(TypedDict):
    """An ``IndicatorEvidence`` as JSON: its fields, then ``sufficient``."""

    evidence_id: int
    sha256: str
    harness: str
    task: str
    task_version: str | None
    model: str
    metric: str
    estimate: float
    ci_low: float
    ci_high: float
    confidence_level: float
    n_samples: int
    epochs: int
    binary: bool
    interval_method: IntervalMethod
    flags: list[QualityFlagDocument]
    ingested_at: str
    audit_seq: int | None
    elicitation: list[str]
    scorer: str | None
    sufficient: bool
