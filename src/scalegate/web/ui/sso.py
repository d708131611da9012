"""Signing in through the workspace's OpenID Connect provider, and choosing a signing passphrase.

``GET /login/sso`` sends the browser to the provider (authorization code with PKCE); what must come back
(state, nonce, PKCE verifier, the page to return to) waits in the signed session cookie. The provider
redirects to ``GET /login/sso/callback``, which checks it all (``governance.oidc``), lets the workspace's
rule decide the user and roles (``governance.sso``) and opens a server-side session like a password sign-in.
The ID token stays in the cookie so that signing out also ends the session at the provider.

A user who signs in only this way has no password to seal a signing key under; until they hold a key they
are sent to ``/signing-key`` to choose a signing passphrase (see ``docs/security.md``).
"""

from __future__ import annotations

from typing import Any, TypedDict

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from scalegate.actor import Actor
from scalegate.errors import AuthenticationError, NotFoundError, ScalegateError
from scalegate.governance.oidc import LoginRequest, OIDCClient, OIDCConfig
from scalegate.governance.sessions import start_session as start_server_session
from scalegate.governance.signing_keys import PASSPHRASE_MIN, register_passphrase_key, signing_standing
from scalegate.governance.sso import SSOSettings, sign_in, sso_settings
from scalegate.web.auth import public, start_session
from scalegate.web.ui.common import flash, safe_next
from scalegate.web.ui.render import render

__all__ = ["ID_TOKEN_KEY", "LoginOptions", "login_options", "oidc_client", "provider_logout_url", "router"]

router = APIRouter(include_in_schema=False)

PENDING_KEY = "oidc"
"""Session-cookie key of a sign-in under way at the provider."""
ID_TOKEN_KEY = "oidc_id_token"
"""Session-cookie key of the ID token of a single sign-on session (the hint of the logout at the provider)."""
CALLBACK = "/login/sso/callback"


def _public_url(request: Request) -> str:
    configured: str = request.app.state.settings.public_url
    return (configured or str(request.base_url)).rstrip("/")


def oidc_client(request: Request, settings: SSOSettings) -> OIDCClient:
    """The provider's client (kept per app: discovery is fetched once)."""
    config = OIDCConfig(
        issuer=settings.issuer,
        client_id=settings.client_id,
        client_secret=request.app.state.settings.oidc_client_secret,
        redirect_uri=_public_url(request) + CALLBACK,
        scope=settings.scope,
    )
    clients: dict[OIDCConfig, OIDCClient] = request.app.state.__dict__.setdefault("oidc_clients", {})
    if config not in clients:
        clients.clear()
        clients[config] = OIDCClient(config)
    return clients[config]


def _settings(request: Request) -> SSOSettings:
    settings = sso_settings(request.app.state.workspace)
    if settings is None:
        raise NotFoundError("single sign-on is not configured in this workspace", where="sso")
    return settings


@router.get("/login/sso")
async def begin(
    request: Request,
    next: str = "/",
    _: Actor = Depends(public("people sign in through the workspace's identity provider")),
) -> Response:
    """Send the browser to the provider, remembering what its answer must match."""
    settings = await run_in_threadpool(_settings, request)
    client = oidc_client(request, settings)
    try:
        login = await run_in_threadpool(client.begin)
    except AuthenticationError as exc:  # the provider is unreachable or answers nonsense
        options = await run_in_threadpool(login_options, request)
        context = {"next": safe_next(next), "failed": False, "sso_failed": str(exc), **options}
        return render(request, "login.html", "login", context, status=503)
    request.session[PENDING_KEY] = {
        "state": login.state,
        "nonce": login.nonce,
        "code_verifier": login.code_verifier,
        "next": safe_next(next),
    }
    return RedirectResponse(login.url, status_code=303)


