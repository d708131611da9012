"""Bounds on untrusted input: the one place that says how deep, how large and how long a value may be.

Evaluation logs, import files, policy files, command-line options and API bodies all come from outside.
Python's own parsers accept more than the rest of scalegate can hold: ``json`` nests until the interpreter's
recursion limit (a ``RecursionError`` later, in whatever walks the value), integers of any size (an
``OverflowError`` in the store, whose integers are 64-bit) and of up to 4,300 digits (then a ``ValueError``).
Every reader therefore parses through ``load_json`` and checks integers with ``check_int``, so a value
outside these bounds is refused where it is read, with a one-line reason, and never reaches the store.
"""

from __future__ import annotations

import gc
import json
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = [
    "INT_MAX",
    "INT_MIN",
    "MAX_DEPTH",
    "MAX_DOCUMENT",
    "MAX_NAME_LENGTH",
    "MAX_TEXT_FILE",
    "BoundsError",
    "check_depth",
    "check_int",
    "file_kind",
    "json_decoder",
    "load_json",
    "read_regular",
    "read_text",
    "uncollected",
]

MAX_DEPTH = 64
"""Deepest nesting of arrays and objects accepted: real logs and policies nest about ten levels; far below
the interpreter's recursion limit, so nothing that walks a value afterwards can run out of stack."""

INT_MIN, INT_MAX = -(2**63), 2**63 - 1
"""Integers the store can hold (signed 64-bit, on SQLite and PostgreSQL alike)."""

MAX_TEXT_FILE = 64 << 20
"""Largest policy, import or samples file read (they hold a few kilobytes to a few megabytes)."""

MAX_DOCUMENT = 512 << 20
"""Largest supporting document read into the store (a report, a grading sheet, an affirmative case)."""

MAX_NAME_LENGTH = 200
"""Longest model, run, checkpoint or task name."""

_MAX_INT_DIGITS = 19  # len(str(INT_MAX)); anything longer is out of range without being converted


class BoundsError(ValueError):
    """A value beyond what scalegate accepts; callers add the file, member or field it came from (``line``:
    the line of a JSON syntax error, when known)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def check_int(value: int, what: str = "integer") -> int:
    """``value`` if the store can hold it, else ``BoundsError`` naming ``what``."""
    if not INT_MIN <= value <= INT_MAX:
        raise BoundsError(f"{what} {_shown(str(value))} is out of range (at most {INT_MAX} in magnitude)")
    return value


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_INT_DIGITS:
        raise BoundsError(f"integer {_shown(text)} is out of range (at most {INT_MAX} in magnitude)")
    return check_int(int(text))


def _shown(digits: str) -> str:
    return digits if len(digits) <= 24 else f"{digits[:12]}... ({len(digits)} digits)"


def json_decoder() -> json.JSONDecoder:
    """A decoder whose integers are bounded as ``load_json``'s, for parsers that decode piece by piece
    (``raw_decode``); they must still catch ``RecursionError`` and call ``check_depth``."""
    return json.JSONDecoder(parse_int=_parse_int)


def load_json(data: bytes | str) -> Any:
    """Parse one JSON document within the bounds above; ``BoundsError`` (a ``ValueError``) saying what is
    wrong and where: not UTF-8 (at byte N), not JSON (line, column), an integer out of range, nested too
    deep. A UTF-8 byte-order mark is skipped, as ``json.loads`` of bytes does."""
    if isinstance(data, bytes | bytearray):
        try:
            data = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise BoundsError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        value = json.loads(data, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        raise BoundsError(
            f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})", exc.lineno
        ) from None
    except RecursionError:
        raise BoundsError(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    check_depth(value)
    return value


def check_depth(value: Any, limit: int = MAX_DEPTH) -> None:
    """``BoundsError`` if ``value`` nests lists and dicts deeper than ``limit``; walked without recursion."""
    if not isinstance(value, dict | list):
        return
    # level by level: one list of the containers at each depth (a log's reductions are thousands of small
    # dicts, walked here with no tuple per node)
    level: list[Any] = [value]
    depth = 1
    while level:
        if depth > limit:
            raise BoundsError(f"nested deeper than {limit} levels")
        below: list[Any] = []
        for node in level:
            below += [
                c for c in (node.values() if isinstance(node, dict) else node) if isinstance(c, dict | list)
            ]
        level = below
        depth += 1


_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def file_kind(path: Path) -> str | None:
    """None for a regular file (a symbolic link to one counts), else what ``path`` is ("a named pipe", "a
    character device"...). Asked before a file is opened: reading ``/dev/zero`` or a pipe never ends, so a
    reader that hashed first and checked later would hang. ``OSError`` if ``path`` cannot be examined."""
    mode = os.stat(path).st_mode
    if stat.S_ISREG(mode):
        return None
    return next((what for test, what in _KINDS if test(mode)), "not a regular file")


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of the regular file ``path``, checked before it is opened: ``BoundsError`` if it is not a
    regular file (a pipe, a device, a directory) or holds more than ``limit`` bytes; ``OSError`` if it
    cannot be read."""
    kind = file_kind(path)
    if kind is not None:
        raise BoundsError(f"not a regular file ({kind})")
    with path.open("rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise BoundsError(f"larger than the {limit:,} bytes read from such a file")
    return data


def read_text(path: Path, limit: int = MAX_TEXT_FILE) -> str:
    """The UTF-8 text of the regular file ``path`` (``read_regular``), a leading byte-order mark dropped, as
    Excel writes one into CSV; ``BoundsError`` naming the byte where the text is not UTF-8."""
    data = read_regular(path, limit)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BoundsError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None


@contextmanager
def uncollected() -> Iterator[None]:
    """Pause the cyclic garbage collector while a large document is decoded: decoding allocates hundreds of
    thousands of small lists and dicts that form no cycles (they are freed as soon as they are dropped), and
    each collection they trigger re-scans the whole heap (it tripled the time of a first read of 2,000
    evidence records, and was a tenth of reading a 5,000-sample Inspect log)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
