"""What the store says of its own size: the audit log's entries, its newest signed tree head, the evidence
files stored. Read by the server's metrics at every scrape, so every server process and host of a store
reports the same figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from scalegate.audit.log import log_size
from scalegate.store.models.audit import AuditCheckpointRow
from scalegate.store.models.evidence import EvidenceBlobRow

if TYPE_CHECKING:
    from scalegate.workspace import Workspace

__all__ = ["StoreFigures", "store_figures"]


@dataclass(frozen=True)
class StoreFigures:
    """The store's size, read in one snapshot."""

    log_entries: int
    last_signed: datetime | None
    """When the newest tree head was signed (None: none yet)."""
    evidence_files: int
    evidence_bytes: int


def store_figures(workspace: Workspace) -> StoreFigures:
    """The store's figures now, in one read transaction."""
    with workspace.read() as session:
        size = log_size(session)
        signed = session.execute(select(func.max(AuditCheckpointRow.created_at))).scalar()
        files, stored = session.execute(
            select(func.count(), func.coalesce(func.sum(EvidenceBlobRow.size), 0))
        ).one()
    if signed is not None and signed.tzinfo is None:
        signed = signed.replace(tzinfo=UTC)
    return StoreFigures(int(size), signed, int(files), int(stored))
