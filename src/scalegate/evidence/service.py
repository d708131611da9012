"""The evidence service: ingest files, list and show records, and give each policy indicator its estimate.

Ingestion reads and checks the whole file before it opens a transaction, then writes the file's bytes (by
SHA-256), one evidence row per task, its scores, and the audit entry, in one transaction: a bad file, a store
error or a crash leaves nothing behind. The same file for the same checkpoint is a no-op returning the
existing records; a changed file for the same checkpoint, task, model and run supersedes the record it
replaces, which stays stored and visible.

Every door (CLI, web API, Inspect hook, ``evals run``) calls these functions, and each ingestion is checked
here against the permission matrix (``evidence.ingest``), so no door can skip it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError as SQLIntegrityError
from sqlalchemy.orm import Session, aliased

from scalegate.actor import Actor
from scalegate.errors import EvidenceError, NotFoundError
from scalegate.evidence.blobs import CHUNK_SIZE, blob_bytes, iter_blob, store_blob, verify_blobs
from scalegate.evidence.inspect_reader import normalise_elicitation
from scalegate.evidence.parsed import ParsedResult, ScorerScores, ScoreSummary
from scalegate.evidence.quality import ResultFacts, quality_flags
from scalegate.evidence.readers import read_results
from scalegate.evidence.statistics import Estimate, estimate, normal_interval, wilson_estimate, z_value
from scalegate.evidence.tested_model import check_tested_model
from scalegate.evidence.types import (
    EvidenceRecord,
    Harness,
    IndicatorEvidence,
    IngestResult,
    LogFormat,
    ScorerSummary,
)
from scalegate.inputs import MAX_DOCUMENT, BoundsError, file_kind, read_regular
from scalegate.permissions import require
from scalegate.registry.lookup import resolve_checkpoint
from scalegate.store.models.audit import AuditEntryRow
from scalegate.store.models.evidence import (
    EvidenceBlobRow,
    EvidenceRow,
    EvidenceScoreRow,
)
from scalegate.workspace import Workspace

if TYPE_CHECKING:  # annotations only: the policy schema (pydantic) is no part of ingesting a file
    from scalegate.evidence.manual import ManualResult
    from scalegate.policy import Policy
    from scalegate.policy.thresholds import Indicator

__all__ = [
    "AllowStatus",
    "EvidencePage",
    "blob_bytes",
    "evidence_page",
    "evidence_scores",
    "get_evidence",
    "indicator_evidence",
    "indicator_report",
    "ingest_bytes",
    "ingest_file",
    "ingest_files",
    "ingest_manual",
    "iter_blob",
    "list_evidence",
    "local_path",
    "metric_estimate",
    "task_key",
    "verify_blobs",
]

AllowStatus = bool | str | Iterable[str]
"""Which non-success statuses an ingestion accepts: False (none), True (any), or status names."""


# -- ingestion -----------------------------------------------------------------------------------------------


@dataclass
class _Source:
    """A file to ingest: name, digest, size, a way to stream its bytes again, and what was read from it."""

    name: str
    sha256: str
    size: int
    chunks: Callable[[], Iterator[bytes]]
    results: list[ParsedResult]
    where: str


def ingest_file(
    workspace: Workspace,
    actor: Actor,
    path: str | Path,
    checkpoint_ref: str,
    *,
    allow_status: AllowStatus = False,
    metadata: dict[str, Any] | None = None,
) -> IngestResult:
    """Ingest an Inspect log, an lm-eval results file or a manual result for a checkpoint (``MODEL@CKPT``).

    ``metadata`` may declare ``elicitation`` (a list or comma-separated names) and anything else worth
    keeping; it is stored with the record but does not change the file's identity.
    """
    return ingest_files(
        workspace, actor, [path], checkpoint_ref, allow_status=allow_status, metadata=metadata
    )[0]


def ingest_files(
    workspace: Workspace,
    actor: Actor,
    paths: Iterable[str | Path],
    checkpoint_ref: str,
    *,
    allow_status: AllowStatus = False,
    metadata: dict[str, Any] | None = None,
) -> list[IngestResult]:
    """Ingest several files in one transaction: every file is read and checked first, and a bad one means none
    is ingested."""
    # No policy can grant ingestion (``POLICY_ACTIONS``), so this needs none: it fails before a file is read;
    # the ingesting transaction checks again.
    require(actor, "evidence.ingest")
    sources = [_file_source(local_path(path)) for path in paths]
    return _ingest(workspace, actor, sources, checkpoint_ref, allow_status, metadata)


def ingest_manual(
    workspace: Workspace,
    actor: Actor,
    result: ManualResult,
    checkpoint_ref: str,
    *,
    document: str | Path | None = None,
) -> IngestResult:
    """Record a manual result, with the document that supports it stored by its SHA-256."""
    # deferred: pydantic's model of a manual result (~55 modules, ~0.1 s): ingesting a log never loads it
    from scalegate.evidence.manual import to_parsed

    # No policy can grant ingestion (``POLICY_ACTIONS``), so this needs none: it fails before a file is read;
    # the ingesting transaction checks again.
    require(actor, "evidence.ingest")
    attachments: dict[str, bytes] = {}
    if document is not None:
        doc = Path(document)
        try:
            data = read_regular(doc, MAX_DOCUMENT)
        except OSError as exc:
            raise EvidenceError(f"cannot read document ({exc.strerror or exc})", where=str(doc)) from exc
        except BoundsError as exc:
            raise EvidenceError(f"cannot read document: {exc}", where=str(doc)) from exc
        attachments[doc.name] = data
        result = result.model_copy(
            update={
                "document": {"name": doc.name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            }
        )
    body = json.dumps(result.model_dump(mode="json"), sort_keys=True, separators=(",", ":")).encode()
    name = f"manual-{result.task}-{result.run_id}.json"
    parsed = to_parsed(result, Path(name))
    parsed.attachments = attachments
    return ingest_bytes(workspace, actor, name, body, [parsed], checkpoint_ref)


def ingest_bytes(
    workspace: Workspace,
    actor: Actor,
    name: str,
    data: bytes,
    results: list[ParsedResult],
    checkpoint_ref: str,
    *,
    metadata: dict[str, Any] | None = None,
) -> IngestResult:
    """Ingest a document built in memory (a manual result) that ``results`` were read from."""
    # No policy can grant ingestion (``POLICY_ACTIONS``), so this needs none: it fails before a file is read;
    # the ingesting transaction checks again.
    require(actor, "evidence.ingest")
    sha256 = hashlib.sha256(data).hexdigest()
    source = _Source(name, sha256, len(data), lambda: iter([data]), results, name)
    return _ingest(workspace, actor, [source], checkpoint_ref, False, metadata)[0]


def local_path(location: str | Path) -> Path:
    """A local path from a path or a ``file://`` URI (what Inspect reports for logs it reuses)."""
    text = str(location)
    if text.startswith("file:"):
        from urllib.parse import unquote, urlparse

        return Path(unquote(urlparse(text).path))
    return Path(text)


