"""Tables of the evidence domain: content-addressed files, the results read from them, per-scorer scores.

Files are stored whole, in the store itself (so they share its transactions, backups and access control on
SQLite and PostgreSQL alike), split into chunks of at most 1 MiB so a large log is written and read without
holding it in memory twice. A blob's key is the SHA-256 of its bytes: anyone can check it.

Evidence rows are never updated: a changed file for the same checkpoint, task, model and run is a new row
whose ``supersedes_id`` names the row it replaces.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scalegate.store.base import Base
from scalegate.store.models import registry  # noqa: F401  (defines the tables its foreign keys name)

__all__ = ["EvidenceBlobChunkRow", "EvidenceBlobRow", "EvidenceRow", "EvidenceScoreRow"]


class EvidenceBlobRow(Base):
    """A stored file, addressed by the SHA-256 of its bytes."""

    __tablename__ = "evidence_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    chunks: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]


class EvidenceBlobChunkRow(Base):
    """One chunk (at most 1 MiB) of a stored file, in order ``seq`` = 0, 1, ..."""

    __tablename__ = "evidence_blob_chunks"

    sha256: Mapped[str] = mapped_column(ForeignKey("evidence_blobs.sha256"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class EvidenceRow(Base):
    """One task's result from one file, for one checkpoint. Immutable.

    ``task_key`` is the task name normalised for matching a policy's ``evaluation.task`` (no
    ``inspect_evals/`` prefix, hyphens as underscores, lower case). ``info`` keeps what the decision may need
    to show: dataset, configuration, revision, package versions, scorers, notes. ``counts`` holds sample runs,
    errors, limits and refusals; ``attachments`` maps the names of companion files (lm-eval samples, a manual
    result's document) to their blob keys, and ``content_key`` is the SHA-256 of the file plus those keys (the
    file's own SHA-256 when there are none): the identity that makes re-ingesting a no-op.
    """

    __tablename__ = "evidence"
    __table_args__ = (
        UniqueConstraint("checkpoint_id", "content_key", "task", name="uq_evidence_content_task"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("checkpoints.id"), index=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("evidence_blobs.sha256"), index=True)
    content_key: Mapped[str] = mapped_column(String(64))
    harness: Mapped[str] = mapped_column(String(20))
    format: Mapped[str] = mapped_column(String(30))
    filename: Mapped[str] = mapped_column(String(500))
    task: Mapped[str] = mapped_column(String(300))
    task_key: Mapped[str] = mapped_column(String(300), index=True)
    task_version: Mapped[str | None] = mapped_column(String(100))
    model: Mapped[str] = mapped_column(String(300))
    run_id: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(30))
    epochs: Mapped[int] = mapped_column(Integer)
    elicitation: Mapped[list[Any]]
    counts: Mapped[dict[str, Any]]
    info: Mapped[dict[str, Any]]
    attachments: Mapped[dict[str, Any]]
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id"), index=True)
    ingested_at: Mapped[datetime]
    ingested_by: Mapped[str] = mapped_column(String(200))


class EvidenceScoreRow(Base):
    """One scorer (Inspect) or metric/filter pair (lm-eval) of an evidence row, with its per-sample scores.

    ``samples`` holds ``sample_ids``, ``values`` (per sample, one score per epoch), ``reduced`` (the harness's
    epoch reduction, if recorded), ``sample_metric`` and ``reported_n``: enough to recompute any interval.

    ``sample_metric``, ``successes`` and ``trials`` summarise ``samples`` (written with it, from the same
    scores, by ``ScorerScores.summary``): the metric whose interval comes from the per-sample scores (None
    without them), and those scores as successes out of trials when every one is 0 or 1 (None otherwise).
    A reader then computes that metric's estimate and Wilson interval without decoding ``samples``; only a
    row with a ``sample_metric`` and no counts (a bootstrap) needs them. Like every column, they are part of
    the row's digest in the audit log.
    """

    __tablename__ = "evidence_scores"
    __table_args__ = (UniqueConstraint("evidence_id", "position", name="uq_evidence_scores_position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300))
    scorer: Mapped[str] = mapped_column(String(300))
    reducer: Mapped[str | None] = mapped_column(String(100))
    metrics: Mapped[dict[str, Any]]
    n_samples: Mapped[int] = mapped_column(Integer)
    binary: Mapped[bool] = mapped_column(Boolean)
    samples: Mapped[dict[str, Any]]
    sample_metric: Mapped[str | None] = mapped_column(Text)
    successes: Mapped[int | None] = mapped_column(Integer)
    trials: Mapped[int | None] = mapped_column(Integer)
