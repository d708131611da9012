"""The documents a policy obliges: Risk Reports, external reviews, roadmap goals, off-cycle analyses and
competitor determinations. Thin: each route parses its body and calls ``scalegate.governance.documents``.
Approvals are signed through ``POST /api/v1/decisions/{decision_id}/signatures``."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, TypedDict

from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from scalegate.actor import Actor
from scalegate.governance.documents import competitors, offcycle, reviews, risk_reports, roadmap
from scalegate.jsonable import JsonObject, to_jsonable
from scalegate.web.api._common import RecordId, api_router, workspace_of
from scalegate.web.auth import requires

__all__ = ["CompetitorDetermination", "ReviewDocument", "ReviewerDocument", "router"]

router = api_router("documents")

_NAME = Field(min_length=1, max_length=200)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Draft(_Body):
    """A Risk Report to draft from the record."""

    title: str = Field(min_length=1, max_length=300, description="Title of the report.")
    coverage_date: datetime = Field(description="The record is covered as of this time (not in the future).")
    models: list[str] | None = Field(None, max_length=500, description="Models covered; null: every model.")
    marginal_risk_major: bool = Field(False, description="A marginal-risk argument plays a major role.")
    highly_capable: bool = Field(False, description="A covered model crosses the highly-capable threshold.")


class RedactionNote(_Body):
    """One redaction of the public version."""

    section: str = Field(min_length=1, max_length=100)
    reason: str = Field(min_length=1, max_length=200)
    justification: str = Field("", max_length=2000)


class Publication(_Body):
    """What publishing a report records."""

    redactions: list[RedactionNote] = Field(default_factory=list, max_length=200)
    recipients: dict[str, int] = Field(
        default_factory=dict, description="Recipients per disclosure audience."
    )
    url: str | None = Field(None, max_length=2000)


class Reviewer(_Body):
    """A proposed reviewer and the sections they receive (empty: the whole report)."""

    name: str = _NAME
    sections: list[str] = Field(default_factory=list, max_length=20)


class ReviewStart(_Body):
    """Reviewers proposed for a report."""

    reviewers: list[Reviewer] = Field(min_length=1, max_length=20)
    trigger: Literal["required", "requested"] = "required"


class Sending(_Body):
    """The report went to a reviewer."""

    reviewer: str = _NAME


class Commentary(_Body):
    """A reviewer's public commentary arrived."""

    reviewer: str = _NAME
    url: str = Field(min_length=1, max_length=2000)


class Goal(_Body):
    """A roadmap goal."""

    area: str = Field(min_length=1, max_length=50)
    title: str = Field(min_length=1, max_length=2000)
    target_date: datetime


class Grade(_Body):
    """A roadmap goal's grade."""

    status: Literal["met", "missed", "dropped"]
    note: str = Field("", max_length=2000)


class Determination(_Body):
    """A determination that a model exceeds what was publicly analysed."""

    model: str = _NAME
    reason: str = Field(min_length=1, max_length=20_000)
    deployment: Literal["internal", "public"] = "internal"


class Artifact(_Body):
    """Where an off-cycle analysis was published."""

    artifact: str = Field(min_length=1, max_length=2000)


class Scenario(_Body):
    """A competitor-scenario determination for a model."""

    model: str = _NAME
    scenario: str = Field(min_length=1, max_length=100)
    evidence: str = Field(min_length=1, max_length=20_000)


class CompetitorDetermination(TypedDict):
    """An opened competitor-scenario determination: the decision its signers sign."""

    decision_id: int
    decision_type: str
    model: str


class ReviewerDocument(TypedDict):
    """One reviewer of an external review as JSON (``ReviewerView``'s fields, times in ISO-8601)."""

    id: int
    name: str
    sections: list[str]
    sent_at: str | None
    send_due_at: str | None
    commentary_at: str | None
    commentary_due_at: str | None
    commentary_url: str | None


class ReviewDocument(TypedDict):
    """An external review as JSON (``ReviewView``'s fields, times in ISO-8601)."""

    id: int
    risk_report_id: int
    trigger: str
    triggered_at: str
    triggered_by: str
    public: bool
    sections: list[str]
    status: str
    selection_decision_id: int | None
    reviewers: list[ReviewerDocument]
    clause: str


def _doc(value: Any) -> JsonObject:
    document: JsonObject = to_jsonable(value)
    return document


# -- Risk Reports --------------------------------------------------------------------------------------------


