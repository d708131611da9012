"""``scalegate init``, ``status``, ``login`` and ``logout``: create a workspace, summarise it, and sign in to
it from this machine."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from scalegate.cli._context import state, workspace_of
from scalegate.cli._output import Said, command, console
from scalegate.jsonable import to_jsonable

if TYPE_CHECKING:
    from scalegate.cli._documents import WorkspaceSummary
    from scalegate.workspace import Workspace


def _print_ready(summary: WorkspaceSummary) -> None:
    console().print(f"[bold]Workspace ready[/bold] at {summary['store']}")
    _print_summary(summary)


@command(render=_print_ready)
def init(
    ctx: typer.Context,
    policy: str = typer.Option(
        None, "--policy", help="Built-in policy id or policy file (default: anthropic-rsp-2.2)."
    ),
    demo: bool = typer.Option(
        False,
        "--demo",
        help="Make a demo workspace: SCALEGATE_NOW moves its clock and --as needs no credential; every "
        "record and page says so.",
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> WorkspaceSummary:
    """Create a workspace (SQLite in ./.scalegate by default) and activate a policy."""
    from scalegate.workspace import init_workspace

    return _summary(init_workspace(state(ctx).db, policy, mode="demo" if demo else None))


@command(render=lambda summary: _print_summary(summary))
def status(
    ctx: typer.Context, json_out: bool = typer.Option(False, "--json", help="Print one JSON document.")
) -> WorkspaceSummary:
    """Summarise the workspace: store, active policy, its thresholds and standards."""
    return _summary(workspace_of(ctx))


def _summary(ws: Workspace) -> WorkspaceSummary:
    """The workspace's summary: store (without password), backend, mode, the active policy's summary."""
    from scalegate.policy.service import policy_summary

    with ws.reading() as ctx:
        active = ctx.active
    return {
        "store": ws.safe_url,
        "backend": ws.backend,
        "mode": ws.mode,
        "policy": to_jsonable(policy_summary(active.policy, active.content_hash)),
    }


def _print_summary(summary: WorkspaceSummary) -> None:
    from scalegate.cli.policy import print_policy_summary

    if summary.get("mode") == "demo":
        console().print(
            "[bold yellow]Demo workspace[/bold yellow]: its clock can be moved and --as needs no credential"
        )
    print_policy_summary(summary["policy"])


@command()
def login(
    ctx: typer.Context,
    user: str = typer.Argument(..., help="Your workspace user name."),
    hours: int = typer.Option(12, "--hours", help="How long the login lasts (1..168 hours)."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> Said:
    """Sign in to the workspace from this machine: check your password, keep a session in the OS keyring."""
    import os

    from scalegate.governance.credentials import PASSWORD_ENV
    from scalegate.sdk.login import login as keep_login

    password = os.environ.get(PASSWORD_ENV) or str(
        typer.prompt(f"Password of {user}", hide_input=True, err=True)
    )
    started = keep_login(workspace_of(ctx), user, password, hours=hours)
    document = {"user": user, "session_id": started.id, "expires_at": started.expires_at.isoformat()}
    return Said(document, f"Signed in as {user} until {started.expires_at.isoformat()}")


@command()
def logout(
    ctx: typer.Context, json_out: bool = typer.Option(False, "--json", help="Print one JSON document.")
) -> Said:
    """Sign out: end the session kept for this workspace and remove it from the OS keyring."""
    from scalegate.sdk.login import logout as end_login

    user = end_login(workspace_of(ctx))
    line = f"Signed out {user}" if user else "Not signed in to this workspace"
    return Said({"user": user, "signed_out": user is not None}, line)
