"""Safeguards: each standard's status with its gaps, implementation records, evidence and its review, and the
safeguards determination."""

from __future__ import annotations

import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from fastapi import Depends, File, Form, Query, Request, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from scalegate.actor import Actor
from scalegate.clock import parse_instant
from scalegate.errors import InputError, NotFoundError
from scalegate.fields import Instant
from scalegate.inputs import load_json
from scalegate.jsonable import JsonObject
from scalegate.safeguards.service import (
    StandardStatusDocument,
    evidence_page,
    propose_safeguards_determination,
    record_implementation,
    review_evidence,
    standard_report,
    standards_matrix,
)
from scalegate.safeguards.service import add_evidence as add
from scalegate.web.api._common import Limit, RecordId, api_router, page_headers, record, workspace_of
from scalegate.web.api.assessments import DecisionView, decision_view
from scalegate.web.api.evidence import safe_filename
from scalegate.web.auth import requires

__all__ = ["StandardRow", "router", "safeguards_matrix"]

router = api_router("safeguards")


class Implementation(BaseModel):
    """How a criterion is implemented."""

    model_config = ConfigDict(extra="forbid")

    owner: str = Field(min_length=1, max_length=200, description="Who owns it.")
    status: Literal["planned", "in_progress", "implemented"] = Field(description="Where it stands.")
    description: str = Field("", max_length=20_000, description="How it is implemented.")


class Review(BaseModel):
    """An approval or rejection of submitted evidence."""

    model_config = ConfigDict(extra="forbid")

    approve: bool = Field(description="Approve (true) or reject (false).")
    note: str | None = Field(None, max_length=5000, description="Why.")


class DeterminationRequest(BaseModel):
    """A safeguards determination to open for a standard."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(min_length=1, max_length=50, description="`deployment` or `security`.")
    level: str = Field(min_length=1, max_length=50, description="Level id, e.g. `ASL-3`.")


def _check_level(request: Request, kind: str, level: str) -> None:
    with workspace_of(request).reading() as ctx:
        policy = ctx.policy
    try:
        policy.level(kind, level)
    except KeyError:
        raise NotFoundError(f"no {kind} level {level!r} in policy {policy.id}", where="path") from None


class StandardRow(StandardStatusDocument):
    """A standard as the matrix lists it (API and dashboard): its level's title and rank, then its status."""

    title: str
    rank: int


def _matrix(request: Request) -> list[StandardRow]:
    workspace = workspace_of(request)
    with workspace.reading() as ctx:
        return [
            {"title": level.title, "rank": level.rank, **status.to_dict()}
            for status in standards_matrix(ctx)
            for level in (ctx.policy.level(status.kind, status.level),)
        ]


def _earliest_change(matrix: list[StandardRow]) -> datetime | None:
    """The earliest time any standard's status could change by itself (as the service states it)."""
    times = [parse_instant(until) for s in matrix if (until := s["valid_until"])]
    return min(times) if times else None


def safeguards_matrix(request: Request) -> list[StandardRow]:
    """The status of every standard of the active policy, weakest first within each kind (reused while the
    workspace's state is unchanged and no status has reached the time it said it could change)."""
    matrix: list[StandardRow] = request.app.state.cache.get(
        ("safeguards-matrix",), lambda: _matrix(request), _earliest_change
    )
    return matrix


@router.get(
    "/safeguards", summary="Every safeguard standard and its gaps", response_model=list[dict[str, Any]]
)
def matrix(request: Request, _: Actor = Depends(requires("safeguards.read"))) -> list[StandardRow]:
    """Each standard (kind, level; cumulative with lower levels): met or not, criterion by criterion, the
    reasons, and its safeguards determination."""
    return safeguards_matrix(request)


@router.get("/safeguards/{kind}/{level}", summary="One safeguard standard", response_model=dict[str, Any])
def standard(
    request: Request, kind: str, level: str, _: Actor = Depends(requires("safeguards.read"))
) -> StandardStatusDocument:
    """Whether the standard is met now, criterion by criterion."""
    _check_level(request, kind, level)
    return standard_report(workspace_of(request), kind, level).to_dict()


