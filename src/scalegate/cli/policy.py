"""``scalegate policy ...``: list, show, validate and diff policies; migrate the workspace to another one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from scalegate.cli._context import actor_of, workspace_of
from scalegate.cli._output import command, console, table

if TYPE_CHECKING:
    from scalegate.cli._documents import ValidatedPolicy, ValidPolicy
    from scalegate.policy.service import BuiltinSummary, PolicyDiffDocument, PolicySummary

policy_app = typer.Typer(help="Inspect, validate and compare policies.", no_args_is_help=True)


def _print_list(rows: list[BuiltinSummary]) -> None:
    table(
        "Built-in policies",
        ["id", "publisher", "version", "effective", "supersedes", "superseded by", "thresholds", "hash"],
        [
            [
                r["id"],
                r["publisher"],
                r["version"],
                r["effective_date"],
                r["supersedes"] or "-",
                r["superseded_by"] or "-",
                r["thresholds"],
                r["content_hash"][:12],
            ]
            for r in rows
        ],
    )


@policy_app.command("list")
@command(render=_print_list)
def list_policies(
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> list[BuiltinSummary]:
    """List the built-in policies."""
    import json

    from scalegate.cli._index import builtin_summaries as indexed

    document = indexed()  # the shipped index, while every policy file still has its recorded hash
    if document is not None:
        rows: list[BuiltinSummary] = json.loads(document)  # written from ``builtin_summaries`` at build time
        return rows
    from scalegate.policy.service import builtin_summaries

    return builtin_summaries()


@policy_app.command("show")
@command(
    render=lambda policy: print_policy_summary(_summary_of(policy)),
    to_json=lambda policy: {"content_hash": _hash_of(policy), "policy": policy.model_dump(mode="json")},
)
def show(
    ref: str = typer.Argument(..., help="Built-in policy id or policy file."),
    json_out: bool = typer.Option(False, "--json", help="Print the whole normalised policy as JSON."),
) -> Any:
    """Show a policy: the whole normalised document with --json, a summary otherwise."""
    from scalegate.policy import resolve_policy

    return resolve_policy(ref)


def _summary_of(policy: Any) -> PolicySummary:
    """The policy's summary document (``scalegate.policy.service.policy_summary``)."""
    from scalegate.policy.service import policy_summary

    return policy_summary(policy)


def _hash_of(policy: Any) -> str:
    from scalegate.policy import content_hash

    return content_hash(policy)


def _without_framework(result: ValidatedPolicy) -> ValidPolicy:
    return {
        "valid": result["valid"],
        "file": result["file"],
        "id": result["id"],
        "content_hash": result["content_hash"],
    }


