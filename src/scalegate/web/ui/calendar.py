"""The compliance calendar: every deadline the policy implies, overdue ones first, and the findings recorded
for deadlines that were missed."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from scalegate.actor import Actor
from scalegate.governance.compliance import compliance_status
from scalegate.jsonable import to_jsonable
from scalegate.web.auth import requires
from scalegate.web.ui.common import workspace
from scalegate.web.ui.render import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

ORDER = {"overdue": 0, "due": 1, "upcoming": 2, "missed": 3, "met": 4}


@router.get("/calendar")
def calendar(request: Request, actor: Actor = Depends(requires("compliance.read"))) -> Response:
    """Deadlines by urgency, then date."""
    status = to_jsonable(compliance_status(workspace(request), actor))
    items = sorted(status["items"], key=lambda i: (ORDER.get(i["status"], 9), i["due_at"]))
    context = {"status": status, "items": items, "findings": status["findings"]}
    return render(request, "calendar.html", "calendar", context)
