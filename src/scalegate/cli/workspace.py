"""``scalegate init`` and ``scalegate status``: create a workspace and summarise it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from scalegate.cli._context import state, workspace_of
from scalegate.cli._output import console, emit_json, guarded

if TYPE_CHECKING:
    from scalegate.workspace import Workspace


def init(
    ctx: typer.Context,
    policy: str = typer.Option(
        None, "--policy", help="Built-in policy id or policy file (default: anthropic-rsp-2.2)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Create a workspace (SQLite in ./.scalegate by default) and activate a policy."""
    from scalegate.workspace import init_workspace

    with guarded():
        ws = init_workspace(state(ctx).db, policy)
        summary = _summary(ws)
    if json_out:
        emit_json(summary)
    else:
        out = console()
        out.print(f"[bold]Workspace ready[/bold] at {summary['store']}")
        _print_summary(summary)


def status(
    ctx: typer.Context, json_out: bool = typer.Option(False, "--json", help="Print one JSON document.")
) -> None:
    """Summarise the workspace: store, active policy, its thresholds and standards."""
    with guarded():
        summary = _summary(workspace_of(ctx))
    if json_out:
        emit_json(summary)
    else:
        _print_summary(summary)


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
