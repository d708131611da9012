"""``scalegate risk-report|review|roadmap|offcycle|competitor ...``: the documents a policy obliges.

Thin: each command parses its options, calls ``scalegate.governance.documents`` and prints the result.
Approvals, the selection of reviewers and competitor determinations are decisions: sign them with
``scalegate signoff DECISION_ID --role ROLE``.
"""

from __future__ import annotations

import json
from typing import Any

import typer

from scalegate.cli._context import actor_of, workspace_of
from scalegate.cli._output import command, console, table

__all__ = ["competitor_app", "offcycle_app", "review_app", "risk_report_app", "roadmap_app"]

risk_report_app = typer.Typer(
    help="Risk Reports: draft from the record, submit, share, publish.", no_args_is_help=True
)
review_app = typer.Typer(
    help="External reviews of Risk Reports: reviewers, sending, commentary.", no_args_is_help=True
)
roadmap_app = typer.Typer(help="Safety roadmap goals: add, grade, list.", no_args_is_help=True)
offcycle_app = typer.Typer(
    help="Off-cycle analyses of one model: determine, publish, list.", no_args_is_help=True
)
competitor_app = typer.Typer(help="Competitor-contingent determinations, signed.", no_args_is_help=True)

JSON_OPTION = typer.Option(False, "--json", help="Print one JSON document.")


def _when(value: str, option: str) -> Any:
    from scalegate.clock import parse_instant

    return parse_instant(value, option)


def _report_line(r: Any) -> str:
    extra = f"; approval decision #{r.approval_decision_id}" if r.approval_decision_id else ""
    board = f"; Board/LTBT decision #{r.board_decision_id}" if r.board_decision_id else ""
    return f"Risk report #{r.id} ({r.title}): {r.status}{extra}{board}"


def _render_reports(reports: list[Any]) -> None:
    table(
        None,
        ["id", "title", "status", "coverage", "models", "published"],
        [
            [
                str(r.id),
                r.title,
                r.status,
                r.coverage_date.date().isoformat(),
                ", ".join(r.models),
                r.published_at.date().isoformat() if r.published_at else "-",
            ]
            for r in reports
        ],
    )


# -- risk-report ---------------------------------------------------------------------------------------------


@risk_report_app.command("draft")
@command(text=_report_line)
def draft(
    ctx: typer.Context,
    title: str = typer.Option(..., "--title", help="Title of the report."),
    coverage_date: str = typer.Option(
        ..., "--coverage-date", help="ISO date the report covers the record as of."
    ),
    model: list[str] = typer.Option(
        None, "--model", help="A model it covers (repeat; default: every model)."
    ),
    marginal_risk: bool = typer.Option(
        False, "--marginal-risk", help="A marginal-risk argument plays a major role in moving forward."
    ),
    highly_capable: bool = typer.Option(
        False, "--highly-capable", help="A covered model crosses the threshold that defines highly capable."
    ),
    json_out: bool = JSON_OPTION,
) -> Any:
    """Draft a Risk Report from the record as of its coverage date."""
    from scalegate.governance.documents import risk_reports

    return risk_reports.draft(
        workspace_of(ctx),
        actor_of(ctx),
        title=title,
        coverage_date=_when(coverage_date, "--coverage-date"),
        models=list(model or []) or None,
        marginal_risk_major=marginal_risk,
        highly_capable=highly_capable,
    )


@risk_report_app.command("submit")
@command(text=_report_line)
def submit(
    ctx: typer.Context,
    report_id: int = typer.Argument(..., help="Risk report id."),
    json_out: bool = JSON_OPTION,
) -> Any:
    """Open the approval decisions of a draft, bound to its contents."""
    from scalegate.governance.documents import risk_reports

    return risk_reports.submit(workspace_of(ctx), actor_of(ctx), report_id)


@risk_report_app.command("share")
@command(text=_report_line)
def share(
    ctx: typer.Context,
    report_id: int = typer.Argument(..., help="Risk report id."),
    json_out: bool = JSON_OPTION,
) -> Any:
    """Share an approved report with the bodies the policy names (starts the external review's clock)."""
    from scalegate.governance.documents import risk_reports

    return risk_reports.share(workspace_of(ctx), actor_of(ctx), report_id)


