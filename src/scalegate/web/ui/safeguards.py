"""The safeguards matrix: every criterion of every standard, whether it has approved, unexpired evidence, who
owns it; the gaps; and the evidence awaiting review, with approve/reject for those who may."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response

from scalegate.actor import Actor
from scalegate.safeguards.service import evidence_page, review_evidence
from scalegate.web.api._common import RecordId
from scalegate.web.api.safeguards import safeguards_matrix
from scalegate.web.auth import requires
from scalegate.web.ui.common import act, may, workspace
from scalegate.web.ui.render import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

PENDING_PAGE = 50
"""Evidence awaiting review shown at once."""


@router.get("/safeguards")
def matrix(
    request: Request,
    pending_past: int | None = Query(None, ge=1, le=2**53),
    actor: Actor = Depends(requires("safeguards.read")),
) -> Response:
    """Standards with their criteria and gaps, and the evidence awaiting review, oldest first, 50 at a time
    (keyset: ``pending_past`` is the last one shown), so a long queue is never read whole."""
    standards = safeguards_matrix(request)
    pending = evidence_page(
        workspace(request), status="pending", newest_first=False, limit=PENDING_PAGE, past=pending_past
    )
    context = {
        "standards": standards,
        "pending": pending.evidence,
        "pending_total": pending.total,
        "pending_next": pending.next_from,
        "pending_past": pending_past,
        "can_review": may(request, actor, "safeguards.approve"),
    }
    return render(request, "safeguards.html", "safeguards", context)


@router.post("/safeguards/evidence/{evidence_id}/review")
async def review(
    request: Request,
    evidence_id: RecordId,
    decision: str = Form(..., pattern="^(approve|reject)$"),
    note: str = Form("", max_length=5000),
    actor: Actor = Depends(requires("safeguards.approve")),
) -> Response:
    """Approve or reject one piece of evidence."""
    approve = decision == "approve"
    return await act(
        request,
        "/safeguards",
        f"Evidence #{evidence_id} {'approved' if approve else 'rejected'}.",
        lambda: review_evidence(workspace(request), actor, evidence_id, approve=approve, note=note or None),
    )
