"""Every table of scalegate, one module per domain.

Importing this package defines no table: each module registers its own on ``Base`` when it is imported, and
a module whose foreign keys name another module's tables imports that module, so the tables defined are
always closed under their foreign keys. Defining a table is most of what loading it costs (SQLAlchemy's
declarative mapping, about 5 ms each), so a command loads only the tables it uses: ``evidence ingest``, run
after every evaluation, needs about half of them. Whatever must see every table (migrations, the schema
comparison, ``audit verify``'s row and coverage checks) asks ``every_table`` for them, never
``Base.metadata.tables`` directly, which holds only the tables loaded so far.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from sqlalchemy import Table

from scalegate.store.base import Base

__all__ = ["MODULES", "every_table"]

MODULES = (
    "assessments",
    "audit",
    "documents",
    "evidence",
    "gate",
    "governance",
    "identity",
    "registry",
    "safeguards",
    "throttle",
    "workspace",
)
"""The table modules, each named after its domain."""


def every_table() -> Mapping[str, Table]:
    """Every table of the store by name, after loading every table module (once; then a lookup)."""
    for name in MODULES:
        importlib.import_module(f"{__name__}.{name}")
    return Base.metadata.tables