@risk_report_app.command("publish")
@command(text=_report_line)
def publish(
    ctx: typer.Context,
    report_id: int = typer.Argument(..., help="Risk report id."),
    redaction: list[str] = typer.Option(
        None, "--redaction", help="SECTION:REASON[:NOTE] of a redaction of the public version (repeat)."
    ),
    recipients: str = typer.Option(
        "{}", "--recipients", help='Recipients per audience as JSON, e.g. {"employees": 250}.'
    ),
    url: str = typer.Option(None, "--url", help="Where the public version is published."),
    json_out: bool = JSON_OPTION,
) -> Any:
    """Publish a shared report with its redaction notes and disclosure tiers."""
    from scalegate.errors import InputError
    from scalegate.governance.documents import risk_reports

    parsed = []
    for text in redaction or []:
        parts = text.split(":", 2)
        if len(parts) < 2:
            raise InputError(f"--redaction {text!r}: expected SECTION:REASON[:NOTE]", where="--redaction")
        parsed.append(risk_reports.Redaction(parts[0], parts[1], parts[2] if len(parts) > 2 else ""))
    try:
        counts = json.loads(recipients)
    except json.JSONDecodeError as exc:
        raise InputError(f"--recipients is not JSON: {exc.msg}", where="--recipients") from None
    if not isinstance(counts, dict) or not all(isinstance(v, int) for v in counts.values()):
        raise InputError("--recipients must map audiences to whole numbers", where="--recipients")
    return risk_reports.publish(
        workspace_of(ctx), actor_of(ctx), report_id, redactions=parsed, recipients=counts, url=url
    )


@risk_report_app.command("deem-redacted")
@command(text=lambda r: "Recorded" + (f"; external review #{r.id} under way" if r else ""))
def deem_redacted(
    ctx: typer.Context,
    report_id: int = typer.Argument(..., help="Risk report id."),
    json_out: bool = JSON_OPTION,
) -> Any:
    """Deem a report's public version significantly redacted, in a role the policy lets judge it."""
    from scalegate.governance.documents import reviews

    return reviews.deem_significantly_redacted(workspace_of(ctx), actor_of(ctx), report_id)


@risk_report_app.command("show")
@command(text=_report_line)
def show(
    ctx: typer.Context,
    report_id: int = typer.Argument(..., help="Risk report id."),
    json_out: bool = JSON_OPTION,
) -> Any:
    """One Risk Report with its approvals, redactions, disclosure and contents."""
    from scalegate.governance.documents import risk_reports

    return risk_reports.show(workspace_of(ctx), actor_of(ctx), report_id)


@risk_report_app.command("list")
@command(render=_render_reports)
def list_(ctx: typer.Context, json_out: bool = JSON_OPTION) -> Any:
    """Every Risk Report, newest first."""
    from scalegate.governance.documents import risk_reports

    return risk_reports.list_reports(workspace_of(ctx), actor_of(ctx))


@risk_report_app.command("render")
@command(text=lambda paths: "Wrote " + ", ".join(str(p) for p in paths.values()))
def render(
    ctx: typer.Context,
    report_id: int = typer.Argument(..., help="Risk report id."),
    out: str = typer.Option(".", "--out", help="Directory to write into."),
    fmt: list[str] = typer.Option(None, "--format", help="html, pdf or md (repeat; default: html and md)."),
    packet: bool = typer.Option(False, "--packet", help="The packet for external reviewers instead."),
    json_out: bool = JSON_OPTION,
) -> Any:
    """Render a Risk Report (or its reviewer packet) as HTML, Markdown or PDF."""
    from pathlib import Path

    from scalegate.reports.risk_report import write_risk_report

    return write_risk_report(
        workspace_of(ctx),
        actor_of(ctx),
        report_id,
        Path(out),
        list(fmt or []) or ("html", "md"),
        packet=packet,
    )


