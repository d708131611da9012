"""Noncompliance: anonymous intake that stores no identity, routing, lifecycle, escalation, summaries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from scalegate.actor import Actor
from scalegate.clock import FixedClock
from scalegate.errors import ConflictError, InputError, PermissionDenied
from scalegate.governance import noncompliance
from scalegate.governance.notifications import InMemoryNotifier
from scalegate.jsonable import to_jsonable
from scalegate.store.models import every_table
from scalegate.store.models.governance import NotificationRow
from scalegate.workspace import Workspace


def snapshot(workspace: Workspace) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, as plain values."""
    out: dict[str, list[dict[str, Any]]] = {}
    with workspace.engine.connect() as conn:
        for table in every_table().values():
            out[table.name] = [dict(r._mapping) for r in conn.execute(select(table))]
    return out


def new_rows(
    before: dict[str, list[dict[str, Any]]], after: dict[str, list[dict[str, Any]]]
) -> dict[str, list[dict[str, Any]]]:
    return {
        t: [r for r in rows if r not in before[t]]
        for t, rows in after.items()
        if any(r not in before[t] for r in rows)
    }


def test_anonymous_report_stores_no_identity(workspace: Workspace, people: dict[str, Actor]) -> None:
    sam = people["sam"]
    notifier = InMemoryNotifier()
    before = snapshot(workspace)
    receipt = noncompliance.report(
        workspace,
        description="Evaluations were skipped before the last deployment.",
        concerning_role="ceo",
        material_risk=True,
        notifier=notifier,
    )
    written = new_rows(before, snapshot(workspace))
    assert set(written) == {
        "noncompliance_reports",
        "audit_entries",
        "audit_head",
        "audit_row_index",
        "notifications",
    }
    [report_row] = written["noncompliance_reports"]
    assert set(report_row) == {
        "id",
        "received_at",
        "description",
        "concerning_role",
        "routed_to",
        "material_risk",
        "status",
        "anonymous",
        "reporter",
        "updated_at",
    }
    assert report_row["reporter"] is None and report_row["anonymous"] is True
    identifiers = {sam.name, "sam@example.org", f"user:{sam.name}"}
    for table, rows in written.items():
        for row in rows:
            for column, value in row.items():
                text = value.hex() if isinstance(value, bytes) else str(value)
                assert not any(i in text for i in identifiers), f"{table}.{column} names the reporter"
    entries = written["audit_entries"]
    assert entries[0]["actor"] == "anonymous" and entries[0]["event"] == "noncompliance.received"
    assert "session" not in entries[0]["body"] and "user:" not in entries[0]["body"]
    assert all(e["actor"] in ("anonymous", "system") for e in entries)
    [note] = written["notifications"]
    assert note["sent_by"] == "system" and note["role"] == "board" and note["status"] == "delivered"
    assert to_jsonable(receipt) == {
        "id": report_row["id"],
        "routed_to": "rso",
        "status": "received",
        "material_risk": True,
        "board_notified": True,
    }
    assert notifier.messages[0].recipients == ["bea@example.org"]


def test_report_about_the_rso_goes_to_the_board(workspace: Workspace, people: dict[str, Actor]) -> None:
    receipt = noncompliance.report(
        workspace, description="The RSO approved a deployment without evidence.", concerning_role="rso"
    )
    assert receipt.routed_to == "board"
    assert [r.id for r in noncompliance.list_reports(workspace, people["bea"])] == [receipt.id]
    assert noncompliance.list_reports(workspace, people["rita"]) == []
    with pytest.raises(PermissionDenied, match="routed to board"):
        noncompliance.show_report(workspace, people["rita"], receipt.id)
    with pytest.raises(PermissionDenied):
        noncompliance.transition(workspace, people["rita"], receipt.id, "investigating")
    moved = noncompliance.transition(
        workspace, people["bea"], receipt.id, "investigating", note="board review"
    )
    assert moved.status == "investigating" and moved.events[0].handler == "bea"


