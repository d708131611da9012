"""What every reader (Inspect, lm-eval, manual) turns a file into: one ``ParsedResult`` per task.

Only what a decision needs is kept: identity (task, version, model, run), status, configuration, the metrics
the harness reported, per-sample scores per epoch, and counts of errors, limits and refusals. Transcripts are
never read. The store keeps ``ScorerScores.to_doc()`` so estimates can be recomputed later at any confidence
level.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, TypedDict

from scalegate.evidence.statistics import BinaryCounts, binary_counts
from scalegate.evidence.types import Harness, LogFormat
from scalegate.jsonable import JsonValue

__all__ = [
    "DISPERSION_METRICS",
    "ParsedResult",
    "SampleCounts",
    "ScoreSummary",
    "ScorerScores",
    "ScorerScoresDocument",
    "check_finite",
]

DISPERSION_METRICS = frozenset({"stderr", "std", "var", "bootstrap_stderr", "bootstrap_std"})
"""Metrics that describe spread rather than level: a NaN there (one sample) means "unknown", not "broken"."""


def check_finite(value: float, what: str) -> float:
    """``value`` if finite; otherwise a ``ValueError`` naming ``what``."""
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"{what} is {value}")
    return value


def file_int(value: JsonValue) -> int:
    """``int(value)`` for a value read from a file: a list or an object is ``int``'s ``TypeError``."""
    if isinstance(value, str | int | float):
        return int(value)
    raise TypeError(
        f"int() argument must be a string, a bytes-like object or a real number, not '{type(value).__name__}'"
    )


class ScorerScoresDocument(TypedDict):
    """A ``ScorerScores`` as the store keeps it, its fields in declaration order."""

    name: str
    scorer: str
    reducer: str | None
    metrics: dict[str, float | None]
    sample_ids: list[str]
    values: list[list[float]]
    reduced: list[float] | None
    reported_n: int | None
    sample_metric: str | None


@dataclass
class ScorerScores:
    """One scorer's reported metrics and its per-sample scores.

    ``values[i]`` holds sample ``sample_ids[i]``'s scores, one per scored epoch, in epoch order;
    ``reduced[i]`` is that sample's score after the harness's epoch reducer when the file records it
    (Inspect's reductions).
    """

    name: str
    scorer: str
    reducer: str | None = None
    metrics: dict[str, float | None] = field(default_factory=dict)
    sample_ids: list[str] = field(default_factory=list)
    values: list[list[float]] = field(default_factory=list)
    reduced: list[float] | None = None
    reported_n: int | None = None
    """Samples the harness says it scored (used when per-sample scores are absent)."""
    sample_metric: str | None = None
    """The reported metric that the mean of ``per_sample()`` reproduces (checked on ingest), if any: only for
    that metric are intervals computed from the samples; other metrics rely on a reported standard error."""

    @property
    def has_samples(self) -> bool:
        return bool(self.sample_ids)

    @property
    def n_samples(self) -> int:
        return len(self.sample_ids) if self.sample_ids else (self.reported_n or 0)

    @property
    def binary(self) -> bool:
        """Every per-sample, per-epoch score is 0 or 1."""
        return self.has_samples and all(v in (0.0, 1.0) for vs in self.values for v in vs)

    def per_sample(self) -> list[float]:
        """One value per sample: the harness's reduction if recorded, else the mean over epochs."""
        if self.reduced is not None:
            return self.reduced
        return [sum(vs) / len(vs) for vs in self.values]

    def to_doc(self) -> ScorerScoresDocument:
        return {
            "name": self.name,
            "scorer": self.scorer,
            "reducer": self.reducer,
            "metrics": self.metrics,
            "sample_ids": self.sample_ids,
            "values": self.values,
            "reduced": self.reduced,
            "reported_n": self.reported_n,
            "sample_metric": self.sample_metric,
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> ScorerScores:
        return cls(**doc)

    def summary(self) -> ScoreSummary:
        """What an estimate from this scorer needs, without the per-sample scores when they are all 0 or 1."""
        sampled = self.has_samples and self.sample_metric is not None
        # a sample without an epoch score and no recorded reduction has no value: the summary leaves it
        # to the estimate from the samples, which reports it (ingestion does not)
        countable = sampled and (self.reduced is not None or all(self.values))
        return ScoreSummary(
            name=self.name,
            scorer=self.scorer,
            reducer=self.reducer,
            metrics=self.metrics,
            n_samples=self.n_samples,
            binary=self.binary,
            sample_metric=self.sample_metric if sampled else None,
            counts=binary_counts(self.per_sample()) if countable else None,
        )

    def match_sample_metric(self, candidates: tuple[str, ...], tolerance: float = 1e-6) -> str | None:
        """Set and return the first of ``candidates`` whose reported value the per-sample mean reproduces."""
        if not self.has_samples:
            return None
        values = self.per_sample()
        mean = sum(values) / len(values)
        for name in candidates:
            reported = self.metrics.get(name)
            if reported is not None and abs(reported - mean) <= tolerance * max(1.0, abs(reported)):
                self.sample_metric = name
                return name
        return None


@dataclass(frozen=True, slots=True)
class ScoreSummary:
    """One scorer as the store summarises it beside its per-sample scores (``ScorerScores.summary``).

    ``sample_metric`` is the metric whose interval comes from the per-sample scores (None when there are
    none); ``counts`` are those scores as successes and trials when every one is 0 or 1, which is all the
    estimate and its Wilson interval depend on. A summary with a ``sample_metric`` but no ``counts`` does not
    determine that metric's estimate: the per-sample scores must be read (a bootstrap).
    """

    name: str
    scorer: str
    reducer: str | None
    metrics: dict[str, float | None]
    n_samples: int
    binary: bool
    """Every per-sample, per-epoch score is 0 or 1 (``ScorerScores.binary``)."""
    sample_metric: str | None
    counts: BinaryCounts | None

    @property
    def needs_samples(self) -> bool:
        """True when ``sample_metric``'s estimate cannot be made from the summary alone."""
        return self.sample_metric is not None and self.counts is None


class SampleCounts(TypedDict):
    """How a result's samples went: sample-epochs attempted, and how many errored, hit a limit (by kind) or
    were refused."""

    samples: int
    errors: int
    limits: int
    refusals: int
    limit_kinds: dict[str, int]


@dataclass
class ParsedResult:
    """One task's result read from a file."""

    harness: Harness
    format: LogFormat
    task: str
    task_version: str | None
    model: str
    run_id: str
    status: str
    epochs: int
    scorers: list[ScorerScores]
    counts: SampleCounts
    elicitation: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)
    """Dataset, config, revision, packages, scorers and metadata, as JSON-ready values."""
    attachments: dict[str, bytes] = field(default_factory=dict)
    """Other files the result was read from (lm-eval samples files), stored alongside by content address."""
