"""A progress bar for long commands (a directory of logs, a large import), on stderr.

Shown only when stderr is a terminal and the command is not printing JSON: stdout stays one JSON document
under ``--json``, and logs of CI jobs (not a terminal) are not filled with redraws.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["Advance", "progress", "shows_progress", "status"]

Advance = Callable[[int], None]
"""Moves the bar on by a number of items."""


def shows_progress(json_out: bool) -> bool:
    """Whether a progress bar is drawn: stderr is a terminal and the output is not JSON."""
    return not json_out and sys.stderr.isatty()


@contextmanager
def progress(description: str, total: int, *, json_out: bool) -> Iterator[Advance]:
    """A bar of ``total`` items, or nothing when ``shows_progress`` is false; yields what advances it."""
    if not shows_progress(json_out) or total <= 0:
        yield _nothing
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns: list[Any] = [
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)


def _nothing(_: int) -> None:
    """Advancing no bar."""


@contextmanager
def status(text: str, *, json_out: bool) -> Iterator[None]:
    """A spinner with ``text`` while one long step runs (a batch written in one transaction has no parts to
    count), under the same conditions as ``progress``."""
    if not shows_progress(json_out):
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(text):
        yield
