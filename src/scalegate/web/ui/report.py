"""Reporting a concern without signing in, and the handling of reports by those they are routed to.

The intake form stores nothing that identifies the reporter: its route attaches the anonymous actor whoever is
signed in, the service records no address or session, and the server's access log leaves the path out.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from scalegate.actor import Actor
from scalegate.errors import InputError
from scalegate.governance.noncompliance import TRANSITIONS, list_reports, may_move, report
from scalegate.governance.noncompliance import transition as move
from scalegate.web.api._common import RecordId
from scalegate.web.api.noncompliance import INTAKE
from scalegate.web.auth import public, requires
from scalegate.web.ui.common import act, workspace
from scalegate.web.ui.render import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _roles(request: Request) -> list[dict[str, str]]:
    with workspace(request).reading() as ctx:
        return [{"id": r.id, "title": r.title} for r in ctx.policy.governance.roles]


@router.get("/report")
def report_form(
    request: Request, _: Actor = Depends(public("anyone may report potential noncompliance"))
) -> Response:
    """The anonymous form."""
    return render(request, "report.html", "report", {"roles": _roles(request), "receipt": None})


@router.post("/report")
async def file_report(
    request: Request,
    description: str = Form(..., max_length=20_000),
    concerning_role: str = Form("", max_length=50),
    material_risk: bool = Form(False),
    _: Actor = Depends(INTAKE),
) -> Response:
    """File the report anonymously and show the receipt."""
    notifier = request.app.state.settings.notifier
    context: dict[str, Any] = {"roles": _roles(request), "receipt": None, "error": None}
    try:
        context["receipt"] = await run_in_threadpool(
            lambda: report(
                workspace(request),
                description=description,
                concerning_role=concerning_role or None,
                material_risk=material_risk,
                notifier=notifier,
            )
        )
    except InputError as exc:
        context["error"] = str(exc)
        return render(request, "report.html", "report", context, status=400)
    return render(request, "report.html", "report", context, status=201)


@router.get("/noncompliance")
def reports(request: Request, actor: Actor = Depends(requires("noncompliance.read"))) -> Response:
    """Reports routed to the viewer's roles, with their lifecycle."""
    found = list_reports(workspace(request), actor)
    with workspace(request).reading() as ctx:  # which buttons to show; the transition checks again
        policy = ctx.policy
    context = {
        "reports": found,
        "transitions": TRANSITIONS,
        "movable": {r.id for r in found if may_move(policy, actor, r.routed_to)},
    }
    return render(request, "noncompliance.html", "noncompliance", context)


@router.post("/noncompliance/{report_id}/transition")
async def transition(
    request: Request,
    report_id: RecordId,
    to: str = Form(..., max_length=30),
    note: str = Form("", max_length=20_000),
    actor: Actor = Depends(requires("noncompliance.handle")),
) -> Response:
    """Move a report to its next status."""
    notifier = request.app.state.settings.notifier
    return await act(
        request,
        "/noncompliance",
        f"Report #{report_id} moved to {to.replace('_', ' ')}.",
        lambda: move(workspace(request), actor, report_id, to, note=note, notifier=notifier),
    )
