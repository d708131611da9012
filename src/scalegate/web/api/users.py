"""Users, roles and API tokens (user management is the `admin` role's only power)."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from scalegate.actor import Actor
from scalegate.governance.users import add_user as add
from scalegate.governance.users import create_token as issue
from scalegate.governance.users import grant_role, revoke_role
from scalegate.governance.users import list_tokens as tokens
from scalegate.governance.users import list_users as users
from scalegate.governance.users import revoke_token as revoke_it
from scalegate.jsonable import JsonObject, to_jsonable
from scalegate.web.api._common import RecordId, api_router, workspace_of
from scalegate.web.auth import requires

__all__ = ["router"]

router = api_router("users")


class NewUser(BaseModel):
    """A user to add."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, description="Login name.")
    email: str | None = Field(None, max_length=320, description="Where notices reach them.")
    display_name: str = Field("", max_length=200, description="Full name.")
    roles: list[str] = Field(default_factory=list, max_length=20, description="Role ids of the policy.")
    admin: bool = Field(False, description="May manage users (and nothing else).")
    password: str | None = Field(
        None, max_length=1000, description="Initial password (12 characters or more)."
    )


class RoleGrant(BaseModel):
    """A role to grant."""

    model_config = ConfigDict(extra="forbid")

    role: str = Field(min_length=1, max_length=50, description="Role id.")


class NewToken(BaseModel):
    """An API token to issue."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, description="What it is for, e.g. `training-pipeline`.")
    scopes: list[str] = Field(min_length=1, max_length=50, description="Action patterns, e.g. `gate.read`.")
    expires_in_days: int = Field(90, ge=1, le=365, description="Days until it expires.")
    user: str | None = Field(None, max_length=100, description="Owner (admins only; default: the caller).")


@router.get("/users", summary="Users and their roles", response_model=list[dict[str, Any]])
def list_users(request: Request, actor: Actor = Depends(requires("users.read"))) -> list[JsonObject]:
    """Every user with their roles."""
    return [to_jsonable(u) for u in users(workspace_of(request), actor)]


@router.post("/users", summary="Add a user", status_code=201, response_model=dict[str, Any])
def add_user(request: Request, body: NewUser, actor: Actor = Depends(requires("users.admin"))) -> JsonObject:
    """Create a user with roles."""
    user = add(
        workspace_of(request),
        actor,
        body.name,
        email=body.email,
        display_name=body.display_name,
        roles=body.roles,
        admin=body.admin,
        password=body.password,
    )
    document: JsonObject = to_jsonable(user)
    return document


@router.post("/users/{name}/roles", summary="Grant a role", status_code=201, response_model=dict[str, Any])
def grant(
    request: Request, name: str, body: RoleGrant, actor: Actor = Depends(requires("users.admin"))
) -> JsonObject:
    """Grant a role (no admin grants one to themselves)."""
    document: JsonObject = to_jsonable(grant_role(workspace_of(request), actor, name, body.role))
    return document


@router.delete("/users/{name}/roles/{role}", summary="Revoke a role", response_model=dict[str, Any])
def revoke(
    request: Request, name: str, role: str, actor: Actor = Depends(requires("users.admin"))
) -> JsonObject:
    """Take a role away."""
    document: JsonObject = to_jsonable(revoke_role(workspace_of(request), actor, name, role))
    return document


@router.get("/tokens", summary="API tokens", response_model=list[dict[str, Any]])
def list_tokens(
    request: Request,
    user: str | None = Query(
        None, max_length=100, description="Whose tokens (admins only; default: the caller)."
    ),
    actor: Actor = Depends(requires("tokens.create")),
) -> list[JsonObject]:
    """Tokens of a user, never their secrets."""
    return [to_jsonable(t) for t in tokens(workspace_of(request), actor, user or None)]


@router.post("/tokens", summary="Issue an API token", status_code=201, response_model=dict[str, Any])
def create_token(
    request: Request, body: NewToken, actor: Actor = Depends(requires("tokens.create"))
) -> JsonObject:
    """Issue a scoped, expiring token; its `secret` is shown in this response only."""
    token = issue(
        workspace_of(request),
        actor,
        name=body.name,
        scopes=body.scopes,
        expires_in_days=body.expires_in_days,
        user=body.user,
    )
    document: JsonObject = to_jsonable(token)
    return document


@router.delete("/tokens/{token_id}", summary="Revoke an API token", status_code=204)
def revoke_token(
    request: Request, token_id: RecordId, actor: Actor = Depends(requires("tokens.create"))
) -> Response:
    """Revoke a token (its owner or an admin)."""
    revoke_it(workspace_of(request), actor, token_id)
    return Response(status_code=204)
