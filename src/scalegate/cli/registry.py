"""``scalegate model|checkpoint|scaling|assessments ...``: the registry's doors on the command line.

Commands parse options, call ``scalegate.registry`` and print; heavy modules are imported inside commands.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from scalegate.cli._context import actor_of, workspace_of
from scalegate.cli._output import command, console, table
from scalegate.errors import InputError
from scalegate.jsonable import to_jsonable

if TYPE_CHECKING:
    from scalegate.cli._documents import CheckpointImport, DueAssessments
    from scalegate.jsonable import JsonObject, JsonValue
    from scalegate.registry.fits import FitReport
    from scalegate.registry.service import CheckpointReport, CheckpointStatus, ModelSummary

model_app = typer.Typer(
    help="Register and inspect models, training runs and post-training enhancements.", no_args_is_help=True
)
checkpoint_app = typer.Typer(
    help="Register, import and inspect checkpoints with their held-out losses.", no_args_is_help=True
)
scaling_app = typer.Typer(
    help="Fit a family's baseline scaling law and show effective compute.", no_args_is_help=True
)
assessments_app = typer.Typer(
    help="Assessments the policy calls for: what is due, requests, overdue findings.", no_args_is_help=True
)

JSON_OPT = typer.Option(False, "--json", help="Print one JSON document.")


# -- parsing helpers -----------------------------------------------------------------------------------------


def _instant(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    from scalegate.clock import parse_instant

    return parse_instant(text, option)


def _pairs(values: list[str] | None, option: str) -> dict[str, float]:
    """``NAME=NUMBER`` options into a dict."""
    out: dict[str, float] = {}
    for item in values or []:
        name, sep, number = item.partition("=")
        try:
            value = float(number)
        except ValueError:
            value = float("nan")
        if not sep or not name.strip() or value != value:
            raise InputError(f"{item!r} is not DATASET=NUMBER", where=option)
        if name.strip() in out:
            raise InputError(f"dataset {name.strip()!r} given twice", where=option)
        out[name.strip()] = value
    return out


def _fmt(value: JsonValue) -> str:
    """A number in three significant digits; empty for None (a checkpoint's document is JSON)."""
    return f"{value:.3g}" if isinstance(value, int | float) else ""


def _when(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M")


# -- model ---------------------------------------------------------------------------------------------------


def _registry_json(result: Any) -> Any:
    """A registry row, or a list of them, as JSON (``registry.service.document``)."""
    from scalegate.registry.service import document

    return [document(r) for r in result] if isinstance(result, list) else document(result)


@model_app.command("add")
@command(
    text=lambda row: f"registered model [bold]{row.name}[/bold] (family {row.family}, owner {row.owner})",
    to_json=_registry_json,
)
def model_add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Model name (letters, digits, '.', '_', '-')."),
    family: str = typer.Option(
        ..., "--family", help="Family sharing a baseline recipe and assessment baseline."
    ),
    owner: str = typer.Option(..., "--owner", help="Team or person accountable for the model."),
    description: str = typer.Option("", "--description", help="Free text."),
    json_out: bool = JSON_OPT,
) -> Any:
    """Register a model in a family."""
    from scalegate.registry import service

    return service.create_model(workspace_of(ctx), actor_of(ctx), name, family, owner, description)


def _print_models(rows: list[Any]) -> None:
    table(
        "Models",
        ["name", "family", "owner", "registered"],
        [[r.name, r.family, r.owner, _when(r.created_at)] for r in rows],
    )


@model_app.command("list")
@command(render=_print_models, to_json=_registry_json)
def model_list(
    ctx: typer.Context,
    family: str | None = typer.Option(None, "--family", help="Only this family."),
    json_out: bool = JSON_OPT,
) -> list[Any]:
    """List models."""
    from scalegate.registry import service

    return list(service.list_models(workspace_of(ctx), family))


def _print_model(summary: ModelSummary) -> None:
    m = summary.model
    console().print(f"[bold]{m['name']}[/bold]  family {m['family']}  owner {m['owner']}")
    table(
        "Runs",
        ["run", "algorithmic multiplier", "started"],
        [[r["name"], r["algorithmic_multiplier"], r["started_at"]] for r in summary.runs],
    )
    _checkpoint_table(summary.checkpoints)
    if summary.enhancements:
        table(
            "Post-training enhancements",
            ["kind", "description", "started", "ended"],
            [[e["kind"], e["description"], e["started_at"], e["ended_at"]] for e in summary.enhancements],
        )


@model_app.command("show")
@command(render=_print_model)
def model_show(
    ctx: typer.Context, name: str = typer.Argument(..., help="Model name."), json_out: bool = JSON_OPT
) -> Any:
    """Show a model with its runs, checkpoints and enhancements."""
    from scalegate.registry import service

    return service.model_summary(workspace_of(ctx), name)


@model_app.command("add-run")
@command(
    text=lambda done: f"registered run [bold]{done['row'].name}[/bold] of {done['model']}",
    to_json=lambda done: _registry_json(done["row"]),
)
def model_add_run(
    ctx: typer.Context,
    model: str = typer.Argument(..., help="Model name."),
    run: str = typer.Argument(..., help="Run name, unique within the model."),
    multiplier: float | None = typer.Option(
        None,
        "--algorithmic-multiplier",
        help="Declared compute-efficiency gain of the recipe over the baseline.",
    ),
    started_at: str | None = typer.Option(None, "--started-at", help="ISO-8601 start time."),
    notes: str = typer.Option("", "--notes", help="Free text."),
    json_out: bool = JSON_OPT,
) -> Any:
    """Register a training run of a model."""
    from scalegate.registry import service

    row = service.create_run(
        workspace_of(ctx),
        actor_of(ctx),
        model,
        run,
        algorithmic_multiplier=multiplier,
        started_at=_instant(started_at, "--started-at"),
        notes=notes,
    )
    return {"row": row, "model": model}


@model_app.command("add-enhancement")
@command(
    text=lambda done: f"recorded {done['row'].kind} enhancement of {done['model']}",
    to_json=lambda done: _registry_json(done["row"]),
)
def model_add_enhancement(
    ctx: typer.Context,
    model: str = typer.Argument(..., help="Model name."),
    kind: str = typer.Option(..., "--kind", help="fine-tuning, scaffolding, tool-use, prompting or other."),
    description: str = typer.Option(..., "--description", help="What was done."),
    started_at: str = typer.Option(..., "--started-at", help="ISO-8601 start."),
    ended_at: str | None = typer.Option(None, "--ended-at", help="ISO-8601 end (omit while ongoing)."),
    checkpoint: str | None = typer.Option(None, "--checkpoint", help="Checkpoint it was applied to."),
    json_out: bool = JSON_OPT,
) -> Any:
    """Record a post-training enhancement applied to a model."""
    from scalegate.registry import service

    start = _instant(started_at, "--started-at")
    assert start is not None
    row = service.record_enhancement(
        workspace_of(ctx),
        actor_of(ctx),
        model,
        kind,  # type: ignore[arg-type]
        description,
        start,
        _instant(ended_at, "--ended-at"),
        checkpoint,
    )
    return {"row": row, "model": model}


# -- checkpoint ----------------------------------------------------------------------------------------------


@checkpoint_app.command("add")
@command(render=lambda report: _print_report(to_jsonable(report)))
def checkpoint_add(
    ctx: typer.Context,
    model: str = typer.Argument(..., help="Model name."),
    name: str = typer.Argument(..., help="Checkpoint name, unique within the model."),
    step: int = typer.Option(..., "--step", help="Training step."),
    flops: float = typer.Option(..., "--flops", help="Training compute so far, in FLOP."),
    recorded_at: str | None = typer.Option(None, "--recorded-at", help="ISO-8601 time (default: now)."),
    stage: str = typer.Option(
        "pretraining", "--stage", help="pretraining, mid-training, post-training, deployed."
    ),
    run: str | None = typer.Option(None, "--run", help="Training run."),
    loss: list[str] | None = typer.Option(None, "--loss", help="DATASET=LOSS held-out loss (repeatable)."),
    weight: list[str] | None = typer.Option(
        None, "--weight", help="DATASET=WEIGHT in the aggregate (repeatable)."
    ),
    json_out: bool = JSON_OPT,
) -> CheckpointReport:
    """Register a checkpoint: effective compute, triggers fired and assessments opened."""
    from scalegate.registry import service
    from scalegate.registry.specs import CheckpointSpec, validated

    data: dict[str, Any] = {
        "name": name,
        "step": step,
        "training_flops": flops,
        "stage": stage,
        "run": run,
        "recorded_at": _instant(recorded_at, "--recorded-at"),
        "losses": _pairs(loss, "--loss"),
        "weights": _pairs(weight, "--weight"),
    }
    spec = validated(CheckpointSpec, data, "checkpoint")
    return service.register_checkpoint(workspace_of(ctx), actor_of(ctx), model, spec)


@checkpoint_app.command("list")
@command(render=lambda rows: _checkpoint_table(rows))
def checkpoint_list(
    ctx: typer.Context, model: str = typer.Argument(..., help="Model name."), json_out: bool = JSON_OPT
) -> list[JsonObject]:
    """List a model's checkpoints with their effective compute."""
    from scalegate.registry import service

    return service.model_summary(workspace_of(ctx), model).checkpoints


def _print_status(status: CheckpointStatus) -> None:
    _checkpoint_table([status.checkpoint])
    _trigger_table([dict(f.to_dict()) for f in status.triggers])


@checkpoint_app.command("show")
@command(render=_print_status)
def checkpoint_show(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="MODEL or MODEL@CHECKPOINT."),
    json_out: bool = JSON_OPT,
) -> Any:
    """Show a checkpoint, its triggers as of now, and its assessments."""
    from scalegate.registry import service

    return service.checkpoint_status(workspace_of(ctx), ref)


