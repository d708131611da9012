"""Running the shipped migrations backwards in a test, as an operator rolling a store back would."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from scalegate.workspace import Workspace

MIGRATIONS = Path(__file__).resolve().parents[2] / "src" / "scalegate" / "store" / "migrations"


def downgrade(workspace: Workspace, revision: str) -> None:
    """Take the workspace's store down to ``revision``, in one transaction."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with workspace.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
