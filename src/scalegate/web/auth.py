"""Who is calling, may they, and did the request come from our own page.

Three ways in, in this order:

1. ``Authorization: Bearer <token>``: an API token issued by governance (pipelines, the SDK, tools). No CSRF
   check: a browser never attaches it on its own.
2. The session cookie set by ``POST /login`` (people in a browser). It is signed, HttpOnly and SameSite=Lax,
   and it holds only a session secret and the CSRF token. The session itself is kept on the server
   (``scalegate.governance.sessions``): each request resolves the secret to a live session and its user's
   roles, so a session ended by logout or by a password change is refused even to a copy of the cookie.
3. Nobody: the anonymous actor, accepted only by routes declared public.

A resolved token or session is kept while the workspace's recorded state is unchanged and it has not expired
(see ``scalegate.web.state``): revoking a token or a role, or ending a session, appends to the audit log, so
the very next request asks governance again.

Every route declares its permission with ``Depends(requires("action"))`` or ``Depends(public("why"))``; the
app refuses to start if a route declares neither (``check_declared``). Whether an actor may perform an action
is decided by ``scalegate.governance.permissions``, never here.

CSRF: an unsafe request (POST, PUT, PATCH, DELETE) that carries the session cookie must carry the session's
CSRF token, in the ``X-CSRF-Token`` header (htmx, fetch) or the ``csrf_token`` form field (plain forms). The
login form requires it even before anyone is signed in, so a third-party page cannot sign a browser into
another account.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from scalegate.actor import ANONYMOUS, Actor
from scalegate.errors import AuthenticationError, PermissionDenied
from scalegate.governance import sessions as server_sessions
from scalegate.governance.permissions import Action, allowed, require
from scalegate.governance.users import authenticate_token
from scalegate.web.state import request_version

if TYPE_CHECKING:
    from scalegate.workspace import Workspace

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "Identity",
    "Permission",
    "check_declared",
    "csrf_token",
    "declared_permission",
    "end_session",
    "identity_of",
    "public",
    "requires",
    "route_list",
    "session_secret",
    "start_session",
]

CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

CsrfMode = Literal["session", "always"]
"""`session`: check the token when the request carries the session cookie; `always`: also without one
(login)."""

Via = Literal["token", "session", "none"]
"""How the caller identified itself."""


@dataclass(frozen=True)
class Identity:
    """The caller of one request."""

    actor: Actor
    via: Via


@dataclass(frozen=True)
class Permission:
    """A route's declared permission: the governance action it performs, or why it is public.

    Used as a FastAPI dependency; it returns the acting ``Actor`` to the route.
    """

    action: Action | None
    reason: str = ""
    csrf: CsrfMode = "session"
    anonymous_only: bool = False
    """Public routes that must never attach an identity (the anonymous noncompliance channel)."""

    async def __call__(self, request: Request) -> Actor:
        identity: Identity
        if self.anonymous_only:
            identity = Identity(ANONYMOUS, "none")
        elif _presents_credentials(request):
            kept = await _kept_identity(request)
            identity = kept if kept is not None else await run_in_threadpool(_identify, request)
            if self.action is not None:
                await _require_soon(request, identity, self.action)
        else:
            identity = _nobody(request)
            if self.action is not None:
                _require(request, identity, self.action)
        if request.method in UNSAFE_METHODS and identity.via != "token":
            await _check_csrf(request, self.csrf)
        return identity.actor


def requires(action: Action) -> Permission:
    """Declare that a route performs a governance ``action`` (checked against the caller's roles)."""
    return Permission(action=action)


def public(reason: str, *, csrf: CsrfMode = "session", anonymous_only: bool = False) -> Permission:
    """Declare a route open to everyone, saying why."""
    return Permission(action=None, reason=reason, csrf=csrf, anonymous_only=anonymous_only)


def _require(request: Request, identity: Identity, action: Action) -> None:
    """Ask governance; someone not signed in who is refused is told to sign in (401) rather than forbidden.

    This is the door's check, made before the service runs; the service checks again in its own context."""
    with request.app.state.workspace.reading() as ctx:
        policy = ctx.policy
    if identity.via == "none" and not allowed(identity.actor, action, policy):
        raise AuthenticationError(
            "sign in or send an API token (Authorization: Bearer ...)", where=f"permission {action}"
        )
    require(identity.actor, action, policy)


# -- identity ------------------------------------------------------------------------------------------------


async def identity_of(request: Request) -> Identity:
    """Resolve the caller once per request (cached on ``request.state``)."""
    cached = getattr(request.state, "identity", None)
    if isinstance(cached, Identity):
        return cached
    if not _presents_credentials(request):
        return _nobody(request)
    return await run_in_threadpool(_identify, request)


def _presents_credentials(request: Request) -> bool:
    """Whether the request carries a token or a signed-in session (checked without touching the store)."""
    if isinstance(getattr(request.state, "identity", None), Identity):
        return True
    if "authorization" in request.headers:
        return True
    return _session_secret(request) is not None


def _session_secret(request: Request) -> str | None:
    """The server-side session's secret the cookie carries, if any."""
    secret = request.session.get("sid") if "session" in request.scope else None
    return secret if isinstance(secret, str) else None


def _nobody(request: Request) -> Identity:
    identity = Identity(ANONYMOUS, "none")
    request.state.identity = identity
    return identity


async def _require_soon(request: Request, identity: Identity, action: Action) -> None:
    """Check the action (cheap: the policy is in memory) on the event loop."""
    _require(request, identity, action)


async def _kept_identity(request: Request) -> Identity | None:
    """The caller as resolved by an earlier request, when the store's state has not changed since and the
    credential has not expired (see ``scalegate.web.state``), found without leaving the event loop."""
    cache = request.app.state.cache
    key = _credential_key(request)
    if key is None:
        return None
    version = request_version(request)
    if version is None:
        version = request.state.state_version = await cache.version.acurrent()
    identity = cache.lookup(key, version)[1]
    if isinstance(identity, Identity):
        request.state.identity = identity
        return identity
    return None


def _credential_key(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization")
    if header is not None:
        return ("token", hashlib.sha256(header.encode("utf-8")).hexdigest())
    secret = _session_secret(request)
    return ("session", hashlib.sha256(secret.encode("utf-8")).hexdigest()) if secret is not None else None


def _identify(request: Request) -> Identity:
    cached = getattr(request.state, "identity", None)
    if isinstance(cached, Identity):
        return cached
    identity = _resolve(request)
    request.state.identity = identity
    return identity


def _resolve(request: Request) -> Identity:
    header = request.headers.get("authorization")
    workspace: Workspace = request.app.state.workspace
    cache = request.app.state.cache
    key = _credential_key(request)
    version = request_version(request)
    if version is None:
        version = request.state.state_version = cache.version.current()
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError(
                "Authorization header must be `Bearer <token>`", where="header.authorization"
            )
        actor, expires_at = _actor_for_token(workspace, token.strip())
        identity = Identity(actor, "token")
        cache.store(key, version, identity, expires_at)
        return identity
    secret = _session_secret(request)
    if secret is not None:
        try:
            found = server_sessions.session_identity(workspace, secret)
        except AuthenticationError:  # ended, expired, or its user deactivated: the cookie is forgotten
            end_session(request)
        else:
            identity = Identity(found.actor, "session")
            cache.store(key, version, identity, found.expires_at)
            return identity
    return Identity(ANONYMOUS, "none")


def _actor_for_token(workspace: Workspace, token: str) -> tuple[Actor, datetime]:
    """The token's actor and when the token expires, after which it must be checked again (governance checks
    the secret, revocation, expiry and the user's roles)."""
    found = authenticate_token(workspace, token)
    return found.actor, found.expires_at


# -- sessions and CSRF ---------------------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    """The CSRF token of this browser session, created on first use (also for visitors not signed in)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def start_session(request: Request, actor: Actor, started: server_sessions.StartedSession) -> None:
    """Sign a browser in to a session opened on the server: a fresh cookie with a fresh CSRF token."""
    request.session.clear()
    request.session["sid"] = started.secret
    request.session["csrf"] = secrets.token_urlsafe(32)
    request.state.identity = Identity(actor, "session")


def session_secret(request: Request) -> str | None:
    """The secret of the server-side session the request's cookie names (for logout to end it)."""
    return _session_secret(request)


def end_session(request: Request) -> None:
    """Forget the session in this browser (the cookie is cleared on the response); ending it on the server
    is ``scalegate.governance.sessions.end_session``."""
    request.session.clear()
    request.state.identity = Identity(ANONYMOUS, "none")


async def _check_csrf(request: Request, mode: CsrfMode) -> None:
    has_session = bool(request.session) if "session" in request.scope else False
    if not has_session and mode == "session":
        return
    expected = request.session.get("csrf") if has_session else None
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and _is_form(request):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not isinstance(expected, str) or sent is None or not hmac.compare_digest(sent, expected):
        raise PermissionDenied(
            "missing or stale CSRF token; reload the page and try again", where=f"form.{CSRF_FIELD}"
        )


def _is_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "")
    return kind.startswith("application/x-www-form-urlencoded") or kind.startswith("multipart/form-data")


# -- declarations --------------------------------------------------------------------------------------------


def route_list(routes: Sequence[Any]) -> list[Any]:
    """Every route of an app, including those of included routers, each with ``path``, ``methods`` and (for
    API and page routes) ``dependant``."""
    from fastapi.routing import iter_route_contexts

    return list(iter_route_contexts(routes))


def declared_permission(route: Any) -> Permission | None:
    """The permission a route declared, if any (looked up in its dependencies)."""
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return None
    for dependency in dependant.dependencies:
        if isinstance(dependency.call, Permission):
            return dependency.call
    return None


def check_declared(routes: Sequence[Any]) -> None:
    """Refuse to build an app with a route that does not declare its permission (static files aside)."""
    missing = [
        f"{sorted(getattr(r, 'methods', None) or [])} {getattr(r, 'path', r)}"
        for r in route_list(routes)
        if getattr(r, "dependant", None) is not None and declared_permission(r) is None
    ]
    if missing:
        raise RuntimeError(f"routes without a declared permission: {', '.join(missing)}")
