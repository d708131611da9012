"""Alembic environment: scalegate always passes an open connection through ``config.attributes``."""

from __future__ import annotations

from alembic import context

from scalegate.store.base import Base
from scalegate.store.models import every_table

every_table()  # migrations and their checks compare with every table, not only those loaded so far

connection = context.config.attributes["connection"]
context.configure(
    connection=connection, target_metadata=Base.metadata, render_as_batch=True, compare_type=True
)
with context.begin_transaction():
    context.run_migrations()
