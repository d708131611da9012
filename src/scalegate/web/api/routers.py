"""Every REST API router, in the order their routes appear in the OpenAPI document.

The routers are imported by name, so a reader (and "go to definition") sees every module the API serves. The
list lives here rather than in the package's ``__init__`` so that importing one API module (``_common``, say)
does not import them all.
"""

from __future__ import annotations

from types import ModuleType

from fastapi import APIRouter

from scalegate.web.api import (
    assessments,
    audit,
    batches,
    comparisons,
    compliance,
    decisions,
    documents,
    evidence,
    gate,
    meta,
    models,
    noncompliance,
    policies,
    policy_changes,
    safeguards,
    users,
)

__all__ = ["API_MODULES", "api_routers"]

API_MODULES: tuple[ModuleType, ...] = (
    meta,
    policies,
    policy_changes,
    models,
    evidence,
    batches,
    assessments,
    comparisons,
    safeguards,
    decisions,
    gate,
    documents,
    compliance,
    noncompliance,
    audit,
    users,
)
"""Router modules of ``scalegate.web.api``, in the order their routes appear in the OpenAPI document."""


def api_routers() -> list[APIRouter]:
    """Every API router, in ``API_MODULES`` order."""
    routers = []
    for module in API_MODULES:
        router = module.router
        assert isinstance(router, APIRouter)
        routers.append(router)
    return routers
