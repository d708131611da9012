"""Field types of the inputs the doors validate with pydantic (the registry's specs, the API's bodies).

pydantic takes more than a record should hold: a number as a date (``0`` becomes 1970-01-01), any year up to
9999, integers of any size, names of any length. These types apply the bounds of ``scalegate.inputs`` and
``scalegate.clock`` instead, so the CLI, the importers and the API refuse the same values the same way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

from scalegate.clock import check_instant, parse_instant
from scalegate.inputs import INT_MAX, INT_MIN

__all__ = ["Instant", "Int64", "NonNegativeInt64"]


def _instant_before(value: Any) -> Any:
    if isinstance(value, bool | int | float):
        raise ValueError("a date must be an ISO-8601 string (e.g. 2025-06-01T12:00:00Z), not a number")
    if isinstance(value, str):
        try:
            return parse_instant(value)
        except ValueError as exc:
            raise ValueError(str(exc)) from None
    return value


def _instant_after(value: datetime) -> datetime:
    try:
        return check_instant(value)
    except ValueError as exc:
        raise ValueError(str(exc)) from None


Instant = Annotated[datetime, BeforeValidator(_instant_before), AfterValidator(_instant_after)]
"""A timezone-aware date-time (a bare date is midnight UTC) given as an ISO-8601 string, in the years
``clock.EARLIEST_YEAR``..``clock.LATEST_YEAR``."""

Int64 = Annotated[int, Field(ge=INT_MIN, le=INT_MAX)]
"""An integer the store can hold."""

NonNegativeInt64 = Annotated[int, Field(ge=0, le=INT_MAX)]
"""A count, step or id the store can hold."""
