"""The comparison page: one checkpoint's record judged under every framework, side by side.

The page parses its query, calls ``scalegate.gate.comparison.compare`` and renders the typed result; the
comparison writes nothing, so the page needs only the permission to read assessments.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from scalegate.actor import Actor
from scalegate.gate.comparison import compare, select_policies
from scalegate.web.auth import requires
from scalegate.web.ui.common import workspace
from scalegate.web.ui.render import render
from scalegate.web.ui.thresholds import chosen_model

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/compare")
def comparison_page(
    request: Request,
    ref: str | None = Query(None, max_length=500, description="MODEL or MODEL@CHECKPOINT."),
    policies: str = Query("all", min_length=1, max_length=2000),
    actor: Actor = Depends(requires("assessment.read")),
) -> Response:
    """Rows: frameworks; columns: actions; each cell the verdict with the clause that decided it. Below, per
    framework, the reasons with their numbers and what the record lacks for that framework."""
    if ref is None:
        ref, _ = chosen_model(request, None)
    result = None
    if ref is not None:
        result = compare(workspace(request), ref, select_policies(policies))
    context = {"ref": ref or "", "policies": policies, "result": result}
    return render(request, "comparison.html", "compare", context)
