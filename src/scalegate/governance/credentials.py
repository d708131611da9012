"""Turning what a caller presents into an authenticated ``Actor``: the CLI and the local SDK share this.

A caller presents some of: a user name, that user's password, an API token, and the secret of a login
session (``scalegate login`` keeps it in the OS keyring; the store keeps only its SHA-256, see
``scalegate.governance.sessions``). The answer, in this order:

1. an API token stands for its user, limited to its scopes (naming another user with it is refused);
2. a user name with a password stands for that user, if the password is theirs;
3. a login session stands for its user, when no other user is named;
4. a bare user name stands for that user only in a demo workspace (``scalegate.workspace_mode``), or in a
   workspace that has no users yet (there is nobody to pass for; the name holds no role, and the only thing
   it can do is create the first admin); in a production workspace with users it is refused with
   ``CredentialRequired``, whose message says how to authenticate;
5. nothing at all is nobody (``None``): the caller acts without roles, so every write the permission matrix
   guards is refused.

Any credential that does not check out is an ``AuthenticationError``: a wrong password or a revoked token
never falls back to acting without one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from scalegate.actor import Actor
from scalegate.errors import AuthenticationError
from scalegate.governance.identity import resolve_actor
from scalegate.governance.sessions import session_identity
from scalegate.governance.users import authenticate_password, authenticate_token
from scalegate.store.models.identity import UserRow

if TYPE_CHECKING:
    from scalegate.workspace import Workspace

__all__ = [
    "PASSWORD_ENV",
    "TOKEN_ENV",
    "CredentialRequired",
    "Presented",
    "authenticate",
    "how_to_authenticate",
]

PASSWORD_ENV = "SCALEGATE_PASSWORD"
"""The password of the named user, for one command (scripts; a terminal is prompted instead)."""

TOKEN_ENV = "SCALEGATE_TOKEN"
"""An API token (``scalegate token create``), standing for its user within its scopes."""


class CredentialRequired(AuthenticationError):
    """A user was named without a credential in a production workspace."""


def how_to_authenticate(user: str) -> str:
    """The one-line advice given when a credential is missing."""
    return (
        f"acting as {user!r} in a production workspace needs a credential: run `scalegate login {user}`, "
        f"or set {TOKEN_ENV} (an API token) or {PASSWORD_ENV}"
    )


@dataclass(frozen=True)
class Presented:
    """What a caller presents; every field optional."""

    user: str | None = None
    password: str | None = None
    token: str | None = None
    session: str | None = None
    """The secret of a login session."""
    session_user: str | None = None
    """The user that session was opened for, as stored with it (checked against the store's answer)."""


def authenticate(workspace: Workspace, presented: Presented) -> Actor | None:
    """The authenticated actor ``presented`` stands for, or None for nobody (see the module docstring)."""
    user = presented.user or None
    if presented.token:
        actor = authenticate_token(workspace, presented.token).actor
        return _same_user(actor, user, "the API token")
    if user and presented.password:
        return authenticate_password(workspace, user, presented.password)
    if presented.session and (user is None or user == presented.session_user):
        try:
            actor = session_identity(workspace, presented.session).actor
        except AuthenticationError as exc:
            raise AuthenticationError(f"login session: {exc.message} (`scalegate login`)") from exc
        return _same_user(actor, user, "the login session")
    if user is None:
        return None
    if workspace.demo or not _has_users(workspace):
        return resolve_actor(workspace, user)
    raise CredentialRequired(how_to_authenticate(user))


def _has_users(workspace: Workspace) -> bool:
    with workspace.read() as session:
        return session.execute(select(UserRow.id).limit(1)).first() is not None


def _same_user(actor: Actor, user: str | None, what: str) -> Actor:
    if user is not None and user != actor.name:
        raise AuthenticationError(f"{what} belongs to {actor.name!r}, not {user!r}")
    return actor
