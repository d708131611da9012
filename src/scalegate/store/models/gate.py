"""The gate's table: the verdict cache of `scalegate gate` (see ``scalegate.gate.cache``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from scalegate.store.base import Base

__all__ = ["GateVerdictRow"]


class GateVerdictRow(Base):
    """A computed gate verdict, reusable while the log has not grown and no time boundary has passed.

    This is a cache, not a record: it is valid only for ``audit_size`` (any state change appends to the log
    and so invalidates it) and until ``valid_until`` (the earliest deadline or expiry the verdict depended
    on).
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
