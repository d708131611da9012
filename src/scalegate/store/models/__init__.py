"""Every table of scalegate, one module per domain; importing this package registers them all on ``Base``."""

from scalegate.store.models import (
    audit,
    documents,
    evidence,
    gate,
    governance,
    registry,
    safeguards,
    throttle,
    workspace,
)

__all__ = [
    "audit",
    "documents",
    "evidence",
    "gate",
    "governance",
    "registry",
    "safeguards",
    "throttle",
    "workspace",
]
