"""Models, training runs, checkpoints, effective compute (scaling fits) and the assessments that are due."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from scalegate.actor import Actor
from scalegate.fields import Instant
from scalegate.jsonable import JsonObject, to_jsonable
from scalegate.registry.assessments_due import due_assessments
from scalegate.registry.assessments_due import request_assessment as ask
from scalegate.registry.fits import FitReportDocument, ScalingSummary, fit_family, scaling_summary
from scalegate.registry.service import CheckpointReportDocument, checkpoint_status, model_summary
from scalegate.registry.service import create_model as create_model_row
from scalegate.registry.service import create_run as create_run_row
from scalegate.registry.service import list_models as models
from scalegate.registry.service import register_checkpoint as register
from scalegate.registry.specs import NAME_PATTERN, CheckpointSpec, ReferencePoint
from scalegate.web.api._common import api_router, record, workspace_of
from scalegate.web.auth import requires

__all__ = ["router"]

router = api_router("models")


class NewModel(BaseModel):
    """A model to register."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, pattern=NAME_PATTERN, description="Unique model name.")
    family: str = Field(
        min_length=1,
        max_length=200,
        pattern=NAME_PATTERN,
        description="Family sharing a baseline recipe and scaling fit.",
    )
    owner: str = Field(min_length=1, max_length=200, description="Team or person responsible.")
    description: str = Field("", max_length=5000, description="What the model is.")


class NewRun(BaseModel):
    """A training run of a model."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, pattern=NAME_PATTERN, description="Run name.")
    algorithmic_multiplier: float | None = Field(
        None, gt=0, allow_inf_nan=False, description="Declared compute efficiency over the baseline recipe."
    )
    started_at: Instant | None = Field(None, description="When the run started.")
    notes: str = Field("", max_length=5000, description="Free text.")


class NewFit(BaseModel):
    """Reference points of a family's baseline recipe, to fit its scaling law."""

    model_config = ConfigDict(extra="forbid")

    points: list[ReferencePoint] = Field(
        min_length=1, max_length=10_000, description="(compute, losses) points."
    )
    weights: dict[str, float] | None = Field(None, description="Weight per dataset in the aggregate loss.")
    source: str = Field("api", max_length=500, description="Where the points come from.")


class AssessmentRequest(BaseModel):
    """A discretionary request for a comprehensive assessment."""

    model_config = ConfigDict(extra="forbid")

    checkpoint: str = Field(min_length=1, max_length=500, description="MODEL or MODEL@CHECKPOINT.")
    reason: str = Field(min_length=1, max_length=5000, description="Why it is requested.")


@router.get("/models", summary="Models", response_model=list[dict[str, Any]])
def list_models(
    request: Request, family: str | None = None, _: Actor = Depends(requires("registry.read"))
) -> list[JsonObject]:
    """Every registered model, by family then name."""
    return [record(m) for m in models(workspace_of(request), family or None)]


@router.post("/models", summary="Register a model", status_code=201, response_model=dict[str, Any])
def create_model(
    request: Request, body: NewModel, actor: Actor = Depends(requires("registry.write"))
) -> JsonObject:
    """Register a model in a family."""
    row = create_model_row(workspace_of(request), actor, body.name, body.family, body.owner, body.description)
    return record(row)


@router.get("/models/{name}", summary="A model with its runs and checkpoints", response_model=dict[str, Any])
def show_model(request: Request, name: str, _: Actor = Depends(requires("registry.read"))) -> JsonObject:
    """The model, its training runs, checkpoints (with effective compute) and post-training enhancements."""
    document: JsonObject = to_jsonable(model_summary(workspace_of(request), name))
    return document


@router.post(
    "/models/{name}/runs", summary="Register a training run", status_code=201, response_model=dict[str, Any]
)
def create_run(
    request: Request, name: str, body: NewRun, actor: Actor = Depends(requires("registry.write"))
) -> JsonObject:
    """Register a training run of the model."""
    row = create_run_row(
        workspace_of(request),
        actor,
        name,
        body.name,
        algorithmic_multiplier=body.algorithmic_multiplier,
        started_at=body.started_at,
        notes=body.notes,
    )
    return record(row)


@router.post(
    "/models/{name}/checkpoints",
    summary="Register a checkpoint",
    status_code=201,
    response_model=dict[str, Any],
)
def register_checkpoint(
    request: Request, name: str, body: CheckpointSpec, actor: Actor = Depends(requires("registry.write"))
) -> CheckpointReportDocument:
    """Register a checkpoint: its effective compute is estimated, triggers are evaluated and the assessments
    they call for are opened, in one transaction."""
    return register(workspace_of(request), actor, name, body).to_dict()


@router.get("/checkpoints/{ref}", summary="A checkpoint and its triggers", response_model=dict[str, Any])
def checkpoint(request: Request, ref: str, _: Actor = Depends(requires("registry.read"))) -> JsonObject:
    """A checkpoint (``MODEL`` for the latest, or ``MODEL@CHECKPOINT``), its triggers evaluated now, and the
    assessments recorded for it."""
    document: JsonObject = to_jsonable(checkpoint_status(workspace_of(request), ref))
    return document


@router.get(
    "/families/{family}/scaling",
    summary="A family's scaling fit and effective compute",
    response_model=dict[str, Any],
)
def scaling(request: Request, family: str, _: Actor = Depends(requires("registry.read"))) -> ScalingSummary:
    """The family's active scaling-law fit, its curve, and every checkpoint placed on it (effective compute
    with its interval)."""
    return scaling_summary(workspace_of(request), family)


@router.post(
    "/families/{family}/scaling",
    summary="Fit a family's scaling law",
    status_code=201,
    response_model=dict[str, Any],
)
def fit(
    request: Request, family: str, body: NewFit, actor: Actor = Depends(requires("registry.write"))
) -> FitReportDocument:
    """Fit the baseline recipe's law on reference points and re-derive the family's effective compute."""
    report = fit_family(
        workspace_of(request), actor, family, body.points, weights=body.weights, source=body.source
    )
    return report.to_dict()


@router.get("/assessments/due", summary="Assessments due", response_model=list[dict[str, Any]])
def due(request: Request, _: Actor = Depends(requires("assessment.read"))) -> list[JsonObject]:
    """Every open comprehensive assessment with its deadline, days left or days overdue."""
    return [to_jsonable(d) for d in due_assessments(workspace_of(request))]


@router.post(
    "/assessments/requests", summary="Request an assessment", status_code=201, response_model=dict[str, Any]
)
def request_assessment(
    request: Request, body: AssessmentRequest, actor: Actor = Depends(requires("assessment.request"))
) -> JsonObject:
    """Call for a comprehensive assessment at the discretion the policy grants (RSP: the RSO)."""
    return record(ask(workspace_of(request), actor, body.checkpoint, body.reason))
