"""What the dashboard pages share: one-time messages after a form post, and asking whether the viewer may act.

Forms post, then redirect back to the page (so a reload never re-posts); the outcome travels in the signed
session as a one-time message. A refusal by the service layer (a separation-of-duties conflict, a missing
justification) is shown on the page it came from, in the words the service used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from fastapi import Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from scalegate.actor import Actor
from scalegate.errors import AuthenticationError, ScalegateError
from scalegate.governance.permissions import Action, allowed
from scalegate.workspace import Workspace

__all__ = ["act", "flash", "may", "safe_next", "take_flashes", "workspace"]

FlashKind = Literal["ok", "bad", "info"]


def safe_next(target: str | None) -> str:
    """Only a path on this server may follow a sign-in (no open redirect to another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def workspace(request: Request) -> Workspace:
    """The workspace the app serves."""
    ws = request.app.state.workspace
    assert isinstance(ws, Workspace)
    return ws


def flash(request: Request, kind: FlashKind, text: str) -> None:
    """Queue a message for the next page shown to this browser."""
    messages = list(request.session.get("flash", []))
    messages.append({"kind": kind, "text": text[:2000]})
    request.session["flash"] = messages[-5:]


def take_flashes(request: Request) -> list[dict[str, str]]:
    """The queued messages, removed from the session."""
    if "session" not in request.scope:
        return []
    messages = request.session.pop("flash", [])
    return list(messages) if isinstance(messages, list) else []


def may(request: Request, actor: Actor, action: Action) -> bool:
    """Whether the viewer may perform ``action`` (to decide which buttons to show; the server checks
    again)."""
    with workspace(request).reading() as ctx:
        return allowed(actor, action, ctx.policy)


async def act(request: Request, back: str, done: str, call: Callable[[], Any]) -> RedirectResponse:
    """Run a service call for a form, queue its outcome as a message and go back to ``back``."""
    try:
        await run_in_threadpool(call)
    except AuthenticationError:
        raise
    except ScalegateError as exc:
        flash(request, "bad", f"Not done: {exc}")
    else:
        flash(request, "ok", done)
    return RedirectResponse(back, status_code=303)
