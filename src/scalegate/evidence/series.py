"""Each policy indicator's series across a model family, read in a constant number of SQL statements.

A forecast fits an indicator's estimates against effective compute over every checkpoint of a family, and
reports and dashboard pages draw the same points with their intervals. Reading them one checkpoint at a time
through ``indicator_evidence`` costs about four statements per checkpoint and indicator, so an assessment
grew linearly with the family (20,000 statements at 1,000 checkpoints). ``family_series`` reads the family's
checkpoints, the current records of every indicator's evaluation and their scores in three statements,
whatever the number of checkpoints or indicators, and applies the same choice, estimate and quality flags as
``indicator_evidence``: for every checkpoint, its point is exactly what ``indicator_evidence`` returns.

The result depends only on audited state (checkpoints, evidence, scores) and the policy, so it is kept, per
store, family and policy, under the audit log's root (its size and last leaf hash). Any audited change makes
the next read fresh; while nothing changes, assessing every checkpoint of a family reads the series once. A
direct SQL edit outside the log is not seen until the next audited change, and ``audit verify`` reports it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from scalegate.evidence.parsed import ScorerScores
from scalegate.evidence.quality import ResultFacts, quality_flags
from scalegate.evidence.service import _choose, metric_estimate, task_key
from scalegate.evidence.statistics import Estimate
from scalegate.evidence.types import FlagCode, IntervalMethod
from scalegate.store.models.audit import AuditEntryRow
from scalegate.store.models.evidence import EvidenceRow, EvidenceScoreRow
from scalegate.store.models.registry import CheckpointRow, ModelRow

if TYPE_CHECKING:
    from sqlalchemy.sql.elements import ColumnElement

    from scalegate.policy import Policy
    from scalegate.policy.thresholds import Indicator

__all__ = ["SeriesPoint", "audit_root", "clear_series_cache", "family_series"]


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    """One checkpoint's result for one indicator: what a forecast fits and a trend chart draws."""

    checkpoint_id: int
    ref: str
    """``MODEL@CHECKPOINT``."""
    effective_compute: float | None
    """None when the checkpoint has no effective compute (a forecast cannot place it)."""
    estimate: float
    ci_low: float
    ci_high: float
    interval_method: IntervalMethod
    evidence_id: int
    flags: tuple[FlagCode, ...]
    """Quality flag codes, as ``indicator_evidence`` gives them; any flag makes the result insufficient."""

    @property
    def sufficient(self) -> bool:
        """True when no quality flag makes the result insufficient (only such points carry a trend)."""
        return not self.flags


Series = dict[str, list[SeriesPoint]]

_KEPT = 16
"""Series kept (store x family x policy): enough for a dashboard cycling through a few families."""
_cache: OrderedDict[tuple[Any, str, int], tuple[tuple[int, bytes] | None, Policy, Series]] = OrderedDict()
_lock = threading.Lock()


def clear_series_cache() -> None:
    """Forget every kept series (the next read goes to the store)."""
    with _lock:
        _cache.clear()


def family_series(session: Session, policy: Policy, family: str) -> Series:
    """Per indicator id of ``policy``, the family's points in the order of ``family_checkpoints`` (effective
    compute, unknown last, then date): one per checkpoint that has a result for the indicator.

    One statement reads the audit root; when the family's series under that root is kept, that is all;
    otherwise three more read checkpoints, current evidence and scores.
    """
    root = audit_root(session)
    key = (session.get_bind(), family, id(policy))
    with _lock:
        kept = _cache.get(key)
        if kept is not None and kept[0] == root and kept[1] is policy:
            _cache.move_to_end(key)
            return {k: list(v) for k, v in kept[2].items()}
    series = _read_series(session, policy, family)
    with _lock:
        _cache[key] = (root, policy, series)
        _cache.move_to_end(key)
        while len(_cache) > _KEPT:
            _cache.popitem(last=False)
    return {k: list(v) for k, v in series.items()}


def audit_root(session: Session) -> tuple[int, bytes] | None:
    """The log's size and last leaf hash: any audited change, committed or in this transaction, changes it."""
    found = session.execute(
        select(AuditEntryRow.seq, AuditEntryRow.leaf_hash).order_by(AuditEntryRow.seq.desc()).limit(1)
    ).first()
    return (int(found[0]), bytes(found[1])) if found is not None else None


