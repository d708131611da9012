"""The audit log page: recent entries and whether the whole log verifies."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from scalegate.actor import Actor
from scalegate.audit.verify import verify
from scalegate.governance.audit_access import entries_page
from scalegate.web.auth import requires
from scalegate.web.ui.common import workspace
from scalegate.web.ui.render import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/audit")
def audit_page(
    request: Request,
    offset: int = Query(0, ge=0, le=2**53),
    before: int | None = Query(None, ge=0, le=2**53),
    event: str | None = Query(None, max_length=100),
    actor: Actor = Depends(requires("audit.read")),
) -> Response:
    """Entries newest first, 50 a page; "Older entries" follows the keyset (``before`` the last entry shown),
    so a page deep in a long log costs what the first does. ``offset`` is still read, for old links. An entry
    the reader's roles may not open is shown sealed (``scalegate.governance.sealing``)."""
    page = entries_page(
        workspace(request), actor, offset=offset, limit=50, event=event or None, before=before
    )
    context = {
        "entries": page.entries,
        "size": page.size,
        "total": page.total,
        "next_before": page.next_before,
        "paged": before is not None or offset > 0,
        "event": event or "",
    }
    return render(request, "audit.html", "audit", context)


@router.get("/audit/verification")
def verification(request: Request, actor: Actor = Depends(requires("audit.verify"))) -> Response:
    """The verification result as a fragment of the audit page (loaded by htmx), or a page of its own."""
    report = verify(request.app.state.workspace, checkpoint=False).to_dict()
    fragment = request.headers.get("hx-request") == "true"
    return render(
        request,
        "audit_verification.html" if fragment else "audit_verification_page.html",
        "audit",
        {"report": report},
    )
