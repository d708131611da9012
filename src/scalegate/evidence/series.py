"""Each policy indicator's series across a model family, read in a constant number of SQL statements.

A forecast fits an indicator's estimates against effective compute over every checkpoint of a family, and
reports and dashboard pages draw the same points with their intervals. Reading them one checkpoint at a time
through ``indicator_evidence`` costs about four statements per checkpoint and indicator, so an assessment
grew linearly with the family (20,000 statements at 1,000 checkpoints). ``family_series`` reads the family's
checkpoints, the current records of every indicator's evaluation and their scores in at most five statements,
whatever the number of checkpoints or indicators, and applies the same choice, estimate and quality flags as
``indicator_evidence``: for every checkpoint, its point is exactly what ``indicator_evidence`` returns.

The result depends only on audited state (checkpoints, evidence, scores) and the policy, so it is kept, per
store, family and policy, under the audit log's root (its size and last leaf hash). Any audited change makes
the next read fresh; while nothing changes, assessing every checkpoint of a family reads the series once. A
direct SQL edit outside the log is not seen until the next audited change, and ``audit verify`` reports it.

A fresh read decodes JSON only for records it has not seen: evidence records are immutable, so each one's
facts and estimates are kept (per store) under its identity, and after an audited change the read costs the
checkpoints and the identities of the current records, plain columns. A first read decodes only what the
series needs: each scorer's stored summary (``ScoreSummary``: its counts settle a Wilson estimate) rather
than its per-sample scores (kilobytes of JSON per record and scorer), which are read only when the summary
does not settle the estimate (a bootstrap).
"""

from __future__ import annotations

import re
import threading
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, case, exists, null, or_, select
from sqlalchemy.orm import Session, aliased

from scalegate.evidence.parsed import ScorerScores, ScoreSummary
from scalegate.evidence.quality import ResultFacts, quality_flags
from scalegate.evidence.service import RecordFacts, _choose, indicator_result, metric_estimate, task_key
from scalegate.evidence.statistics import BinaryCounts, Estimate
from scalegate.evidence.types import FlagCode, IndicatorEvidence, IntervalMethod
from scalegate.inputs import uncollected
from scalegate.store.models.audit import AuditEntryRow
from scalegate.store.models.evidence import EvidenceRow, EvidenceScoreRow
from scalegate.store.models.registry import CheckpointRow, ModelRow

if TYPE_CHECKING:
    from sqlalchemy.sql.elements import ColumnElement

    from scalegate.policy import Policy
    from scalegate.policy.thresholds import Indicator

__all__ = ["SeriesPoint", "audit_root", "checkpoint_evidence", "clear_series_cache", "family_series"]


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
    sha256: str = ""
    """The stored file of the record (a result whose file the store cannot produce does not count)."""
    n_samples: int = 0
    """Distinct samples scored (a finding needs at least the indicator's ``min_samples``)."""
    epochs: int = 0

    @property
    def sufficient(self) -> bool:
        """True when no quality flag makes the result insufficient (only such points carry a trend)."""
        return not self.flags


Series = dict[str, list[SeriesPoint]]

_KEPT = 16
"""Series kept (store x family x policy): enough for a dashboard cycling through a few families."""
_cache: OrderedDict[tuple[Any, str, int], tuple[tuple[int, bytes] | None, Policy, Series]] = OrderedDict()
_lock = threading.Lock()


_CHECKPOINTS = 5000
"""Checkpoint ids per IN list of ``checkpoints_evidence``: well under the bound parameters a statement may
carry (32,766 in SQLite's default build, 65,535 in PostgreSQL)."""


def clear_series_cache() -> None:
    """Forget every kept series and every record's kept facts and estimates (the next read decodes all)."""
    with _lock:
        _cache.clear()
        _records.clear()
        _estimates.clear()


