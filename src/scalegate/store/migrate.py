"""Schema migrations (Alembic), run programmatically on an open connection.

``upgrade`` brings a store to the newest schema; ``pending_differences`` compares the migrated schema with the
models, which a test uses to make sure no table change ships without its migration.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine

from scalegate.store.base import Base
from scalegate.store.models import every_table

__all__ = ["current_revision", "head_revision", "pending_differences", "upgrade"]

_HERE = Path(__file__).parent / "migrations"


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_HERE))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply every migration up to ``revision`` in one transaction."""
    with engine.begin() as connection:
        command.upgrade(_config(connection), revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the store is at, or None for an empty store."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision shipped with this code."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config()).get_current_head()


def pending_differences(engine: Engine) -> list[Any]:
    """Differences between the migrated schema and the models (empty when migrations are complete)."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        every_table()  # the comparison is with every table, not only those loaded so far
        return list(compare_metadata(context, Base.metadata))
