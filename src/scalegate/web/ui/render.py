"""Rendering dashboard pages: one Jinja2 environment, the layout's context, and the HTML error page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from scalegate.actor import ANONYMOUS, Actor
from scalegate.permissions import Action, allowed
from scalegate.web.auth import CSRF_FIELD, Identity, csrf_token
from scalegate.web.ui.common import take_flashes

__all__ = ["NAV", "error_page", "json_script", "render", "templates"]

templates = Jinja2Templates(directory=str(Path(__file__).parent.parent / "templates"))

NAV = [
    ("overview", "/", "Overview"),
    ("thresholds", "/thresholds", "Thresholds"),
    ("trends", "/trends", "Trends"),
    ("compare", "/compare", "Compare"),
    ("coverage", "/coverage", "Coverage"),
    ("safeguards", "/safeguards", "Safeguards"),
    ("signoffs", "/signoffs", "Sign-offs"),
    ("calendar", "/calendar", "Calendar"),
    ("audit", "/audit", "Audit log"),
    ("noncompliance", "/noncompliance", "Noncompliance"),
    ("report", "/report", "Report a concern"),
]
"""The dashboard's menu: (key, path, label)."""

NAV_NEEDS: dict[str, Action] = {"noncompliance": "noncompliance.read"}
"""Menu entries shown only to a viewer with the permission their page needs (the others are for everyone who
reads the dashboard, or for anyone at all)."""


def _nav(request: Request, actor: Actor) -> list[tuple[str, str, str]]:
    """The menu this viewer may follow."""
    try:
        with request.app.state.workspace.reading() as ctx:
            policy = ctx.policy
    except Exception:  # the layout must render even when the store does not answer
        return [e for e in NAV if e[0] not in NAV_NEEDS]
    return [e for e in NAV if e[0] not in NAV_NEEDS or allowed(actor, NAV_NEEDS[e[0]], policy)]


def json_script(value: Any) -> Markup:
    """JSON safe to place inside ``<script type="application/json">`` (no ``</script>`` can close it
    early)."""
    text = (
        json.dumps(value, default=str).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    )
    return Markup(text)


templates.env.filters["json_script"] = json_script


def _actor(request: Request) -> Actor:
    identity = getattr(request.state, "identity", None)
    return identity.actor if isinstance(identity, Identity) else ANONYMOUS


def _policy_label(request: Request) -> str:
    try:
        with request.app.state.workspace.reading() as ctx:
            policy = ctx.policy
    except Exception:  # the layout must render even when the store does not answer
        return "policy unavailable"
    return f"{policy.title}"


def _demo(request: Request) -> bool:
    """Whether the workspace is a demo (every page then says so: ``scalegate.workspace_mode``)."""
    return bool(getattr(getattr(request.app.state, "workspace", None), "demo", False))


def render(
    request: Request, template: str, page: str, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    """A page in the dashboard layout."""
    actor = _actor(request)
    base = {
        "request": request,
        "page": page,
        "nav": _nav(request, actor),
        "actor": actor,
        "signed_in": actor.kind == "user",
        "csrf": csrf_token(request),
        "csrf_field": CSRF_FIELD,
        "policy_label": _policy_label(request),
        "flashes": take_flashes(request),
        "demo": _demo(request),
    }
    return templates.TemplateResponse(request, template, {**base, **context}, status_code=status)


def error_page(request: Request, status: int, code: str, message: str, where: str | None) -> Response:
    """The error shape as a page; a browser that is not signed in is sent to the login page instead of a
    401."""
    if status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        from urllib.parse import quote

        return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)
    context = {"status": status, "code": code, "message": message, "where": where}
    return render(request, "error.html", "", context, status=status)