def _file_source(path: Path) -> _Source:
    try:
        kind = file_kind(path)
    except OSError as exc:
        raise EvidenceError(f"cannot read file ({exc.strerror or exc})", where=str(path)) from exc
    if kind is not None:
        raise EvidenceError(f"not a regular file ({kind}): give an evaluation log file", where=str(path))
    sha256, size = _digest_file(path)
    results = read_results(path)
    return _Source(path.name, sha256, size, lambda: _file_chunks(path), results, str(path))


def _ingest(
    workspace: Workspace,
    actor: Actor,
    sources: list[_Source],
    checkpoint_ref: str,
    allow_status: AllowStatus,
    metadata: dict[str, Any] | None,
) -> list[IngestResult]:
    for source in sources:
        _check_results(source, allow_status)
    extra = dict(metadata or {})
    declared = normalise_elicitation(extra.pop("elicitation", None))
    try:
        return _ingest_once(workspace, actor, sources, checkpoint_ref, declared, extra)
    except SQLIntegrityError:
        # another process ingested the same content for the same checkpoint at the same moment: read it back
        return _ingest_once(workspace, actor, sources, checkpoint_ref, declared, extra)


def _ingest_once(
    workspace: Workspace,
    actor: Actor,
    sources: list[_Source],
    checkpoint_ref: str,
    declared: list[str],
    extra: dict[str, Any],
) -> list[IngestResult]:
    out: list[IngestResult] = []
    with workspace.writing(actor) as ctx:
        require(actor, "evidence.ingest", ctx.active)  # the check that counts: in the ingesting transaction
        session = ctx.session
        checkpoint = resolve_checkpoint(session, checkpoint_ref)
        for source in sources:
            for result in source.results:  # a log of another model is not this checkpoint's evidence
                check_tested_model(workspace, session, checkpoint, result.model, result.harness, source.where)
            out.append(_write(workspace, session, actor, checkpoint, source, declared, extra))
    return out


