"""``scalegate assess`` and human decisions about a checkpoint (determination, affirmative case, interim)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from scalegate.cli._context import actor_of, workspace_of
from scalegate.cli._output import command, console, table
from scalegate.jsonable import to_jsonable

if TYPE_CHECKING:
    from scalegate.assessment.service import Assessment
    from scalegate.cli._documents import OpenedDecision, SignatureDocument

determination_app = typer.Typer(help="Capability determinations: propose and sign.", no_args_is_help=True)
case_app = typer.Typer(
    help="Affirmative cases (required by some thresholds before proceeding).", no_args_is_help=True
)
interim_app = typer.Typer(
    help="Interim measures that turn a pause into a restricted continuation.", no_args_is_help=True
)


@command(render=lambda assessment: print_assessment(to_jsonable(assessment)))
def assess_command(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="MODEL or MODEL@CHECKPOINT."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> Assessment:
    """Show a checkpoint's triggers, findings, forecast, required levels and safeguard gaps."""
    from scalegate.assessment.service import assess

    return assess(workspace_of(ctx), ref)


def print_assessment(result: dict[str, Any]) -> None:
    """Print an assessment document as text."""
    out = console()
    cp = result["checkpoint"]
    ec = cp.get("effective_compute")
    out.print(
        f"[bold]{result['ref']}[/bold]  step {cp.get('step')}  effective compute "
        f"{f'{ec:.3g}' if ec else '-'} ({cp.get('effective_compute_method') or 'unknown'})  "
        f"policy {result['policy']['id']}"
    )
    out.print(f"Evidence basis: {result['basis']['reason']}")
    for trig in result["triggers"]:
        mark = "[red]FIRED[/red]" if trig.get("fired") else "not fired"
        out.print(f"  trigger {trig.get('kind')}: {mark}: {trig.get('text', '')}  [{trig.get('clause')}]")
    rows = []
    for f in result["findings"]:
        for i in f["indicators"] or [{}]:
            est = i.get("estimate")
            interval = f"[{i['ci_low']:.3f}, {i['ci_high']:.3f}]" if i.get("ci_low") is not None else "-"
            rows.append(
                [
                    f["threshold_id"],
                    f["state"],
                    i.get("indicator_id", "-"),
                    i.get("state", "-"),
                    f"{est:.3f}" if est is not None else "-",
                    interval,
                    f"{i.get('alert')}/{i.get('threshold')}" if i else "-",
                    i.get("n_samples") or "-",
                ]
            )
    table(
        "Findings (cannot rule out = treated as crossed)",
        ["threshold", "finding", "indicator", "state", "estimate", "interval", "alert/threshold", "n"],
        rows,
    )
    _print_forecasts(result.get("forecasts") or [])
    levels = result["requirements"]["levels"]
    for kind, req in levels.items():
        sg = result["safeguards"].get(kind, {})
        because = ", ".join(req["because"]) or "baseline"
        met = "[green]met[/green]" if sg.get("met") else "[red]not met[/red]"
        out.print(f"Required {kind}: [bold]{req['level']}[/bold] (because {because}) - {met}")
        for gap in sg.get("gaps", []):
            out.print(f"    gap: {gap}")
    det = result.get("determination")
    out.print(
        "Determination: "
        + (
            "none yet"
            if not det
            else f"#{det['decision_id']} approved={det['approved']} stale={det['stale']} "
            f"missing={det['missing_roles']}"
        )
    )


def _reach(forecast: dict[str, Any], line: str) -> str:
    """Where the trend reaches a line: the effective compute and its multiple of the current one."""
    at = (forecast.get("reach") or {}).get(line) or {}
    ec, ratio = at.get("effective_compute"), at.get("ratio")
    if ec is None:
        return "not within range"
    return f"{ec:.3g}" + (f" ({ratio:.3g}x current)" if ratio is not None else "")