@router.get("/risk-reports", summary="Risk Reports", response_model=list[dict[str, Any]])
def list_reports(request: Request, actor: Actor = Depends(requires("report.read"))) -> list[JsonObject]:
    """Every Risk Report, newest first, with its approvals and contents."""
    return [_doc(r) for r in risk_reports.list_reports(workspace_of(request), actor)]


@router.post("/risk-reports", summary="Draft a Risk Report", status_code=201, response_model=dict[str, Any])
def draft(request: Request, body: Draft, actor: Actor = Depends(requires("report.generate"))) -> JsonObject:
    """Draft a Risk Report from the record as of its coverage date."""
    return _doc(
        risk_reports.draft(
            workspace_of(request),
            actor,
            title=body.title,
            coverage_date=body.coverage_date,
            models=body.models,
            marginal_risk_major=body.marginal_risk_major,
            highly_capable=body.highly_capable,
        )
    )


@router.get("/risk-reports/{report_id}", summary="One Risk Report", response_model=dict[str, Any])
def show(
    request: Request, report_id: RecordId, actor: Actor = Depends(requires("report.read"))
) -> JsonObject:
    """A Risk Report: status, coverage date, approvals, redactions, disclosure and contents."""
    return _doc(risk_reports.show(workspace_of(request), actor, report_id))


@router.post(
    "/risk-reports/{report_id}/submission",
    summary="Submit a Risk Report",
    status_code=201,
    response_model=dict[str, Any],
)
def submit(
    request: Request, report_id: RecordId, actor: Actor = Depends(requires("decision.open"))
) -> JsonObject:
    """Open the approval decisions of a draft, bound to its contents."""
    return _doc(risk_reports.submit(workspace_of(request), actor, report_id))


@router.post(
    "/risk-reports/{report_id}/sharing",
    summary="Share a Risk Report",
    status_code=201,
    response_model=dict[str, Any],
)
def share(
    request: Request, report_id: RecordId, actor: Actor = Depends(requires("notification.send"))
) -> JsonObject:
    """Share an approved report with the bodies the policy names; starts the external review's clock."""
    notifier = request.app.state.settings.notifier
    return _doc(risk_reports.share(workspace_of(request), actor, report_id, notifier=notifier))


@router.post(
    "/risk-reports/{report_id}/publication",
    summary="Publish a Risk Report",
    status_code=201,
    response_model=dict[str, Any],
)
def publish(
    request: Request,
    report_id: RecordId,
    body: Publication,
    actor: Actor = Depends(requires("report.generate")),
) -> JsonObject:
    """Publish a shared report with its redaction notes and disclosure tiers."""
    notes = [risk_reports.Redaction(r.section, r.reason, r.justification) for r in body.redactions]
    return _doc(
        risk_reports.publish(
            workspace_of(request),
            actor,
            report_id,
            redactions=notes,
            recipients=body.recipients,
            url=body.url,
        )
    )


@router.post(
    "/risk-reports/{report_id}/redaction-judgments",
    summary="Deem significantly redacted",
    status_code=201,
    response_model=dict[str, Any] | None,
)
def deem_redacted(
    request: Request, report_id: RecordId, actor: Actor = Depends(requires("report.read"))
) -> ReviewDocument | None:
    """Deem the public version significantly redacted, in a role the policy lets judge it."""
    found = reviews.deem_significantly_redacted(workspace_of(request), actor, report_id)
    if found is None:
        return None
    document: ReviewDocument = to_jsonable(found)
    return document


# -- external reviews ----------------------------------------------------------------------------------------


@router.get("/external-reviews", summary="External reviews", response_model=list[dict[str, Any]])
def list_reviews(request: Request, actor: Actor = Depends(requires("report.read"))) -> list[JsonObject]:
    """External reviews with their reviewers, sections and clocks."""
    return [_doc(r) for r in reviews.list_reviews(workspace_of(request), actor)]


@router.post(
    "/risk-reports/{report_id}/external-reviews",
    summary="Start an external review",
    status_code=201,
    response_model=dict[str, Any],
)
def start_review(
    request: Request,
    report_id: RecordId,
    body: ReviewStart,
    actor: Actor = Depends(requires("decision.open")),
) -> JsonObject:
    """Propose reviewers (possibly splitting the sections) and open their selection for approval."""
    chosen = [(r.name, list(r.sections)) for r in body.reviewers]
    return _doc(
        reviews.start(workspace_of(request), actor, report_id, reviewers=chosen, trigger=body.trigger)
    )