# -- review --------------------------------------------------------------------------------------------------


def _review_line(r: Any) -> str:
    selection = f"selection decision #{r.selection_decision_id}"
    return f"External review #{r.id} of report #{r.risk_report_id}: {r.status}; {selection}"


@review_app.command("start")
@command(text=_review_line)
def review_start(
    ctx: typer.Context,
    report_id: int = typer.Argument(..., help="Risk report id."),
    reviewer: list[str] = typer.Option(
        ..., "--reviewer", help="NAME or NAME:SECTION,SECTION (repeat; no sections: the whole report)."
    ),
    requested: bool = typer.Option(False, "--requested", help="A review requested by the body that may ask."),
    json_out: bool = JSON_OPTION,
) -> Any:
    """Propose reviewers for a report and open their selection for approval."""
    from scalegate.governance.documents import reviews

    parsed = []
    for text in reviewer:
        name, _, sections = text.partition(":")
        parsed.append((name, [s.strip() for s in sections.split(",") if s.strip()]))
    return reviews.start(
        workspace_of(ctx),
        actor_of(ctx),
        report_id,
        reviewers=parsed,
        trigger="requested" if requested else "required",
    )


@review_app.command("send")
@command(text=_review_line)
def review_send(
    ctx: typer.Context,
    review_id: int = typer.Argument(..., help="External review id."),
    reviewer: str = typer.Argument(..., help="Reviewer name."),
    json_out: bool = JSON_OPTION,
) -> Any:
    """Record that the report went to a reviewer (their commentary clock starts)."""
    from scalegate.governance.documents import reviews

    return reviews.send(workspace_of(ctx), actor_of(ctx), review_id, reviewer)


@review_app.command("commentary")
@command(text=_review_line)
def review_commentary(
    ctx: typer.Context,
    review_id: int = typer.Argument(..., help="External review id."),
    reviewer: str = typer.Argument(..., help="Reviewer name."),
    url: str = typer.Option(..., "--url", help="Where the commentary is published."),
    json_out: bool = JSON_OPTION,
) -> Any:
    """Record a reviewer's public commentary."""
    from scalegate.governance.documents import reviews

    return reviews.record_commentary(workspace_of(ctx), actor_of(ctx), review_id, reviewer, url=url)


@review_app.command("list")
@command(
    render=lambda rows: table(
        None,
        ["id", "report", "trigger", "status", "reviewers"],
        [
            [str(r.id), str(r.risk_report_id), r.trigger, r.status, ", ".join(v.name for v in r.reviewers)]
            for r in rows
        ],
    )
)
def review_list(ctx: typer.Context, json_out: bool = JSON_OPTION) -> Any:
    """External reviews with their reviewers and clocks."""
    from scalegate.governance.documents import reviews

    return reviews.list_reviews(workspace_of(ctx), actor_of(ctx))


# -- roadmap -------------------------------------------------------------------------------------------------


@roadmap_app.command("add")
@command(text=lambda r: f"Roadmap goal #{r.id}: {r.title} (target {r.target_date.date()})")
def roadmap_add(
    ctx: typer.Context,
    title: str = typer.Argument(..., help="The goal."),
    area: str = typer.Option(..., "--area", help="Area, e.g. security, alignment, safeguards, policy."),
    target: str = typer.Option(..., "--target", help="ISO target date."),
    json_out: bool = JSON_OPTION,
) -> Any:
    """Add a roadmap goal (not a hard commitment; a miss is listed by the next report)."""
    from scalegate.governance.documents import roadmap

    return roadmap.add_item(
        workspace_of(ctx), actor_of(ctx), area=area, title=title, target_date=_when(target, "--target")
    )


@roadmap_app.command("grade")
@command(text=lambda r: f"Roadmap goal #{r.id}: {r.status}")
def roadmap_grade(
    ctx: typer.Context,
    item_id: int = typer.Argument(..., help="Goal id."),
    status: str = typer.Argument(..., help="met | missed | dropped."),
    note: str = typer.Option("", "--note", help="Why."),
    json_out: bool = JSON_OPTION,
) -> Any:
    """Grade a roadmap goal."""
    from scalegate.governance.documents import roadmap

    return roadmap.grade(workspace_of(ctx), actor_of(ctx), item_id, status, note=note)


