"""``scalegate policy ...``: list, show, validate and diff policies."""

from __future__ import annotations

from typing import Any

import typer

from scalegate.cli._output import console, emit_json, guarded, table

policy_app = typer.Typer(help="Inspect, validate and compare policies.", no_args_is_help=True)


@policy_app.command("list")
def list_policies(json_out: bool = typer.Option(False, "--json", help="Print one JSON document.")) -> None:
    """List the built-in policies."""
    from scalegate.policy.service import builtin_summaries

    with guarded():
        rows = builtin_summaries()
    if json_out:
        emit_json(rows)
        return
    table(
        "Built-in policies",
        ["id", "title", "version", "effective", "thresholds", "hash"],
        [
            [r["id"], r["title"], r["version"], r["effective_date"], r["thresholds"], r["content_hash"][:12]]
            for r in rows
        ],
    )


@policy_app.command("show")
def show(
    ref: str = typer.Argument(..., help="Built-in policy id or policy file."),
    json_out: bool = typer.Option(False, "--json", help="Print the whole normalised policy as JSON."),
) -> None:
    """Show a policy: the whole normalised document with --json, a summary otherwise."""
    from scalegate.policy import content_hash, resolve_policy
    from scalegate.policy.service import policy_summary

    with guarded():
        policy = resolve_policy(ref)
    if json_out:
        emit_json({"content_hash": content_hash(policy), "policy": policy.model_dump(mode="json")})
        return
    print_policy_summary(policy_summary(policy))


@policy_app.command("validate")
def validate(
    path: str = typer.Argument(..., help="Policy file to validate."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Validate a policy file; errors are reported with file:line:column."""
    from scalegate.policy import content_hash, load_policy

    with guarded():
        policy = load_policy(path)
    result = {"valid": True, "file": path, "id": policy.id, "content_hash": content_hash(policy)}
    if json_out:
        emit_json(result)
    else:
        console().print(
            f"{path}: valid policy {policy.id} ({policy.framework.name} {policy.framework.version})"
        )


@policy_app.command("diff")
def diff(
    old: str = typer.Argument(..., help="Old policy (built-in id or file)."),
    new: str = typer.Argument(..., help="New policy (built-in id or file)."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Show what changed between two policy versions, in policy terms."""
    from scalegate.policy import resolve_policy
    from scalegate.policy.service import diff_summary

    with guarded():
        result = diff_summary(resolve_policy(old), resolve_policy(new))
    if json_out:
        emit_json(result)
        return
    out = console()
    out.print(
        f"[bold]{result['from']['id']}[/bold] -> [bold]{result['to']['id']}[/bold]: "
        f"{len(result['changes'])} changes"
    )
    marks = {"added": "[green]+[/green]", "removed": "[red]-[/red]", "changed": "[yellow]~[/yellow]"}
    for change in result["changes"]:
        out.print(f" {marks[change['kind']]} {change['description']}")


def print_policy_summary(summary: dict[str, Any]) -> None:
    """Print a policy summary as text."""
    out = console()
    out.print(
        f"[bold]{summary['title']}[/bold] ({summary['id']}, {summary['framework']} {summary['version']}, "
        f"effective {summary['effective_date']}, hash {summary['content_hash'][:12]})"
    )
    t = summary["triggers"]
    out.print(
        f"Triggers: effective compute x{t['effective_compute_ratio']}, every {t['calendar_months']} months, "
        f"buffer {t['safety_buffer_multiple'] or '-'}x, deadline {t['deadline_days'] or '-'} days; "
        f"baseline {', '.join(summary['baseline'])}"
    )
    table(
        "Capability thresholds",
        ["threshold", "domain", "status", "requires", "indicators"],
        [
            [
                x["id"],
                x["domain"],
                x["status"],
                ", ".join(x["requires"])
                + (" (expected)" if x["mapping"] == "expected" else "")
                + (" + affirmative case" if x["affirmative_case_required"] else ""),
                x["indicators"],
            ]
            for x in summary["thresholds"]
        ],
    )
