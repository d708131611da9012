"""Single sign-on for a workspace: which provider, how its groups become roles, and who may use passwords.

The provider (``governance.oidc``) proves who a person is. This module decides what that person is in the
workspace, by a rule an admin stores in the workspace settings (``scalegate sso configure``):

- **Roles from groups.** ``role_rules`` map a group of the provider's group claim (``groups_claim``) to policy
  roles. The roles the rules name are *managed*: at every sign-in they are granted or revoked to match the
  groups the provider sends right now, so removing someone from a group at the provider takes the role away at
  their next sign-in. Roles no rule names stay with the admins. ``admin`` is never taken from a provider: an
  account at the provider must not be enough to approve signing keys.
- **Just-in-time users.** A person the workspace does not know yet (no user linked to their issuer and
  subject, none with their verified email) is created at first sign-in when ``create_users`` is on and their
  groups grant at least one role; the creation is a ``user.added`` entry of the audit log that names the
  issuer, subject and groups. Someone whose groups grant nothing is refused (fail closed).
- **Local passwords off.** With ``local_passwords`` off, password sign-in is refused on every door
  (``governance.users.authenticate_password`` asks ``local_passwords_allowed``). API tokens keep working,
  so keep one admin token as the way back in if the provider is down.

An SSO user has no local password, and a signature needs a secret only the signer knows at the moment of
signing (``governance.signing_keys``). Such a user therefore sets a *signing passphrase* at first sign-in;
it seals their Ed25519 key and is never stored, not even as a hash (``register_passphrase_key``). The key
signs once an admin approved it, like every other key.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from sqlalchemy import select

from scalegate.actor import Actor
from scalegate.errors import AuthenticationError, InputError
from scalegate.governance.oidc import find_or_link
from scalegate.governance.permissions import require
from scalegate.governance.sso_settings import (
    SSO_SETTING,
    RoleRule,
    SSOSettings,
    local_passwords_allowed,
    sso_settings,
)
from scalegate.governance.users import actor_for, user_roles
from scalegate.jsonable import JsonObject
from scalegate.store.models.identity import UserRoleRow, UserRow
from scalegate.store.models.workspace import SettingRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from scalegate.workspace import Workspace

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@\-]{0,99}$")

__all__ = [
    "SSO_SETTING",
    "RoleRule",
    "SSOSettings",
    "configure_sso",
    "local_passwords_allowed",
    "roles_for_groups",
    "settings_document",
    "sign_in",
    "sso_settings",
]


def configure_sso(workspace: Workspace, actor: Actor, document: dict[str, Any]) -> SSOSettings:
    """Store the single sign-on settings (an admin's act, logged); role ids are checked against the policy."""
    with workspace.writing(actor) as ctx:
        require(actor, "users.admin", ctx.policy)
        try:
            settings = SSOSettings.model_validate(document)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "sso"
            raise InputError(f"invalid single sign-on settings: {first['msg']}", where=where) from None
        unknown = sorted(settings.managed_roles() - ctx.policy.role_ids())
        if unknown:
            raise InputError(
                f"role rules name roles the policy does not define: {', '.join(unknown)}", where="role_rules"
            )
        row = ctx.session.merge(SettingRow(key=SSO_SETTING, value=settings.model_dump_json()))
        ctx.record(
            "sso.configured",
            "settings:sso",
            {
                "issuer": settings.issuer,
                "digest": settings.digest(),
                "local_passwords": settings.local_passwords,
            },
            rows=[row],
        )
    return settings


def roles_for_groups(settings: SSOSettings, groups: list[str]) -> frozenset[str]:
    """The roles ``groups`` grant under the settings' rules."""
    held = set(groups)
    return frozenset(role for rule in settings.role_rules if rule.group in held for role in rule.roles)


def _groups(settings: SSOSettings, claims: dict[str, Any]) -> list[str]:
    value = claims.get(settings.groups_claim, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(g, str) for g in value):
        raise AuthenticationError(f"OIDC claim {settings.groups_claim!r} is not a list of group names")
    return sorted(value)


def sign_in(workspace: Workspace, settings: SSOSettings, claims: dict[str, Any]) -> Actor:
    """The workspace actor for verified ID-token claims of the configured provider: the linked user (found by
    subject, or linked by verified email), or a user created now; managed roles follow the groups."""
    subject = str(claims.get("sub") or "")
    if not subject:
        raise AuthenticationError("OIDC claims carry no subject")
    groups = _groups(settings, claims)
    wanted = roles_for_groups(settings, groups)
    with workspace.transaction() as session:
        user = find_or_link(workspace, session, settings.issuer, subject, claims, missing_ok=True)
        if user is None:
            user = _create(workspace, session, settings, subject, claims, groups, wanted)
        if not user.active:
            raise AuthenticationError(f"user {user.name} is deactivated")
        _sync_roles(workspace, session, settings, user, groups, wanted)
        return actor_for(session, user)


def _create(
    workspace: Workspace,
    session: Session,
    settings: SSOSettings,
    subject: str,
    claims: dict[str, Any],
    groups: list[str],
    wanted: frozenset[str],
) -> UserRow:
    if not settings.create_users:
        raise AuthenticationError(
            f"no workspace user is linked to this {settings.provider_name} account; ask an admin to add you"
        )
    if not wanted:
        raise AuthenticationError(
            f"your {settings.provider_name} groups grant no role in this workspace; ask an admin"
        )
    email = claims.get("email") if claims.get("email_verified") is True else None
    now = workspace.now()
    user = UserRow(
        name=_free_name(session, subject, claims),
        display_name=str(claims.get("name") or "")[:200],
        email=email if isinstance(email, str) and len(email) <= 320 else None,
        active=True,
        created_at=now,
        created_by=f"sso:{settings.issuer}"[:200],
        password_hash=None,
        oidc_issuer=settings.issuer,
        oidc_subject=subject,
    )
    session.add(user)
    session.flush()
    grants = [UserRoleRow(user_id=user.id, role=r, granted_at=now, granted_by="sso") for r in sorted(wanted)]
    session.add_all(grants)
    workspace.record(
        session,
        Actor(name=user.name, kind="user", user_id=user.id),
        "user.added",
        f"user:{user.name}",
        {
            "name": user.name,
            "roles": sorted(wanted),
            "bootstrap": False,
            "via": "sso",
            "issuer": settings.issuer,
            "subject": subject,
            "groups": groups,
            "rule": settings.digest(),
        },
        rows=[user, *grants],
    )
    return user


def _free_name(session: Session, subject: str, claims: dict[str, Any]) -> str:
    """A user name for a new SSO user: their preferred user name or email if free and valid, else one made
    from the subject."""
    fallback = "sso-" + hashlib.sha256(subject.encode("utf-8")).hexdigest()[:12]
    for candidate in (claims.get("preferred_username"), claims.get("email"), fallback):
        if isinstance(candidate, str) and _NAME.match(candidate):
            taken = session.execute(select(UserRow.id).where(UserRow.name == candidate)).first()
            if taken is None:
                return candidate
    raise AuthenticationError(f"cannot name a new user for subject {subject!r}: every candidate is taken")


def _sync_roles(
    workspace: Workspace,
    session: Session,
    settings: SSOSettings,
    user: UserRow,
    groups: list[str],
    wanted: frozenset[str],
) -> None:
    """Grant and revoke the managed roles so they match the groups; one logged entry per change."""
    managed = settings.managed_roles()
    held = user_roles(session, user.id) & managed
    actor = Actor(name=user.name, kind="user", user_id=user.id)
    now = workspace.now()
    detail = {"via": "sso", "groups": groups, "rule": settings.digest()}
    for role in sorted(wanted - held):
        grant = UserRoleRow(user_id=user.id, role=role, granted_at=now, granted_by="sso")
        session.add(grant)
        workspace.record(
            session,
            actor,
            "user.role_granted",
            f"user:{user.name}",
            {"name": user.name, "role": role, **detail},
            rows=[grant],
        )
    for role in sorted(held - wanted):
        stmt = select(UserRoleRow).where(
            UserRoleRow.user_id == user.id, UserRoleRow.role == role, UserRoleRow.revoked_at.is_(None)
        )
        for grant in session.execute(stmt).scalars():
            grant.revoked_at, grant.revoked_by = now, "sso"
            workspace.record(
                session,
                actor,
                "user.role_revoked",
                f"user:{user.name}",
                {"name": user.name, "role": role, **detail},
                rows=[grant],
            )


def settings_document(settings: SSOSettings) -> JsonObject:
    """The settings as JSON-ready data (for ``--json`` and the API), as pydantic writes the model."""
    document: JsonObject = json.loads(settings.model_dump_json())
    return document