@router.put(
    "/safeguards/criteria/{criterion_id}/implementation",
    summary="Record how a criterion is implemented",
    response_model=dict[str, Any],
)
def implement(
    request: Request,
    criterion_id: str,
    body: Implementation,
    actor: Actor = Depends(requires("safeguards.record")),
) -> JsonObject:
    """Create or update the implementation record of a criterion."""
    row = record_implementation(
        workspace_of(request),
        actor,
        criterion_id,
        owner=body.owner,
        status=body.status,
        description=body.description,
    )
    return record(row)


@router.post(
    "/safeguards/criteria/{criterion_id}/evidence",
    summary="Submit safeguard evidence",
    status_code=201,
    response_model=dict[str, Any],
)
async def add_evidence(
    request: Request,
    criterion_id: str,
    title: str = Form(..., min_length=1, max_length=500, description="What the evidence is."),
    kind: Literal["document", "link", "test_result"] = Form(
        ..., description="Document, link or test result."
    ),
    document: UploadFile | None = File(None, description="The document (kind `document`)."),
    uri: str | None = Form(None, max_length=2000, description="The link (kind `link`)."),
    result: str | None = Form(None, max_length=100_000, description="JSON test result (kind `test_result`)."),
    expires_at: Instant | None = Form(None, description="When the evidence stops counting."),
    actor: Actor = Depends(requires("safeguards.record")),
) -> JsonObject:
    """Submit evidence for a criterion; it counts once someone else approves it."""

    parsed: dict[str, Any] | None = None
    if result:
        try:
            parsed = load_json(result)
        except ValueError as exc:
            raise InputError(f"result is not JSON: {exc}", where="form.result") from exc
        if not isinstance(parsed, dict):
            raise InputError("result must be a JSON object", where="form.result")
    directory = Path(tempfile.mkdtemp(prefix="scalegate-upload-"))
    try:
        path = None
        if document is not None and document.filename:
            path = directory / safe_filename(document.filename, "document")
            path.write_bytes(await document.read())
        row = await run_in_threadpool(
            lambda: add(
                workspace_of(request),
                actor,
                criterion_id,
                title=title,
                kind=kind,
                path=path,
                uri=uri,
                result=parsed,
                expires_at=expires_at,
            )
        )
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return record(row)


@router.post(
    "/safeguards/evidence/{evidence_id}/review",
    summary="Approve or reject safeguard evidence",
    response_model=dict[str, Any],
)
def review(
    request: Request,
    evidence_id: RecordId,
    body: Review,
    actor: Actor = Depends(requires("safeguards.approve")),
) -> JsonObject:
    """Approve or reject submitted evidence (nobody reviews what they submitted)."""
    return record(
        review_evidence(workspace_of(request), actor, evidence_id, approve=body.approve, note=body.note)
    )


@router.post(
    "/safeguards/determinations",
    summary="Open a safeguards determination",
    status_code=201,
    response_model=dict[str, Any],
)
def determination(
    request: Request, body: DeterminationRequest, actor: Actor = Depends(requires("decision.open"))
) -> DecisionView:
    """Open the safeguards determination for a standard, bound to the evidence set it rests on."""
    return decision_view(
        propose_safeguards_determination(workspace_of(request), actor, body.kind, body.level)
    )


@router.get("/safeguards/evidence", summary="Safeguard evidence", response_model=list[dict[str, Any]])
def evidence(
    request: Request,
    response: Response,
    status: Literal["pending", "approved", "rejected"] | None = None,
    criterion: str | None = None,
    limit: Limit = 100,
    before: int | None = Query(
        None, ge=1, le=2**53, description="Only evidence older than this id (the `next` link sets it)."
    ),
    _: Actor = Depends(requires("safeguards.read")),
) -> list[JsonObject]:
    """Evidence submitted for safeguard criteria, newest first (e.g. `status=pending`: what awaits review), a
    page at a time: `X-Total-Count` says how many match; a `Link` header with `rel="next"` reads the next."""
    found = evidence_page(workspace_of(request), status=status, criterion=criterion, limit=limit, past=before)
    page_headers(request, response, found.total, found.next_from)
    return [record(e) for e in found.evidence]
