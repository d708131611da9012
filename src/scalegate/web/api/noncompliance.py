"""Noncompliance: the anonymous intake, and the handling of reports by those they are routed to.

The intake route attaches no identity even when the caller is signed in or sends a token: the dependency
hands the service the anonymous actor, and the server's access log drops the intake paths (see
``scalegate.web.server``), so neither the report nor any log links it to a person, address or session.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from scalegate.actor import Actor
from scalegate.fields import Instant
from scalegate.governance.noncompliance import disclosure as counts
from scalegate.governance.noncompliance import list_reports as reports
from scalegate.governance.noncompliance import report as file_report
from scalegate.governance.noncompliance import show_report as show
from scalegate.governance.noncompliance import summarize as roll_up
from scalegate.governance.noncompliance import transition as move
from scalegate.jsonable import JsonObject, to_jsonable
from scalegate.web.api._common import RecordId, api_router, workspace_of
from scalegate.web.api.meta import OPEN
from scalegate.web.auth import public, requires

__all__ = ["INTAKE", "router"]

router = api_router("noncompliance")

INTAKE = public("anyone may report potential noncompliance, anonymously", anonymous_only=True)


class NewReport(BaseModel):
    """An anonymous report."""

    model_config = ConfigDict(extra="forbid")

    description: str = Field(min_length=1, max_length=20_000, description="What happened.")
    concerning_role: str | None = Field(
        None, max_length=50, description="Role of the person it concerns (routes it, e.g. away from the RSO)."
    )
    material_risk: bool = Field(False, description="Whether it may pose a material risk (notifies promptly).")


class Transition(BaseModel):
    """A step in a report's lifecycle."""

    model_config = ConfigDict(extra="forbid")

    to: str = Field(min_length=1, max_length=30, description="Next status, e.g. `investigating`.")
    note: str = Field("", max_length=20_000, description="What was found or done.")
    material_risk: bool | None = Field(None, description="Re-assess material risk.")


class SummaryRequest(BaseModel):
    """A periodic summary for the Board."""

    model_config = ConfigDict(extra="forbid")

    period_end: Instant | None = Field(None, description="End of the period (default: now).")


def _notifier(request: Request) -> Any:
    return request.app.state.settings.notifier


@router.post(
    "/noncompliance/reports",
    summary="Report potential noncompliance (anonymous)",
    status_code=201,
    openapi_extra=OPEN,
    response_model=dict[str, Any],
)
def report(request: Request, body: NewReport, actor: Actor = Depends(INTAKE)) -> JsonObject:
    """File a report without any identity; returns a receipt (its id and where it was routed)."""
    receipt = file_report(
        workspace_of(request),
        description=body.description,
        concerning_role=body.concerning_role,
        material_risk=body.material_risk,
        notifier=_notifier(request),
    )
    document: JsonObject = to_jsonable(receipt)
    return document


@router.get(
    "/noncompliance/reports", summary="Reports routed to the caller", response_model=list[dict[str, Any]]
)
def list_reports(
    request: Request, actor: Actor = Depends(requires("noncompliance.read"))
) -> list[JsonObject]:
    """Reports routed to one of the caller's roles, newest first."""
    return [to_jsonable(r) for r in reports(workspace_of(request), actor)]


@router.get("/noncompliance/reports/{report_id}", summary="One report", response_model=dict[str, Any])
def show_report(
    request: Request, report_id: RecordId, actor: Actor = Depends(requires("noncompliance.read"))
) -> JsonObject:
    """A report with its history."""
    document: JsonObject = to_jsonable(show(workspace_of(request), actor, report_id))
    return document


@router.post(
    "/noncompliance/reports/{report_id}/transitions",
    summary="Move a report along its lifecycle",
    response_model=dict[str, Any],
)
def transition(
    request: Request,
    report_id: RecordId,
    body: Transition,
    actor: Actor = Depends(requires("noncompliance.handle")),
) -> JsonObject:
    """received -> investigating -> substantiated/unsubstantiated -> corrective action -> closed."""
    moved = move(
        workspace_of(request),
        actor,
        report_id,
        body.to,
        note=body.note,
        material_risk=body.material_risk,
        notifier=_notifier(request),
    )
    document: JsonObject = to_jsonable(moved)
    return document


@router.post(
    "/noncompliance/summaries",
    summary="Summarise reports for the Board",
    status_code=201,
    response_model=dict[str, Any],
)
def summarize(
    request: Request, body: SummaryRequest, actor: Actor = Depends(requires("noncompliance.summary"))
) -> JsonObject:
    """Roll up reports without material risk since the last summary into counts, and record the summary."""
    summary = roll_up(workspace_of(request), actor, period_end=body.period_end, notifier=_notifier(request))
    document: JsonObject = to_jsonable(summary)
    return document


@router.get(
    "/noncompliance/disclosure",
    summary="Aggregate counts for public disclosure",
    response_model=dict[str, Any],
)
def disclosure(request: Request, actor: Actor = Depends(requires("noncompliance.disclose"))) -> JsonObject:
    """Counts only, no detail: what may be published."""
    document: JsonObject = to_jsonable(counts(workspace_of(request), actor))
    return document
