"""Migrated template stores, so that a test's fresh store costs a file copy instead of a migration run.

Running the Alembic migrations takes a tenth of a second on SQLite and most of a second on PostgreSQL, and
hundreds of tests each start from a fresh store. The session migrates once into a template:

- SQLite: a migrated file, copied to each test's path;
- PostgreSQL: a migrated database, cloned by ``CREATE DATABASE ... TEMPLATE``.

``init_workspace`` then finds the schema at head and only records the policy. The template is made by the real
migrations from an empty store, and the tests of the migrations themselves use empty stores
(``empty_db_url``).
"""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

from sqlalchemy import create_engine, text

__all__ = ["SqliteTemplate", "create_database", "drop_database", "migrate_postgres_template"]

_names = itertools.count()


def _migrate(url: str) -> None:
    """Bring the store at ``url`` to head with the shipped migrations, then close every connection."""
    from scalegate.store.engine import make_engine
    from scalegate.store.migrate import upgrade

    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


class SqliteTemplate:
    """A migrated SQLite file in ``directory``; ``url_at(path)`` copies it to ``path`` and returns its URL."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "template.db"
        _migrate(f"sqlite:///{self.path}")
        for leftover in (Path(f"{self.path}-wal"), Path(f"{self.path}-shm")):
            # disposing the last connection checkpoints the WAL into the file; a leftover would be empty
            if leftover.exists() and leftover.stat().st_size:
                raise RuntimeError(f"SQLite template left a non-empty {leftover.name}")

    def url_at(self, path: Path) -> str:
        """A migrated store at ``path`` (which must not exist yet)."""
        if path.exists():
            raise FileExistsError(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.path, path)
        return f"sqlite:///{path}"


def _database_url(admin_url: str, name: str) -> str:
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def _name(url: str) -> str:
    return url.rsplit("/", 1)[1]


def create_database(admin_url: str, template_url: str | None = None) -> str:
    """A new database on the server of ``admin_url``, a clone of ``template_url`` if given; its URL."""
    name = f"sg_test_{os.getpid()}_{next(_names)}"
    clause = f' TEMPLATE "{_name(template_url)}"' if template_url else ""
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{clause}'))
    finally:
        engine.dispose()
    return _database_url(admin_url, name)


def drop_database(admin_url: str, url: str) -> None:
    """Drop the database at ``url`` (used for the template when the server outlives the session)."""
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{_name(url)}"'))
    finally:
        engine.dispose()


def migrate_postgres_template(admin_url: str) -> str:
    """A migrated database to clone from; returns its URL. Nothing stays connected to it."""
    url = create_database(admin_url)
    _migrate(url)
    return url