def family_series(session: Session, policy: Policy, family: str) -> Series:
    """Per indicator id of ``policy``, the family's points in the order of ``family_checkpoints`` (effective
    compute, unknown last, then date): one per checkpoint that has a result for the indicator.

    One statement reads the audit root; when the family's series under that root is kept, that is all.
    Otherwise two more read the checkpoints and the identities of the current records, and, for records not
    seen before (a record is immutable, so what was computed from it is kept), two more read their facts and
    scores.
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


@dataclass(frozen=True, slots=True)
class _Record:
    """What the series needs of one evidence record: its facts and its scorers' summaries (no samples)."""

    status: str
    epochs: int
    counts: dict[str, Any]
    task_version: str | None
    elicitation: list[str]
    interval: Any
    """A manual result's stated interval (``info["interval"]``); None otherwise."""
    harness: str
    scorers: list[ScoreSummary]
    """By position, as stored beside the scores."""


_Identity = tuple[int, int, str, str, Any]
"""(evidence id, checkpoint id, content key, task, ingested at): a record is immutable, so its facts and
estimates are kept under this identity; an id reused after a rolled-back write has another identity."""
_EstimateKey = tuple[_Identity, int, str, str | None, float, int, int]
"""(record, scorer position, metric, stderr key, confidence level, resamples, seed)."""