def _read_series(session: Session, policy: Policy, family: str) -> Series:
    indicators = [indicator for _, indicator in policy.indicators()]
    if not indicators:
        return {}
    checkpoints = _checkpoints(session, family)
    rows, scores = _current_records(session, indicators, family)
    stats = policy.statistics
    estimates: dict[tuple[int, int, str, str | None], tuple[Estimate, bool]] = {}

    def estimate_of(
        row: EvidenceRow, scorer: ScorerScores, position: int, metric: str, key: str | None
    ) -> tuple[Estimate, bool]:
        """The estimate and whether it has an interval; indicators reading the same scorer share it (a
        bootstrap is the costly part)."""
        memo = (row.id, position, metric, key)
        if memo not in estimates:
            result = metric_estimate(
                scorer,
                metric,
                key,
                row,
                stats.confidence_level,
                stats.bootstrap_resamples,
                stats.bootstrap_seed,
            )
            has_interval = result is not None
            if result is None:
                value = float(scorer.metrics[metric] or 0.0)
                result = Estimate(value, value, value, "reported", scorer.n_samples)
            estimates[memo] = (result, has_interval)
        return estimates[memo]

    out: Series = {}
    for indicator in indicators:
        evaluation = indicator.evaluation
        wanted = (evaluation.harness, task_key(evaluation.harness, evaluation.task))
        points: list[SeriesPoint] = []
        for checkpoint_id, ref, compute in checkpoints:
            for row in rows.get((checkpoint_id, *wanted), ()):
                scorers = scores.get(row.id, [])
                chosen = _choose([s for _, s in scorers], row.harness, indicator.metric, evaluation.scorer)
                if chosen is None:
                    continue
                scorer, metric, stderr_key = chosen
                position = next(p for p, s in scorers if s is scorer)
                result, has_interval = estimate_of(row, scorer, position, metric, stderr_key)
                facts = ResultFacts(
                    status=row.status,
                    n_samples=scorer.n_samples,
                    epochs=row.epochs,
                    counts=dict(row.counts),
                    task_version=row.task_version,
                    elicitation=list(row.elicitation),
                    has_interval=has_interval,
                )
                flags = tuple(f.code for f in quality_flags(facts, indicator, policy.elicitation))
                points.append(
                    SeriesPoint(
                        checkpoint_id,
                        ref,
                        compute,
                        result.value,
                        result.low,
                        result.high,
                        result.method,
                        row.id,
                        flags,
                    )
                )
                break
        out[indicator.id] = points
    return out


def _checkpoints(session: Session, family: str) -> list[tuple[int, str, float | None]]:
    """(id, ref, effective compute) of the family's checkpoints, in ``family_checkpoints`` order."""
    found = session.execute(
        select(CheckpointRow.id, ModelRow.name, CheckpointRow.name, CheckpointRow.effective_compute)
        .join(ModelRow, CheckpointRow.model_id == ModelRow.id)
        .where(ModelRow.family == family)
        .order_by(CheckpointRow.recorded_at, CheckpointRow.step, CheckpointRow.id)
    ).all()
    ordered = sorted(found, key=lambda r: (r[3] is None, r[3] or 0.0))
    return [(int(r[0]), f"{r[1]}@{r[2]}", None if r[3] is None else float(r[3])) for r in ordered]


def _current_records(
    session: Session, indicators: list[Indicator], family: str
) -> tuple[dict[tuple[int, str, str], list[EvidenceRow]], dict[int, list[tuple[int, ScorerScores]]]]:
    """The family's current (not superseded) records of the indicators' evaluations, newest first per
    (checkpoint, harness, task key), and their scorers by position: two statements."""
    keys = sorted(
        {(i.evaluation.harness, task_key(i.evaluation.harness, i.evaluation.task)) for i in indicators}
    )
    later = aliased(EvidenceRow)
    conditions: list[ColumnElement[bool]] = [
        ModelRow.family == family,
        or_(*(and_(EvidenceRow.harness == h, EvidenceRow.task_key == k) for h, k in keys)),
        ~exists().where(later.supersedes_id == EvidenceRow.id),
    ]
    evidence = session.execute(
        select(EvidenceRow)
        .join(CheckpointRow, EvidenceRow.checkpoint_id == CheckpointRow.id)
        .join(ModelRow, CheckpointRow.model_id == ModelRow.id)
        .where(*conditions)
        .order_by(EvidenceRow.ingested_at.desc(), EvidenceRow.id.desc())
    ).scalars()
    rows: dict[tuple[int, str, str], list[EvidenceRow]] = {}
    for row in evidence:
        rows.setdefault((row.checkpoint_id, row.harness, row.task_key), []).append(row)
    found = session.execute(
        select(
            EvidenceScoreRow.evidence_id,
            EvidenceScoreRow.position,
            EvidenceScoreRow.name,
            EvidenceScoreRow.scorer,
            EvidenceScoreRow.reducer,
            EvidenceScoreRow.metrics,
            EvidenceScoreRow.samples,
        )
        .join(EvidenceRow, EvidenceScoreRow.evidence_id == EvidenceRow.id)
        .join(CheckpointRow, EvidenceRow.checkpoint_id == CheckpointRow.id)
        .join(ModelRow, CheckpointRow.model_id == ModelRow.id)
        .where(*conditions)
        .order_by(EvidenceScoreRow.evidence_id, EvidenceScoreRow.position)
    ).all()
    scores: dict[int, list[tuple[int, ScorerScores]]] = {}
    for evidence_id, position, name, scorer, reducer, metrics, samples in found:
        scores.setdefault(int(evidence_id), []).append(
            (
                int(position),
                ScorerScores(name=name, scorer=scorer, reducer=reducer, metrics=dict(metrics), **samples),
            )
        )
    return rows, scores
