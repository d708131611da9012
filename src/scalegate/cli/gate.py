"""``scalegate gate``: the verdict for an action, as exit code and explanation (``scalegate.gate.fast``)."""

from __future__ import annotations

import typer

from scalegate.cli._context import state


def gate(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="MODEL or MODEL@CHECKPOINT."),
    action: str = typer.Option(
        ..., "--action", help="continue-training | deploy-internal | deploy-external."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Decide allow (exit 0) / restrict (4) / pause (3) for an action, with the reasons (2: bad input)."""
    from scalegate.gate.fast import main

    args = [ref, "--action", action] + (["--json"] if json_out else [])
    db = state(ctx).db
    if db:
        args += ["--db", db]
    raise typer.Exit(main(args))
