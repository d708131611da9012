"""``scalegate compare``: one checkpoint's record judged under several frameworks.

The command parses and prints; the comparison (``scalegate.gate.comparison``) assesses and decides under
each framework, and writes nothing.
"""

from __future__ import annotations

import typer

from scalegate.cli._context import workspace_of
from scalegate.cli._output import command, console, table
from scalegate.gate.comparison import Comparison

POLICIES_HELP = "`all` (every built-in policy) or comma-separated built-in policy ids."

_MARK = {
    "allow": "[green]allow[/green]",
    "restrict": "[yellow]restrict[/yellow]",
    "pause": "[red]pause[/red]",
}


@command(render=lambda result: print_comparison(result))
def compare_command(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="MODEL or MODEL@CHECKPOINT."),
    policies: str = typer.Option("all", "--policies", help=POLICIES_HELP),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> Comparison:
    """Judge a checkpoint's record under every framework: verdicts, deciding clauses, what is missing."""
    from scalegate.gate.comparison import compare, select_policies

    return compare(workspace_of(ctx), ref, select_policies(policies))


def _short(clause: str, limit: int = 60) -> str:
    """A clause as the table shows it: a standard's reason may cite a clause per threshold, which the table
    cuts (``--json`` and the needs below keep them whole)."""
    return clause if len(clause) <= limit else clause[: limit - 1] + "…"


def print_comparison(result: Comparison) -> None:
    """One row per framework: the verdict of each action with the clause that decided it; then, per
    framework, what the record lacks for it."""
    out = console()
    out.print(
        f"[bold]{result.ref}[/bold] under {len(result.frameworks)} frameworks; active policy "
        f"{result.active_policy}; audit log size {result.state_version}"
    )
    rows = []
    for f in result.frameworks:
        cells = []
        for action in result.actions:
            row = f.actions[action]
            first = row.decisive[0] if row.decisive else None
            why = f" {first.code}" if first else ""
            why += f" ({_short(first.clause)})" if first and first.clause else ""
            cells.append(f"{_MARK.get(row.outcome, row.outcome)}{why}")
        name = f.policy_id + (" (active)" if f.active else "")
        rows.append([name, *cells, f"{len(f.cannot_rule_out)}", f"{len(f.needs)}"])
    table(
        "Verdicts per framework (decided by: reason code and clause)",
        ["framework", *result.actions, "cannot rule out", "needs"],
        rows,
    )
    for f in result.frameworks:
        if not f.needs:
            continue
        out.print(f"[bold]{f.policy_id}[/bold] needs:")
        if f.uncovered_domains:
            out.print(f"  domains with no usable result: {', '.join(f.uncovered_domains)}", markup=False)
        for need in f.needs:
            clause = f" [{need.clause}]" if need.clause else ""
            out.print(f"  {need.kind}: {need.text}{clause}", markup=False)
