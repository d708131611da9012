"""What a dashboard page computed, kept in this process's memory while nothing it depends on can have changed.

The model page and the trends page assess a checkpoint (and the model page decides every action, which
reads every comparable checkpoint's results): seconds for a family of thousands. What they show depends on
three things only, so an answer is kept under all three and served only while all three hold:

- the recorded state: the audit log's root (its size and last leaf hash; every recorded change moves it),
  the active policy (its version, recorded hash and the digest of the stored document) and the blob store
  (what a deleted evidence file changes without a log entry), read in one statement in the reading
  transaction (``gate.cache.read_state``, the state the gate's own cache is sealed with);
- the time: each answer holds until the earliest time at which anything on the page could change by
  itself (a deadline, a trigger that will fire, an expiry, a re-approval: the verdicts' ``valid_until``),
  and at most ``gate.cache.MAX_AGE`` after it was computed, so a time dependency the engine does not name
  cannot keep an answer forever; a clock that runs backwards also misses;
- the question: the page, the model, the checkpoint and the window asked for.

A miss computes afresh in the same snapshot the state was read in. Nothing is written to the store: the
answers live in this process only and go with it.

Two things are kept per question: what the page shows whoever views it (computed once for everybody), and
the page as rendered for one viewer: rendering a long assessment costs more than reading the state, and the
rendered page differs between viewers only by who they are (name, roles: the buttons they get) and their
session's form token. A rendered page is kept under those as well, and never for a request with queued
messages (they are shown once) or without a form token yet (rendering makes one).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from scalegate.actor import ANONYMOUS
from scalegate.context import Context
from scalegate.gate.cache import MAX_AGE, read_state
from scalegate.gate.seal import State
from scalegate.web.auth import Identity
from scalegate.web.ui.common import workspace

__all__ = ["PageCache", "View", "kept_page", "viewer"]


@dataclass(frozen=True)
class _Kept:
    state: State
    computed_at: datetime
    until: datetime
    value: Any


class PageCache:
    """Answers of pages by question, each with the state it was computed in and the time it holds until."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, _Kept] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, state: State, now: datetime) -> tuple[Any, datetime] | None:
        """The answer kept for ``key`` and the time it holds until, if it was computed in ``state`` and still
        holds at ``now``; else None."""
        with self._lock:
            kept = self._entries.get(key)
            if kept is None:
                return None
            if kept.state != state or not state.cacheable or not kept.computed_at <= now < kept.until:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return kept.value, kept.until

    def put(
        self, key: Hashable, state: State, value: Any, now: datetime, valid_until: datetime | None
    ) -> datetime | None:
        """Keep ``value``, computed at ``now`` in ``state`` (read in the same snapshot, before computing),
        until ``valid_until`` (None: nothing in it changes by itself) and at most ``MAX_AGE``; returns the
        time it holds until, or None when it is not kept (a state that cannot be told apart from another:
        no single active policy)."""
        if not state.cacheable:
            return None
        until = now + MAX_AGE if valid_until is None else min(valid_until, now + MAX_AGE)
        if until <= now:
            return None
        with self._lock:
            self._entries[key] = _Kept(state, now, until, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return until

    def clear(self) -> None:
        """Forget every answer."""
        with self._lock:
            self._entries.clear()


Shown = TypeVar("Shown")
"""What a page shows whoever views it: its typed template context (e.g. ``ui.models.ModelView``)."""

View = tuple[Shown, datetime | None]
"""What a page shows whoever views it, and the earliest time it could change by itself."""


def kept_page(
    request: Request,
    question: Hashable,
    compute: Callable[[Context], View[Shown]],
    respond: Callable[[Shown], Response],
) -> Response:
    """The page answering ``question``: rendered as kept for this viewer, else ``respond`` (which adds what
    depends on the viewer and renders) to what the page shows, kept or ``compute``d in one reading snapshot
    with the state it is kept under."""
    pages: PageCache = request.app.state.pages
    who = viewer(request)
    with workspace(request).reading() as ctx:
        state = read_state(ctx.session)
        now = ctx.now
        if who is not None:
            rendered = pages.get((question, who), state, now)
            if rendered is not None:
                return HTMLResponse(rendered[0])
        found = pages.get(question, state, now)
        if found is None:
            shown, valid_until = compute(ctx)
            until = pages.put(question, state, shown, now, valid_until)
        else:
            shown, until = found
    response = respond(shown)
    if who is not None and until is not None and response.status_code == 200 and viewer(request) == who:
        pages.put((question, who), state, bytes(response.body), now, until)
    return response


def viewer(request: Request) -> Hashable | None:
    """What a rendered page takes from whoever views it: their identity and roles (the buttons they get) and
    their session's form token. None when the page must be rendered for this request alone: messages are
    queued for it, or the session has no form token yet."""
    session = request.scope.get("session")
    if not isinstance(session, dict) or "flash" in session:
        return None
    token = session.get("csrf")
    if not isinstance(token, str):
        return None
    identity = getattr(request.state, "identity", None)
    actor = identity.actor if isinstance(identity, Identity) else ANONYMOUS
    scopes = None if actor.scopes is None else tuple(sorted(actor.scopes))
    return (actor.kind, actor.name, actor.user_id, tuple(sorted(actor.roles)), scopes, token)
