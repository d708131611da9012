"""Signing in and out of the dashboard with a user name and password."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from scalegate.actor import Actor
from scalegate.errors import AuthenticationError, TooManyRequests
from scalegate.governance.sessions import end_session as end_server_session
from scalegate.governance.sessions import start_session as start_server_session
from scalegate.governance.users import authenticate_password
from scalegate.web.auth import end_session, public, session_secret, start_session
from scalegate.web.throttle import LoginThrottle, client_address
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
    """Check the password (argon2, by governance) and open a session kept on the server.

    Failures are counted per user name and per client address (``scalegate.web.throttle``); past the limit
    the answer is 429 with ``Retry-After``, and the password is not checked at all."""
    workspace = request.app.state.workspace
    throttle: LoginThrottle = request.app.state.throttle
    address = client_address(request)
    context = {"next": safe_next(next), "username": username}
    try:
        throttle.check(username, address)
    except TooManyRequests as exc:
        throttled = {**context, "failed": False, "throttled": True, "retry_after": exc.retry_after}
        response = render(request, "login.html", "login", throttled, status=429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    try:
        actor = await run_in_threadpool(authenticate_password, workspace, username, password)
    except AuthenticationError:
        throttle.failed(username, address)
        return render(request, "login.html", "login", {**context, "failed": True}, status=401)
    throttle.succeeded(username)
    lifetime = request.app.state.settings.session_max_age
    started = await run_in_threadpool(start_server_session, workspace, actor, lifetime_seconds=lifetime)
    start_session(request, actor, started)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
async def logout(
    request: Request, _: Actor = Depends(public("anyone may end their own session"))
) -> Response:
    """End the session on the server (a copy of the cookie is then worthless) and in this browser."""
    secret = session_secret(request)
    if secret is not None:
        await run_in_threadpool(end_server_session, request.app.state.workspace, secret)
    end_session(request)
    return RedirectResponse("/", status_code=303)
