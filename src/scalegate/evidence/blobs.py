"""Evidence files stored in the store, chunk by chunk, under the SHA-256 of their bytes.

Chunks of at most 1 MiB (``evidence_blob_chunks``) keep a large log from being held in memory twice when it
is written or read, on SQLite and PostgreSQL alike. The address is the check: ``verify_blobs`` re-hashes every
file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from scalegate.errors import EvidenceError, IntegrityError, NotFoundError
from scalegate.store.base import note_written
from scalegate.store.models.evidence import EvidenceBlobChunkRow, EvidenceBlobRow

__all__ = ["CHUNK_SIZE", "blob_bytes", "iter_blob", "put_bytes", "store_blob", "verify_blobs"]

CHUNK_SIZE = 1 << 20
"""Bytes per stored chunk of a file."""


def store_blob(session: Session, sha256: str, size: int, chunks: Iterator[bytes], at: Any) -> None:
    """Store a file's bytes under its digest, chunk by chunk, re-checking the digest as it goes.

    A new blob row is noted (``note_written``) so that the entry recording the change names it: the row's
    digest in the log and its SHA-256 together cover the file's bytes."""
    if session.get(EvidenceBlobRow, sha256) is not None:
        return
    blob = EvidenceBlobRow(sha256=sha256, size=size, chunks=0, created_at=at)
    session.add(blob)
    session.flush()
    digest, count, total = hashlib.sha256(), 0, 0
    for chunk in chunks:
        for start in range(0, len(chunk), CHUNK_SIZE):
            piece = chunk[start : start + CHUNK_SIZE]
            digest.update(piece)
            session.execute(insert(EvidenceBlobChunkRow), [{"sha256": sha256, "seq": count, "data": piece}])
            count, total = count + 1, total + len(piece)
    if digest.hexdigest() != sha256 or total != size:
        raise EvidenceError("the file changed while it was being ingested; try again", where=sha256[:12])
    blob.chunks = count
    session.flush()
    note_written(session, blob)


def put_bytes(session: Session, data: bytes, at: Any) -> str:
    """Store bytes already in memory (a safeguard document, an affirmative case) and return their SHA-256."""
    sha256 = hashlib.sha256(data).hexdigest()
    store_blob(session, sha256, len(data), iter([data]), at)
    return sha256


def iter_blob(session: Session, sha256: str) -> Iterator[bytes]:
    """A stored file's bytes, chunk by chunk (``NotFoundError`` if absent)."""
    blob = session.get(EvidenceBlobRow, sha256)
    if blob is None:
        raise NotFoundError(f"no stored evidence file {sha256}")
    for seq in range(blob.chunks):
        data = session.execute(
            select(EvidenceBlobChunkRow.data).where(
                EvidenceBlobChunkRow.sha256 == sha256, EvidenceBlobChunkRow.seq == seq
            )
        ).scalar_one_or_none()
        if data is None:
            raise IntegrityError(f"stored evidence file {sha256} is missing chunk {seq}")
        yield bytes(data)


def blob_bytes(session: Session, sha256: str) -> bytes:
    """A stored file's bytes, checked against its SHA-256 (``IntegrityError`` if they differ)."""
    data = b"".join(iter_blob(session, sha256))
    if hashlib.sha256(data).hexdigest() != sha256:
        raise IntegrityError(f"stored evidence file {sha256} does not match its SHA-256")
    return data


def verify_blobs(session: Session) -> list[str]:
    """Problems with stored evidence files (empty when every file's bytes hash to its address)."""
    problems: list[str] = []
    for sha256 in session.execute(select(EvidenceBlobRow.sha256).order_by(EvidenceBlobRow.sha256)).scalars():
        digest = hashlib.sha256()
        try:
            for chunk in iter_blob(session, sha256):
                digest.update(chunk)
        except IntegrityError as exc:
            problems.append(str(exc))
            continue
        if digest.hexdigest() != sha256:
            problems.append(f"stored evidence file {sha256} does not match its SHA-256")
    return problems
