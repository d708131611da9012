"""Policies: the active policy, the versions the workspace has known, the built-in policies, and diffs."""

from __future__ import annotations

import json
from typing import Any, Final, Literal, TypedDict

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from scalegate import policy_versions as stored
from scalegate.actor import Actor
from scalegate.jsonable import JsonObject, to_jsonable
from scalegate.policy.coverage import coverage_matrix, select_policies, to_csv
from scalegate.policy.service import (
    BuiltinSummary,
    PolicyDiffDocument,
    PolicySummary,
    builtin_summaries,
    policy_summary,
)
from scalegate.web.api._common import RecordId, api_router, workspace_of
from scalegate.web.auth import requires

__all__ = ["ActiveDocument", "ActiveSummary", "PolicyVersion", "router"]

router = api_router("policies")
READ: Final = "policy.read"


class PolicyVersion(BaseModel):
    """A policy version stored in the workspace (exactly one is active)."""

    id: int = Field(description="Version id (recorded in every decision).")
    policy_id: str = Field(description="Policy id, e.g. `anthropic-rsp-2.2`.")
    version: str = Field(description="Framework version label.")
    status: str = Field(description="`proposed`, `active`, `superseded` or `rejected`.")
    content_hash: str = Field(description="SHA-256 of the normalised policy.")
    origin: str = Field(description="Built-in id or file it came from.")
    created_at: str = Field(description="When it was stored (ISO-8601).")
    activated_at: str | None = Field(description="When it became active, if it did.")
    supersedes_id: int | None = Field(description="Version it replaced.")


class ActiveDocument(TypedDict):
    """The active policy version, whole: the document decisions are taken under."""

    version_id: int
    content_hash: str
    policy: JsonObject
    """The normalised policy document (its keys are the policy format's)."""


class ActiveSummary(PolicySummary):
    """The active policy summarised (``GET /policy``): its version id, then the policy's summary."""

    version_id: int


def _version(found: stored.PolicyVersion) -> PolicyVersion:
    return PolicyVersion(
        id=found.id,
        policy_id=found.policy_id,
        version=found.version,
        status=found.status,
        content_hash=found.content_hash,
        origin=found.origin,
        created_at=found.created_at.isoformat(),
        activated_at=found.activated_at.isoformat() if found.activated_at else None,
        supersedes_id=found.supersedes_id,
    )


@router.get("/policy", summary="The active policy, summarised", response_model=dict[str, Any])
def active_policy(request: Request, _: Actor = Depends(requires(READ))) -> ActiveSummary:
    """Framework, triggers, thresholds and what each requires, with the active version's id and hash."""
    with workspace_of(request).reading() as ctx:
        active = ctx.active
    return {"version_id": active.version_id, **policy_summary(active.policy, active.content_hash)}


@router.get("/policy/document", summary="The active policy, whole", response_model=dict[str, Any])
def active_document(request: Request, _: Actor = Depends(requires(READ))) -> ActiveDocument:
    """The whole normalised policy document that decisions are taken under."""
    with workspace_of(request).reading() as ctx:
        active = ctx.active
    return {
        "version_id": active.version_id,
        "content_hash": active.content_hash,
        "policy": active.policy.model_dump(mode="json"),
    }


@router.get("/policies/builtin", summary="Built-in policies", response_model=list[dict[str, Any]])
def builtin(_: Actor = Depends(requires(READ))) -> list[BuiltinSummary]:
    """The policies shipped with scalegate (one line of facts each)."""
    return builtin_summaries()


@router.get(
    "/policies/coverage",
    summary="Coverage matrix of frameworks against concepts",
    responses={200: {"content": {"application/json": {}, "text/csv": {}}}},
)
def coverage(
    policies: str = Query(
        "all", max_length=4000, description="`all`, or comma-separated built-in policy ids."
    ),
    format: Literal["json", "csv"] = Query("json", description="`json` (the whole matrix) or `csv`."),
    _: Actor = Depends(requires(READ)),
) -> Response:
    """For each built-in policy named and each concept (thresholds by domain, triggers, safeguard levels,
    decision-makers, notifications, disclosure, external review, noncompliance, policy changes): its status,
    a short value and the clauses it cites, derived from the policy files. CSV: one line per policy and
    concept, clauses separated by ` | `."""
    matrix = coverage_matrix(select_policies(policies))
    if format == "csv":
        return Response(to_csv(matrix), media_type="text/csv; charset=utf-8")
    return Response(json.dumps(to_jsonable(matrix), ensure_ascii=False), media_type="application/json")


@router.get(
    "/policy-versions", summary="Policy versions of this workspace", response_model=list[PolicyVersion]
)
def versions(request: Request, _: Actor = Depends(requires(READ))) -> list[PolicyVersion]:
    """Every policy version the workspace has stored, oldest first."""
    return [_version(v) for v in stored.policy_versions(workspace_of(request))]


@router.get(
    "/policy-versions/{version_id}", summary="One policy version, whole", response_model=dict[str, Any]
)
def version(request: Request, version_id: RecordId, _: Actor = Depends(requires(READ))) -> JsonObject:
    """A stored version with its whole document."""
    found = stored.policy_version(workspace_of(request), version_id)
    return {**_version(found).model_dump(), "policy": found.document}


@router.get(
    "/policy-versions/{version_id}/diff",
    summary="What changed between two versions",
    response_model=dict[str, Any],
)
def version_diff(
    request: Request,
    version_id: RecordId,
    against: int | None = Query(
        None, ge=1, le=2**53, description="Older version id; default: the version this one supersedes."
    ),
    _: Actor = Depends(requires(READ)),
) -> PolicyDiffDocument:
    """The changes from ``against`` (or the superseded version) to ``version_id``, in policy terms."""
    return stored.version_diff(workspace_of(request), version_id, against)