@router.post(
    "/external-reviews/{review_id}/sendings",
    summary="Send the report to a reviewer",
    status_code=201,
    response_model=dict[str, Any],
)
def send(
    request: Request, review_id: RecordId, body: Sending, actor: Actor = Depends(requires("report.export"))
) -> JsonObject:
    """Record that the report went to a reviewer."""
    return _doc(reviews.send(workspace_of(request), actor, review_id, body.reviewer))


@router.post(
    "/external-reviews/{review_id}/commentaries",
    summary="Record commentary",
    status_code=201,
    response_model=dict[str, Any],
)
def commentary(
    request: Request,
    review_id: RecordId,
    body: Commentary,
    actor: Actor = Depends(requires("compliance.record")),
) -> JsonObject:
    """Record a reviewer's public commentary."""
    return _doc(
        reviews.record_commentary(workspace_of(request), actor, review_id, body.reviewer, url=body.url)
    )


# -- roadmap -------------------------------------------------------------------------------------------------


@router.get("/roadmap", summary="Roadmap goals", response_model=list[dict[str, Any]])
def list_goals(request: Request, actor: Actor = Depends(requires("compliance.read"))) -> list[JsonObject]:
    """Every roadmap goal and its grade."""
    return [_doc(r) for r in roadmap.list_items(workspace_of(request), actor)]


@router.post("/roadmap", summary="Add a roadmap goal", status_code=201, response_model=dict[str, Any])
def add_goal(
    request: Request, body: Goal, actor: Actor = Depends(requires("compliance.record"))
) -> JsonObject:
    """Add a goal: not a hard commitment; a miss is listed by the next Risk Report."""
    return _doc(
        roadmap.add_item(
            workspace_of(request), actor, area=body.area, title=body.title, target_date=body.target_date
        )
    )


@router.post(
    "/roadmap/{item_id}/grade", summary="Grade a roadmap goal", status_code=201, response_model=dict[str, Any]
)
def grade_goal(
    request: Request, item_id: RecordId, body: Grade, actor: Actor = Depends(requires("compliance.record"))
) -> JsonObject:
    """Grade a goal met, missed or dropped."""
    return _doc(roadmap.grade(workspace_of(request), actor, item_id, body.status, note=body.note))


# -- off-cycle analyses and competitor determinations --------------------------------------------------------


@router.get("/offcycle-analyses", summary="Off-cycle analyses", response_model=list[dict[str, Any]])
def list_analyses(request: Request, actor: Actor = Depends(requires("report.read"))) -> list[JsonObject]:
    """Off-cycle analyses and their clocks."""
    return [_doc(r) for r in offcycle.list_analyses(workspace_of(request), actor)]


@router.post(
    "/offcycle-analyses",
    summary="Determine an off-cycle analysis is due",
    status_code=201,
    response_model=dict[str, Any],
)
def determine(
    request: Request, body: Determination, actor: Actor = Depends(requires("assessment.request"))
) -> JsonObject:
    """Record that a model exceeds what was publicly analysed; starts the analysis clock."""
    return _doc(
        offcycle.determine(
            workspace_of(request), actor, model=body.model, reason=body.reason, deployment=body.deployment
        )
    )


@router.post(
    "/offcycle-analyses/{analysis_id}/publication",
    summary="Publish an off-cycle analysis",
    status_code=201,
    response_model=dict[str, Any],
)
def publish_analysis(
    request: Request,
    analysis_id: RecordId,
    body: Artifact,
    actor: Actor = Depends(requires("report.generate")),
) -> JsonObject:
    """Record where an off-cycle analysis was published."""
    return _doc(offcycle.publish(workspace_of(request), actor, analysis_id, artifact=body.artifact))


@router.post(
    "/competitor-determinations",
    summary="Open a competitor determination",
    status_code=201,
    response_model=dict[str, Any],
)
def competitor(
    request: Request, body: Scenario, actor: Actor = Depends(requires("decision.open"))
) -> CompetitorDetermination:
    """Open a competitor-scenario determination for a model, bound to its evidence; sign it as a decision."""
    decision_id = competitors.determine(
        workspace_of(request), actor, model=body.model, scenario=body.scenario, evidence=body.evidence
    )
    return {"decision_id": decision_id, "decision_type": competitors.DETERMINATION, "model": body.model}
