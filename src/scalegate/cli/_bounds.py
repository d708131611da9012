"""Bounds on every number the command line takes, applied to each command as it is built.

Typer accepts any integer (a 23-digit ``--step`` reaches the store and overflows its 64-bit columns) and any
float, ``nan`` and ``inf`` included. Rather than a check in each command, the root group (``cli.app``) passes
every command it builds through ``bound_numbers``: after Typer converts a parameter's value, integers must
fit the store and floats must be finite, or the value is refused as a usage error (exit 2) naming the option.
"""

from __future__ import annotations

import math
from typing import Any

import typer

from scalegate.inputs import INT_MAX, INT_MIN

__all__ = ["bound_numbers"]


def bound_numbers(command: Any) -> Any:
    """``command`` (and every command below it) with the numbers of its parameters bounded."""
    for param in getattr(command, "params", ()):
        _bound(param)
    for child in (getattr(command, "commands", None) or {}).values():
        bound_numbers(child)
    return command


def _bound(param: Any) -> None:
    convert = param.process_value

    def process_value(ctx: Any, value: Any) -> Any:
        value = convert(ctx, value)
        for item in value if isinstance(value, list | tuple) else (value,):
            problem = _problem(item)
            if problem:
                raise typer.BadParameter(problem, ctx=ctx, param=param)
        return value

    param.process_value = process_value


def _problem(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and not INT_MIN <= value <= INT_MAX:
        return f"{value} is out of range (at most {INT_MAX} in magnitude)"
    if isinstance(value, float) and not math.isfinite(value):
        return f"{value} is not a finite number"
    if isinstance(value, list | tuple):
        return next((p for p in map(_problem, value) if p), None)
    return None
