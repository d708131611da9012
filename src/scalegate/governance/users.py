"""People and their roles, passwords and API tokens.

Roles are the policy's role ids (``rso``, ``ceo``, ``board``...) plus ``admin``, which manages users and
nothing else. The first user of a workspace must be an admin and needs no permission to be created; after that
only admins add users or change roles, and no admin grants a role to themselves (whoever administers
identities cannot appoint themselves a signer).

Passwords are argon2id hashes. API tokens are random 256-bit secrets shown once; only their SHA-256 is stored
(a slow password hash adds nothing to a secret with that much entropy, and keeps each request cheap). Every
token is scoped to action patterns and expires.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scalegate.actor import Actor
from scalegate.errors import AuthenticationError, ConflictError, InputError, NotFoundError, PermissionDenied
from scalegate.governance.permissions import ACTIONS, require, scope_allows
from scalegate.governance.signing_keys import has_usable_key, issue_key, reseal, retire_keys
from scalegate.permissions import ADMIN_ROLE  # defined beside the permission matrix; re-exported here
from scalegate.store.models.identity import ApiTokenRow, SessionRow, UserRoleRow, UserRow

if TYPE_CHECKING:
    from scalegate.policy import Policy
    from scalegate.workspace import Workspace

__all__ = [
    "ADMIN_ROLE",
    "IssuedToken",
    "TokenIdentity",
    "TokenView",
    "UserView",
    "actor_for",
    "add_user",
    "authenticate_password",
    "authenticate_token",
    "create_token",
    "dummy_hash",
    "find_user",
    "grant_role",
    "list_tokens",
    "list_users",
    "revoke_role",
    "revoke_token",
    "role_holders",
    "set_password",
    "user_roles",
]

MIN_PASSWORD_LENGTH = 12
MAX_TOKEN_DAYS = 365
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@\-]{0,99}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
TOKEN_PREFIX = "sgt_"


# -- lookups -------------------------------------------------------------------------------------------------


def find_user(session: Session, name: str) -> UserRow:
    """The user called ``name``; ``NotFoundError`` otherwise."""
    row = session.execute(select(UserRow).where(UserRow.name == name)).scalar_one_or_none()
    if row is None:
        raise NotFoundError(f"no user {name!r}", where="users")
    return row


def user_roles(session: Session, user_id: int) -> frozenset[str]:
    """The roles a user holds now."""
    stmt = select(UserRoleRow.role).where(UserRoleRow.user_id == user_id, UserRoleRow.revoked_at.is_(None))
    return frozenset(session.execute(stmt).scalars())


def _grant(session: Session, user_id: int, role: str) -> UserRoleRow | None:
    stmt = select(UserRoleRow).where(
        UserRoleRow.user_id == user_id, UserRoleRow.role == role, UserRoleRow.revoked_at.is_(None)
    )
    return session.execute(stmt).scalar_one_or_none()


def role_holders(session: Session, role: str) -> list[UserRow]:
    """Active users holding ``role``, by name."""
    stmt = (
        select(UserRow)
        .join(UserRoleRow, UserRoleRow.user_id == UserRow.id)
        .where(UserRoleRow.role == role, UserRoleRow.revoked_at.is_(None), UserRow.active.is_(True))
        .order_by(UserRow.name)
    )
    return list(session.execute(stmt).scalars())


def actor_for(session: Session, user: UserRow, scopes: frozenset[str] | None = None) -> Actor:
    """The actor of a stored user; an inactive user holds no roles."""
    roles = user_roles(session, user.id) if user.active else frozenset()
    return Actor(name=user.name, roles=roles, kind="user", user_id=user.id, scopes=scopes)


def _check_roles(policy: Policy, roles: Iterable[str]) -> None:
    valid = policy.role_ids() | {ADMIN_ROLE}
    for role in roles:
        if role not in valid:
            raise InputError(
                f"unknown role {role!r}; roles of the active policy: {', '.join(sorted(valid))}", where="role"
            )


@dataclass(frozen=True)
class UserView:
    """A user as the doors show it: roles held now, and whether a password or an OIDC identity is set (never
    the hash)."""

    id: int
    name: str
    display_name: str
    email: str | None
    roles: list[str]
    active: bool
    has_password: bool
    oidc: str | None
    """``issuer#subject`` of a linked OIDC identity."""
    created_at: datetime
    created_by: str


