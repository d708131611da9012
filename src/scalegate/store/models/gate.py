"""The gate's table: the verdict cache of `scalegate gate` (see ``scalegate.gate.cache``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from scalegate.store.base import Base

__all__ = ["GateVerdictRow"]


class GateVerdictRow(Base):
    """A computed gate verdict, reusable only in the state it was decided from and only in its time window.

    This is a cache, not a record. The state is the audit root (``audit_size`` and ``audit_leaf``), the active
    policy (``policy_digest``) and the blob store (``blob_state``); the window runs from ``computed_at`` to
    ``valid_until`` (the earliest deadline, expiry or re-approval the verdict depends on). ``mac`` is an
    HMAC-SHA256 over all of it under the workspace's gate key bound to the audit root
    (``scalegate.gate.cache``): a row edited or inserted with SQL fails it and is never served.
    """

    __tablename__ = "gate_verdicts"

    ref: Mapped[str] = mapped_column(String(300), primary_key=True)
    action: Mapped[str] = mapped_column(String(40), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(20))
    exit_code: Mapped[int] = mapped_column(Integer)
    document: Mapped[str] = mapped_column(Text)
    """The verdict as the JSON document `--json` prints."""
    text: Mapped[str] = mapped_column(Text)
    """The verdict as the text the command prints without `--json`."""
    audit_size: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime]
    valid_until: Mapped[datetime | None]
    valid_until_epoch: Mapped[float | None] = mapped_column(Float)
    """`valid_until` as Unix seconds, so the fast path can compare it without parsing dates."""
    audit_leaf: Mapped[str] = mapped_column(String(64))
    """Hex leaf hash of the log's last entry in the deciding snapshot (with ``audit_size``: the root)."""
    policy_digest: Mapped[str] = mapped_column(String(200))
    """The active policy version's id, recorded content hash and SHA-256 of its stored document."""
    blob_state: Mapped[str] = mapped_column(String(200))
    """Counts and byte totals of the stored evidence files and their chunks."""
    computed_epoch: Mapped[float] = mapped_column(Float)
    """`computed_at` as Unix seconds: the window's start (a clock moved back does not reuse it)."""
    mac: Mapped[str] = mapped_column(String(64))
    """Hex HMAC-SHA256 of the row under the gate key bound to the audit root."""
