"""Counting the SQL statements a block of code sends to the store (how the scale tests prove that a cost does
not grow with the number of checkpoints)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from scalegate.workspace import Workspace

__all__ = ["counting", "counting_everywhere"]


@contextmanager
def counting(ws: Workspace) -> Iterator[list[str]]:
    """Every SQL statement the workspace's engine executes inside the block (``before_cursor_execute``)."""
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(ws.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(ws.engine, "before_cursor_execute", count)


@contextmanager
def counting_everywhere() -> Iterator[list[str]]:
    """Every SQL statement any engine executes inside the block: for a door (the CLI) that opens its own
    workspace, and so its own engine."""
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", count)
