"""The clock seam: every "now" in scalegate comes from a ``Clock`` so that tests control time.

Deadlines, expiries and notification timing are the heart of compliance; a test that cannot move time cannot
show that a deadline was missed by exactly three days. The seam serves tests and demo workspaces only: a
production workspace records the system clock's time whatever clock it was handed
(``scalegate.workspace_mode``), and a time a user states (a checkpoint's recorded date, a notice's date) is
refused when it lies further in the future than ``MAX_FUTURE_SKEW`` (``refuse_future``), so nothing can be
dated ahead to push a deadline out.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Protocol

from scalegate.errors import InputError

__all__ = [
    "MAX_FUTURE_SKEW",
    "Clock",
    "FixedClock",
    "SystemClock",
    "default_clock",
    "parse_instant",
    "refuse_future",
]

MAX_FUTURE_SKEW = timedelta(minutes=5)
"""How far ahead of now a stated time may lie: clocks of two machines disagree by seconds, not by more."""


class Clock(Protocol):
    """Something that tells the current time, always timezone-aware UTC."""

    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until told to move; used by tests and by ``SCALEGATE_NOW``."""

    def __init__(self, at: datetime) -> None:
        self._at = at if at.tzinfo else at.replace(tzinfo=UTC)

    def now(self) -> datetime:
        return self._at

    def advance(self, delta: timedelta) -> None:
        self._at = self._at + delta

    def set(self, at: datetime) -> None:
        self._at = at if at.tzinfo else at.replace(tzinfo=UTC)


def parse_instant(text: str) -> datetime:
    """Parse an ISO-8601 date or date-time as UTC (a bare date means midnight UTC)."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def default_clock() -> Clock:
    """The system clock, or a fixed clock when ``SCALEGATE_NOW`` is set (reproducible demos and CLI tests)."""
    pinned = os.environ.get("SCALEGATE_NOW")
    return FixedClock(parse_instant(pinned)) if pinned else SystemClock()


def refuse_future(value: datetime, now: datetime, what: str) -> datetime:
    """``value`` unless it lies more than ``MAX_FUTURE_SKEW`` after ``now``: then ``InputError`` naming
    ``what`` (a field such as ``recorded_at``), both times and the allowed skew."""
    if value - now > MAX_FUTURE_SKEW:
        raise InputError(
            f"{what} {value.isoformat()} is in the future (now is {now.isoformat()}; at most "
            f"{int(MAX_FUTURE_SKEW.total_seconds() // 60)} minutes ahead is accepted)",
            where=what,
        )
    return value
