"""Manual results: a human red-team uplift trial, an expert-graded task, anything no harness wrote.

A manual result is a small JSON document (``kind: scalegate.manual_result``) with the value, the number of
samples, an interval or a standard error or the raw per-sample scores, the elicitation used, and the document
that supports it (a report, a grading sheet). ``scalegate evidence manual`` writes one from its options; a
file of this shape can also be ingested like any log. The supporting document is stored with the evidence by
its SHA-256, so the record names exactly what was relied on.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from scalegate.errors import EvidenceError
from scalegate.evidence.parsed import ParsedResult, ScorerScores
from scalegate.inputs import INT_MAX, BoundsError, load_json, read_text

__all__ = [
    "MANUAL_KIND",
    "ManualInterval",
    "ManualResult",
    "ManualSample",
    "is_manual",
    "read_manual",
    "read_samples_table",
]

MANUAL_KIND = "scalegate.manual_result"


class ManualInterval(BaseModel):
    """A stated two-sided confidence interval."""

    model_config = ConfigDict(extra="forbid")

    low: float
    """Lower bound."""
    high: float
    """Upper bound."""
    level: float = Field(default=0.95, gt=0, lt=1)
    """Confidence level of the interval."""


class ManualSample(BaseModel):
    """One sample's score (a participant, a graded task)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    """Sample identifier."""
    value: float
    """Score (0/1 for pass/fail)."""
    epoch: int = Field(default=1, ge=1, le=INT_MAX)
    """Repetition number, when a sample was scored more than once."""


class ManualResult(BaseModel):
    """A result recorded by people rather than a harness."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["scalegate.manual_result"] = "scalegate.manual_result"
    """Marks the document as a manual result."""
    version: Literal[1] = 1
    """Format version."""
    task: str = Field(min_length=1)
    """The evaluation id the policy's indicator names (``evaluation.task``)."""
    metric: str = Field(min_length=1)
    """Metric name the indicator reads."""
    model: str = "unspecified"
    """The model as the trial named it."""
    run_id: str = Field(default="manual", min_length=1)
    """Identifies this trial; a changed document with the same run id supersedes the earlier one."""
    task_version: str | None = None
    """Version of the trial protocol."""
    value: float | None = None
    """The result; computed from ``samples`` when omitted."""
    n: int | None = Field(default=None, ge=1, le=INT_MAX)
    """Distinct samples; taken from ``samples`` when omitted."""
    stderr: float | None = Field(default=None, ge=0)
    """Standard error of ``value``."""
    interval: ManualInterval | None = None
    """Stated confidence interval."""
    samples: list[ManualSample] = Field(default_factory=list)
    """Per-sample scores, when available (preferred: intervals are then computed, not taken on trust)."""
    epochs: int = Field(default=1, ge=1, le=INT_MAX)
    """Repetitions per sample."""
    elicitation: list[str] = Field(default_factory=list)
    """Elicitation used (e.g. helpful_only, best_of_n)."""
    attempted: int | None = Field(default=None, ge=0, le=INT_MAX)
    """Sample runs attempted, when errors, refusals or limits are reported."""
    errors: int = Field(default=0, ge=0, le=INT_MAX)
    """Sample runs that failed."""
    refusals: int = Field(default=0, ge=0, le=INT_MAX)
    """Sample runs the model refused."""
    limits: int = Field(default=0, ge=0, le=INT_MAX)
    """Sample runs stopped by a time or token limit."""
    status: str = "success"
    """`success` unless the trial was cut short."""
    description: str | None = None
    """What was done."""
    document: dict[str, Any] | None = None
    """The supporting document: ``{"name", "sha256", "size"}`` (set when the result is recorded)."""

    @model_validator(mode="after")
    def _consistent(self) -> ManualResult:
        if self.value is None and not self.samples:
            raise ValueError("give a value or per-sample scores")
        if self.value is not None and not math.isfinite(self.value):
            raise ValueError(f"value is {self.value}")
        if not self.samples and self.n is None:
            raise ValueError("give n (the number of samples) or per-sample scores")
        if self.samples:
            ids = {s.id for s in self.samples}
            if self.n is not None and self.n != len(ids):
                raise ValueError(f"n is {self.n} but samples name {len(ids)} distinct ids")
            if any(not math.isfinite(s.value) for s in self.samples):
                raise ValueError("a sample value is not a finite number")
            self._epochs_from_samples()
        if self.interval is not None and self.interval.low > self.interval.high:
            raise ValueError("interval.low exceeds interval.high")
        return self

    def _epochs_from_samples(self) -> None:
        """The samples' epoch column sets ``epochs`` (the most epochs any sample has); a stated ``epochs``
        must agree, and a (sample, epoch) pair may appear once."""
        seen: set[tuple[str, int]] = set()
        per_id: dict[str, int] = {}
        for sample in self.samples:
            key = (sample.id, sample.epoch)
            if key in seen:
                raise ValueError(f"sample {sample.id!r} epoch {sample.epoch} appears twice")
            seen.add(key)
            per_id[sample.id] = per_id.get(sample.id, 0) + 1
        observed = max(max(per_id.values()), max(epoch for _, epoch in seen))
        if "epochs" in self.model_fields_set and self.epochs != observed:
            raise ValueError(f"epochs is {self.epochs} but the samples have {observed} epoch(s)")
        self.epochs = observed


