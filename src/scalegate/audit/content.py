"""The content check of ``audit verify``: every stored evidence file still hashes to its address.

A file's blob row (``evidence_blobs``: SHA-256, size, chunk count, time) is covered by row digests like any
other row; its bytes live in ``evidence_blob_chunks``, which no entry names chunk by chunk (a digest of every
megabyte in the log would double the hashing for nothing). The blob row's SHA-256 covers them instead: the
chunks of each file are read in order, re-hashed, and must give that SHA-256, the recorded size and the
recorded number of chunks, numbered 0, 1, ... without gap. A flipped byte, a dropped, added or renumbered
chunk, and a chunk that belongs to no stored file are each reported.

This is the costly part of verification (every stored byte is hashed), so it streams the chunks in one
ordered query and reports progress in bytes; ``audit verify --no-blobs`` skips it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scalegate.audit.replay import Problem, ProblemKind
from scalegate.store.models.evidence import EvidenceBlobChunkRow, EvidenceBlobRow

__all__ = ["ContentCheck", "check_blobs", "stored_bytes"]

_BLOBS = EvidenceBlobRow.__tablename__
_CHUNKS = EvidenceBlobChunkRow.__tablename__


@dataclass
class ContentCheck:
    """What the content check read: files, chunks and bytes hashed, and the problems found."""

    files: int = 0
    chunks: int = 0
    bytes_hashed: int = 0
    problems: list[Problem] = field(default_factory=list)


def stored_bytes(session: Session) -> int:
    """The number of bytes the content check will hash (for a progress bar's total)."""
    total = session.execute(select(func.sum(func.length(EvidenceBlobChunkRow.data)))).scalar_one_or_none()
    return int(total or 0)


@dataclass
class _File:
    sha256: str
    digest: hashlib._Hash = field(default_factory=hashlib.sha256)
    size: int = 0
    chunks: int = 0
    order_ok: bool = True


def check_blobs(session: Session, advance: Callable[[int], None] | None = None) -> ContentCheck:
    """Re-hash every stored file chunk by chunk; ``advance(n)`` is called with the bytes of each chunk."""
    blobs = {
        sha: (size, chunks)
        for sha, size, chunks in session.execute(
            select(EvidenceBlobRow.sha256, EvidenceBlobRow.size, EvidenceBlobRow.chunks)
        )
    }
    result = ContentCheck(files=len(blobs))
    query = (
        select(EvidenceBlobChunkRow.sha256, EvidenceBlobChunkRow.seq, EvidenceBlobChunkRow.data)
        .order_by(EvidenceBlobChunkRow.sha256, EvidenceBlobChunkRow.seq)
        .execution_options(yield_per=4)
    )
    seen: set[str] = set()
    current: _File | None = None
    for sha, seq, data in session.execute(query):
        if current is None or current.sha256 != sha:
            if current is not None:
                _close(result, current, blobs)
            current = _File(sha)
            seen.add(sha)
            if sha not in blobs:
                result.problems.append(
                    Problem("blob_chunks", "a chunk of no stored file", table=_CHUNKS, pk=[sha, seq])
                )
        if seq != current.chunks:
            current.order_ok = False
        chunk = bytes(data)
        current.digest.update(chunk)
        current.size += len(chunk)
        current.chunks += 1
        result.chunks += 1
        result.bytes_hashed += len(chunk)
        if advance is not None:
            advance(len(chunk))
    if current is not None:
        _close(result, current, blobs)
    for sha in sorted(set(blobs) - seen):
        _close(result, _File(sha), blobs)
    return result


def _close(result: ContentCheck, done: _File, blobs: dict[str, tuple[int, int]]) -> None:
    """Judge one file once all its chunks were read (problems name its chunks, keyed by the file's SHA-256:
    the blob row itself is judged by its digest in the log)."""
    recorded = blobs.get(done.sha256)
    if recorded is None:
        return  # its chunks were reported as belonging to no file
    size, chunks = recorded

    def problem(kind: ProblemKind, message: str) -> None:
        result.problems.append(Problem(kind, message, table=_CHUNKS, pk=done.sha256))

    if not done.order_ok or done.chunks != chunks:
        problem(
            "blob_chunks",
            f"the file is recorded in {chunks} chunks numbered from 0, but the store holds {done.chunks} "
            "chunks" + ("" if done.order_ok else " out of sequence"),
        )
    if done.size != size:
        problem("blob_chunks", f"the file is recorded as {size} bytes, but its chunks hold {done.size}")
    if done.digest.hexdigest() != done.sha256:
        problem(
            "blob_mismatch", "the stored bytes do not hash to the file's SHA-256: altered outside scalegate"
        )
