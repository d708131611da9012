"""The demo walked to its sign-off under RSP v2.2, as the tests that start from there build it.

The scenario is the demo's (``scalegate.testing.demo``) with the committed Inspect logs of
``tests/fixtures/inspect_logs/gate`` in place of fresh runs, so no test waits for Inspect; ``scalegate demo
--no-serve`` walks the same functions.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from scalegate.clock import FixedClock
from scalegate.evidence.service import ingest_file
from scalegate.testing import demo
from scalegate.workspace import init_workspace
from tests.fixtures.inspect_logs.make_logs import committed

__all__ = ["SIGNOFF_EVALS", "START", "signed_demo"]

START = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
"""The demo's fixed clock: every step happens at this instant."""

SIGNOFF_EVALS = ("wmdp_bio", "lab_bench_protocolqa", "swe_bench", "cybench")
"""The committed logs ingested as the evidence of the demo's checkpoint."""


def signed_demo(directory: Path, url: str | None = None) -> demo.DemoState:
    """A fresh demo workspace, seeded, its evidence ingested, its safeguards recorded and its determination
    proposed and signed: a SQLite store in ``directory``, or the empty store at ``url`` (a PostgreSQL
    database, say) with ``directory`` for its files. The caller closes ``state.workspace``; a step that fails
    closes it here."""
    if url is None:
        state = demo.fresh_state(directory, clock=FixedClock(START))
    else:
        state = demo.DemoState(init_workspace(url, clock=FixedClock(START), mode="demo"), directory)
    try:
        demo.seed(state)
        logs = committed("gate")
        for name in SIGNOFF_EVALS:
            ingest_file(state.workspace, state.people["eve"], logs[name], state.ref)
        demo.safeguard(state)
        demo.propose(state)
        demo.sign(state)
    except BaseException:
        state.workspace.close()
        raise
    return state