def _print_import(result: dict[str, Any]) -> None:
    documents = result["checkpoints"]
    _checkpoint_table([d["checkpoint"] for d in documents])
    opened = [a for d in documents for a in d["assessments_opened"]]
    console().print(f"imported {len(documents)} checkpoint(s); {len(opened)} assessment(s) opened")


@checkpoint_app.command("import")
@command(render=_print_import)
def checkpoint_import(
    ctx: typer.Context,
    path: str = typer.Argument(..., help="CSV, JSON or JSON Lines file of a run's checkpoints and losses."),
    model: str = typer.Option(..., "--model", help="Model the checkpoints belong to."),
    run: str | None = typer.Option(None, "--run", help="Run for rows that name none."),
    json_out: bool = JSON_OPT,
) -> CheckpointImport:
    """Import a training run's checkpoints and losses (all or nothing, in one transaction)."""
    from scalegate.cli._progress import progress
    from scalegate.registry.importer import import_checkpoints, read_checkpoints

    specs = read_checkpoints(path, run=run)  # read and checked first, so the bar knows its length
    with progress(f"importing {Path(path).name}", len(specs), json_out=json_out) as advance:
        reports = import_checkpoints(
            workspace_of(ctx), actor_of(ctx), model, path, specs=specs, on_checkpoint=advance
        )
    documents: list[JsonObject] = [to_jsonable(r) for r in reports]
    return {"imported": len(documents), "checkpoints": documents}


