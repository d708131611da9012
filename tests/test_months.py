"""Calendar arithmetic: month addition clamps to month ends; days late count calendar days, never zero."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scalegate.months import add_days, add_months, days_late, whole_months_between


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        ("2024-01-15T12:00", 3, "2024-04-15T12:00"),
        ("2024-01-31T00:00", 1, "2024-02-29T00:00"),
        ("2023-01-31T00:00", 1, "2023-02-28T00:00"),
        ("2024-08-31T09:30", 6, "2025-02-28T09:30"),
        ("2024-11-30T00:00", 3, "2025-02-28T00:00"),
        ("2024-12-15T00:00", 1, "2025-01-15T00:00"),
        ("2025-03-31T00:00", -1, "2025-02-28T00:00"),
    ],
)
def test_add_months_keeps_the_day_or_clamps_to_month_end(start: str, months: int, expected: str) -> None:
    assert add_months(at(start), months) == at(expected)


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        ("2024-01-15T12:00", "2024-07-15T12:00", 6),
        ("2024-01-15T12:00", "2024-07-15T11:59", 5),
        ("2024-01-31T00:00", "2024-02-29T00:00", 1),
        ("2024-01-31T00:00", "2024-02-28T23:59", 0),
        ("2024-05-01T00:00", "2024-04-01T00:00", 0),
    ],
)
def test_whole_months_between(start: str, end: str, months: int) -> None:
    assert whole_months_between(at(start), at(end)) == months


@pytest.mark.parametrize(
    ("due", "done", "late"),
    [
        ("2024-04-15T12:00", "2024-04-15T12:00", 0),
        ("2024-04-15T12:00", "2024-04-14T09:00", 0),
        ("2024-04-15T12:00", "2024-04-18T12:00", 3),
        ("2024-04-15T12:00", "2024-04-18T18:00", 3),
        ("2024-04-15T12:00", "2024-04-15T13:00", 1),
        ("2024-04-15T23:00", "2024-04-16T01:00", 1),
    ],
)
def test_days_late(due: str, done: str, late: int) -> None:
    assert days_late(at(due), at(done)) == late


def test_add_days_without_a_deadline_is_the_moment_itself() -> None:
    moment = at("2024-04-15T12:00")
    assert add_days(moment, None) == moment
    assert add_days(moment, 30) == at("2024-05-15T12:00")
