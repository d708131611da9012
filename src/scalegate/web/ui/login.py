"""Signing in and out of the dashboard with a user name and password."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from scalegate.actor import Actor
from scalegate.errors import AuthenticationError
from scalegate.governance.users import authenticate_password
from scalegate.web.auth import end_session, public, start_session
from scalegate.web.ui.render import render

__all__ = ["router", "safe_next"]

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only a path on this server may follow a login (no open redirect to another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/login")
def login_form(
    request: Request, next: str = "/", _: Actor = Depends(public("people sign in here"))
) -> Response:
    """The sign-in form."""
    return render(request, "login.html", "login", {"next": safe_next(next), "failed": False})


@router.post("/login")
async def login(
    request: Request,
    username: str = Form(..., max_length=200),
    password: str = Form(..., max_length=1000),
    next: str = Form("/", max_length=2000),
    _: Actor = Depends(public("people sign in here", csrf="always")),
) -> Response:
    """Check the password (argon2, by governance) and start a session."""
    workspace = request.app.state.workspace
    try:
        actor = await run_in_threadpool(authenticate_password, workspace, username, password)
    except AuthenticationError:
        context = {"next": safe_next(next), "failed": True, "username": username}
        return render(request, "login.html", "login", context, status=401)
    start_session(request, actor)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, _: Actor = Depends(public("anyone may end their own session"))) -> Response:
    """End the session."""
    end_session(request)
    return RedirectResponse("/", status_code=303)
