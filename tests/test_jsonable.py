"""``to_jsonable``: the one serializer the doors use for typed service results."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pytest

from scalegate.jsonable import to_jsonable


class Colour(enum.StrEnum):
    RED = "red"


@dataclass(frozen=True)
class Inner:
    at: datetime
    tags: frozenset[str]


@dataclass(frozen=True)
class Outer:
    name: str
    inner: list[Inner]
    pair: tuple[int, date]
    colour: Colour
    by_colour: dict[Colour, int]
    from_status: str = field(metadata={"json_name": "from"})
    secret: str = field(default="x", metadata={"json": False})

    __json_extra__ = ("shout",)

    @property
    def shout(self) -> str:
        return self.name.upper()


@dataclass(frozen=True)
class OwnDocument:
    value: int

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "own", "value": self.value}


def test_dataclasses_become_their_fields_in_order_with_extras() -> None:
    at = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    value = Outer(
        "a", [Inner(at, frozenset({"b", "a"}))], (1, date(2026, 1, 2)), Colour.RED, {Colour.RED: 1}, "open"
    )
    document = to_jsonable(value)
    assert document == {
        "name": "a",
        "inner": [{"at": "2026-01-02T03:04:00+00:00", "tags": ["a", "b"]}],
        "pair": [1, "2026-01-02"],
        "colour": "red",
        "by_colour": {"red": 1},
        "from": "open",
        "shout": "A",
    }
    assert list(document) == ["name", "inner", "pair", "colour", "by_colour", "from", "shout"]
    assert json.loads(json.dumps(document)) == document


def test_a_value_that_serialises_itself_is_taken_at_its_word() -> None:
    assert to_jsonable([OwnDocument(1)]) == [{"kind": "own", "value": 1}]


def test_anything_else_is_an_error() -> None:
    with pytest.raises(TypeError, match="not JSON-serialisable: object"):
        to_jsonable(object())