@checkpoint_app.command("stage")
@command(render=lambda report: _print_report(to_jsonable(report)))
def checkpoint_stage(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="MODEL@CHECKPOINT."),
    stage: str = typer.Argument(..., help="pretraining, mid-training, post-training or deployed."),
    json_out: bool = JSON_OPT,
) -> CheckpointReport:
    """Move a checkpoint to another stage and re-evaluate its triggers."""
    from scalegate.registry import service

    return service.set_stage(workspace_of(ctx), actor_of(ctx), ref, stage)  # type: ignore[arg-type]


# -- scaling -------------------------------------------------------------------------------------------------


def _print_fit(document: dict[str, Any]) -> None:
    f, se = document["fit"], document["standard_errors"]
    console().print(
        f"fitted {f['family']}: L(C) = {f['E']:.4g} + {f['A']:.4g}·C^(-{f['alpha']:.4g})  "
        f"(±{se['E']:.2g} on E, ±{se['alpha']:.2g} on alpha; {f['n_points']} points, "
        f"rmse {f['rmse_log']:.2g} in ln L)"
    )
    console().print(f"re-derived effective compute of {len(document['updated_checkpoints'])} checkpoint(s)")


@scaling_app.command("fit")
@command(render=lambda report: _print_fit(to_jsonable(report)))
def scaling_fit(
    ctx: typer.Context,
    family: str = typer.Argument(..., help="Model family whose baseline recipe is fitted."),
    points: str | None = typer.Option(None, "--points", help="CSV/JSON of reference (compute, loss) points."),
    from_run: str | None = typer.Option(
        None, "--from-run", help="MODEL/RUN of the baseline recipe to fit on."
    ),
    weight: list[str] | None = typer.Option(
        None, "--weight", help="DATASET=WEIGHT in the aggregate (repeatable)."
    ),
    json_out: bool = JSON_OPT,
) -> FitReport:
    """Fit L(C) = E + A*C^(-alpha) for a family and re-derive its checkpoints' effective compute."""
    from scalegate.registry import fits
    from scalegate.registry.importer import read_reference_points

    if (points is None) == (from_run is None):
        raise InputError("give exactly one of --points FILE or --from-run MODEL/RUN")
    ws = workspace_of(ctx)
    if points is not None:
        refs, source = read_reference_points(points), f"points:{points}"
    else:
        assert from_run is not None
        model, sep, run = from_run.partition("/")
        if not sep:
            raise InputError(f"{from_run!r} is not MODEL/RUN", where="--from-run")
        refs, source = fits.points_from_run(ws, model, run), f"run:{from_run}"
    report = fits.fit_family(
        ws, actor_of(ctx), family, refs, weights=_pairs(weight, "--weight"), source=source
    )
    return report


