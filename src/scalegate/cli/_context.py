"""State shared by CLI commands: the ``--db`` URL and the acting user, opened lazily.

Every function here takes the Typer context of a command or the ``CliState`` itself: the fast path of
``scalegate evidence ingest`` (``scalegate.cli.fast``) parses its arguments without Typer and resolves the
workspace and the actor through these same functions. Typer is therefore imported for annotations only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scalegate.actor import Actor

if TYPE_CHECKING:
    import typer

    from scalegate.governance.hooks import Hooks
    from scalegate.workspace import Workspace

__all__ = ["CliState", "actor_of", "close_workspace", "state", "workspace_of"]


@dataclass
class CliState:
    db: str | None = None
    user: str | None = None
    _workspace: object | None = field(default=None, repr=False)


def state(ctx: typer.Context | CliState) -> CliState:
    """The CLI state stored on the root context (or the state itself, given by a door without Typer)."""
    if isinstance(ctx, CliState):
        return ctx
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
    return root.obj


def workspace_of(ctx: typer.Context | CliState) -> Workspace:
    """Open the workspace named by ``--db`` / ``SCALEGATE_DATABASE_URL`` / ``./.scalegate``, with the
    governance hooks (``scalegate.wiring``) installed the first time a command needs them: importing every
    plugin's domain would cost commands that never sign (``evidence ingest``) a large share of their time."""
    from scalegate.governance.hooks import defer
    from scalegate.workspace import Workspace, open_workspace

    st = state(ctx)
    if st._workspace is None:
        defer(_install_hooks)
        st._workspace = open_workspace(st.db)
    assert isinstance(st._workspace, Workspace)
    return st._workspace


def close_workspace(ctx: typer.Context | CliState) -> None:
    """Close the workspace a command opened (its pooled connections: SQLite folds its write-ahead log back
    into the database file then), if it opened one."""
    st = state(ctx)
    if st._workspace is not None:
        from scalegate.workspace import Workspace

        assert isinstance(st._workspace, Workspace)
        st._workspace.close()
        st._workspace = None


def actor_of(ctx: typer.Context | CliState) -> Actor:
    """The acting user, authenticated: ``--as`` / ``SCALEGATE_USER`` with a credential, an API token, or a
    login session (``scalegate.cli._credentials``); a bare name only in a demo workspace.

    Until a user is named, actions are recorded as the operating-system user with no roles, so anything that
    needs a role is refused rather than silently allowed.
    """
    from scalegate.cli._credentials import cli_actor

    st = state(ctx)
    return cli_actor(workspace_of(ctx), st.user or os.environ.get("SCALEGATE_USER"))


def _install_hooks() -> Hooks:
    from scalegate import wiring

    return wiring.install()