def _check_results(source: _Source, allow_status: AllowStatus) -> None:
    for result in source.results:
        if result.status != "success" and not _allowed(result.status, allow_status):
            because = _status_reason(result)
            raise EvidenceError(
                f"task {result.task} has status {result.status!r}{because}; "
                f"it is ingested (as insufficient evidence) only when status {result.status!r} is allowed",
                where=source.where,
            )
        if not result.scorers:
            raise EvidenceError(
                f"task {result.task} has no scores (status {result.status!r})", where=source.where
            )
        if all(scorer.n_samples == 0 for scorer in result.scorers):
            raise EvidenceError(f"task {result.task} has no scored samples", where=source.where)


def _status_reason(result: ParsedResult) -> str:
    reason = result.info.get("error")
    if reason:
        return f" ({str(reason).splitlines()[0][:200]})"
    errors, total = result.counts.get("errors") or 0, result.counts.get("samples") or 0
    return f" ({errors} of {total} sample runs ended in an error)" if errors else ""


def _allowed(status: str, allow: AllowStatus) -> bool:
    if isinstance(allow, bool):
        return allow
    if isinstance(allow, str):
        return status in {s.strip() for s in allow.split(",")}
    return status in set(allow)


def _existing(session: Session, checkpoint_id: int, source: _Source) -> dict[str, EvidenceRow]:
    """Records of an earlier ingestion of exactly this content for this checkpoint, by task."""
    keys = {r.task: _content_key(source.sha256, r) for r in source.results}
    rows = session.execute(
        select(EvidenceRow)
        .where(EvidenceRow.checkpoint_id == checkpoint_id, EvidenceRow.sha256 == source.sha256)
        .order_by(EvidenceRow.id)
    ).scalars()
    return {row.task: row for row in rows if keys.get(row.task) == row.content_key}