def _view(session: Session, user: UserRow) -> UserView:
    return UserView(
        id=user.id,
        name=user.name,
        display_name=user.display_name,
        email=user.email,
        roles=sorted(user_roles(session, user.id)),
        active=user.active,
        has_password=user.password_hash is not None,
        oidc=f"{user.oidc_issuer}#{user.oidc_subject}" if user.oidc_subject else None,
        created_at=user.created_at,
        created_by=user.created_by,
    )


# -- users and roles -----------------------------------------------------------------------------------------


def add_user(
    workspace: Workspace,
    actor: Actor,
    name: str,
    *,
    email: str | None = None,
    display_name: str = "",
    roles: Sequence[str] = (),
    admin: bool = False,
    password: str | None = None,
    approver_password: str | None = None,
) -> UserView:
    """Create a user with roles. The first user of a workspace must be an admin and needs no permission.

    A user created with a password gets a signing key sealed under it (``governance.signing_keys``). The
    workspace's first key approves itself; any other is approved by the creating admin's signature when
    ``approver_password`` (the admin's own password) is given, and otherwise waits for an admin's approval.
    """
    if not _NAME.match(name):
        raise InputError(
            f"invalid user name {name!r}: letters, digits, '.', '_', '-', '@'; at most 100", where="name"
        )
    if email is not None and not _EMAIL.match(email):
        raise InputError(f"invalid email address {email!r}", where="email")
    wanted = sorted({*roles, *([ADMIN_ROLE] if admin else [])})
    with workspace.writing(actor) as ctx:
        session, policy = ctx.session, ctx.policy
        _check_roles(policy, wanted)
        first = session.execute(select(func.count()).select_from(UserRow)).scalar_one() == 0
        if first and ADMIN_ROLE not in wanted:
            raise ConflictError("the first user of a workspace must be an admin", where="admin")
        if not first:
            require(actor, "users.admin", policy)
        if session.execute(select(UserRow.id).where(UserRow.name == name)).first():
            raise ConflictError(f"user {name!r} already exists", where="users")
        now = workspace.now()
        user = UserRow(
            name=name,
            display_name=display_name,
            email=email,
            active=True,
            created_at=now,
            created_by=actor.label,
            password_hash=_hash_password(password) if password is not None else None,
        )
        session.add(user)
        session.flush()
        grants = [
            UserRoleRow(user_id=user.id, role=r, granted_at=now, granted_by=actor.label) for r in wanted
        ]
        session.add_all(grants)
        workspace.record(
            session,
            actor,
            "user.added",
            f"user:{name}",
            {"name": name, "roles": wanted, "bootstrap": first},
            rows=[user, *grants],
        )
        if password is not None:
            issue_key(workspace, session, actor, user, password, approver_password=approver_password)
        return _view(session, user)


def list_users(workspace: Workspace, actor: Actor) -> list[UserView]:
    """Every user with their roles."""
    with workspace.reading() as ctx:
        require(actor, "users.read", ctx.policy)
        session = ctx.session
        return [_view(session, u) for u in session.execute(select(UserRow).order_by(UserRow.name)).scalars()]