@roadmap_app.command("list")
@command(
    render=lambda rows: table(
        None,
        ["id", "area", "goal", "target", "status", "listed in"],
        [
            [
                str(r.id),
                r.area,
                r.title,
                r.target_date.date().isoformat(),
                r.status,
                str(r.listed_in_report_id or "-"),
            ]
            for r in rows
        ],
    )
)
def roadmap_list(ctx: typer.Context, json_out: bool = JSON_OPTION) -> Any:
    """Every roadmap goal and its grade."""
    from scalegate.governance.documents import roadmap

    return roadmap.list_items(workspace_of(ctx), actor_of(ctx))


# -- offcycle ------------------------------------------------------------------------------------------------


def _offcycle_line(r: Any) -> str:
    due = r.due_at.date().isoformat() if r.due_at else "no deadline"
    state = f"published in {r.artifact}" if r.published_at else f"due {due}"
    return f"Off-cycle analysis #{r.id} of {r.model}: {state} [{r.clause}]"


@offcycle_app.command("determine")
@command(text=_offcycle_line)
def offcycle_determine(
    ctx: typer.Context,
    model: str = typer.Argument(..., help="Model name."),
    reason: str = typer.Option(..., "--reason", help="Why it exceeds what was publicly analysed."),
    public: bool = typer.Option(False, "--public", help="A public deployment (default: internal)."),
    json_out: bool = JSON_OPTION,
) -> Any:
    """Record that a model exceeds what was publicly analysed (starts the analysis clock)."""
    from scalegate.governance.documents import offcycle

    return offcycle.determine(
        workspace_of(ctx),
        actor_of(ctx),
        model=model,
        reason=reason,
        deployment="public" if public else "internal",
    )


@offcycle_app.command("publish")
@command(text=_offcycle_line)
def offcycle_publish(
    ctx: typer.Context,
    analysis_id: int = typer.Argument(..., help="Analysis id."),
    artifact: str = typer.Option(..., "--artifact", help="The public artifact that carries it."),
    json_out: bool = JSON_OPTION,
) -> Any:
    """Record an off-cycle analysis as published."""
    from scalegate.governance.documents import offcycle

    return offcycle.publish(workspace_of(ctx), actor_of(ctx), analysis_id, artifact=artifact)


def _render_offcycle(rows: list[Any]) -> None:
    for row in rows:
        console().print(_offcycle_line(row))


@offcycle_app.command("list")
@command(render=_render_offcycle)
def offcycle_list(
    ctx: typer.Context,
    model: str = typer.Option(None, "--model", help="Only this model."),
    json_out: bool = JSON_OPTION,
) -> Any:
    """Off-cycle analyses and their clocks."""
    from scalegate.governance.documents import offcycle

    return offcycle.list_analyses(workspace_of(ctx), actor_of(ctx), model=model)


# -- competitor ----------------------------------------------------------------------------------------------


@competitor_app.command("determine")
@command(text=lambda d: f"Opened competitor determination #{d['decision_id']}; awaiting sign-off")
def competitor_determine(
    ctx: typer.Context,
    model: str = typer.Argument(..., help="Model name."),
    scenario: str = typer.Option(..., "--scenario", help="Scenario id of the policy's outcomes."),
    evidence: str = typer.Option(..., "--evidence", help="The evidence the determination rests on."),
    json_out: bool = JSON_OPTION,
) -> Any:
    """Open a competitor-scenario determination for a model, bound to its evidence."""
    from scalegate.governance.documents import competitors

    decision_id = competitors.determine(
        workspace_of(ctx), actor_of(ctx), model=model, scenario=scenario, evidence=evidence
    )
    return {"decision_id": decision_id, "decision_type": competitors.DETERMINATION, "model": model}
