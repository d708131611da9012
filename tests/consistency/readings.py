"""How each stage of a walk is read: the served windows first, then their printed PDF, then (``browser``) the
dashboard as Chromium renders it, each a test of its own.

A reading compares what it adds with everything already read at that stage, so the last one checks every
window at once, and each stays well within the time a test may take (the windows served, the reports
printed, the pages rendered: tens of seconds each). A reading whose predecessors were deselected reads the
served windows itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from tests.consistency.statements import Statements

__all__ = ["read", "readings"]


def readings(stages: Sequence[str]) -> list[Any]:
    """``(stage, through)`` parameters in walking order: served, printed, chromium (marked ``browser``) for
    each stage, so the walk only goes forward."""
    return [
        reading
        for stage in stages
        for reading in (
            pytest.param(stage, "served", id=stage),
            pytest.param(stage, "printed", id=f"{stage}-pdf"),
            pytest.param(stage, "chromium", marks=pytest.mark.browser, id=f"{stage}-chromium"),
        )
    ]


def read(
    seen: dict[str, list[Statements]],
    stage: str,
    through: str,
    served: Callable[[], list[Statements]],
    extra: dict[str, Callable[[], Statements]],
) -> list[Statements]:
    """The windows to compare at ``stage``: the served ones (``served`` reads them), and for another reading
    those already read at the stage plus its own (``extra[through]``)."""
    if through == "served" or stage not in seen:
        seen[stage] = served()
    if through != "served":
        seen[stage] = [*seen[stage], extra[through]()]
    return list(seen[stage])
