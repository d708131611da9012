"""Decisions and sign-offs: what awaits whose signature, signing, and the notices that must go out before a
model proceeds."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from scalegate.actor import Actor
from scalegate.assessment.standing import decision as show
from scalegate.assessment.standing import decisions
from scalegate.governance.decisions import sign as sign_decision
from scalegate.governance.notifications import acknowledge, notify_decision
from scalegate.jsonable import JsonObject, to_jsonable
from scalegate.web.api._common import RecordId, api_router, record, workspace_of
from scalegate.web.auth import requires
from scalegate.web.throttle import password_attempt

__all__ = ["router"]

router = api_router("decisions")

DecisionStatus = Literal["open", "approved", "rejected", "superseded"]


class Signature(BaseModel):
    """A sign-off in one role."""

    model_config = ConfigDict(extra="forbid")

    role: str = Field(min_length=1, max_length=50, description="Role signed as, e.g. `rso` or `ceo`.")
    approve: bool = Field(True, description="Approve (true) or reject (false).")
    justification: str | None = Field(None, max_length=20_000, description="Why; required to reject.")
    password: str = Field(
        min_length=1,
        max_length=1024,
        description="The signer's own password, at the moment of signing: it opens their signing key.",
    )


@router.get("/decisions", summary="Decisions and their sign-offs", response_model=list[dict[str, Any]])
def list_decisions(
    request: Request,
    decision_type: str | None = Query(None, max_length=40, description="Only this type."),
    subject: str | None = Query(None, max_length=300, description="Only this subject, e.g. `checkpoint:3`."),
    status: DecisionStatus | None = Query(None, description="Only decisions in this state."),
    actor: Actor = Depends(requires("decision.read")),
) -> list[JsonObject]:
    """Decisions newest first, with the roles still to sign and the notices still to send."""
    found = decisions(
        workspace_of(request),
        actor,
        decision_type=decision_type or None,
        subject=subject or None,
        status=status,
    )
    return [to_jsonable(d) for d in found]


@router.get("/decisions/{decision_id}", summary="One decision", response_model=dict[str, Any])
def show_decision(
    request: Request, decision_id: RecordId, actor: Actor = Depends(requires("decision.read"))
) -> JsonObject:
    """A decision with its signatures, the state it is bound to and its notifications."""
    document: JsonObject = to_jsonable(show(workspace_of(request), actor, decision_id))
    return document


@router.post(
    "/decisions/{decision_id}/signatures",
    summary="Sign a decision",
    status_code=201,
    response_model=dict[str, Any],
)
def sign(
    request: Request,
    decision_id: RecordId,
    body: Signature,
    actor: Actor = Depends(requires("decision.sign")),
) -> JsonObject:
    """Approve or reject in one role (separation of duties applies); a fully approved capability determination
    completes the checkpoint's assessment. The signer's password opens their own signing key, which signs the
    decision's bound state and the time; a wrong password or a key without an admin's approval is refused."""
    workspace = workspace_of(request)
    with password_attempt(request, actor.name):
        sign_decision(
            workspace,
            actor,
            decision_id,
            body.role,
            password=body.password,
            approve=body.approve,
            justification=body.justification,
        )
    document: JsonObject = to_jsonable(show(workspace, actor, decision_id))
    return document


class Acknowledgement(BaseModel):
    """A notified role's acknowledgement of a notice, signed with the acknowledging user's key."""

    model_config = ConfigDict(extra="forbid")

    password: str = Field(
        min_length=1,
        max_length=1024,
        description="The acknowledging user's own password, at that moment: it opens their signing key.",
    )


@router.post(
    "/notifications/{notification_id}/acknowledgement",
    summary="Acknowledge a notice",
    status_code=201,
    response_model=dict[str, Any],
)
def acknowledge_notice(
    request: Request,
    notification_id: RecordId,
    body: Acknowledgement,
    actor: Actor = Depends(requires("decision.read")),
) -> JsonObject:
    """A holder of the notified role acknowledges a delivered notice; the acknowledgement is signed with their
    own key over the notice's id, subject, role, body digest and the time."""
    with password_attempt(request, actor.name):
        row = acknowledge(workspace_of(request), actor, notification_id, password=body.password)
    return record(row)


@router.post(
    "/decisions/{decision_id}/notifications",
    summary="Send a decision's notices",
    status_code=201,
    response_model=list[dict[str, Any]],
)
def notify(
    request: Request, decision_id: RecordId, actor: Actor = Depends(requires("notification.send"))
) -> list[JsonObject]:
    """Send every notice the policy requires for the decision that was not yet delivered (e.g. the Board and
    the LTBT before a model proceeds), through the workspace's notifier, with proof of delivery."""
    notifier = request.app.state.settings.notifier
    return [record(r) for r in notify_decision(workspace_of(request), actor, decision_id, notifier)]