@policy_app.command("validate")
@command(text=lambda r: f"{r['file']}: valid policy {r['id']} ({r['framework']})", to_json=_without_framework)
def validate(
    path: str = typer.Argument(..., help="Policy file to validate."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> ValidatedPolicy:
    """Validate a policy file; errors are reported with file:line:column."""
    from scalegate.policy import content_hash, load_policy

    policy = load_policy(path)
    framework = f"{policy.framework.name} {policy.framework.version}"
    return {
        "valid": True,
        "file": path,
        "id": policy.id,
        "content_hash": content_hash(policy),
        "framework": framework,
    }


def _print_diff(result: dict[str, Any]) -> None:
    out = console()
    out.print(
        f"[bold]{result['from']['id']}[/bold] -> [bold]{result['to']['id']}[/bold]: "
        f"{len(result['changes'])} changes"
    )
    if result.get("summary"):
        out.print("In policy terms:")
        for line in result["summary"]:
            out.print(f"  * {line}", markup=False)
        out.print("Every change:")
    marks = {"added": "[green]+[/green]", "removed": "[red]-[/red]", "changed": "[yellow]~[/yellow]"}
    citations = [c for c in result["changes"] if c.get("citation")]
    for change in result["changes"]:
        if not change.get("citation"):
            out.print(f" {marks[change['kind']]} ", end="")
            out.print(change["description"], markup=False)
    if citations:
        out.print(f" ({len(citations)} changed citations of unchanged rules; --json lists them)")


@policy_app.command("diff")
@command(render=_print_diff)
def diff(
    old: str = typer.Argument(..., help="Old policy (built-in id or file)."),
    new: str = typer.Argument(..., help="New policy (built-in id or file)."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> PolicyDiffDocument:
    """Show what changed between two policy versions, in policy terms."""
    from scalegate.policy import resolve_policy
    from scalegate.policy.service import diff_summary

    return diff_summary(resolve_policy(old), resolve_policy(new))


def print_policy_summary(summary: PolicySummary) -> None:
    """Print a policy summary as text."""
    out = console()
    out.print(
        f"[bold]{summary['title']}[/bold] ({summary['id']}, {summary['framework']} {summary['version']}, "
        f"effective {summary['effective_date']}, hash {summary['content_hash'][:12]})"
    )
    t = summary["triggers"]
    out.print(
        f"Triggers: effective compute x{t['effective_compute_ratio'] or '-'}, "
        f"every {t['calendar_months'] or '-'} months, "
        f"buffer {t['safety_buffer_multiple'] or '-'}x, deadline {t['deadline_days'] or '-'} days; "
        f"baseline {', '.join(summary['baseline'])}"
    )
    for gate in summary.get("gates", []):
        needs = [
            f"{what} {', '.join(values)}"
            for what, values in (
                ("safeguards", gate["requires_kinds"]),
                ("decisions", gate["requires_decisions"]),
                ("obligations", gate["requires_obligations"]),
            )
            if values
        ]
        out.print(
            f"Gate {gate['action']}: " + ("; ".join(needs) or "nothing beyond the findings"), markup=False
        )
    for line in summary.get("obligations", []):
        out.print(f"Obligation {line}", markup=False)
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


# -- coverage ------------------------------------------------------------------------------------------------

COVERAGE_FORMATS = ("table", "csv", "json")


def _print_coverage(result: tuple[Any, str, str | None]) -> None:
    from scalegate.cli._coverage import print_table, write_export

    matrix, fmt, output = result
    if fmt == "table" and output is None:
        print_table(matrix)
    else:
        write_export(matrix, fmt, output)


def _coverage_json(result: tuple[Any, str, str | None]) -> Any:
    from scalegate.cli._coverage import write_export

    matrix, _, output = result
    if output is None:
        return matrix
    return write_export(matrix, "json", output, quiet=True)


@policy_app.command("coverage")
@command(render=_print_coverage, to_json=_coverage_json)
def coverage(
    policies: str = typer.Option(
        "all", "--policies", help="`all`, or comma-separated built-in ids or policy files."
    ),
    fmt: str = typer.Option("table", "--format", help="table, csv or json."),
    output: str | None = typer.Option(None, "--output", help="Write the csv or json export to this file."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document (same as --format json)."),
) -> tuple[Any, str, str | None]:
    """Coverage matrix: each framework against each concept, derived from the policy files."""
    from scalegate.errors import InputError
    from scalegate.policy.coverage import coverage_matrix, select_policies

    if fmt not in COVERAGE_FORMATS:
        raise InputError(f"unknown format {fmt!r}; use table, csv or json", where="format")
    if output is not None and fmt == "table" and not json_out:
        raise InputError("--output writes csv or json; add --format csv or --format json", where="format")
    return coverage_matrix(select_policies(policies, allow_files=True)), fmt, output


def _print_migration(result: Any) -> None:
    from scalegate.cli.migration import print_migration

    print_migration(result)


@policy_app.command("migrate")
@command(render=_print_migration)
def migrate(
    ctx: typer.Context,
    to: str = typer.Option(..., "--to", help="Target policy: a built-in id or a policy file."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only show what the change does; write nothing."),
    effective: str = typer.Option(
        None, "--effective", help="When it takes effect (default: its effective date; not with --dry-run)."
    ),
    rationale: str = typer.Option("", "--rationale", help="Why the change (not with --dry-run)."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> Any:
    """Show what moving the workspace to another policy changes (obligations, verdicts, sign-offs,
    deadlines); without --dry-run, propose the change with that impact recorded for its approvers."""
    from scalegate.clock import parse_instant
    from scalegate.errors import InputError
    from scalegate.gate.migration import migrate as run
    from scalegate.policy import resolve_policy

    target = resolve_policy(to)
    if dry_run and (effective is not None or rationale):
        raise InputError("a dry run proposes nothing: drop --effective and --rationale", where="--dry-run")
    effective_at = parse_instant(effective, "--effective") if effective is not None else None
    return run(
        workspace_of(ctx),
        actor_of(ctx),
        target,
        dry_run=dry_run,
        effective_at=effective_at,
        rationale=rationale,
        origin=to,
    )