def _print_scaling(summary: dict[str, Any]) -> None:
    fit, family = summary["fit"], summary["family"]
    if fit:
        console().print(
            f"{family}: L(C) = {fit['E']:.4g} + {fit['A']:.4g}·C^(-{fit['alpha']:.4g})  ({fit['source']})"
        )
    else:
        console().print(f"{family}: no scaling-law fit; effective compute falls back to declared multipliers")
    table(
        "Effective compute",
        ["checkpoint", "training FLOPs", "loss", "effective compute", "interval", "method"],
        [
            [
                c["ref"],
                _fmt(c["training_flops"]),
                _fmt(c["aggregate_loss"]),
                _fmt(c["effective_compute"]),
                f"{_fmt(c['low'])} - {_fmt(c['high']) or 'unbounded'}" if c["low"] is not None else "",
                c["method"],
            ]
            for c in summary["checkpoints"]
        ],
    )


@scaling_app.command("show")
@command(render=_print_scaling)
def scaling_show(
    ctx: typer.Context, family: str = typer.Argument(..., help="Model family."), json_out: bool = JSON_OPT
) -> JsonObject:
    """Show the family's fit, its curve and where each checkpoint sits on it."""
    from scalegate.registry.fits import scaling_summary

    summary: JsonObject = to_jsonable(scaling_summary(workspace_of(ctx), family))
    return summary


# -- assessments ---------------------------------------------------------------------------------------------


def _print_due(result: dict[str, Any]) -> None:
    items, now = result["assessments"], result["as_of"]
    if not items:
        console().print("no assessment is due")
        return
    table(
        f"Assessments due (as of {now[:16]})",
        ["id", "checkpoint", "trigger", "due", "status", "days", "clause"],
        [
            [
                i["id"] or "pending",
                i["checkpoint"],
                i["trigger"],
                i["due_at"][:16],
                i["status"],
                i["days_overdue"] if i["status"] == "overdue" else f"{i['days_left']} left",
                i["clause"],
            ]
            for i in items
        ],
    )


@assessments_app.command("due")
@command(render=_print_due)
def assessments_due(ctx: typer.Context, json_out: bool = JSON_OPT) -> DueAssessments:
    """List assessments that are due or overdue, with deadlines and days overdue."""
    from scalegate.registry.assessments_due import due_assessments

    ws = workspace_of(ctx)
    items: list[JsonObject] = [to_jsonable(i) for i in due_assessments(ws)]
    return {"as_of": ws.now().isoformat(), "assessments": items}