_MEMO_LIMIT = 500_000
_records: weakref.WeakKeyDictionary[Any, dict[_Identity, _Record]] = weakref.WeakKeyDictionary()
_estimates: weakref.WeakKeyDictionary[Any, dict[_EstimateKey, tuple[Estimate, bool]]] = (
    weakref.WeakKeyDictionary()
)
_BY_ID_LIMIT = 500
"""Records to load by id in one statement; more than that are loaded with the family's filter instead."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _read_series(session: Session, policy: Policy, family: str) -> Series:
    """Read and compute the family's series: the checkpoints, the identities of the current records (no JSON
    decoded), then, in two more statements, only the records and scores not seen before."""
    indicators = [indicator for _, indicator in policy.indicators()]
    if not indicators:
        return {}
    engine = session.get_bind()
    stats = policy.statistics
    stat_key = (stats.confidence_level, stats.bootstrap_resamples, stats.bootstrap_seed)
    checkpoints = _checkpoints(session, family)
    conditions = _conditions(indicators, family)
    current = _identities(session, conditions)
    with _lock:
        records = _records.setdefault(engine, {})
        estimates = _estimates.setdefault(engine, {})
        if len(records) > _MEMO_LIMIT or len(estimates) > _MEMO_LIMIT:
            records.clear()
            estimates.clear()
    wanted: list[tuple[Indicator, tuple[str, str]]] = [
        (i, (i.evaluation.harness, task_key(i.evaluation.harness, i.evaluation.task))) for i in indicators
    ]
    by_key: dict[tuple[str, str], list[Indicator]] = {}
    for indicator, key in wanted:
        by_key.setdefault(key, []).append(indicator)

    def needs_samples(identity: _Identity, key: tuple[str, str]) -> bool:
        record = records.get(identity)
        if record is None:
            return True
        for indicator in by_key.get(key, []):
            chosen = _choose(record.scorers, record.harness, indicator.metric, indicator.evaluation.scorer)
            if chosen is not None:
                position = _position(record, chosen[0])
                if (identity, position, chosen[1], chosen[2], *stat_key) not in estimates:
                    return True
        return False

    missing = {identity: key for identity, key, _ in current if needs_samples(identity, key)}
    if missing:
        with uncollected():
            for identity, (fresh, samples) in _load(session, conditions, list(missing)).items():
                records[identity] = fresh
                for indicator in by_key.get(missing[identity], []):
                    _estimate(identity, fresh, samples, indicator, stat_key, estimates)
    rows: dict[tuple[int, str, str], list[_Identity]] = {}
    files: dict[_Identity, str] = {}
    for identity, key, sha in current:
        rows.setdefault((identity[1], *key), []).append(identity)
        files[identity] = sha
    evaluated = {identity[1] for identity, _, _ in current}
    checkpoints = [c for c in checkpoints if c[0] in evaluated]  # in order; the others have no point
    out: Series = {}
    for indicator, key in wanted:
        points: list[SeriesPoint] = []
        for checkpoint_id, ref, compute in checkpoints:
            for identity in rows.get((checkpoint_id, *key), ()):
                record = records.get(identity)
                if record is None:  # pragma: no cover - every current record was loaded above
                    continue
                chosen = _choose(
                    record.scorers, record.harness, indicator.metric, indicator.evaluation.scorer
                )
                if chosen is None:
                    continue
                scorer, metric, stderr_key = chosen
                position = _position(record, scorer)
                result, has_interval = estimates[(identity, position, metric, stderr_key, *stat_key)]
                facts = ResultFacts(
                    status=record.status,
                    n_samples=scorer.n_samples,
                    epochs=record.epochs,
                    counts=dict(record.counts),
                    task_version=record.task_version,
                    elicitation=list(record.elicitation),
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
                        identity[0],
                        flags,
                        files[identity],
                        scorer.n_samples,
                        record.epochs,
                    )
                )
                break
        out[indicator.id] = points
    return out


def _position(record: _Record, scorer: ScoreSummary) -> int:
    """The position of the scorer ``_choose`` picked (by identity: two scorers may have equal summaries)."""
    return next(i for i, s in enumerate(record.scorers) if s is scorer)


def _estimate(
    identity: _Identity,
    record: _Record,
    samples: list[ScorerScores | None],
    indicator: Indicator,
    stat_key: tuple[float, int, int],
    estimates: dict[_EstimateKey, tuple[Estimate, bool]],
) -> None:
    """Compute and keep the estimate ``indicator`` reads from a record, as ``indicator_evidence`` does."""
    chosen = _choose(record.scorers, record.harness, indicator.metric, indicator.evaluation.scorer)
    if chosen is None:
        return
    summary, metric, stderr_key = chosen
    position = _position(record, summary)
    key = (identity, position, metric, stderr_key, *stat_key)
    if key in estimates:
        return
    scorer: ScorerScores | ScoreSummary = summary
    if summary.needs_samples:
        full = samples[position]
        assert full is not None  # read with the summary whenever it needs them
        scorer = full
    level, resamples, seed = stat_key
    # What ``metric_estimate`` reads of the record is its stated interval (a manual result's); plain facts
    # carry it without building an ORM row per record (which cost most of a first read).
    stated = record.interval if record.harness == "manual" else None
    row = RecordFacts(0, 0, "", record.harness, "", "", None, "", record.status, 0, {}, [], _EPOCH, stated)
    result = metric_estimate(scorer, metric, stderr_key, row, level, resamples, seed)
    has_interval = result is not None
    if result is None:
        value = float(scorer.metrics[metric] or 0.0)
        result = Estimate(value, value, value, "reported", scorer.n_samples)
    estimates[key] = (result, has_interval)


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


def _conditions(indicators: list[Indicator], family: str) -> list[ColumnElement[bool]]:
    """The family's current (not superseded) records of the indicators' evaluations (joined with checkpoints
    and models)."""
    keys = sorted(
        {(i.evaluation.harness, task_key(i.evaluation.harness, i.evaluation.task)) for i in indicators}
    )
    later = aliased(EvidenceRow)
    return [
        ModelRow.family == family,
        or_(*(and_(EvidenceRow.harness == h, EvidenceRow.task_key == k) for h, k in keys)),
        ~exists().where(later.supersedes_id == EvidenceRow.id),
    ]


def _identities(
    session: Session, conditions: list[ColumnElement[bool]]
) -> list[tuple[_Identity, tuple[str, str], str]]:
    """The current records' identities, (harness, task key) and file, newest first: plain columns, no JSON."""
    found = session.execute(
        select(
            EvidenceRow.id,
            EvidenceRow.checkpoint_id,
            EvidenceRow.content_key,
            EvidenceRow.task,
            EvidenceRow.ingested_at,
            EvidenceRow.harness,
            EvidenceRow.task_key,
            EvidenceRow.sha256,
        )
        .join(CheckpointRow, EvidenceRow.checkpoint_id == CheckpointRow.id)
        .join(ModelRow, CheckpointRow.model_id == ModelRow.id)
        .where(*conditions)
        .order_by(EvidenceRow.ingested_at.desc(), EvidenceRow.id.desc())
    ).all()
    return [
        ((int(r[0]), int(r[1]), str(r[2]), str(r[3]), r[4]), (str(r[5]), str(r[6])), str(r[7])) for r in found
    ]