def test_lifecycle_allows_only_its_steps(workspace: Workspace, people: dict[str, Actor]) -> None:
    rid = noncompliance.report(workspace, description="A drill was skipped.").id
    rita = people["rita"]
    with pytest.raises(ConflictError, match="cannot move from received to closed; next: investigating"):
        noncompliance.transition(workspace, rita, rid, "closed")
    for step in ("investigating", "substantiated", "corrective_action", "closed"):
        noncompliance.transition(workspace, rita, rid, step)
    with pytest.raises(ConflictError, match="next: none"):
        noncompliance.transition(workspace, rita, rid, "investigating")
    with pytest.raises(InputError, match="unknown status"):
        noncompliance.transition(workspace, rita, rid, "archived")
    other = noncompliance.report(workspace, description="Unclear logging.").id
    noncompliance.transition(workspace, rita, other, "investigating")
    noncompliance.transition(workspace, rita, other, "unsubstantiated")
    with pytest.raises(ConflictError):
        noncompliance.transition(workspace, rita, other, "corrective_action")
    assert noncompliance.transition(workspace, rita, other, "closed").status == "closed"


def test_material_risk_found_later_notifies_the_board(workspace: Workspace, people: dict[str, Actor]) -> None:
    notifier = InMemoryNotifier()
    rid = noncompliance.report(
        workspace, description="Weights copied to a personal laptop.", notifier=notifier
    ).id
    assert notifier.messages == []
    noncompliance.transition(
        workspace, people["rita"], rid, "investigating", material_risk=True, notifier=notifier
    )
    assert len(notifier.messages) == 1 and notifier.messages[0].recipients == ["bea@example.org"]
    with workspace.read() as session:
        rows = list(
            session.execute(select(NotificationRow).where(NotificationRow.report_id == rid)).scalars()
        )
    assert [(r.kind, r.timing, r.status) for r in rows] == [("noncompliance", "promptly", "delivered")]


def test_quarterly_summary_rolls_up_the_rest(
    workspace: Workspace, people: dict[str, Actor], clock: FixedClock
) -> None:
    notifier = InMemoryNotifier()
    minor = noncompliance.report(workspace, description="Late review notes.").id
    noncompliance.report(workspace, description="Serious.", material_risk=True, notifier=InMemoryNotifier())
    noncompliance.transition(workspace, people["rita"], minor, "investigating")
    noncompliance.transition(workspace, people["rita"], minor, "substantiated")
    clock.advance(timedelta(days=1))
    summary = noncompliance.summarize(workspace, people["rita"], notifier=notifier)
    assert summary.counts.total == 1 and summary.counts.substantiated == 1
    assert summary.counts.material_risk == 0
    assert "Late review notes" not in notifier.messages[0].body and "total: 1" in notifier.messages[0].body
    with pytest.raises(ConflictError, match="already covers"):
        noncompliance.summarize(workspace, people["rita"])
    with pytest.raises(PermissionDenied):
        noncompliance.summarize(workspace, people["sam"])


def test_public_disclosure_is_counts_only(workspace: Workspace, people: dict[str, Actor]) -> None:
    noncompliance.report(workspace, description="Secret detail A", concerning_role="rso")
    noncompliance.report(workspace, description="Secret detail B")
    counts = to_jsonable(noncompliance.disclosure(workspace, people["sam"]))
    assert counts["total"] == 2 and counts["by_status"]["received"] == 2
    assert list(counts) == ["as_of", "total", "by_status", "substantiated", "material_risk"]
    assert "Secret" not in str(counts) and "rso" not in str(counts)


def test_reports_need_a_description_and_a_known_role(workspace: Workspace) -> None:
    with pytest.raises(InputError, match="needs a description"):
        noncompliance.report(workspace, description="   ")
    with pytest.raises(InputError, match="unknown role 'cfo'"):
        noncompliance.report(workspace, description="x", concerning_role="cfo")
