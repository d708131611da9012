"""The web application: the REST API under ``/api/v1`` and the dashboard pages, over one workspace.

``create_app`` builds a FastAPI app bound to one ``Workspace``. Both doors are thin: each route declares its
permission, parses its input and calls the service layer of its domain; what the server decides on its own is
limited to identity, CSRF, body limits and the error shape.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scalegate import __version__, wiring
from scalegate.governance.login_throttle import LoginThrottle, ThrottleSettings
from scalegate.governance.notifications import Notifier
from scalegate.governance.users import dummy_hash
from scalegate.web import api_docs, operations
from scalegate.web.api.routers import api_routers
from scalegate.web.auth import check_declared
from scalegate.web.errors import install_error_handlers
from scalegate.web.limits import BodyLimit, BodyLimitMiddleware
from scalegate.web.request_log import RequestLogMiddleware
from scalegate.web.state import StateVersion, VersionedCache
from scalegate.web.ui.page_cache import PageCache
from scalegate.web.ui.pages import ui_routers
from scalegate.workspace import Workspace, open_workspace

__all__ = ["SESSION_COOKIE", "WebSettings", "create_app"]

STATIC_DIR = Path(__file__).parent / "static"
SESSION_COOKIE = "scalegate_session"

DESCRIPTION = """\
The REST API of scalegate: policies, models and checkpoints, evidence, assessments, safeguards, sign-offs, the
gate, the compliance calendar, noncompliance reports and the tamper-evident audit log.

Authenticate with an API token (`Authorization: Bearer <token>`, issued with `scalegate token create`) or,
from a browser, with the session cookie set by `POST /login`. Unsafe requests made with the session cookie
must carry the CSRF token (`X-CSRF-Token` header). Every error has the body `{"error": {"code", "message",
"where"}}`.
"""


@dataclass(frozen=True)
class WebSettings:
    """How the server runs (none of this is policy)."""

    session_secret: str = field(default_factory=lambda: os.environ.get("SCALEGATE_SESSION_SECRET") or "")
    """Key that signs session cookies. Empty: a random key per process (sessions end when the server restarts;
    set ``SCALEGATE_SESSION_SECRET`` when running several worker processes)."""
    secure_cookies: bool = field(
        default_factory=lambda: (
            os.environ.get("SCALEGATE_SECURE_COOKIES", "") == "1"
            or os.environ.get("SCALEGATE_BEHIND_TLS", "") == "1"
        )
    )
    """Served over HTTPS (``SCALEGATE_BEHIND_TLS=1``, e.g. behind a TLS-terminating proxy): the session
    cookie is marked Secure and every response carries Strict-Transport-Security."""
    public_url: str = field(default_factory=lambda: os.environ.get("SCALEGATE_PUBLIC_URL", ""))
    """The URL browsers reach the server at (``https://scalegate.example.org``); the identity provider
    redirects back under it. Empty: the URL of each request."""
    oidc_client_secret: str = field(
        default_factory=lambda: os.environ.get("SCALEGATE_OIDC_CLIENT_SECRET", "")
    )
    """This server's client secret at the workspace's identity provider (kept out of the store)."""
    session_max_age: int = 8 * 3600
    """Seconds a browser session lasts (ended on the server then, or at logout or a password change)."""
    login_throttle: ThrottleSettings = field(default_factory=ThrottleSettings)
    """How many failed sign-ins per user name and per client address before 429."""
    body_limit: BodyLimit = field(default_factory=BodyLimit)
    """Request body ceilings."""
    notifier: Notifier | None = None
    """Where notices go; None: the notifier configured in the workspace (``scalegate notify configure``)."""


def create_app(workspace: Workspace | str | None = None, settings: WebSettings | None = None) -> FastAPI:
    """The app over ``workspace`` (an open ``Workspace``, a store URL, or None for the default store), with
    the governance hooks installed (``scalegate.wiring``)."""
    wiring.install()
    ws = workspace if isinstance(workspace, Workspace) else open_workspace(workspace)
    conf = settings or WebSettings()
    version = StateVersion(ws)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await version.aclose()

    app = FastAPI(
        lifespan=lifespan,
        title="scalegate",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.workspace = ws
    app.state.settings = conf
    app.state.cache = VersionedCache(ws, version)
    app.state.pages = PageCache()
    app.state.throttle = LoginThrottle(ws, conf.login_throttle)
    dummy_hash()  # made now, so that the first failed sign-in of an unknown name costs what later ones do
    install_error_handlers(app)
    app.add_middleware(SecurityHeadersMiddleware, hsts=conf.secure_cookies)
    app.add_middleware(
        SessionMiddleware,
        secret_key=conf.session_secret or secrets.token_urlsafe(48),
        session_cookie=SESSION_COOKIE,
        max_age=conf.session_max_age,
        same_site="lax",
        https_only=conf.secure_cookies,
    )
    app.add_middleware(BodyLimitMiddleware, limit=conf.body_limit)
    app.add_middleware(RequestLogMiddleware)  # outermost: every answer, errors included, carries the id
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in api_routers():
        app.include_router(router, prefix="/api/v1")
    for router in ui_routers():
        app.include_router(router)
    app.include_router(api_docs.router)
    app.include_router(operations.router)
    check_declared(app.routes)
    return app


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


HSTS = b"max-age=31536000; includeSubDomains"
"""Strict-Transport-Security of a server told it is reached over TLS: browsers use HTTPS only, for a year."""


class SecurityHeadersMiddleware:
    """Headers every response carries: a strict content security policy (no inline script, no third-party
    origin), no framing, no MIME sniffing, no caching of anything but the static files, and HSTS when the
    server is reached over TLS."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[Any] = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                ]
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                if self.hsts:
                    headers.append((b"strict-transport-security", HSTS))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
