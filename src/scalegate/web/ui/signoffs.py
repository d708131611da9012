"""Sign-offs: the decisions awaiting signatures, with approve and reject for the people who may sign them, and
the notices still to send before a model proceeds."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from scalegate.actor import Actor
from scalegate.assessment.standing import decisions as list_decisions
from scalegate.governance.decisions import sign as sign_decision
from scalegate.governance.notifications import notify_decision
from scalegate.jsonable import JsonObject, to_jsonable
from scalegate.web.api._common import RecordId
from scalegate.web.auth import requires
from scalegate.web.throttle import password_attempt
from scalegate.web.ui.common import act, may, workspace
from scalegate.web.ui.render import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _annotate(decision: dict[str, Any], actor: Actor, can_sign: bool) -> JsonObject:
    """Which of the missing roles the viewer holds (the service decides whether they may sign)."""
    mine = [r for r in decision["missing_roles"] if r in actor.roles] if can_sign else []
    return {**decision, "my_roles": mine}


@router.get("/signoffs")
def signoffs(request: Request, actor: Actor = Depends(requires("decision.read"))) -> Response:
    """Open decisions first, then the most recent closed ones."""
    decisions = [to_jsonable(d) for d in list_decisions(workspace(request), actor)]
    can_sign = may(request, actor, "decision.sign")
    context = {
        "open": [_annotate(d, actor, can_sign) for d in decisions if d["status"] == "open"],
        "unnotified": [d for d in decisions if d["status"] == "approved" and d["missing_notifications"]],
        "closed": [d for d in decisions if d["status"] != "open"][:20],
        "can_notify": may(request, actor, "notification.send"),
    }
    return render(request, "signoffs.html", "signoffs", context)


@router.post("/signoffs/{decision_id}/sign")
async def sign(
    request: Request,
    decision_id: RecordId,
    role: str = Form(..., max_length=50),
    decision: str = Form(..., pattern="^(approve|reject)$"),
    justification: str = Form("", max_length=20_000),
    password: str = Form("", max_length=1024),
    actor: Actor = Depends(requires("decision.sign")),
) -> Response:
    """Approve or reject a decision in one role; the signer's password, typed into the form, opens their
    signing key (a session alone does not sign)."""
    approve = decision == "approve"
    verb = "approved" if approve else "rejected"

    def signed() -> None:
        with password_attempt(request, actor.name):
            sign_decision(
                workspace(request),
                actor,
                decision_id,
                role,
                password=password,
                approve=approve,
                justification=justification or None,
            )

    return await act(request, "/signoffs", f"Decision #{decision_id} {verb} as {role}.", signed)


@router.post("/signoffs/{decision_id}/notify")
async def notify(
    request: Request, decision_id: RecordId, actor: Actor = Depends(requires("notification.send"))
) -> Response:
    """Send the notices the policy requires for an approved decision."""
    notifier = request.app.state.settings.notifier
    return await act(
        request,
        "/signoffs",
        f"Notices for decision #{decision_id} sent.",
        lambda: notify_decision(workspace(request), actor, decision_id, notifier),
    )