_SUMMARY = (
    EvidenceScoreRow.name,
    EvidenceScoreRow.scorer,
    EvidenceScoreRow.reducer,
    EvidenceScoreRow.metrics,
    EvidenceScoreRow.n_samples,
    EvidenceScoreRow.binary,
    EvidenceScoreRow.sample_metric,
    EvidenceScoreRow.successes,
    EvidenceScoreRow.trials,
)
"""The columns of a score row's summary (``_summary`` takes them in this order): no per-sample scores."""
_NEEDS_SAMPLES = and_(EvidenceScoreRow.sample_metric.is_not(None), EvidenceScoreRow.successes.is_(None))
"""A score row whose summary does not settle its sample metric's estimate (``ScoreSummary.needs_samples``)."""


def _summary(
    name: str,
    scorer: str,
    reducer: str | None,
    metrics: dict[str, float | None],
    n_samples: int,
    binary: bool,
    sample_metric: str | None,
    successes: int | None,
    trials: int | None,
) -> ScoreSummary:
    """A score row's summary from its ``_SUMMARY`` columns."""
    counts = (
        BinaryCounts(int(successes), int(trials)) if successes is not None and trials is not None else None
    )
    return ScoreSummary(
        name, scorer, reducer, dict(metrics), int(n_samples), bool(binary), sample_metric, counts
    )


def _load(
    session: Session, conditions: list[ColumnElement[bool]], wanted: list[_Identity]
) -> dict[_Identity, tuple[_Record, list[ScorerScores | None]]]:
    """The facts and scores (with samples) of ``wanted`` records: two statements, by id when they are few,
    else with the family's filter. Only the JSON the series needs is decoded: a manual result's stated
    interval rather than the whole ``info``, each scorer's stored summary, and per-sample values (without the
    sample ids: each sample's position stands for its id) only for the scorers whose summary does not settle
    their estimate (``ScoreSummary.needs_samples``)."""
    ids = {identity[0]: identity for identity in wanted}
    if len(ids) <= _BY_ID_LIMIT:
        where: list[ColumnElement[bool]] = [EvidenceRow.id.in_(sorted(ids))]
        joined = False
    else:
        where, joined = conditions, True

    def scoped(query: Any) -> Any:
        if joined:
            query = query.join(CheckpointRow, EvidenceRow.checkpoint_id == CheckpointRow.id).join(
                ModelRow, CheckpointRow.model_id == ModelRow.id
            )
        return query.where(*where)

    interval = case((EvidenceRow.harness == "manual", EvidenceRow.info["interval"]), else_=null())
    facts = session.execute(
        scoped(
            select(
                EvidenceRow.id,
                EvidenceRow.status,
                EvidenceRow.epochs,
                EvidenceRow.counts,
                EvidenceRow.task_version,
                EvidenceRow.elicitation,
                interval,
                EvidenceRow.harness,
            )
        )
    ).all()
    samples = EvidenceScoreRow.samples
    scores = session.execute(
        scoped(
            select(
                EvidenceScoreRow.evidence_id,
                *_SUMMARY,
                case((_NEEDS_SAMPLES, samples["values"]), else_=null()),
                case((_NEEDS_SAMPLES, samples["reduced"]), else_=null()),
            ).join(EvidenceRow, EvidenceScoreRow.evidence_id == EvidenceRow.id)
        ).order_by(EvidenceScoreRow.evidence_id, EvidenceScoreRow.position)
    ).all()
    by_record: dict[int, list[tuple[ScoreSummary, ScorerScores | None]]] = {}
    for evidence_id, *columns, values, reduced in scores:
        if int(evidence_id) not in ids:
            continue
        summary = _summary(*columns)
        full = None
        if summary.needs_samples:
            values = list(values or [])
            full = ScorerScores(
                summary.name,
                summary.scorer,
                summary.reducer,
                dict(summary.metrics),
                sample_ids=[""] * len(values),
                values=values,
                reduced=reduced,
                reported_n=summary.n_samples,
                sample_metric=summary.sample_metric,
            )
        by_record.setdefault(int(evidence_id), []).append((summary, full))
    out: dict[_Identity, tuple[_Record, list[ScorerScores | None]]] = {}
    for evidence_id, status, epochs, counts, version, elicitation, stated, harness in facts:
        identity = ids.get(int(evidence_id))
        if identity is None:
            continue
        pairs = by_record.get(int(evidence_id), [])
        record = _Record(
            str(status),
            int(epochs),
            dict(counts),
            version,
            list(elicitation),
            stated,
            str(harness),
            [summary for summary, _ in pairs],
        )
        out[identity] = (record, [full for _, full in pairs])
    return out


