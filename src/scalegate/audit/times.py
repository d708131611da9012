"""Entry times never decrease: the check ``audit verify`` runs on the whole log.

``append`` dates every entry no earlier than the one before it, so a log written by scalegate always passes.
An entry dated before its predecessor was therefore written some other way: by an older version that let a
pinned clock (``SCALEGATE_NOW``) date a record into the past, or by someone who rewrote the log. Either way
the order of the log and its times disagree, and a verdict that depends on "what happened first" (a notice
before its decision, an approval before its expiry) cannot be trusted, so verification reports it.

The comparison runs in the database (``LAG`` over the indexed ``seq`` order), one row back per decrease
rather than one per entry, so it costs little next to re-hashing the bodies. It reads the ``recorded_at``
column: the replay proves that column agrees with each hashed body (``--deep``, and always once a problem
is found), and that the bodies are the ones the checkpoints signed.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scalegate.audit.replay import Problem
from scalegate.store.base import UTCDateTime
from scalegate.store.models.audit import AuditEntryRow

__all__ = ["check_times"]


def check_times(session: Session) -> list[Problem]:
    """A ``time_decreased`` problem for every entry dated before the entry that precedes it."""
    previous = func.lag(AuditEntryRow.recorded_at, type_=UTCDateTime()).over(order_by=AuditEntryRow.seq)
    ordered = select(
        AuditEntryRow.seq, AuditEntryRow.recorded_at.label("at"), previous.label("before")
    ).subquery()
    found = session.execute(
        select(ordered.c.seq, ordered.c.at, ordered.c.before)
        .where(ordered.c.at < ordered.c.before)
        .order_by(ordered.c.seq)
    )
    return [
        Problem(
            "time_decreased",
            f"dated {at.isoformat()}, before the entry preceding it ({before.isoformat()}): "
            "the log's order and its times disagree",
            seq=int(seq),
        )
        for seq, at, before in found
    ]
