"""``scalegate init`` and ``scalegate status``: create a workspace and summarise it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from scalegate.cli._context import state, workspace_of
from scalegate.cli._output import command, console

if TYPE_CHECKING:
    from scalegate.workspace import Workspace


def _print_ready(summary: dict[str, Any]) -> None:
    console().print(f"[bold]Workspace ready[/bold] at {summary['store']}")
    _print_summary(summary)


@command(render=_print_ready)
def init(
    ctx: typer.Context,
    policy: str = typer.Option(
        None, "--policy", help="Built-in policy id or policy file (default: anthropic-rsp-2.2)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> dict[str, Any]:
    """Create a workspace (SQLite in ./.scalegate by default) and activate a policy."""
    from scalegate.workspace import init_workspace

    return _summary(init_workspace(state(ctx).db, policy))


@command(render=lambda summary: _print_summary(summary))
def status(
    ctx: typer.Context, json_out: bool = typer.Option(False, "--json", help="Print one JSON document.")
) -> dict[str, Any]:
    """Summarise the workspace: store, active policy, its thresholds and standards."""
    return _summary(workspace_of(ctx))


def _summary(ws: Workspace) -> dict[str, Any]:
    from scalegate.policy.service import policy_summary

    active = ws.active()
    return {
        "store": ws.safe_url,
        "backend": ws.backend,
        "policy": policy_summary(active.policy, active.content_hash),
    }


def _print_summary(summary: dict[str, Any]) -> None:
    from scalegate.cli.policy import print_policy_summary

    print_policy_summary(summary["policy"])
