"""The safety roadmap: public goals that are not hard commitments, graded openly.

RSP v3.x §2: the roadmap's goals "are not hard commitments but rather public goals against which we will
openly grade our progress", and each Risk Report reviews "changes to our Frontier Safety Roadmap and any
cases where we failed to meet our goals" (§3.3). So a goal never blocks anything; a goal past its target
and not met counts as missed, and a missed goal must be listed by the next Risk Report (its draft carries it
under ``roadmap.misses_to_list``, and publishing the report marks it listed). The calendar shows a miss not
yet listed as due with the next report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from scalegate.clock import check_instant
from scalegate.errors import ConflictError, InputError, NotFoundError
from scalegate.governance.documents.reading import terms_of
from scalegate.governance.documents.terms import RoadmapTerms
from scalegate.governance.permissions import require
from scalegate.store.models.documents import RoadmapItemRow

if TYPE_CHECKING:
    from scalegate.actor import Actor
    from scalegate.policy import Policy
    from scalegate.workspace import Workspace

__all__ = ["GRADES", "RoadmapItemView", "add_item", "grade", "list_items", "roadmap_terms"]

GRADES = ("met", "missed", "dropped")
"""How a goal is graded."""


@dataclass(frozen=True, kw_only=True)
class RoadmapItemView:
    """A roadmap goal and where it stands."""

    id: int
    area: str
    title: str
    target_date: datetime
    status: str
    """open | met | missed | dropped; an open goal past its target shows as missed."""
    graded_at: datetime | None
    note: str
    listed_in_report_id: int | None
    binding: bool


def roadmap_terms(policy: Policy) -> RoadmapTerms:
    """The roadmap of ``policy``; ``ConflictError`` when it has none."""
    terms = terms_of(policy)
    if terms is None or terms.roadmap is None:
        raise ConflictError(f"policy {policy.id} has no safety roadmap", where="policy")
    return terms.roadmap


def _view(row: RoadmapItemRow, now: datetime, binding: bool) -> RoadmapItemView:
    status = row.status
    if status == "open" and row.target_date <= now:
        status = "missed"
    return RoadmapItemView(
        id=row.id,
        area=row.area,
        title=row.title,
        target_date=row.target_date,
        status=status,
        graded_at=row.graded_at,
        note=row.note,
        listed_in_report_id=row.listed_in_report_id,
        binding=binding,
    )


def add_item(
    workspace: Workspace, actor: Actor, *, area: str, title: str, target_date: datetime
) -> RoadmapItemView:
    """Add a goal in one of the policy's areas."""
    if not title.strip():
        raise InputError("a roadmap goal needs a title", where="title")
    target_date = check_instant(target_date, "target_date")
    with workspace.writing(actor) as ctx:
        terms = roadmap_terms(ctx.policy)
        require(actor, "compliance.record", ctx.policy)
        if terms.areas and area not in terms.areas:
            raise InputError(f"unknown area {area!r}; areas: {', '.join(terms.areas)}", where="area")
        row = RoadmapItemRow(
            area=area,
            title=title.strip(),
            target_date=target_date,
            status="open",
            created_at=ctx.now,
            created_by=actor.label,
            graded_at=None,
            graded_by=None,
            note="",
            listed_in_report_id=None,
        )
        ctx.session.add(row)
        ctx.session.flush()
        ctx.record(
            "roadmap.added",
            f"roadmap:{row.id}",
            {"item_id": row.id, "area": area, "target_date": target_date.isoformat()},
            rows=[row],
        )
        return _view(row, ctx.now, terms.binding)


def grade(
    workspace: Workspace, actor: Actor, item_id: int, status: str, *, note: str = ""
) -> RoadmapItemView:
    """Grade a goal met, missed or dropped."""
    if status not in GRADES:
        raise InputError(f"grade must be one of {', '.join(GRADES)}, got {status!r}", where="status")
    with workspace.writing(actor) as ctx:
        terms = roadmap_terms(ctx.policy)
        require(actor, "compliance.record", ctx.policy)
        row = ctx.session.get(RoadmapItemRow, item_id)
        if row is None:
            raise NotFoundError(f"no roadmap goal {item_id}", where="roadmap_items")
        if row.status != "open":
            raise ConflictError(f"roadmap goal {item_id} was already graded {row.status}")
        row.status, row.graded_at, row.graded_by, row.note = status, ctx.now, actor.label, note.strip()
        ctx.record(
            "roadmap.graded",
            f"roadmap:{row.id}",
            {"item_id": row.id, "status": status},
            rows=[row],
        )
        return _view(row, ctx.now, terms.binding)


def list_items(workspace: Workspace, actor: Actor) -> list[RoadmapItemView]:
    """Every goal, by target date."""
    with workspace.reading() as ctx:
        require(actor, "compliance.read", ctx.policy)
        terms = roadmap_terms(ctx.policy)
        rows = ctx.session.execute(
            select(RoadmapItemRow).order_by(RoadmapItemRow.target_date, RoadmapItemRow.id)
        ).scalars()
        return [_view(r, ctx.now, terms.binding) for r in rows]