def _content_key(sha256: str, result: ParsedResult) -> str:
    """The file's digest, combined with its attachments' digests when it has any."""
    if not result.attachments:
        return sha256
    parts = [sha256] + [
        f"{name}={hashlib.sha256(data).hexdigest()}" for name, data in sorted(result.attachments.items())
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _write(
    workspace: Workspace,
    session: Session,
    actor: Actor,
    checkpoint: Any,
    source: _Source,
    declared: list[str],
    extra: dict[str, Any],
) -> IngestResult:
    existing = _existing(session, checkpoint.id, source)
    new = [result for result in source.results if result.task not in existing]
    if not new:
        return IngestResult([_record(session, existing[r.task]) for r in source.results], created=False)
    now = workspace.now()
    store_blob(session, source.sha256, source.size, source.chunks(), now)
    written: list[Any] = []
    rows: dict[str, EvidenceRow] = {}
    superseded: dict[int, int] = {}
    for result in new:
        attachments = {}
        for name, data in result.attachments.items():
            attachments[name] = hashlib.sha256(data).hexdigest()
            store_blob(session, attachments[name], len(data), iter([data]), now)
        prior = _current_for(session, checkpoint.id, result)
        row = _evidence_row(checkpoint.id, source, result, attachments, declared, extra, prior, now, actor)
        session.add(row)
        session.flush()
        scores = [_score_row(row.id, i, scorer) for i, scorer in enumerate(result.scorers)]
        session.add_all(scores)
        rows[result.task] = row
        written += [row, *scores]
        if prior is not None:
            superseded[row.id] = prior.id
    workspace.record(
        session,
        actor,
        "evidence.ingested",
        f"checkpoint:{checkpoint.id}",
        {
            "evidence_ids": [r.id for r in rows.values()],
            "checkpoint": _ref(checkpoint),
            "sha256": source.sha256,
            "size": source.size,
            "filename": source.name,
            "harness": new[0].harness,
            "tasks": list(rows),
            "supersedes": {str(k): v for k, v in superseded.items()},
        },
        rows=written,
    )
    every = {**existing, **rows}
    return IngestResult([_record(session, every[r.task]) for r in source.results], created=True)


def _evidence_row(
    checkpoint_id: int,
    source: _Source,
    result: ParsedResult,
    attachments: dict[str, str],
    declared: list[str],
    extra: dict[str, Any],
    prior: EvidenceRow | None,
    now: Any,
    actor: Actor,
) -> EvidenceRow:
    info = _json_safe({**result.info, **({"ingest_metadata": extra} if extra else {})})
    return EvidenceRow(
        checkpoint_id=checkpoint_id,
        sha256=source.sha256,
        content_key=_content_key(source.sha256, result),
        harness=result.harness,
        format=result.format,
        filename=source.name[:500],
        task=result.task[:300],
        task_key=task_key(result.harness, result.task)[:300],
        task_version=result.task_version,
        model=result.model[:300],
        run_id=result.run_id[:200],
        status=result.status,
        epochs=result.epochs,
        elicitation=sorted(set(result.elicitation) | set(declared)),
        counts=_json_safe(result.counts),
        info=info,
        attachments=attachments,
        supersedes_id=prior.id if prior else None,
        ingested_at=now,
        ingested_by=actor.label,
    )


def _score_row(evidence_id: int, position: int, scorer: ScorerScores) -> EvidenceScoreRow:
    doc = scorer.to_doc()
    summary = scorer.summary()
    return EvidenceScoreRow(
        evidence_id=evidence_id,
        position=position,
        name=scorer.name[:300],
        scorer=scorer.scorer[:300],
        reducer=scorer.reducer,
        metrics=_json_safe(scorer.metrics),
        n_samples=scorer.n_samples,
        binary=scorer.binary,
        samples={k: doc[k] for k in ("sample_ids", "values", "reduced", "reported_n", "sample_metric")},
        sample_metric=summary.sample_metric,
        successes=summary.counts.successes if summary.counts else None,
        trials=summary.counts.trials if summary.counts else None,
    )


def _current_for(session: Session, checkpoint_id: int, result: ParsedResult) -> EvidenceRow | None:
    """The record a changed file supersedes: same checkpoint, task, model and run, not yet superseded."""
    candidates = list(
        session.execute(
            select(EvidenceRow)
            .where(
                EvidenceRow.checkpoint_id == checkpoint_id,
                EvidenceRow.task == result.task,
                EvidenceRow.model == result.model,
                EvidenceRow.run_id == result.run_id,
            )
            .order_by(EvidenceRow.id.desc())
        ).scalars()
    )
    replaced = _superseded_ids(session, [c.id for c in candidates])
    return next((c for c in candidates if c.id not in replaced), None)


def _digest_file(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    try:
        for chunk in _file_chunks(path):
            digest.update(chunk)
            size += len(chunk)
    except OSError as exc:
        raise EvidenceError(f"cannot read file ({exc.strerror or exc})", where=str(path)) from exc
    return digest.hexdigest(), size


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(CHUNK_SIZE):
            yield chunk


# -- reading -------------------------------------------------------------------------------------------------


def task_key(harness: str, task: str) -> str:
    """A task name normalised for matching: lower case; Inspect names drop ``inspect_evals/``, use ``_``."""
    key = task.strip().lower()
    if harness == "inspect":
        key = key.removeprefix("inspect_evals/").replace("-", "_")
    return key


def list_evidence(
    workspace: Workspace, checkpoint_ref: str | None = None, *, current_only: bool = False
) -> list[EvidenceRecord]:
    """Evidence records, newest first, for one checkpoint (``MODEL@CKPT``) or all."""
    with workspace.read() as session:
        query = select(EvidenceRow).order_by(EvidenceRow.id.desc())
        if checkpoint_ref:
            query = query.where(EvidenceRow.checkpoint_id == resolve_checkpoint(session, checkpoint_ref).id)
        rows = list(session.execute(query).scalars())
        records = [_record(session, row) for row in rows]
    return [r for r in records if r.current] if current_only else records


@dataclass(frozen=True)
class EvidencePage:
    """A page of evidence records, newest first: how many match (``total``) and the ``before`` that reads the
    next (older) page (None on the last)."""

    records: list[EvidenceRecord]
    total: int
    next_before: int | None


def evidence_page(
    workspace: Workspace,
    checkpoint_ref: str | None = None,
    *,
    current_only: bool = False,
    limit: int = 50,
    before: int | None = None,
) -> EvidencePage:
    """Like ``list_evidence``, one page at a time: at most ``limit`` records older than id ``before``.

    Keyset paging on the id, with "superseded" decided in SQL, so a page deep in a long list costs what the
    first does and no door reads every record to show some of them.
    """
    with workspace.read() as session:
        where = []
        if checkpoint_ref:
            where.append(EvidenceRow.checkpoint_id == resolve_checkpoint(session, checkpoint_ref).id)
        if current_only:
            later = aliased(EvidenceRow)
            where.append(~exists().where(later.supersedes_id == EvidenceRow.id))
        total = session.execute(select(func.count()).select_from(EvidenceRow).where(*where)).scalar_one()
        query = select(EvidenceRow).where(*where).order_by(EvidenceRow.id.desc()).limit(limit + 1)
        if before is not None:
            query = query.where(EvidenceRow.id < before)
        rows = list(session.execute(query).scalars())
        records = [_record(session, row) for row in rows[:limit]]
    more = len(rows) > limit and bool(records)
    return EvidencePage(records, total, records[-1].id if more else None)


def get_evidence(workspace: Workspace, evidence_id: int) -> EvidenceRecord:
    """One evidence record by id (``NotFoundError`` otherwise)."""
    with workspace.read() as session:
        row = session.get(EvidenceRow, evidence_id)
        if row is None:
            raise NotFoundError(f"no evidence record {evidence_id}")
        return _record(session, row)


def evidence_scores(session: Session, evidence_id: int) -> list[ScorerScores]:
    """The stored per-sample scores of a record, one entry per scorer."""
    rows = session.execute(
        select(EvidenceScoreRow)
        .where(EvidenceScoreRow.evidence_id == evidence_id)
        .order_by(EvidenceScoreRow.position)
    ).scalars()
    return [_scores_of(row) for row in rows]


def _record(session: Session, row: EvidenceRow) -> EvidenceRecord:
    later = (
        session.execute(
            select(EvidenceRow.id).where(EvidenceRow.supersedes_id == row.id).order_by(EvidenceRow.id)
        )
        .scalars()
        .first()
    )
    blob = session.get(EvidenceBlobRow, row.sha256)
    scores = session.execute(
        select(EvidenceScoreRow)
        .where(EvidenceScoreRow.evidence_id == row.id)
        .order_by(EvidenceScoreRow.position)
    ).scalars()
    return EvidenceRecord(
        id=row.id,
        checkpoint_id=row.checkpoint_id,
        sha256=row.sha256,
        harness=cast(Harness, row.harness),
        format=cast(LogFormat, row.format),
        filename=row.filename,
        task=row.task,
        task_version=row.task_version,
        model=row.model,
        run_id=row.run_id,
        status=row.status,
        supersedes_id=row.supersedes_id,
        superseded_by_id=later,
        ingested_at=row.ingested_at,
        ingested_by=row.ingested_by,
        size=blob.size if blob else 0,
        elicitation=list(row.elicitation),
        counts=dict(row.counts),
        info=dict(row.info),
        scorers=[
            ScorerSummary(s.name, dict(s.metrics), s.n_samples, row.epochs, s.reducer, s.binary)
            for s in scores
        ],
    )


def _superseded_ids(session: Session, ids: list[int]) -> set[int]:
    if not ids:
        return set()
    return {
        i
        for i in session.execute(
            select(EvidenceRow.supersedes_id).where(EvidenceRow.supersedes_id.in_(ids))
        ).scalars()
        if i is not None
    }


def _scores_of(row: EvidenceScoreRow) -> ScorerScores:
    return ScorerScores(
        name=row.name, scorer=row.scorer, reducer=row.reducer, metrics=dict(row.metrics), **row.samples
    )


# -- indicators ----------------------------------------------------------------------------------------------


def indicator_evidence(
    workspace: Workspace, session: Session, checkpoint_id: int, indicator: Indicator
) -> IndicatorEvidence | None:
    """The latest current result for ``indicator`` on a checkpoint, with its interval and quality flags.

    None when no current record of the indicator's evaluation (harness and task) carries its metric (and
    scorer, if named); the assessment reads that as insufficient evidence.
    """
    evaluation = indicator.evaluation
    rows = list(
        session.execute(
            select(EvidenceRow)
            .where(
                EvidenceRow.checkpoint_id == checkpoint_id,
                EvidenceRow.harness == evaluation.harness,
                EvidenceRow.task_key == task_key(evaluation.harness, evaluation.task),
            )
            .order_by(EvidenceRow.ingested_at.desc(), EvidenceRow.id.desc())
        ).scalars()
    )
    replaced = _superseded_ids(session, [r.id for r in rows])
    for row in rows:
        if row.id in replaced:
            continue
        chosen = _choose(evidence_scores(session, row.id), row.harness, indicator.metric, evaluation.scorer)
        if chosen is not None:
            return _indicator_result(workspace, session, row, indicator, *chosen)
    return None


_Scores = TypeVar("_Scores", bound=ScorerScores | ScoreSummary)


def _choose(
    scorers: Sequence[_Scores], harness: str, metric: str, scorer_name: str | None
) -> tuple[_Scores, str, str | None] | None:
    """The scorer to read, the metric key within it and the key of its standard error (from the scorers'
    names and reported metrics, which a summary carries as the scores do)."""
    if harness == "lm_eval":
        name, _, wanted_filter = metric.partition(",")
        wanted_filter = wanted_filter or scorer_name or ""
        matches = [
            s
            for s in scorers
            if s.name.split(",", 1)[0] == name
            and (not wanted_filter or s.scorer == wanted_filter)
            and s.metrics.get(name) is not None
        ]
        matches.sort(key=lambda s: s.scorer != "none")
        return (matches[0], name, f"{name}_stderr") if matches else None
    for scorer in scorers:
        if scorer_name is not None and scorer_name not in (scorer.name, scorer.scorer):
            continue
        if scorer.metrics.get(metric) is not None:
            return scorer, metric, "stderr"
    return None


def _indicator_result(
    workspace: Workspace,
    session: Session,
    row: EvidenceRow,
    indicator: Indicator,
    scores: ScorerScores,
    metric: str,
    stderr_key: str | None,
) -> IndicatorEvidence:
    policy = workspace.active_in(session).policy
    return indicator_result(row, indicator, policy, scores, metric, stderr_key, _audit_seq(session, row))


@dataclass(frozen=True, slots=True)
class RecordFacts:
    """What an indicator's result reads of an evidence record: plain columns, and a manual result's stated
    interval instead of the whole ``info`` (read in bulk without decoding what a result does not use)."""

    id: int
    checkpoint_id: int
    sha256: str
    harness: str
    task: str
    task_key: str
    task_version: str | None
    model: str
    status: str
    epochs: int
    counts: dict[str, Any]
    elicitation: list[str]
    ingested_at: datetime
    stated_interval: Any
    """``info["interval"]`` of a manual result; None for other harnesses."""


def indicator_result(
    row: EvidenceRow | RecordFacts,
    indicator: Indicator,
    policy: Policy,
    scores: ScorerScores | ScoreSummary,
    metric: str,
    stderr_key: str | None,
    audit_seq: int | None,
) -> IndicatorEvidence:
    """An indicator's result from the record and scorer chosen for it: estimate, interval and quality flags
    under ``policy``'s statistics and elicitation rules (one definition for single and bulk reads)."""
    level = policy.statistics.confidence_level
    result = metric_estimate(
        scores,
        metric,
        stderr_key,
        row,
        level,
        policy.statistics.bootstrap_resamples,
        policy.statistics.bootstrap_seed,
    )
    has_interval = result is not None
    if result is None:
        value = float(scores.metrics[metric] or 0.0)
        result = Estimate(value, value, value, "reported", scores.n_samples)
    facts = ResultFacts(
        status=row.status,
        n_samples=scores.n_samples,
        epochs=row.epochs,
        counts=dict(row.counts),
        task_version=row.task_version,
        elicitation=list(row.elicitation),
        has_interval=has_interval,
    )
    return IndicatorEvidence(
        evidence_id=row.id,
        sha256=row.sha256,
        harness=row.harness,
        task=row.task,
        task_version=row.task_version,
        model=row.model,
        metric=metric,
        estimate=result.value,
        ci_low=result.low,
        ci_high=result.high,
        confidence_level=level,
        n_samples=scores.n_samples,
        epochs=row.epochs,
        binary=scores.binary,
        interval_method=result.method,
        flags=quality_flags(facts, indicator, policy.elicitation),
        ingested_at=row.ingested_at,
        audit_seq=audit_seq,
        elicitation=list(row.elicitation),
        scorer=scores.name,
    )


def metric_estimate(
    scores: ScorerScores | ScoreSummary,
    metric: str,
    stderr_key: str | None,
    row: EvidenceRow | RecordFacts,
    level: float,
    resamples: int,
    seed: int,
) -> Estimate | None:
    """An interval from per-sample scores, else a reported standard error or interval; None if neither.

    From a summary, the per-sample interval is the Wilson interval of its counts, which is what the scores
    give (``estimate``); a summary that has no counts for ``metric`` (``needs_samples``) cannot stand in for
    the scores, and passing one is a programming error."""
    if isinstance(scores, ScoreSummary):
        if scores.sample_metric == metric:
            if scores.counts is None:
                raise ValueError(f"the estimate of {metric} needs the per-sample scores, not their summary")
            return wilson_estimate(scores.counts, level)
    elif scores.has_samples and scores.sample_metric == metric:
        return estimate(scores.values, level, resamples, seed, per_sample=scores.per_sample())
    value = scores.metrics[metric]
    assert value is not None
    stderr = scores.metrics.get(stderr_key) if stderr_key else None
    if stderr is not None:
        low, high = normal_interval(value, stderr, level)
        return Estimate(value, low, high, "reported", scores.n_samples)
    if isinstance(row, RecordFacts):
        stated = row.stated_interval
    else:
        stated = row.info.get("interval") if row.harness == "manual" else None
    if isinstance(stated, dict):
        low, high = _rescale(value, stated["low"], stated["high"], float(stated.get("level", 0.95)), level)
        return Estimate(value, low, high, "reported", scores.n_samples)
    return None


def _rescale(value: float, low: float, high: float, stated: float, wanted: float) -> tuple[float, float]:
    """A stated interval at another confidence level, widening each side by the ratio of normal quantiles."""
    if abs(stated - wanted) < 1e-12:
        return low, high
    ratio = z_value(wanted) / z_value(stated)
    return value - (value - low) * ratio, value + (high - value) * ratio


def _audit_seq(session: Session, row: EvidenceRow) -> int | None:
    entries = session.execute(
        select(AuditEntryRow.seq, AuditEntryRow.body)
        .where(
            AuditEntryRow.event == "evidence.ingested",
            AuditEntryRow.subject == f"checkpoint:{row.checkpoint_id}",
        )
        .order_by(AuditEntryRow.seq)
    ).all()
    for seq, body in entries:
        if row.id in json.loads(body).get("data", {}).get("evidence_ids", []):
            return int(seq)
    return None


def _ref(checkpoint: Any) -> str:
    ref = getattr(checkpoint, "ref", None)
    return str(ref) if ref else str(checkpoint.id)


def _json_safe(value: Any) -> Any:
    """A JSON-safe copy: non-finite floats become None (PostgreSQL's JSON has no NaN)."""
    import math

    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def indicator_report(
    workspace: Workspace, checkpoint_ref: str
) -> list[tuple[str, str, IndicatorEvidence | None]]:
    """(threshold id, indicator id, what the evidence says) for every indicator of the active policy on a
    checkpoint, in policy order: what ``scalegate evidence indicators`` shows."""
    with workspace.reading() as ctx:
        session, indicators = ctx.session, ctx.policy.indicators()
        row = resolve_checkpoint(session, checkpoint_ref)
        return [(t.id, i.id, indicator_evidence(workspace, session, row.id, i)) for t, i in indicators]