def _print_forecasts(forecasts: list[dict[str, Any]]) -> None:
    """The forecast per indicator, as the help promises: where the fitted trend reaches the alert value and
    the threshold, or why there is no forecast."""
    rows = [
        [f["indicator_id"], f.get("fit") or "-", _reach(f, "alert"), _reach(f, "threshold")]
        if f.get("ok")
        else [f["indicator_id"], "-", f"no forecast: {f.get('reason') or 'too few results'}", ""]
        for f in forecasts
    ]
    if rows:
        table(
            "Forecast (effective compute at which the trend reaches)",
            ["indicator", "fit", "alert", "threshold"],
            rows,
        )


def _levels(values: list[str]) -> dict[str, str] | None:
    if not values:
        return None
    out = {}
    for value in values:
        kind, sep, level = value.partition("=")
        if not sep:
            from scalegate.errors import InputError

            raise InputError(f"--level must be KIND=LEVEL, got {value!r}", where="--level")
        out[kind.strip()] = level.strip()
    return out


def _opened(row: Any) -> OpenedDecision:
    return {"decision_id": row.id, "decision_type": row.decision_type, "subject": row.subject}


def _opened_text(opened: OpenedDecision) -> str:
    kind = opened["decision_type"].replace("_", " ")
    return f"Opened {kind} #{opened['decision_id']} for {opened['subject']}; awaiting sign-off"


@determination_app.command("propose")
@command(text=_opened_text)
def propose(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="MODEL or MODEL@CHECKPOINT."),
    level: list[str] = typer.Option([], "--level", help="KIND=LEVEL to override the engine (repeatable)."),
    justification: str = typer.Option(
        None, "--justification", help="Required when less conservative than the engine."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> OpenedDecision:
    """Open a capability determination for sign-off (the engine's levels unless --level overrides)."""
    from scalegate.assessment.determination import propose_determination

    return _opened(
        propose_determination(
            workspace_of(ctx), actor_of(ctx), ref, levels=_levels(level), justification=justification
        )
    )


@determination_app.command("sign")
@command(
    text=lambda r: f"{'Signed' if r['approve'] else 'Rejected'} decision #{r['decision_id']} as {r['role']}"
)
def sign(
    ctx: typer.Context,
    decision_id: int = typer.Argument(..., help="Decision id."),
    role: str = typer.Option(..., "--role", help="Role you sign as (e.g. rso, ceo)."),
    reject: bool = typer.Option(False, "--reject", help="Reject instead of approving."),
    justification: str = typer.Option(None, "--justification", help="Why (recorded with the signature)."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> SignatureDocument:
    """Sign (or reject) a decision; a fully signed capability determination completes the assessment."""
    from scalegate.cli._signing import signing_password
    from scalegate.governance.decisions import sign as sign_decision

    actor = actor_of(ctx)
    row = sign_decision(
        workspace_of(ctx),
        actor,
        decision_id,
        role,
        password=signing_password(ctx, actor),
        approve=not reject,
        justification=justification,
    )
    return {
        "decision_id": decision_id,
        "role": role,
        "approve": not reject,
        "signature_id": getattr(row, "id", None),
    }


@case_app.command("propose")
@command(text=_opened_text)
def propose_case(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="MODEL or MODEL@CHECKPOINT."),
    document: Path = typer.Argument(..., help="The affirmative case document."),
    summary: str = typer.Option("", "--summary", help="One-paragraph summary."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> OpenedDecision:
    """Open an affirmative case for sign-off, bound to the document's hash."""
    from scalegate.assessment.determination import propose_affirmative_case

    return _opened(propose_affirmative_case(workspace_of(ctx), actor_of(ctx), ref, document, summary=summary))


@interim_app.command("propose")
@command(text=_opened_text)
def propose_interim(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="MODEL or MODEL@CHECKPOINT."),
    action: list[str] = typer.Option(..., "--action", help="Action the measures cover (repeatable)."),
    scope: str = typer.Option(..., "--scope", help="What the restriction is."),
    expires: str = typer.Option(None, "--expires", help="ISO date the measures lapse."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> OpenedDecision:
    """Open interim measures for sign-off."""
    from scalegate.assessment.determination import approve_interim_measures
    from scalegate.clock import parse_instant

    when: datetime | None = parse_instant(expires, "--expires") if expires else None
    return _opened(
        approve_interim_measures(
            workspace_of(ctx), actor_of(ctx), ref, actions=action, scope=scope, expires_at=when
        )
    )