def grant_role(workspace: Workspace, actor: Actor, name: str, role: str) -> UserView:
    """Grant a role; no admin grants a role to themselves."""
    with workspace.writing(actor) as ctx:
        require(actor, "users.admin", ctx.policy)
        _check_roles(ctx.policy, [role])
        session = ctx.session
        user = find_user(session, name)
        if actor.user_id == user.id:
            raise PermissionDenied(f"{actor.label} may not grant a role to themselves; another admin must")
        if _grant(session, user.id, role) is not None:
            raise ConflictError(f"user {name!r} already holds role {role!r}")
        grant = UserRoleRow(user_id=user.id, role=role, granted_at=workspace.now(), granted_by=actor.label)
        session.add(grant)
        workspace.record(
            session, actor, "user.role_granted", f"user:{name}", {"name": name, "role": role}, rows=[grant]
        )
        return _view(session, user)


def revoke_role(workspace: Workspace, actor: Actor, name: str, role: str) -> UserView:
    """Take a role away; the last admin cannot be removed."""
    with workspace.writing(actor) as ctx:
        require(actor, "users.admin", ctx.policy)
        session = ctx.session
        user = find_user(session, name)
        grant = _grant(session, user.id, role)
        if grant is None:
            raise ConflictError(f"user {name!r} does not hold role {role!r}")
        if role == ADMIN_ROLE and len(role_holders(session, ADMIN_ROLE)) <= 1:
            raise ConflictError("cannot revoke the last admin of the workspace")
        grant.revoked_at, grant.revoked_by = workspace.now(), actor.label
        workspace.record(
            session, actor, "user.role_revoked", f"user:{name}", {"name": name, "role": role}, rows=[grant]
        )
        return _view(session, user)


# -- passwords -----------------------------------------------------------------------------------------------


def _hash_password(password: str) -> str:
    from argon2 import PasswordHasher

    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(f"password too short: at least {MIN_PASSWORD_LENGTH} characters", where="password")
    return PasswordHasher().hash(password)


def set_password(
    workspace: Workspace, actor: Actor, name: str, password: str, *, current_password: str | None = None
) -> None:
    """Set a user's password: the user themselves or an admin. Every session of the user ends with it."""
    with workspace.writing(actor) as ctx:
        session, policy = ctx.session, ctx.policy
        user = find_user(session, name)
        if actor.user_id != user.id:
            require(actor, "users.admin", policy)
        user.password_hash = _hash_password(password)
        _carry_keys(workspace, session, actor, user, password, current_password)
        ended = _end_sessions(session, user.id, workspace.now())
        workspace.record(
            session,
            actor,
            "user.password_set",
            f"user:{name}",
            {"name": name, "sessions_ended": [s.id for s in ended]},
            rows=[user, *ended],
        )


def _end_sessions(session: Session, user_id: int, now: datetime) -> list[SessionRow]:
    """End every live session of a user (a new password signs them out everywhere: whoever knew the old one
    may hold a session opened with it)."""
    stmt = select(SessionRow).where(SessionRow.user_id == user_id, SessionRow.ended_at.is_(None))
    ended = list(session.execute(stmt).scalars())
    for row in ended:
        row.ended_at, row.end_reason = now, "password_changed"
    return ended


_DUMMY_HASH: list[str] = []
"""An argon2 hash of a random secret, made once per process with the same parameters as real hashes."""


def dummy_hash() -> str:
    """The hash a failed lookup is verified against, so that an unknown name costs what a wrong password
    costs (no user name can be told from the time a failure takes)."""
    from argon2 import PasswordHasher

    if not _DUMMY_HASH:
        _DUMMY_HASH.append(PasswordHasher().hash(secrets.token_urlsafe(32)))
    return _DUMMY_HASH[0]


