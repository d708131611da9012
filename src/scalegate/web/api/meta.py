"""The API about itself: its OpenAPI document, a health check and who the caller is."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from pydantic import BaseModel, Field

from scalegate import __version__
from scalegate.actor import Actor
from scalegate.jsonable import JsonObject
from scalegate.web.api._common import api_router, workspace_of
from scalegate.web.auth import identity_of, public

__all__ = ["router"]

router = api_router("meta")


class Health(BaseModel):
    """The server is up and its store answers."""

    status: str = Field(description="`ok`.")
    version: str = Field(description="scalegate version.")
    backend: str = Field(description="`sqlite` or `postgresql`.")
    policy_id: str = Field(description="Id of the active policy.")
    policy_content_hash: str = Field(description="SHA-256 of the active policy version.")


class WhoAmI(BaseModel):
    """The caller as the server sees it."""

    name: str = Field(description="User name, or `anonymous`.")
    kind: str = Field(description="`user`, `system` or `anonymous`.")
    roles: list[str] = Field(description="Roles held (from the workspace's user records).")
    via: str = Field(description="`token`, `session` or `none`.")


SECURITY_SCHEMES: dict[str, Any] = {
    "apiToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token (`scalegate token create`), sent as `Authorization: Bearer <token>`; "
        "what it may do is its user's roles, narrowed by its scopes.",
    },
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": "scalegate_session",
        "description": "The session cookie set by `POST /login`; an unsafe request with it must also carry "
        "the session's CSRF token.",
    },
}
"""How a caller authenticates: an API token, or a browser's session."""

OPEN: dict[str, Any] = {"security": []}
"""``openapi_extra`` of a public route (``Depends(public(...))``): no credential needed."""


def with_security(document: dict[str, Any]) -> JsonObject:
    """``document`` declaring the security schemes, required by every operation but the public ones, which
    say so themselves with ``openapi_extra=OPEN`` (``security: []``)."""
    document = {**document, "components": {**document.get("components", {})}}
    document["components"]["securitySchemes"] = SECURITY_SCHEMES
    document["security"] = [{"apiToken": []}, {"session": []}]
    return document


@router.get(
    "/openapi.json",
    summary="The OpenAPI document of this API",
    openapi_extra=OPEN,
    response_model=dict[str, Any],
)
def openapi(request: Request, _: Actor = Depends(public("the API description is not secret"))) -> JsonObject:
    """The OpenAPI 3 document describing every route under /api/v1, with how a caller authenticates."""
    document: dict[str, Any] = request.app.openapi()
    return with_security(document)


@router.get("/health", summary="Health check", response_model=Health, openapi_extra=OPEN)
def health(request: Request, _: Actor = Depends(public("load balancers probe it"))) -> Health:
    """Reads the active policy from the store: 200 means the server and its store answer."""
    with workspace_of(request).reading() as ctx:
        active = ctx.active
    return Health(
        status="ok",
        version=__version__,
        backend=workspace_of(request).backend,
        policy_id=active.policy.id,
        policy_content_hash=active.content_hash,
    )


@router.get("/whoami", summary="The caller's identity", response_model=WhoAmI, openapi_extra=OPEN)
async def whoami(
    request: Request, actor: Actor = Depends(public("tells anyone only who they are"))
) -> WhoAmI:
    """Who the server thinks is calling, with which roles and how they authenticated."""
    identity = await identity_of(request)
    return WhoAmI(name=actor.name, kind=actor.kind, roles=sorted(actor.roles), via=identity.via)
