"""Estimates and confidence intervals that a capability decision can stand on.

- Binary scores with one observation per sample (one epoch, or an epoch reducer that yields 0/1): the Wilson
  score interval, which keeps its coverage near 0 and 1 where the normal (Wald) interval collapses.
- Anything else, in particular several epochs per sample: a percentile bootstrap that resamples *samples*,
each
  carrying its own epochs (a clustered bootstrap). Epochs of one sample are not independent observations;
  treating them as such would shrink the interval by up to a factor of sqrt(epochs).
- A harness's reported standard error when there are no per-sample scores: a normal interval.

The confidence level, the number of resamples and the seed come from the policy (``statistics``), so the same
evidence gives the same interval on every machine.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from scalegate.errors import EvidenceError
from scalegate.evidence.types import IntervalMethod

__all__ = [
    "BinaryCounts",
    "Estimate",
    "binary_counts",
    "clustered_bootstrap",
    "estimate",
    "normal_interval",
    "wilson",
    "wilson_estimate",
    "z_value",
]

_BATCH_DRAWS = 2_000_000
"""Index draws per bootstrap batch, bounding memory whatever the sample count."""


@dataclass(frozen=True)
class Estimate:
    """A point estimate and its two-sided interval."""

    value: float
    low: float
    high: float
    method: IntervalMethod
    n: int


@dataclass(frozen=True, slots=True)
class BinaryCounts:
    """Per-sample scores that are all 0 or 1, as counts: everything their estimate and Wilson interval
    depend on, so the store keeps these two numbers beside the scores and reads them instead."""

    successes: int
    trials: int


def binary_counts(per_sample: Sequence[float]) -> BinaryCounts | None:
    """The counts of ``per_sample`` when there is at least one value and every value is 0 or 1; None
    otherwise (the estimate then needs the values themselves: a bootstrap, or an error for a non-finite
    one)."""
    if not per_sample or any(v not in (0.0, 1.0) for v in per_sample):
        return None
    return BinaryCounts(int(sum(per_sample)), len(per_sample))


def wilson_estimate(counts: BinaryCounts, confidence: float) -> Estimate:
    """The mean of 0/1 per-sample scores and its Wilson interval (what ``estimate`` gives for them)."""
    low, high = wilson(counts.successes, counts.trials, confidence)
    return Estimate(counts.successes / counts.trials, low, high, "wilson", counts.trials)


@lru_cache(maxsize=64)
def z_value(confidence: float) -> float:
    """The two-sided standard-normal quantile for ``confidence`` (1.96 for 0.95); kept per level, since a
    family's assessment asks for the policy's one level tens of thousands of times."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence level {confidence} is not between 0 and 1")
    # the standard library's statistics (fractions, decimal, random) loads only when an interval is computed:
    # reading and ingesting a log, which import this module through its parsed scores, never compute one
    from statistics import NormalDist

    return NormalDist().inv_cdf(1.0 - (1.0 - confidence) / 2.0)


def wilson(successes: float, n: int, confidence: float) -> tuple[float, float]:
    """Wilson score interval for ``successes`` out of ``n`` binary trials."""
    if n <= 0:
        raise ValueError("the Wilson interval needs at least one trial")
    z = z_value(confidence)
    p = successes / n
    denominator = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def clustered_bootstrap(
    clusters: Sequence[Sequence[float]], confidence: float, resamples: int, seed: int
) -> tuple[float, float]:
    """Percentile interval of the mean of cluster means, resampling whole clusters (samples) with
    replacement."""
    import numpy as np

    means = np.asarray([sum(c) / len(c) for c in clusters], dtype=float)
    k = len(means)
    if k == 0:
        raise ValueError("the bootstrap needs at least one sample")
    rng = np.random.default_rng(seed)
    stats = np.empty(resamples)
    batch = max(1, _BATCH_DRAWS // k)
    for start in range(0, resamples, batch):
        size = min(batch, resamples - start)
        stats[start : start + size] = means[rng.integers(0, k, size=(size, k))].mean(axis=1)
    alpha = 1.0 - confidence
    low, high = np.quantile(stats, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)


def normal_interval(value: float, stderr: float, confidence: float) -> tuple[float, float]:
    """``value ± z * stderr``."""
    z = z_value(confidence)
    return value - z * stderr, value + z * stderr


def estimate(
    clusters: Sequence[Sequence[float]],
    confidence: float,
    resamples: int,
    seed: int,
    per_sample: Sequence[float] | None = None,
) -> Estimate:
    """Estimate the mean score of per-sample scores ``clusters`` (one list of epoch scores per sample).

    ``per_sample`` overrides each sample's value (a harness's epoch reduction); by default it is the mean over
    epochs. The estimate is the mean of per-sample values.
    """
    values = list(per_sample) if per_sample is not None else [sum(c) / len(c) for c in clusters]
    n = len(values)
    if n == 0:
        raise EvidenceError("no scored samples to estimate from")
    if any(not math.isfinite(v) for v in values):
        raise EvidenceError("a per-sample score is not a finite number")
    counts = binary_counts(values)
    if counts is not None:
        return wilson_estimate(counts, confidence)
    mean = sum(values) / n
    low, high = clustered_bootstrap([[v] for v in values], confidence, resamples, seed)
    return Estimate(mean, min(low, mean), max(high, mean), "bootstrap", n)