def _carry_keys(
    workspace: Workspace,
    session: Session,
    actor: Actor,
    user: UserRow,
    password: str,
    current_password: str | None,
) -> None:
    """Keep the user's signing key usable across a password change: re-seal it under the new password when the
    user gives the current one (earlier signatures stay valid: the key is the same). An admin resetting
    someone else's password cannot open their key, so it retires (logged); the user registers a new one."""
    if not has_usable_key(session, user.id):
        return
    if actor.user_id != user.id:
        retire_keys(workspace, session, actor, user, "password reset by an admin")
        return
    if current_password is None:
        raise InputError(
            "changing your own password needs your current password: it re-seals your signing key",
            where="current_password",
        )
    resealed = reseal(session, user, current_password, password)
    workspace.record(
        session,
        actor,
        "user_key.resealed",
        f"user:{user.name}",
        {"user": user.name, "key_ids": [k.key_id for k in resealed]},
        rows=resealed,
    )


def authenticate_password(workspace: Workspace, name: str, password: str) -> Actor:
    """The actor for a name and password; ``AuthenticationError`` for any mismatch (without saying which).

    Every failure runs one argon2 verification: against the user's hash, or, for a name that is unknown, has
    no password or is deactivated, against ``dummy_hash()``; so the failure takes the same time either way
    (``bench/login`` measures the ratio). Refused outright when the workspace turned local passwords off
    (``governance.sso``).
    """
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    # deferred: the SSO settings' model (pydantic, ~50 modules, ~0.1 s), only when a password is checked
    from scalegate.governance.sso_settings import local_passwords_allowed

    with workspace.read() as session:
        if not local_passwords_allowed(session):
            raise AuthenticationError("password sign-in is turned off in this workspace; use single sign-on")
        user = session.execute(select(UserRow).where(UserRow.name == name)).scalar_one_or_none()
        usable = user is not None and user.password_hash is not None and user.active
        stored = user.password_hash if usable and user is not None else None
        try:
            PasswordHasher().verify(stored or dummy_hash(), password)
        except (VerificationError, InvalidHashError):
            raise AuthenticationError("invalid user name or password") from None
        if stored is None or user is None:  # the dummy secret matched: nobody is signed in either way
            raise AuthenticationError("invalid user name or password")
        return actor_for(session, user)


# -- API tokens ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedToken:
    """A new token: ``secret`` is shown once and never stored."""

    id: int
    name: str
    user: str
    secret: str
    scopes: list[str]
    expires_at: str


@dataclass(frozen=True)
class TokenView:
    """A stored token as the doors list it: never the secret, only its prefix."""

    id: int
    name: str
    user: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    valid: bool
    """Not revoked and not expired now."""


def _check_scopes(scopes: Sequence[str]) -> list[str]:
    if not scopes:
        raise InputError(
            "a token needs at least one scope (an action such as gate.read, or a pattern such as decision.*)",
            where="scopes",
        )
    for pattern in scopes:
        if not any(scope_allows(frozenset({pattern}), a) for a in ACTIONS):
            raise InputError(f"scope {pattern!r} matches no action", where="scopes")
    return sorted(set(scopes))


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def create_token(
    workspace: Workspace,
    actor: Actor,
    *,
    name: str,
    scopes: Sequence[str],
    expires_in_days: int = 90,
    user: str | None = None,
) -> IssuedToken:
    """Issue a token for the actor (or, for an admin, for another user)."""
    if not 1 <= expires_in_days <= MAX_TOKEN_DAYS:
        raise InputError(f"expiry must be 1..{MAX_TOKEN_DAYS} days, got {expires_in_days}", where="expires")
    if not name.strip():
        raise InputError("a token needs a name", where="name")
    wanted = _check_scopes(scopes)
    with workspace.writing(actor) as ctx:
        session, policy = ctx.session, ctx.policy
        require(actor, "tokens.create", policy)
        owner = find_user(session, user or actor.name)
        if owner.id != actor.user_id:
            require(actor, "users.admin", policy)
        prefix = secrets.token_hex(6)
        secret = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
        now = workspace.now()
        row = ApiTokenRow(
            user_id=owner.id,
            name=name.strip(),
            prefix=prefix,
            secret_sha256=_sha256(secret),
            scopes=wanted,
            created_at=now,
            created_by=actor.label,
            expires_at=now + timedelta(days=expires_in_days),
        )
        session.add(row)
        session.flush()
        workspace.record(
            session,
            actor,
            "token.created",
            f"user:{owner.name}",
            {"token_id": row.id, "name": row.name, "scopes": wanted},
            rows=[row],
        )
        return IssuedToken(row.id, row.name, owner.name, secret, wanted, row.expires_at.isoformat())