# -- one checkpoint, every indicator -------------------------------------------------------------------------


def checkpoint_evidence(
    session: Session, policy: Policy, checkpoint_id: int
) -> dict[str, IndicatorEvidence | None]:
    """Per indicator id of ``policy``, exactly what ``indicator_evidence`` returns for the checkpoint, in
    three statements whatever the number of indicators (one at a time costs about eight per indicator): the
    checkpoint's current records of the indicators' evaluations, their scores, and their audit entries.

    ``policy`` must be the active policy (``indicator_evidence`` reads the active policy's statistics and
    elicitation rules)."""
    return checkpoints_evidence(session, policy, [checkpoint_id])[checkpoint_id]


def checkpoints_evidence(
    session: Session, policy: Policy, checkpoint_ids: Sequence[int]
) -> dict[int, dict[str, IndicatorEvidence | None]]:
    """``checkpoint_evidence`` for many checkpoints at once: three statements per ``_CHECKPOINTS``
    checkpoints (the current records, their scores, the audit entries naming them), whatever the number of
    records, so assessing a whole family, or every checkpoint a gate compares with, does not pay per
    checkpoint or per record for what it reads.

    Scores are read as their stored summaries (``ScoreSummary``), and per-sample scores only for the scorers
    whose summary does not settle their estimate (a bootstrap): decoding every sample was most of the cost
    of assessing a family."""
    indicators = [indicator for _, indicator in policy.indicators()]
    out: dict[int, dict[str, IndicatorEvidence | None]] = {cid: {} for cid in checkpoint_ids}
    if not indicators or not checkpoint_ids:
        return out
    keys = {(i.evaluation.harness, task_key(i.evaluation.harness, i.evaluation.task)) for i in indicators}
    later = aliased(EvidenceRow)
    wanted = or_(*(and_(EvidenceRow.harness == h, EvidenceRow.task_key == k) for h, k in sorted(keys)))
    current = ~exists().where(later.supersedes_id == EvidenceRow.id)
    ids = list(dict.fromkeys(checkpoint_ids))
    rows_of: dict[int, list[RecordFacts]] = {cid: [] for cid in ids}
    scores: dict[int, list[ScorerScores | ScoreSummary]] = {}
    seqs: dict[int, int] = {}
    for lo in range(0, len(ids), _CHECKPOINTS):
        where = (EvidenceRow.checkpoint_id.in_(ids[lo : lo + _CHECKPOINTS]), wanted, current)
        rows = [
            RecordFacts(*found)
            for found in session.connection().execute(
                select(*_FACTS).where(*where).order_by(EvidenceRow.ingested_at.desc(), EvidenceRow.id.desc())
            )
        ]
        for row in rows:
            rows_of[row.checkpoint_id].append(row)
        if not rows:
            continue
        for evidence_id, *columns, stored in session.connection().execute(
            select(
                EvidenceScoreRow.evidence_id,
                *_SUMMARY,
                case((_NEEDS_SAMPLES, EvidenceScoreRow.samples), else_=null()),
            )
            .join(EvidenceRow, EvidenceScoreRow.evidence_id == EvidenceRow.id)
            .where(*where)
            .order_by(EvidenceScoreRow.evidence_id, EvidenceScoreRow.position)
        ):
            summary = _summary(*columns)
            scores.setdefault(int(evidence_id), []).append(
                ScorerScores(summary.name, summary.scorer, summary.reducer, summary.metrics, **stored)
                if stored is not None
                else summary
            )
        seqs.update(_audit_seqs(session, sorted({r.checkpoint_id for r in rows})))
    for cid in ids:
        out[cid] = _chosen(policy, indicators, rows_of[cid], scores, seqs)
    return out


