"""The safeguards matrix: every criterion of every standard, whether it has approved, unexpired evidence, who
owns it; the gaps; and the evidence awaiting review, with approve/reject for those who may."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from scalegate.actor import Actor
from scalegate.safeguards.service import list_evidence, review_evidence
from scalegate.web.api._common import RecordId
from scalegate.web.api.safeguards import safeguards_matrix
from scalegate.web.auth import requires
from scalegate.web.ui.common import act, may, workspace
from scalegate.web.ui.render import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/safeguards")
def matrix(request: Request, actor: Actor = Depends(requires("safeguards.read"))) -> Response:
    """Standards with their criteria and gaps."""
    standards = safeguards_matrix(request)
    context = {
        "standards": standards,
        "pending": list_evidence(workspace(request), status="pending", newest_first=False),
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