def is_manual(document: Any) -> bool:
    return isinstance(document, dict) and document.get("kind") == MANUAL_KIND


def read_manual(path: Path, document: dict[str, Any]) -> ParsedResult:
    """A ``ParsedResult`` from a manual-result document."""
    try:
        result = ManualResult.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "document"
        raise EvidenceError(f"manual result {field}: {first['msg']}", where=str(path)) from exc
    return to_parsed(result, path)


def to_parsed(result: ManualResult, path: Path) -> ParsedResult:
    scorer = ScorerScores(name="manual", scorer="manual", metrics={}, reported_n=result.n)
    if result.samples:
        by_id: dict[str, list[tuple[int, float]]] = {}
        for sample in result.samples:
            by_id.setdefault(sample.id, []).append((sample.epoch, sample.value))
        scorer.sample_ids = list(by_id)
        scorer.values = [[v for _, v in sorted(pairs)] for pairs in by_id.values()]
        means = scorer.per_sample()
        mean = sum(means) / len(means)
        if result.value is not None and abs(result.value - mean) > 1e-6 * max(1.0, abs(mean)):
            raise EvidenceError(
                f"manual result value {result.value} differs from the mean of its samples {mean:.6g}",
                where=str(path),
            )
        scorer.metrics[result.metric] = result.value if result.value is not None else mean
        scorer.sample_metric = result.metric
    else:
        scorer.metrics[result.metric] = result.value
    scorer.metrics["stderr"] = result.stderr
    attempted = result.attempted if result.attempted is not None else scorer.n_samples * result.epochs
    return ParsedResult(
        harness="manual",
        format="manual",
        task=result.task,
        task_version=result.task_version,
        model=result.model,
        run_id=result.run_id,
        status=result.status,
        epochs=result.epochs,
        scorers=[scorer],
        counts={
            "samples": attempted,
            "errors": result.errors,
            "limits": result.limits,
            "refusals": result.refusals,
            "limit_kinds": {},
        },
        elicitation=sorted({e.strip().lower().replace("-", "_") for e in result.elicitation}),
        info={
            "description": result.description,
            "document": result.document,
            "interval": result.interval.model_dump() if result.interval else None,
            "notes": [],
        },
    )


def read_samples_table(path: Path) -> list[ManualSample]:
    """Per-sample scores from a CSV file (columns ``id,value[,epoch]``) or a JSONL file (``id``, ``value``,
    optional ``epoch``)."""
    try:
        text = read_text(path)
    except OSError as exc:
        raise EvidenceError(f"cannot read samples file ({exc.strerror or exc})", where=str(path)) from exc
    except BoundsError as exc:
        raise EvidenceError(f"cannot read samples file: {exc}", where=str(path)) from exc
    try:
        if path.suffix.lower() == ".csv":
            rows: list[Any] = list(csv.DictReader(io.StringIO(text)))
        else:
            rows = [load_json(line) for line in text.splitlines() if line.strip()]
        return [
            ManualSample.model_validate({k: v for k, v in row.items() if v not in (None, "")}) for row in rows
        ]
    except (ValueError, ValidationError, AttributeError) as exc:
        message = str(exc).strip().splitlines()[0]
        raise EvidenceError(f"samples file rows need id and value ({message})", where=str(path)) from exc
