"""Signed-in sessions, kept on the server so that they can end.

A browser that signs in gets a random 256-bit secret (in its signed session cookie); the store keeps only the
secret's SHA-256, the user, and until when the session lasts. Every request resolves the secret to a stored
session, so a session ends for good when its row says so: at logout, when the user's password changes (every
session of that user), when it expires, or when the user is deactivated. A cookie copied before any of these
is worth nothing afterwards.

Starting and ending a session are state changes: each is recorded in the audit log with the digest of the
session row, so the table is covered like any other (an inserted row, or an edited expiry or end, fails
``audit verify``). Resolving a session also holds its row to the digest the log last recorded for it: a row
someone inserted or revived with SQL, to sign in with a secret of their choosing, is refused at once rather
than only reported by the next ``audit verify``.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from scalegate.actor import Actor
from scalegate.errors import AuthenticationError, InputError
from scalegate.governance.users import actor_for
from scalegate.store.base import row_digest
from scalegate.store.models.audit import AuditEntryRow
from scalegate.store.models.identity import SessionRow, UserRow

if TYPE_CHECKING:
    from scalegate.workspace import Workspace

__all__ = [
    "EndReason",
    "SessionIdentity",
    "StartedSession",
    "end_session",
    "session_identity",
    "start_session",
]

EndReason = Literal["logout", "password_changed"]
"""Why a session ended before it expired (a password change ends them in ``users.set_password``)."""

MAX_SESSION_SECONDS = 7 * 24 * 3600


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StartedSession:
    """A new session: ``secret`` goes into the browser's cookie and is never stored."""

    id: int
    secret: str
    expires_at: datetime


@dataclass(frozen=True)
class SessionIdentity:
    """Whom a session stands for, and until when that answer holds (unless the session ends earlier, which
    is a state change the caller must watch for, as for a token)."""

    actor: Actor
    session_id: int
    expires_at: datetime


def start_session(workspace: Workspace, actor: Actor, *, lifetime_seconds: int) -> StartedSession:
    """Open a session for an authenticated user (``actor`` as ``authenticate_password`` returned it)."""
    if actor.user_id is None:
        raise AuthenticationError("only a stored user can sign in")
    if not 1 <= lifetime_seconds <= MAX_SESSION_SECONDS:
        raise InputError(
            f"a session lasts 1..{MAX_SESSION_SECONDS} s, not {lifetime_seconds}", where="lifetime"
        )
    secret = secrets.token_urlsafe(32)
    with workspace.transaction() as session:
        now = workspace.now()
        row = SessionRow(
            user_id=actor.user_id,
            secret_sha256=_digest(secret),
            created_at=now,
            expires_at=now + timedelta(seconds=lifetime_seconds),
            ended_at=None,
            end_reason=None,
        )
        session.add(row)
        session.flush()
        workspace.record(
            session,
            actor,
            "session.started",
            f"user:{actor.name}",
            {"session_id": row.id, "expires_at": row.expires_at.isoformat()},
            rows=[row],
        )
        return StartedSession(row.id, secret, row.expires_at)


def session_identity(workspace: Workspace, secret: str) -> SessionIdentity:
    """The actor of a live session, with the roles held now.

    Refused (``AuthenticationError``) when the secret is unknown, or the session ended or expired, or its
    user is gone or deactivated (a deactivated user is nobody: the session does not go on without roles).
    """
    with workspace.read() as session:
        row = session.execute(
            select(SessionRow).where(SessionRow.secret_sha256 == _digest(secret))
        ).scalar_one_or_none()
        if row is None:
            raise AuthenticationError("unknown session; sign in again")
        if row.ended_at is not None:
            raise AuthenticationError(f"session ended ({row.end_reason}); sign in again")
        if row.expires_at <= workspace.now():
            raise AuthenticationError("session expired; sign in again")
        user = session.get(UserRow, row.user_id)
        if user is None or not user.active:
            raise AuthenticationError("the session's user is deactivated")
        if _recorded_digest(session, row, user.name) != row_digest(row):
            raise AuthenticationError("the session is not the one the audit log recorded; sign in again")
        return SessionIdentity(actor_for(session, user), row.id, row.expires_at)


_SESSION_EVENTS = ("session.started", "session.ended", "user.password_set")
"""The entries that write session rows, all about ``user:NAME``."""


def _recorded_digest(session: Session, row: SessionRow, user_name: str) -> str | None:
    """The digest the newest entry writing session ``row`` recorded for it (None: no entry names it)."""
    bodies = session.execute(
        select(AuditEntryRow.body)
        .where(AuditEntryRow.subject == f"user:{user_name}", AuditEntryRow.event.in_(_SESSION_EVENTS))
        .order_by(AuditEntryRow.seq.desc())
    ).scalars()
    for body in bodies:
        for ref in json.loads(body).get("data", {}).get("rows", []):
            if ref.get("table") == SessionRow.__tablename__ and ref.get("pk") == row.id:
                digest = ref.get("digest")
                return digest if isinstance(digest, str) else None
    return None


def end_session(workspace: Workspace, secret: str) -> bool:
    """End the session holding ``secret`` (logout); False when there was no live session to end."""
    with workspace.transaction() as session:
        row = session.execute(
            select(SessionRow).where(SessionRow.secret_sha256 == _digest(secret))
        ).scalar_one_or_none()
        if row is None or row.ended_at is not None:
            return False
        user = session.get(UserRow, row.user_id)
        row.ended_at, row.end_reason = workspace.now(), "logout"
        actor = actor_for(session, user) if user is not None else Actor(name=f"user-{row.user_id}")
        workspace.record(
            session,
            actor,
            "session.ended",
            f"user:{actor.name}",
            {"session_id": row.id, "reason": "logout"},
            rows=[row],
        )
        return True