def list_tokens(workspace: Workspace, actor: Actor, user: str | None = None) -> list[TokenView]:
    """Tokens of a user (their own, or anyone's for an admin); never the secret."""
    with workspace.reading() as ctx:
        session, policy = ctx.session, ctx.policy
        require(actor, "tokens.create" if user is None or user == actor.name else "users.admin", policy)
        owner = find_user(session, user or actor.name)
        if owner.id != actor.user_id:
            require(actor, "users.admin", policy)
        rows = session.execute(
            select(ApiTokenRow).where(ApiTokenRow.user_id == owner.id).order_by(ApiTokenRow.id)
        )
        now = workspace.now()
        return [
            TokenView(
                id=t.id,
                name=t.name,
                user=owner.name,
                prefix=t.prefix,
                scopes=t.scopes,
                created_at=t.created_at,
                expires_at=t.expires_at,
                revoked_at=t.revoked_at,
                valid=t.revoked_at is None and t.expires_at > now,
            )
            for t in rows.scalars()
        ]


def revoke_token(workspace: Workspace, actor: Actor, token_id: int) -> None:
    """Revoke a token (its owner or an admin)."""
    with workspace.writing(actor) as ctx:
        session, policy = ctx.session, ctx.policy
        row = session.get(ApiTokenRow, token_id)
        if row is None:
            raise NotFoundError(f"no token {token_id}", where="api_tokens")
        if row.user_id != actor.user_id:
            require(actor, "users.admin", policy)
        if row.revoked_at is not None:
            raise ConflictError(f"token {token_id} is already revoked")
        row.revoked_at = workspace.now()
        workspace.record(
            session, actor, "token.revoked", f"token:{token_id}", {"token_id": token_id}, rows=[row]
        )


@dataclass(frozen=True)
class TokenIdentity:
    """Whom a presented token stands for, and until when that answer holds.

    A caller that keeps the answer (the web door keeps it per request state) must ask again once
    ``expires_at`` has passed; revocation or a change of roles is a state change it must also watch for.
    """

    actor: Actor
    """The token's user with the roles held now, limited to the token's scopes."""
    token_id: int
    expires_at: datetime


def authenticate_token(workspace: Workspace, secret: str) -> TokenIdentity:
    """The actor a token stands for, limited to the token's scopes, with the token's expiry.

    Refused (``AuthenticationError``) when the token is malformed, unknown, revoked or expired; a deactivated
    user's token authenticates but holds no roles (see ``actor_for``).
    """
    parts = secret.removeprefix(TOKEN_PREFIX).split("_", 1)
    if not secret.startswith(TOKEN_PREFIX) or len(parts) != 2:
        raise AuthenticationError("malformed API token")
    with workspace.read() as session:
        row = session.execute(select(ApiTokenRow).where(ApiTokenRow.prefix == parts[0])).scalar_one_or_none()
        if row is None or not hmac.compare_digest(row.secret_sha256, _sha256(secret)):
            raise AuthenticationError("invalid API token")
        if row.revoked_at is not None:
            raise AuthenticationError(f"API token {row.id} was revoked")
        if row.expires_at <= workspace.now():
            raise AuthenticationError(f"API token {row.id} expired at {row.expires_at.isoformat()}")
        user = session.get(UserRow, row.user_id)
        assert user is not None
        actor = actor_for(session, user, scopes=frozenset(row.scopes))
        return TokenIdentity(actor=actor, token_id=row.id, expires_at=row.expires_at)
