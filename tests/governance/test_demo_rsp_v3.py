"""The demo's last chapter: the lab that reached ALLOW under RSP v2.2 moves to v3.4 through the policy-change
workflow, and its obligations become documents with deadlines the gate reads.

The scenario is the demo's (``scalegate.testing.demo``) with the committed Inspect logs in place of fresh
runs, so the chapter is tested without waiting for Inspect; ``scalegate demo --no-serve`` walks the same
functions.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import select

from scalegate.audit.verify import verify
from scalegate.cli.demo import _report
from scalegate.gate.service import evaluate_gate
from scalegate.store.models.governance import PolicyChangeRow, PolicyConsultationRow
from scalegate.testing import demo
from tests.support.demo import signed_demo
from tests.support.policy import active_of, policy_of


@pytest.fixture
def signed(tmp_path: Path) -> Iterator[demo.DemoState]:
    """The demo walked to its sign-off (v2.2), on SQLite, with the committed Inspect logs."""
    state = signed_demo(tmp_path / "demo")
    try:
        yield state
    finally:
        state.workspace.close()


def test_the_lab_moves_to_rsp_3_4_and_its_obligations_reach_the_gate(signed: demo.DemoState) -> None:
    ws = signed.workspace
    assert policy_of(ws).id == "anthropic-rsp-2.2"
    assert evaluate_gate(ws, signed.ref, "deploy-external").outcome == "allow"  # chapter 5's outcome

    demo.adopt_v3(signed)

    assert active_of(ws).policy.id == demo.NEXT_POLICY
    done = signed.adoption
    assert (done["from"], done["policy"], done["version"]) == (
        "anthropic-rsp-2.2 2.2",
        "anthropic-rsp-3.4",
        "3.4",
    )
    with ws.read() as session:
        change = session.get(PolicyChangeRow, done["change_id"])
        assert change is not None and change.status == "active"
        consulted = session.execute(
            select(PolicyConsultationRow.role).where(PolicyConsultationRow.change_id == change.id)
        ).scalars()
        assert list(consulted) == ["ltbt"]
    assert [line.split(":")[0] for line in done["obligations"]] == [
        "risk-report",
        "offcycle-public",
        "offcycle-internal",
        "roadmap",
        "external-review",
    ]
    # The first Risk Report is due the cadence's longest interval (6 months) after adoption (the demo's
    # START + 1 day).
    assert done["risk_report_due"] == "2025-12-02T12:00:00+00:00"
    codes = [r["code"] for r in done["gate_reasons"]["deploy-external"]]
    assert codes == ["risk_report.current"]
    assert "2025-12-02" in done["gate_reasons"]["deploy-external"][0]["text"]
    assert verify(ws).ok


def test_the_demo_prints_the_chapter(signed: demo.DemoState) -> None:
    demo.adopt_v3(signed)
    out = Console(record=True, width=400)
    _report(signed, "rsp-v3", out)
    text = out.export_text()
    assert "7. The lab moves from RSP v2.2 to v3.4" in text
    assert "anthropic-rsp-2.2 2.2 -> anthropic-rsp-3.4 3.4" in text
    assert "Obligation risk-report: Risk Report" in text
    assert "First Risk Report due: 2025-12-02" in text
    assert "risk_report.current (satisfied)" in text
    assert [stage for stage, _ in signed.verdicts] == ["rsp-v3", "rsp-v3"]
