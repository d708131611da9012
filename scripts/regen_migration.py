"""Regenerate the initial migration from the models (used while the schema is pre-release).

Run: ``python scripts/regen_migration.py``. It autogenerates ``0001_initial`` against an empty SQLite
database, so the file always matches the models; a test checks that it does. It is a developer tool, so it
lives beside the repository's other scripts and does not ship in the package.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command

from scalegate.store.engine import make_engine
from scalegate.store.migrate import _HERE, _config


def main() -> None:
    """Write ``store/migrations/versions/0001_initial.py`` afresh from the models."""
    target = _HERE / "versions" / "0001_initial.py"
    target.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'empty.db'}")
        with engine.begin() as connection:
            command.revision(
                _config(connection), message="initial schema", autogenerate=True, rev_id="0001_initial"
            )
        engine.dispose()
    generated = next((_HERE / "versions").glob("0001_initial_*.py"))
    generated.rename(target)
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
