"""The coverage page: frameworks against concepts, derived from the built-in policy files."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from scalegate.actor import Actor
from scalegate.policy.builtin import builtin_ids
from scalegate.policy.coverage import coverage_matrix, select_policies
from scalegate.web.auth import requires
from scalegate.web.ui.render import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/coverage")
def coverage(
    request: Request,
    policies: str = Query("all", max_length=4000, description="`all` or comma-separated built-in ids."),
    actor: Actor = Depends(requires("policy.read")),
) -> Response:
    """The matrix the API's ``/api/v1/policies/coverage`` exports, as a table: concepts down, the chosen
    frameworks across, each cell's value with the clauses it cites."""
    matrix = coverage_matrix(select_policies(policies))
    context = {"matrix": matrix, "policies": policies, "builtins": builtin_ids()}
    return render(request, "coverage.html", "coverage", context)