_FACTS = (
    EvidenceRow.id,
    EvidenceRow.checkpoint_id,
    EvidenceRow.sha256,
    EvidenceRow.harness,
    EvidenceRow.task,
    EvidenceRow.task_key,
    EvidenceRow.task_version,
    EvidenceRow.model,
    EvidenceRow.status,
    EvidenceRow.epochs,
    EvidenceRow.counts,
    EvidenceRow.elicitation,
    EvidenceRow.ingested_at,
    case((EvidenceRow.harness == "manual", EvidenceRow.info["interval"]), else_=null()),
)
"""The columns of ``RecordFacts``, in its order: a record's ``info`` (kilobytes of JSON: configuration,
packages) is not read, only a manual result's stated interval from it."""


def _chosen(
    policy: Policy,
    indicators: list[Indicator],
    rows: list[RecordFacts],
    scores: dict[int, list[ScorerScores | ScoreSummary]],
    seqs: dict[int, int],
) -> dict[str, IndicatorEvidence | None]:
    """Each indicator's evidence among one checkpoint's current records (newest first), as
    ``indicator_evidence`` chooses it."""
    out: dict[str, IndicatorEvidence | None] = {}
    for indicator in indicators:
        evaluation = indicator.evaluation
        wanted = (evaluation.harness, task_key(evaluation.harness, evaluation.task))
        out[indicator.id] = None
        for row in rows:
            if (row.harness, row.task_key) != wanted:
                continue
            chosen = _choose(scores.get(row.id, []), row.harness, indicator.metric, evaluation.scorer)
            if chosen is None:
                continue
            scorer, metric, stderr_key = chosen
            out[indicator.id] = indicator_result(
                row, indicator, policy, scorer, metric, stderr_key, seqs.get(row.id)
            )
            break
    return out


_EVIDENCE_IDS = re.compile(r'"evidence_ids":\[([0-9,]*)\]')
"""The ``evidence_ids`` list of an ``evidence.ingested`` body. A body is canonical JSON in which only ``data``
holds that key, and a quote inside a JSON string is escaped, so the pattern matches nothing else."""


def _audit_seqs(session: Session, checkpoint_ids: list[int]) -> dict[int, int]:
    """Evidence id -> the sequence number of the first ``evidence.ingested`` entry that lists it (the ids are
    found in each body's text without decoding it: the bodies of a family's ingestions are megabytes)."""
    entries = (
        session.connection()
        .execute(
            select(AuditEntryRow.seq, AuditEntryRow.body)
            .where(
                AuditEntryRow.event == "evidence.ingested",
                AuditEntryRow.subject.in_([f"checkpoint:{cid}" for cid in checkpoint_ids]),
            )
            .order_by(AuditEntryRow.seq)
        )
        .all()
    )
    out: dict[int, int] = {}
    for seq, body in entries:
        found = _EVIDENCE_IDS.search(body)
        if found is None or not found[1]:
            continue
        for evidence_id in found[1].split(","):
            out.setdefault(int(evidence_id), int(seq))
    return out
