"""The workspace's single sign-on settings: which provider, the group-to-role rule, passwords on or off.

Stored as one ``settings`` row (``SSO_SETTING``) written by ``governance.sso.configure_sso``. Kept apart from
the sign-in itself so that ``governance.users`` can ask ``local_passwords_allowed`` without importing it.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, field_validator

from scalegate.permissions import ADMIN_ROLE
from scalegate.store.models.workspace import SettingRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from scalegate.workspace import Workspace

__all__ = [
    "SSO_SETTING",
    "RoleRule",
    "SSOSettings",
    "load_settings",
    "local_passwords_allowed",
    "sso_settings",
]

SSO_SETTING = "sso"
"""Key of the settings row that holds the workspace's ``SSOSettings`` as JSON."""


class RoleRule(BaseModel):
    """Members of ``group`` at the provider hold ``roles`` in the workspace."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    group: str = Field(min_length=1, max_length=200)
    """A value of the provider's group claim, compared exactly."""
    roles: tuple[str, ...] = Field(min_length=1)
    """Role ids of the active policy (never ``admin``)."""


class SSOSettings(BaseModel):
    """How the workspace signs people in through its OpenID Connect provider."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = 1
    """Format version of this settings document."""
    provider_name: str = Field(min_length=1, max_length=80)
    """Shown on the sign-in button: "Sign in with <provider_name>"."""
    issuer: str = Field(pattern=r"^https?://")
    """The provider's issuer URL (its discovery document lives under it)."""
    client_id: str = Field(min_length=1, max_length=200)
    """This workspace's client id at the provider (the secret is the server's, see ``docs/deploy.md``)."""
    scope: str = "openid email profile"
    """Scopes asked for; add the one your provider needs for the group claim (e.g. ``groups``)."""
    groups_claim: str = "groups"
    """ID-token claim that lists the person's groups."""
    role_rules: tuple[RoleRule, ...] = ()
    """Group to roles; the roles named here are managed by the provider's groups."""
    create_users: bool = True
    """Create a user at first sign-in when their groups grant a role."""
    local_passwords: bool = True
    """Whether password sign-in is allowed at all (off: single sign-on and API tokens only)."""

    @field_validator("role_rules")
    @classmethod
    def _no_admin(cls, rules: tuple[RoleRule, ...]) -> tuple[RoleRule, ...]:
        if any(ADMIN_ROLE in rule.roles for rule in rules):
            raise ValueError("the admin role is never taken from a provider's groups")
        return rules

    def managed_roles(self) -> frozenset[str]:
        """The roles the provider's groups decide."""
        return frozenset(role for rule in self.role_rules for role in rule.roles)

    def digest(self) -> str:
        """SHA-256 of the settings as stored (named by the entries the rule caused)."""
        return hashlib.sha256(self.model_dump_json().encode("utf-8")).hexdigest()


def sso_settings(workspace: Workspace) -> SSOSettings | None:
    """The workspace's single sign-on settings, or None when none are configured."""
    with workspace.read() as session:
        return load_settings(session)


def load_settings(session: Session) -> SSOSettings | None:
    row = session.get(SettingRow, SSO_SETTING)
    if row is None:
        return None
    return SSOSettings.model_validate_json(row.value)


def local_passwords_allowed(session: Session) -> bool:
    """Whether the workspace accepts password sign-in (true unless single sign-on turned it off)."""
    settings = load_settings(session)
    return settings is None or settings.local_passwords
