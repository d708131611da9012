"""Alembic environment: scalegate always passes an open connection through ``config.attributes``."""

from __future__ import annotations

from alembic import context

import scalegate.store.models  # noqa: F401  (registers every table)
from scalegate.store.base import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection, target_metadata=Base.metadata, render_as_batch=True, compare_type=True
)
with context.begin_transaction():
    context.run_migrations()
