"""Every dashboard page router, in the order they are mounted.

The pages are imported by name, so a reader (and "go to definition") sees every page the dashboard has. The
list lives here rather than in the package's ``__init__`` so that importing one page helper (``render``, say)
does not import every page.
"""

from __future__ import annotations

from types import ModuleType

from fastapi import APIRouter

from scalegate.web.ui import (
    audit,
    calendar,
    comparison,
    coverage,
    login,
    models,
    overview,
    report,
    safeguards,
    signoffs,
    sso,
    thresholds,
    trends,
)

__all__ = ["UI_MODULES", "ui_routers"]

UI_MODULES: tuple[ModuleType, ...] = (
    login,
    sso,
    overview,
    models,
    thresholds,
    trends,
    comparison,
    coverage,
    safeguards,
    signoffs,
    calendar,
    report,
    audit,
)
"""Page modules of ``scalegate.web.ui``, in the order their routes are mounted."""


def ui_routers() -> list[APIRouter]:
    """Every page router, in ``UI_MODULES`` order."""
    routers = []
    for module in UI_MODULES:
        router = module.router
        assert isinstance(router, APIRouter)
        routers.append(router)
    return routers
