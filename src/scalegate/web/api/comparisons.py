"""One checkpoint's record judged under several frameworks (``scalegate.gate.comparison``), over HTTP.

The route parses the policy selection and serialises the typed ``Comparison`` the service returns; the
comparison writes nothing, so reading it needs only the permission to read assessments.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Query, Request

from scalegate.actor import Actor
from scalegate.gate.comparison import compare, select_policies
from scalegate.jsonable import JsonObject, to_jsonable
from scalegate.web.api._common import api_router, workspace_of
from scalegate.web.auth import requires

__all__ = ["router"]

router = api_router("assessments")


@router.get(
    "/checkpoints/{ref}/comparison",
    summary="Judge a checkpoint under every framework",
    response_model=dict[str, Any],
)
def comparison(
    request: Request,
    ref: str,
    policies: str = Query(
        "all",
        min_length=1,
        max_length=2000,
        description="`all` (every built-in policy) or comma-separated built-in policy ids.",
    ),
    _: Actor = Depends(requires("assessment.read")),
) -> JsonObject:
    """For each framework: the verdict of every action with the reasons, clauses and numbers that decided
    it, each threshold's finding, and what the record lacks for that framework (evidence, sign-offs under
    it, safeguards, notices). Sign-offs do not carry over between frameworks; missing evidence is "cannot
    rule out"."""
    chosen = select_policies(policies)
    document: JsonObject = to_jsonable(compare(workspace_of(request), ref, chosen))
    return document