@assessments_app.command("request")
@command(
    text=lambda row: f"assessment {row.id} requested; due {_when(row.due_at)} ({row.clause})",
    to_json=_registry_json,
)
def assessments_request(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="MODEL or MODEL@CHECKPOINT."),
    reason: str = typer.Option(..., "--reason", help="Why an assessment is warranted."),
    kind: str = typer.Option("comprehensive", "--kind", help="comprehensive or preliminary."),
    json_out: bool = JSON_OPT,
) -> Any:
    """Request an assessment at discretion (only the roles the policy names, e.g. the RSO)."""
    from scalegate.registry.assessments_due import request_assessment

    if kind not in ("comprehensive", "preliminary"):
        raise InputError(f"unknown kind {kind!r}: comprehensive or preliminary", where="--kind")
    return request_assessment(workspace_of(ctx), actor_of(ctx), ref, reason, kind)  # type: ignore[arg-type]


@assessments_app.command("record-prior")
@command(
    text=lambda row: f"recorded comprehensive assessment {row.id}, completed {_when(row.completed_at)}",
    to_json=_registry_json,
)
def assessments_record_prior(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="MODEL@CHECKPOINT that was comprehensively assessed."),
    completed_at: str = typer.Option(..., "--completed-at", help="ISO-8601 completion time."),
    json_out: bool = JSON_OPT,
) -> Any:
    """Record a comprehensive assessment completed outside scalegate (sets the family's baseline)."""
    from scalegate.registry.assessments_due import record_prior_assessment

    done = _instant(completed_at, "--completed-at")
    assert done is not None
    return record_prior_assessment(workspace_of(ctx), actor_of(ctx), ref, done)


def _print_recorded(rows: list[Any]) -> None:
    if not rows:
        console().print("no new overdue assessment")
    for r in rows:
        console().print(f"finding {r.id}: {r.subject} {r.days_late} day(s) late ({r.clause})")


@assessments_app.command("check")
@command(render=_print_recorded, to_json=lambda rows: {"recorded": _registry_json(rows)})
def assessments_check(ctx: typer.Context, json_out: bool = JSON_OPT) -> list[Any]:
    """Open calendar assessments whose time has come and record overdue ones as compliance findings."""
    from scalegate.registry.assessments_due import record_overdue_findings

    return list(record_overdue_findings(workspace_of(ctx)))


def _print_findings(rows: list[Any]) -> None:
    table(
        "Overdue assessments",
        ["id", "subject", "checkpoint", "due", "days late", "clause"],
        [
            [
                r.id,
                r.subject,
                r.detail.get("checkpoint"),
                str(r.detail.get("due_at"))[:16],
                r.days_late,
                r.clause,
            ]
            for r in rows
        ],
    )


@assessments_app.command("findings")
@command(render=_print_findings, to_json=_registry_json)
def assessments_findings(ctx: typer.Context, json_out: bool = JSON_OPT) -> list[Any]:
    """List compliance findings about overdue assessments."""
    from scalegate.registry.assessments_due import OVERDUE_FINDING, list_findings

    return list(list_findings(workspace_of(ctx), OVERDUE_FINDING))


# -- printing ------------------------------------------------------------------------------------------------


def _checkpoint_table(rows: list[JsonObject]) -> None:
    table(
        "Checkpoints",
        ["checkpoint", "step", "stage", "recorded", "FLOPs", "loss", "effective compute", "method"],
        [
            [
                r["ref"],
                r["step"],
                r["stage"],
                str(r["recorded_at"])[:16],
                _fmt(r["training_flops"]),
                _fmt(r["aggregate_loss"]),
                _fmt(r["effective_compute"]),
                r["effective_compute_method"] or "unknown",
            ]
            for r in rows
        ],
    )


def _trigger_table(firings: list[dict[str, Any]]) -> None:
    table(
        "Triggers",
        ["trigger", "fired", "value", "deadline", "clause", "why"],
        [
            [
                f["trigger"],
                "yes" if f["fired"] else "no",
                "" if f["value"] is None else f"{f['value']:.2f}{f['unit']} / {f['threshold']:g}{f['unit']}",
                (f["deadline"] or "")[:16],
                f["clause"],
                f["text"],
            ]
            for f in firings
        ],
    )


def _print_report(document: dict[str, Any]) -> None:
    _checkpoint_table([document["checkpoint"]])
    _trigger_table(document["triggers"])
    for a in document["assessments_opened"]:
        console().print(
            f"[bold]assessment {a['id']} opened[/bold] ({a['trigger']}), "
            f"due {a['due_at'][:16]} ({a['clause']})"
        )