@router.get(CALLBACK)
async def callback(
    request: Request,
    _: Actor = Depends(public("the identity provider returns people here")),
) -> Response:
    """Finish the sign-in the provider answered; open a session; a user without a key goes to choose a
    signing passphrase first."""
    workspace = request.app.state.workspace
    pending: Any = request.session.pop(PENDING_KEY, None)
    try:
        if not isinstance(pending, dict):
            raise AuthenticationError("no sign-in is under way in this browser; start again")
        settings = await run_in_threadpool(_settings, request)
        login = LoginRequest("", str(pending["state"]), str(pending["nonce"]), str(pending["code_verifier"]))
        now = int(workspace.now().timestamp())
        done = await run_in_threadpool(
            oidc_client(request, settings).exchange, login, str(request.url), now=now
        )
        actor = await run_in_threadpool(sign_in, workspace, settings, done.claims)
    except AuthenticationError as exc:
        options = await run_in_threadpool(login_options, request)
        context = {"next": "/", "failed": False, "sso_failed": str(exc), **options}
        return render(request, "login.html", "login", context, status=401)
    lifetime = request.app.state.settings.session_max_age
    started = await run_in_threadpool(start_server_session, workspace, actor, lifetime_seconds=lifetime)
    start_session(request, actor, started)
    request.session[ID_TOKEN_KEY] = done.id_token
    target = safe_next(str(pending.get("next") or "/"))
    if not await run_in_threadpool(_holds_key, workspace, actor):
        return RedirectResponse(f"/signing-key?next={target}", status_code=303)
    return RedirectResponse(target, status_code=303)


def _holds_key(workspace: Any, actor: Actor) -> bool:
    """Whether the user holds a key, or signs with a password (then the key follows the password)."""
    standing = signing_standing(workspace, actor.user_id) if actor.user_id is not None else None
    return standing is None or standing.can_sign


class LoginOptions(TypedDict):
    """What the sign-in page offers (part of its template context)."""

    sso: str | None
    """The single sign-on provider's name for its button; None: no provider."""
    passwords: bool
    """Whether the password form is shown."""


def login_options(request: Request) -> LoginOptions:
    """What the sign-in page offers: the provider's button (its name, or None) and the password form."""
    settings = sso_settings(request.app.state.workspace)
    return {
        "sso": settings.provider_name if settings else None,
        "passwords": settings is None or settings.local_passwords,
    }


def provider_logout_url(request: Request, id_token: str | None) -> tuple[str, str] | None:
    """The provider's name and where to end the session there after ending ours (None: no provider, or it
    has no logout)."""
    settings = sso_settings(request.app.state.workspace)
    if settings is None or id_token is None:
        return None
    url = oidc_client(request, settings).logout_url(id_token, _public_url(request) + "/login")
    return (settings.provider_name, url) if url is not None else None


@router.get("/signing-key")
def key_form(
    request: Request,
    next: str = "/",
    actor: Actor = Depends(public("signed-in people choose their own signing passphrase")),
) -> Response:
    """The form where a single sign-on user chooses the passphrase that seals their signing key."""
    if actor.kind != "user":
        return RedirectResponse("/login?next=/signing-key", status_code=303)
    user_id = actor.user_id
    standing = signing_standing(request.app.state.workspace, user_id) if user_id is not None else None
    if standing is None:
        raise NotFoundError(f"no user {actor.name!r}", where="session")
    context = {
        "next": safe_next(next),
        "holds": standing.holds_key,
        "local": standing.local_password,
        "minimum": PASSPHRASE_MIN,
    }
    return render(request, "signing_key.html", "signing-key", context)


@router.post("/signing-key")
async def choose_passphrase(
    request: Request,
    passphrase: str = Form(..., max_length=1024),
    repeat: str = Form(..., max_length=1024),
    next: str = Form("/", max_length=2000),
    actor: Actor = Depends(public("signed-in people choose their own signing passphrase")),
) -> Response:
    """Register a key sealed under the chosen passphrase; it signs once an admin approved it."""
    if actor.kind != "user":
        return RedirectResponse("/login?next=/signing-key", status_code=303)
    if passphrase != repeat:
        flash(request, "bad", "Not done: the two passphrases differ.")
        return RedirectResponse(f"/signing-key?next={safe_next(next)}", status_code=303)
    try:
        key = await run_in_threadpool(register_passphrase_key, request.app.state.workspace, actor, passphrase)
    except ScalegateError as exc:
        flash(request, "bad", f"Not done: {exc}")
        return RedirectResponse(f"/signing-key?next={safe_next(next)}", status_code=303)
    flash(
        request,
        "ok",
        f"Signing key {key.key_id[:12]} registered; it signs once an admin approves it. "
        "Sign with your signing passphrase.",
    )
    return RedirectResponse(safe_next(next), status_code=303)
