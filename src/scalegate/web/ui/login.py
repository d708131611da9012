"""Signing in and out of the dashboard with a user name and password (single sign-on: ``web.ui.sso``)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from scalegate.actor import Actor
from scalegate.errors import AuthenticationError, TooManyRequests
from scalegate.governance.login_throttle import LoginThrottle
from scalegate.governance.sessions import end_session as end_server_session
from scalegate.governance.sessions import start_session as start_server_session
from scalegate.governance.users import authenticate_password
from scalegate.web.auth import end_session, public, session_secret, start_session
from scalegate.web.throttle import client_address
from scalegate.web.ui.common import safe_next
from scalegate.web.ui.render import render
from scalegate.web.ui.sso import ID_TOKEN_KEY, login_options, provider_logout_url

__all__ = ["router", "safe_next"]

router = APIRouter(include_in_schema=False)


@router.get("/login")
def login_form(
    request: Request, next: str = "/", _: Actor = Depends(public("people sign in here"))
) -> Response:
    """The sign-in page: the provider's button when single sign-on is configured, the password form unless
    the workspace turned local passwords off."""
    context = {"next": safe_next(next), "failed": False, **login_options(request)}
    return render(request, "login.html", "login", context)


@router.post("/login")
async def login(
    request: Request,
    username: str = Form(..., max_length=200),
    password: str = Form(..., max_length=1000),
    next: str = Form("/", max_length=2000),
    _: Actor = Depends(public("people sign in here", csrf="always")),
) -> Response:
    """Check the password (argon2, by governance) and open a session kept on the server.

    Failures are counted per user name and per client address (``scalegate.governance.login_throttle``);
    past the limit the answer is 429 with ``Retry-After``, and the password is not checked at all."""
    workspace = request.app.state.workspace
    throttle: LoginThrottle = request.app.state.throttle
    address = client_address(request)
    options = await run_in_threadpool(login_options, request)
    context = {"next": safe_next(next), "username": username, **options}
    if not options["passwords"]:
        refused = {**context, "failed": False, "passwords_off": True}
        return render(request, "login.html", "login", refused, status=403)
    try:
        await run_in_threadpool(throttle.check, username, address)
    except TooManyRequests as exc:
        throttled = {**context, "failed": False, "throttled": True, "retry_after": exc.retry_after}
        response = render(request, "login.html", "login", throttled, status=429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    try:
        actor = await run_in_threadpool(authenticate_password, workspace, username, password)
    except AuthenticationError:
        await run_in_threadpool(throttle.failed, username, address)
        return render(request, "login.html", "login", {**context, "failed": True}, status=401)
    await run_in_threadpool(throttle.succeeded, username)
    lifetime = request.app.state.settings.session_max_age
    started = await run_in_threadpool(start_server_session, workspace, actor, lifetime_seconds=lifetime)
    start_session(request, actor, started)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
async def logout(
    request: Request, _: Actor = Depends(public("anyone may end their own session"))
) -> Response:
    """End the session on the server (a copy of the cookie is then worthless) and in this browser; a single
    sign-on session then ends at the provider too (its ``end_session_endpoint``)."""
    secret = session_secret(request)
    id_token = request.session.get(ID_TOKEN_KEY) if "session" in request.scope else None
    if secret is not None:
        await run_in_threadpool(end_server_session, request.app.state.workspace, secret)
    end_session(request)
    if isinstance(id_token, str):
        at_provider = await run_in_threadpool(provider_logout_url, request, id_token)
        if at_provider is not None:  # a page, not a redirect: CSP form-action 'self' bars a form's redirect
            context = {"provider_logout": at_provider[1], "provider": at_provider[0]}
            return render(request, "signed_out.html", "login", context)
    return RedirectResponse("/", status_code=303)
