"""``GET /api/docs``: the OpenAPI document of ``GET /api/v1/openapi.json`` browsable in Swagger UI.

Swagger UI is vendored under ``/static/vendor/swagger-ui/`` (``static/vendor/README.md``) and started by
``/static/api-docs.js``, so the page loads nothing from another origin and runs under the app's strict content
security policy (no inline script or style). It is public for the reason the document it shows is: the API
description is not secret, and what a caller may *do* is still decided per route.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from scalegate.actor import Actor
from scalegate.web.auth import public
from scalegate.web.ui.render import templates

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/api/docs")
def api_docs(
    request: Request, _: Actor = Depends(public("the API description is not secret"))
) -> HTMLResponse:
    """Swagger UI over ``/api/v1/openapi.json``; the page carries no data, only the viewer."""
    return templates.TemplateResponse(request, "api_docs.html", {"spec_url": "/api/v1/openapi.json"})
