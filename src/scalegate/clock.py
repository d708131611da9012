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
    "EARLIEST_YEAR",
    "LATEST_YEAR",
    "MAX_FUTURE_SKEW",
    "Clock",
    "FixedClock",
    "InstantError",
    "SystemClock",
    "check_instant",
    "default_clock",
    "parse_instant",
    "refuse_future",
    "refuse_past",
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


EARLIEST_YEAR, LATEST_YEAR = 1970, 2199
"""Years a stated time may fall in. Deadlines are computed by adding months and years to stated times, and
``datetime`` ends at 9999: a year far outside any plausible record is refused where it is read, not left to
overflow in a later sum."""


class InstantError(InputError, ValueError):
    """A date or time that is not ISO-8601, names an impossible day (2025-02-30), or lies outside
    ``EARLIEST_YEAR``..``LATEST_YEAR``. Also a ``ValueError``, for parsers that treat any bad value alike."""


def parse_instant(text: str, what: str | None = None) -> datetime:
    """Parse an ISO-8601 date or date-time as UTC (a bare date means midnight UTC); ``InstantError`` naming
    ``what`` (an option, a field, a variable) otherwise."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except (ValueError, TypeError, AttributeError):
        shown = text if len(str(text)) <= 40 else f"{str(text)[:40]}..."
        raise InstantError(
            f"{shown!r} is not an ISO-8601 date or time (e.g. 2025-06-01 or 2025-06-01T12:00:00Z)", where=what
        ) from None
    return check_instant(value if value.tzinfo else value.replace(tzinfo=UTC), what)


def check_instant(value: datetime, what: str | None = None) -> datetime:
    """``value`` (timezone-aware, naive taken as UTC) unless its year lies outside
    ``EARLIEST_YEAR``..``LATEST_YEAR``: then ``InstantError`` naming ``what``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise InstantError(
            f"{value.isoformat()} is outside the years {EARLIEST_YEAR}-{LATEST_YEAR} a record may name",
            where=what,
        )
    return value


def default_clock() -> Clock:
    """The system clock, or a fixed clock when ``SCALEGATE_NOW`` is set (reproducible demos and CLI tests)."""
    pinned = os.environ.get("SCALEGATE_NOW")
    return FixedClock(parse_instant(pinned, "SCALEGATE_NOW")) if pinned else SystemClock()


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


def refuse_past(value: datetime, now: datetime, what: str) -> datetime:
    """``value`` unless it is not after ``now``: an expiry already passed would record something that never
    counts. ``InputError`` naming ``what`` and both times."""
    if value <= now:
        raise InputError(f"{value.isoformat()} is not in the future (now is {now.isoformat()})", where=what)
    return value
