"""Exact calendar arithmetic for deadlines: month addition, whole months elapsed, whole days late.

Policies state intervals in calendar months ("six months", "every 3 months") and deadlines in days. A month is
added by moving the calendar month and keeping the day, clamped to the last day of a shorter month
(31 January + 1 month = 28 or 29 February), which is how people read such commitments.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta

__all__ = ["add_days", "add_months", "days_late", "whole_months_between"]


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` moved by ``months`` calendar months (negative: back), day clamped to the month's end."""
    index = moment.year * 12 + (moment.month - 1) + months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def add_days(moment: datetime, days: int | None) -> datetime:
    """``moment`` plus whole days (none when ``days`` is null: the deadline is the moment itself)."""
    return moment + timedelta(days=days or 0)


def whole_months_between(start: datetime, end: datetime) -> int:
    """The largest n with ``add_months(start, n) <= end`` (0 when ``end`` precedes ``start``)."""
    if end < start:
        return 0
    n = (end.year - start.year) * 12 + (end.month - start.month)
    while n > 0 and add_months(start, n) > end:
        n -= 1
    return n


def days_late(due_at: datetime, done_at: datetime) -> int:
    """Whole calendar days (UTC) between the deadline's date and the completion's date; 0 when on time.

    Something finished after its deadline on the deadline's own date still counts as one day late, so lateness
    is never reported as zero.
    """
    if done_at <= due_at:
        return 0
    return max(1, (done_at.astimezone(UTC).date() - due_at.astimezone(UTC).date()).days)
