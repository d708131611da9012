"""The compliance calendar: every deadline the policy implies, what is overdue, and recording completions."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from scalegate.actor import Actor
from scalegate.fields import Instant
from scalegate.governance.compliance import compliance_status, list_findings, record_completion
from scalegate.jsonable import JsonObject, to_jsonable
from scalegate.web.api._common import api_router, workspace_of
from scalegate.web.auth import requires

__all__ = ["router"]

router = api_router("compliance")


class Completion(BaseModel):
    """A recurring obligation carried out (a review, a publication, a drill)."""

    model_config = ConfigDict(extra="forbid")

    cadence: str = Field(
        min_length=1, max_length=100, description="Cadence id of the policy, e.g. `procedural-review`."
    )
    at: Instant | None = Field(None, description="When it was done (default: now).")
    note: str = Field("", max_length=20_000, description="What was done.")
    evidence_uri: str | None = Field(None, max_length=2000, description="Where the record of it lives.")


@router.get("/compliance", summary="The compliance calendar", response_model=dict[str, Any])
def calendar(request: Request, actor: Actor = Depends(requires("compliance.read"))) -> JsonObject:
    """Every deadline from every domain (assessments due, safeguard re-approvals, reviews, drills, summaries),
    soonest first, with counts by status and the compliance findings; overdue items are recorded as
    findings."""
    document: JsonObject = to_jsonable(compliance_status(workspace_of(request), actor))
    return document


@router.get("/compliance/findings", summary="Compliance findings", response_model=list[dict[str, Any]])
def findings(request: Request, actor: Actor = Depends(requires("compliance.read"))) -> list[JsonObject]:
    """Every recorded compliance finding (a deadline missed), newest first."""
    return [to_jsonable(f) for f in list_findings(workspace_of(request), actor)]


@router.post(
    "/compliance/completions",
    summary="Record a completed obligation",
    status_code=201,
    response_model=dict[str, Any],
)
def complete(
    request: Request, body: Completion, actor: Actor = Depends(requires("compliance.record"))
) -> JsonObject:
    """Record that a review, publication or drill was carried out; a finding for the occurrence it fulfils
    gets its final lateness."""
    done = record_completion(
        workspace_of(request), actor, body.cadence, at=body.at, note=body.note, evidence_uri=body.evidence_uri
    )
    document: JsonObject = to_jsonable(done)
    return document
