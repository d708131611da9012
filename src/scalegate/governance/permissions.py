"""Who may do what: the permission matrix, as the governance domain names it.

The matrix itself lives in ``scalegate.permissions``, below every domain, so that the registry and evidence
services check their writes with it too; this module re-exports it unchanged.
"""

from __future__ import annotations

from scalegate.permissions import (
    ACTIONS,
    PERMISSION_RULES,
    PERMISSIONS,
    PSEUDO_ROLES,
    Action,
    PermissionRule,
    actor_roles,
    allowed,
    require,
    roles_for,
    rules_for,
    scope_allows,
)

__all__ = [
    "ACTIONS",
    "PERMISSIONS",
    "PERMISSION_RULES",
    "PSEUDO_ROLES",
    "Action",
    "PermissionRule",
    "actor_roles",
    "allowed",
    "require",
    "roles_for",
    "rules_for",
    "scope_allows",
]
