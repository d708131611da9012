"""Assessments: a checkpoint's findings, forecast, required levels and gaps; and the human decisions about it
(capability determination, affirmative case, interim measures) opened for sign-off."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any, TypedDict

from fastapi import Depends, File, Form, Request, UploadFile
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from scalegate.actor import Actor
from scalegate.assessment import determination
from scalegate.assessment.determination import approve_interim_measures
from scalegate.assessment.service import AssessmentDocument, checkpoint_subject
from scalegate.assessment.service import assess as run
from scalegate.fields import Instant
from scalegate.governance.notifications import notify_government
from scalegate.jsonable import JsonObject
from scalegate.web.api._common import api_router, record, workspace_of
from scalegate.web.api.evidence import safe_filename
from scalegate.web.auth import requires

__all__ = ["DecisionView", "GovernmentNotice", "decision_view", "router"]

router = api_router("assessments")


class DeterminationProposal(BaseModel):
    """A capability determination to open for sign-off."""

    model_config = ConfigDict(extra="forbid")

    checkpoint: str = Field(min_length=1, max_length=500, description="MODEL or MODEL@CHECKPOINT.")
    levels: dict[str, str] | None = Field(
        None, description='Required level per kind, e.g. {"deployment": "ASL-3"}; default: the engine\'s.'
    )
    justification: str | None = Field(
        None, max_length=20_000, description="Required when less conservative than the engine."
    )


class InterimProposal(BaseModel):
    """Interim measures to open for sign-off."""

    model_config = ConfigDict(extra="forbid")

    checkpoint: str = Field(min_length=1, max_length=500, description="MODEL or MODEL@CHECKPOINT.")
    actions: list[str] = Field(min_length=1, max_length=3, description="Actions the measures cover.")
    scope: str = Field(min_length=1, max_length=5000, description="What the restriction is.")
    expires_at: Instant | None = Field(None, description="When the measures lapse.")


class DecisionView(TypedDict):
    """What opening a decision returns: its id, type, subject, status and the state it is bound to."""

    decision_id: int
    decision_type: str
    subject: str
    status: str
    bound_state: JsonObject
    created_at: str
    """ISO-8601."""


class GovernmentNotice(TypedDict):
    """A checkpoint's government notice: whether its required levels call for one, and the notice sent."""

    checkpoint: str
    due: bool
    notification: JsonObject | None
    """The notification record; null when no notice is due."""


def decision_view(row: Any) -> DecisionView:
    """What opening a decision returns: its id, type, subject, status and the state it is bound to."""
    return {
        "decision_id": row.id,
        "decision_type": row.decision_type,
        "subject": row.subject,
        "status": row.status,
        "bound_state": dict(row.bound_state),
        "created_at": row.created_at.isoformat(),
    }


@router.get("/assessments/{ref}", summary="Assess a checkpoint", response_model=dict[str, Any])
def assess(request: Request, ref: str, _: Actor = Depends(requires("assessment.read"))) -> AssessmentDocument:
    """Triggers, findings per threshold and indicator (with estimates, intervals, threshold and alert values),
    forecasts, the required level per kind, safeguard gaps and the determination on record."""
    return run(workspace_of(request), ref).to_dict()


@router.post(
    "/determinations",
    summary="Open a capability determination",
    status_code=201,
    response_model=dict[str, Any],
)
def propose_determination(
    request: Request, body: DeterminationProposal, actor: Actor = Depends(requires("decision.open"))
) -> DecisionView:
    """Record the engine's recommendation beside the human determination and open it for the sign-offs the
    policy names; a less conservative determination needs a justification and is flagged."""
    row = determination.propose_determination(
        workspace_of(request), actor, body.checkpoint, levels=body.levels, justification=body.justification
    )
    return decision_view(row)


@router.post(
    "/affirmative-cases", summary="Open an affirmative case", status_code=201, response_model=dict[str, Any]
)
async def propose_affirmative_case(
    request: Request,
    checkpoint: str = Form(..., min_length=1, max_length=500, description="MODEL or MODEL@CHECKPOINT."),
    document: UploadFile = File(..., description="The affirmative case document."),
    summary: str = Form("", max_length=5000, description="One-paragraph summary."),
    actor: Actor = Depends(requires("decision.open")),
) -> DecisionView:
    """Open an affirmative case for sign-off, bound to its document's SHA-256 and the findings."""
    directory = Path(tempfile.mkdtemp(prefix="scalegate-upload-"))
    try:
        path = directory / safe_filename(document.filename, "affirmative-case")
        path.write_bytes(await document.read())
        row = await run_in_threadpool(
            determination.propose_affirmative_case,
            workspace_of(request),
            actor,
            checkpoint,
            path,
            summary=summary,
        )
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return decision_view(row)


@router.post(
    "/interim-measures", summary="Open interim measures", status_code=201, response_model=dict[str, Any]
)
def propose_interim(
    request: Request, body: InterimProposal, actor: Actor = Depends(requires("decision.open"))
) -> DecisionView:
    """Open interim measures for sign-off; once approved they turn a pause into a restriction, within
    scope."""
    row = approve_interim_measures(
        workspace_of(request),
        actor,
        body.checkpoint,
        actions=body.actions,
        scope=body.scope,
        expires_at=body.expires_at,
    )
    return decision_view(row)


class NoticeRequest(BaseModel):
    """The checkpoint whose government notice to send."""

    model_config = ConfigDict(extra="forbid")

    checkpoint: str = Field(min_length=1, max_length=500, description="MODEL or MODEL@CHECKPOINT.")


def send_government_notice(request: Request, actor: Actor, ref: str) -> GovernmentNotice:
    """Send the government notice for a checkpoint when its required levels call for one (idempotent)."""
    workspace = workspace_of(request)
    assessment = run(workspace, ref)
    levels = {kind: required.level for kind, required in assessment.requirements.levels.items()}
    row = notify_government(
        workspace,
        actor,
        checkpoint_subject(assessment.checkpoint_id),
        levels,
        request.app.state.settings.notifier,
    )
    return {
        "checkpoint": assessment.ref,
        "due": row is not None,
        "notification": record(row) if row else None,
    }


@router.post(
    "/government-notices",
    summary="Send a checkpoint's government notice",
    status_code=201,
    response_model=dict[str, Any],
)
def government_notice(
    request: Request, body: NoticeRequest, actor: Actor = Depends(requires("notification.send"))
) -> GovernmentNotice:
    """Notify the government body the policy names when the checkpoint's required levels exceed the notice
    level (RSP v2.2: above ASL-2); `due` false when no notice is called for. Sending twice returns the first
    notice."""
    return send_government_notice(request, actor, body.checkpoint)
