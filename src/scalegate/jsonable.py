"""JSON for the values scalegate's documents carry beyond plain JSON: times, bytes, sets, typed results.

One definition serves the audit log's canonical JSON, the CLI's `--json` output and the web API. Services
return typed values (frozen dataclasses); the doors turn them into JSON documents with ``to_jsonable``, so
a document's shape is the dataclass's fields and no hand-written ``to_dict`` can drift from them. It lives
outside every package, with no import beyond the standard library, so printing JSON loads nothing else.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from enum import Enum
from typing import Any, TypeAlias

__all__ = ["JsonObject", "JsonValue", "json_default", "to_jsonable"]

JsonValue: TypeAlias = "bool | int | float | str | Sequence[JsonValue] | Mapping[str, JsonValue] | None"
"""A JSON value as the type checker sees it. Nested arrays and objects are read-only views (``Sequence``,
``Mapping``), which are covariant: a ``list[str]`` or a ``dict[str, int]`` is one without a copy."""
JsonObject: TypeAlias = "dict[str, JsonValue]"
"""A JSON object whose keys the data defines (a policy document, an entry's payload, a response passed
through). A value with known keys is a dataclass or a ``TypedDict`` instead, so the checker knows them."""

_FIELDS: dict[type, tuple[tuple[tuple[str, str], ...], tuple[str, ...]]] = {}
"""Per dataclass: ((attribute, JSON key) of each field it serialises, in declaration order; its
``__json_extra__`` properties)."""


def _names(cls: type) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """The names ``to_jsonable`` reads and writes for a dataclass, computed once per class."""
    names = _FIELDS.get(cls)
    if names is None:
        kept = tuple(
            (f.name, f.metadata.get("json_name", f.name))
            for f in dataclasses.fields(cls)
            if f.metadata.get("json", True)
        )
        names = _FIELDS[cls] = (kept, tuple(getattr(cls, "__json_extra__", ())))
    return names


def to_jsonable(value: Any) -> Any:
    """``value`` as plain JSON values (dicts, lists, str, int, float, bool, None).

    Dataclasses become objects of their fields in declaration order (a field declared with
    ``metadata={"json": False}`` is left out; ``metadata={"json_name": "from"}`` names a key that is no
    Python identifier), followed by the properties the class names in an optional ``__json_extra__``
    tuple. Datetimes and dates become ISO-8601 strings, enums their values, bytes hex, sets sorted lists,
    tuples lists; dicts and lists are converted item by item. A value that still serialises itself with
    ``to_dict()`` (a dataclass whose document differs from its fields) is taken at its word, before its
    fields. Anything else is an error, as with ``json_default``.
    """
    if value is None or (isinstance(value, bool | int | float | str) and not isinstance(value, Enum)):
        return value
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict) and not isinstance(value, type):
        return to_jsonable(to_dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        kept, extra = _names(type(value))
        out = {key: to_jsonable(getattr(value, name)) for name, key in kept}
        for name in extra:
            out[name] = to_jsonable(getattr(value, name))
        return out
    if isinstance(value, Mapping):
        return {_key(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Enum):
        return to_jsonable(value.value)
    return to_jsonable(json_default(value))


def _key(key: Any) -> Any:
    """A dict key as JSON writes it: enums by value, times in ISO-8601, the rest unchanged."""
    if isinstance(key, Enum):
        return key.value
    if isinstance(key, datetime | date):
        return key.isoformat()
    return key


def json_default(value: Any) -> Any:
    """``default=`` for ``json.dumps``: ISO-8601 times, hex bytes, sorted sets; anything else is an error."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")
