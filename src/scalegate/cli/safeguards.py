"""``scalegate safeguards ...``: implementation records, evidence, review, status and determinations."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from scalegate.cli._context import actor_of, workspace_of
from scalegate.cli._output import command, console, table
from scalegate.jsonable import to_jsonable

if TYPE_CHECKING:
    from scalegate.cli._documents import OpenedStandardDetermination, SubmittedEvidence
    from scalegate.safeguards.service import StandardStatus

safeguards_app = typer.Typer(
    help="Safeguard standards: implementation, evidence, status.", no_args_is_help=True
)


def _print_status(result: dict[str, Any]) -> None:
    console().print(
        f"[bold]{result['kind']} {result['level']}[/bold]: {'met' if result['met'] else 'NOT met'}"
    )
    table(
        None,
        ["criterion", "level", "met", "owner", "reason"],
        [
            [c["criterion_id"], c["level"], "yes" if c["met"] else "no", c["owner"] or "-", c["reason"]]
            for c in result["criteria"]
        ],
    )
    for reason in result["reasons"]:
        console().print(f"  - {reason['text']} [{reason['clause']}]")


@safeguards_app.command("status")
@command(render=lambda standard: _print_status(to_jsonable(standard)))
def status(
    ctx: typer.Context,
    kind: str = typer.Argument(..., help="deployment or security."),
    level: str = typer.Argument(..., help="Level id, e.g. ASL-3."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> StandardStatus:
    """Whether a standard is met, criterion by criterion (cumulative with lower levels)."""
    from scalegate.safeguards.service import standard_report

    return standard_report(workspace_of(ctx), kind, level)


@safeguards_app.command("implement")
@command(text=lambda done: f"Recorded implementation of {done[0]} ({done[1]})")
def implement(
    ctx: typer.Context,
    criterion: str = typer.Argument(..., help="Criterion id."),
    owner: str = typer.Option(..., "--owner", help="Who owns the implementation."),
    status_: str = typer.Option("implemented", "--status", help="planned | in_progress | implemented."),
    description: str = typer.Option("", "--description", help="How it is implemented."),
) -> tuple[str, str]:
    """Record how a criterion is implemented."""
    from scalegate.errors import InputError
    from scalegate.safeguards.service import record_implementation

    if status_ not in ("planned", "in_progress", "implemented"):
        raise InputError(
            f"--status must be planned, in_progress or implemented, not {status_!r}", where="--status"
        )
    record_implementation(
        workspace_of(ctx),
        actor_of(ctx),
        criterion,
        owner=owner,
        status=status_,  # type: ignore[arg-type]
        description=description,
    )
    return criterion, status_


@safeguards_app.command("evidence")
@command(
    text=lambda r: f"Submitted evidence #{r['evidence_id']} for {r['criterion_id']}; awaiting review",
)
def evidence(
    ctx: typer.Context,
    criterion: str = typer.Argument(..., help="Criterion id."),
    title: str = typer.Option(..., "--title", help="What the evidence is."),
    file: Path = typer.Option(None, "--file", help="A document (stored by its hash)."),
    uri: str = typer.Option(None, "--uri", help="A link."),
    result: str = typer.Option(None, "--result", help="A test result as JSON."),
    expires: str = typer.Option(None, "--expires", help="ISO date after which it no longer counts."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> SubmittedEvidence:
    """Submit evidence for a criterion; it counts once someone else approves it."""
    from scalegate.clock import parse_instant
    from scalegate.errors import InputError
    from scalegate.safeguards.service import EvidenceKind, add_evidence

    kind: EvidenceKind = "document" if file else ("link" if uri else "test_result")
    from scalegate.inputs import load_json

    try:
        parsed = load_json(result) if result else None
    except ValueError as exc:
        raise InputError(f"--result: {exc}", where="--result") from exc
    row = add_evidence(
        workspace_of(ctx),
        actor_of(ctx),
        criterion,
        title=title,
        kind=kind,
        path=file,
        uri=uri,
        result=parsed,
        expires_at=parse_instant(expires, "--expires") if expires else None,
    )
    return {"evidence_id": row.id, "criterion_id": criterion, "sha256": row.sha256, "status": row.status}


@safeguards_app.command("review")
@command(text=lambda row: f"Evidence #{row.id} {row.status}")
def review(
    ctx: typer.Context,
    evidence_id: int = typer.Argument(..., help="Evidence id."),
    reject: bool = typer.Option(False, "--reject", help="Reject instead of approving."),
    note: str = typer.Option(None, "--note", help="Review note."),
) -> Any:
    """Approve (or reject) submitted evidence; the submitter cannot review their own."""
    from scalegate.safeguards.service import review_evidence

    return review_evidence(workspace_of(ctx), actor_of(ctx), evidence_id, approve=not reject, note=note)


@safeguards_app.command("determine")
@command(
    text=lambda r: (
        f"Opened safeguards determination #{r['decision_id']} for {r['standard']}; awaiting sign-off"
    ),
    to_json=lambda r: {k: v for k, v in r.items() if k != "standard"},
)
def determine(
    ctx: typer.Context,
    kind: str = typer.Argument(..., help="deployment or security."),
    level: str = typer.Argument(..., help="Level id."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> OpenedStandardDetermination:
    """Open the safeguards determination for a standard, bound to its current evidence set."""
    from scalegate.safeguards.service import propose_safeguards_determination

    row = propose_safeguards_determination(workspace_of(ctx), actor_of(ctx), kind, level)
    return {
        "decision_id": row.id,
        "decision_type": row.decision_type,
        "subject": row.subject,
        "standard": f"{kind} {level}",
    }
