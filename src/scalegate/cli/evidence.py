"""``scalegate evidence ...`` and ``scalegate evals run``: evidence's doors on the command line.

Commands parse options, call ``scalegate.evidence`` and print; the readers, the store and ``inspect_ai`` are
imported inside commands so the CLI starts fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from scalegate.cli._context import actor_of, state, workspace_of
from scalegate.cli._output import as_dict, command, console, emit_json, fail, table
from scalegate.cli.ingest import ingest, ingest_json, render_ingest
from scalegate.errors import InputError
from scalegate.inputs import BoundsError, load_json
from scalegate.jsonable import JsonObject, to_jsonable

if TYPE_CHECKING:
    from scalegate.evidence.export import EveryEvalEverDocument
    from scalegate.evidence.types import EvidenceRecord, IndicatorEvidence

evidence_app = typer.Typer(
    help="Ingest evaluation results (Inspect, lm-eval, manual) and read them back.", no_args_is_help=True
)
evals_app = typer.Typer(help="Run the evaluations the active policy names.", no_args_is_help=True)

JSON_OPT = typer.Option(False, "--json", help="Print one JSON document.")
CHECKPOINT_OPT = typer.Option(
    ..., "--checkpoint", "-c", help="The checkpoint the results are for: MODEL@CKPT."
)
ELICITATION_OPT = typer.Option(
    None,
    "--elicitation",
    help="Elicitation used (best_of_n, chain_of_thought, helpful_only, ...); repeatable.",
)


# -- evidence -----------------------------------------------------------------------------------------------


@evidence_app.command("ingest")
@command(render=render_ingest, to_json=ingest_json)
def evidence_ingest(
    ctx: typer.Context,
    paths: list[Path] | None = typer.Argument(
        None,
        help="Inspect .eval/.json logs, lm-eval results_*.json, manual results, or directories of them.",
        show_default=False,
    ),
    checkpoint: str | None = typer.Option(
        None, "--checkpoint", "-c", help="The checkpoint the results are for: MODEL@CKPT."
    ),
    manifest: Path | None = typer.Option(
        None,
        "--manifest",
        help="A CSV of path,checkpoint rows (paths relative to it): the logs of many checkpoints at once.",
    ),
    allow_status: str | None = typer.Option(
        None,
        "--allow-status",
        help="Also ingest logs with this status (e.g. error), as insufficient evidence.",
    ),
    elicitation: list[str] | None = ELICITATION_OPT,
    recursive: bool = typer.Option(
        True, "--recursive/--no-recursive", help="Walk the subdirectories of a directory too."
    ),
    json_out: bool = JSON_OPT,
) -> Any:
    """Ingest result files and log directories for a checkpoint, or for many checkpoints from a --manifest,
    one transaction per file (re-ingesting the same file changes nothing; a bad file stops with its name, the
    files before it staying ingested)."""
    # the body is shared with the fast path that runs this command without Typer (scalegate.cli.fast)
    return ingest(
        state(ctx),
        paths,
        checkpoint,
        allow_status=allow_status,
        elicitation=elicitation,
        recursive=recursive,
        json_out=json_out,
        manifest=manifest,
    )


def _print_records(records: list[EvidenceRecord]) -> None:
    table(
        None,
        ["id", "checkpoint", "harness", "task", "model", "status", "n", "headline", "sha256", "state"],
        [
            [
                r.id,
                r.checkpoint_id,
                r.harness,
                r.task,
                r.model,
                r.status,
                _n(r),
                _headline(r),
                r.sha256[:12],
                "current" if r.current else f"superseded by {r.superseded_by_id}",
            ]
            for r in records
        ],
    )


@evidence_app.command("list")
@command(render=_print_records, to_json=lambda records: [_brief(r) for r in records])
def evidence_list(
    ctx: typer.Context,
    checkpoint: str | None = typer.Option(
        None, "--checkpoint", "-c", help="Only this checkpoint (MODEL@CKPT)."
    ),
    current: bool = typer.Option(False, "--current", help="Hide superseded records."),
    limit: int = typer.Option(50, "--limit", min=1, max=1000, help="Records per page (newest first)."),
    before: int | None = typer.Option(
        None, "--before", min=1, help="Only records older than this id (the next page's, as noted)."
    ),
    json_out: bool = JSON_OPT,
) -> Any:
    """List evidence records, newest first, a page at a time (a note on stderr gives the next page)."""
    from scalegate.evidence.service import evidence_page

    found = evidence_page(workspace_of(ctx), checkpoint, current_only=current, limit=limit, before=before)
    if found.next_before is not None:
        # stderr, so that --json stays one document and a pipeline can still read the next page
        typer.echo(
            f"note: {len(found.records)} of {found.total} record(s); next page: --before {found.next_before}",
            err=True,
        )
    return found.records


def _print_record(record: EvidenceRecord) -> None:
    out = console()
    out.print(
        f"[bold]evidence {record.id}[/bold]  {record.harness} {record.task} "
        f"(version {record.task_version}) on {record.model}"
    )
    out.print(f"file {record.filename}  sha256 {record.sha256}  {record.size} bytes  status {record.status}")
    out.print(
        f"checkpoint {record.checkpoint_id}  run {record.run_id}  "
        f"ingested {record.ingested_at:%Y-%m-%d %H:%M} by {record.ingested_by}"
    )
    if record.supersedes_id or record.superseded_by_id:
        out.print(f"supersedes {record.supersedes_id}  superseded by {record.superseded_by_id}")
    out.print(
        f"counts {json.dumps(record.counts)}  elicitation {', '.join(record.elicitation) or 'none declared'}"
    )
    table(
        None,
        ["scorer", "n", "epochs", "reducer", "metrics"],
        [[s.name, s.n_samples, s.epochs, s.reducer, _metrics(s.metrics)] for s in record.scorers],
    )


@evidence_app.command("show")
@command(render=_print_record, to_json=as_dict)
def evidence_show(
    ctx: typer.Context,
    evidence_id: int = typer.Argument(..., help="Evidence record id."),
    json_out: bool = JSON_OPT,
) -> Any:
    """Show one evidence record: identity, configuration, counts and every scorer's metrics."""
    from scalegate.evidence.service import get_evidence

    return get_evidence(workspace_of(ctx), evidence_id)


def _mapping_text(mapping: Any) -> str:
    return f"evidence of model {mapping.tested!r} may be filed under: {', '.join(mapping.targets)}"


@evidence_app.command("map-model")
@command(text=_mapping_text, to_json=as_dict)
def evidence_map_model(
    ctx: typer.Context,
    tested: str = typer.Argument(..., help="The model name the evidence gives, e.g. hf/aurora-1-base."),
    target: str = typer.Argument(..., help="MODEL (any of its checkpoints) or MODEL@CKPT it stands for."),
    json_out: bool = JSON_OPT,
) -> Any:
    """Declare that evidence naming another model's name tested this model or checkpoint (logged)."""
    from scalegate.evidence.tested_model import declare_tested_model

    return declare_tested_model(workspace_of(ctx), actor_of(ctx), tested, target)


def _print_indicators(found: list[tuple[str, str, IndicatorEvidence | None]]) -> None:
    table(
        None,
        ["threshold", "indicator", "evidence", "estimate", "interval", "n", "method", "flags"],
        [[t, i, *_indicator_cells(e)] for t, i, e in found],
    )


@evidence_app.command("indicators")
@command(
    render=_print_indicators,
    to_json=lambda found: [
        {"threshold": t, "indicator": i, "evidence": e.to_dict() if e else None} for t, i, e in found
    ],
)
def evidence_indicators(
    ctx: typer.Context,
    checkpoint: str = typer.Argument(..., help="MODEL or MODEL@CKPT."),
    json_out: bool = JSON_OPT,
) -> Any:
    """Show what the evidence says for each indicator of the active policy: estimate, interval, flags."""
    from scalegate.evidence.service import indicator_report

    return indicator_report(workspace_of(ctx), checkpoint)


def _manual_text(outcome: Any) -> str:
    record = outcome.record
    verb = "recorded" if outcome.created else "already recorded"
    return f"{verb} manual result {record.task}: evidence {record.id} (sha256 {record.sha256[:12]})"


@evidence_app.command("manual")
@command(text=_manual_text, to_json=as_dict)
def evidence_manual(
    ctx: typer.Context,
    checkpoint: str = CHECKPOINT_OPT,
    task: str = typer.Option(..., "--task", help="Evaluation id the policy's indicator names."),
    metric: str = typer.Option(..., "--metric", help="Metric name the indicator reads."),
    value: float | None = typer.Option(
        None, "--value", help="The result (computed from --samples if omitted)."
    ),
    n: int | None = typer.Option(None, "--n", help="Number of samples (participants, graded tasks)."),
    ci: tuple[float, float] | None = typer.Option(None, "--ci", help="Stated interval: LOW HIGH."),
    level: float = typer.Option(0.95, "--level", help="Confidence level of --ci."),
    stderr: float | None = typer.Option(None, "--stderr", help="Standard error of --value."),
    samples: Path | None = typer.Option(
        None, "--samples", help="Per-sample scores: CSV (id,value) or JSONL."
    ),
    document: Path | None = typer.Option(None, "--document", help="The report that supports the result."),
    elicitation: list[str] | None = ELICITATION_OPT,
    model: str = typer.Option("unspecified", "--model", help="The model as the trial named it."),
    run_id: str = typer.Option(
        "manual", "--run-id", help="Trial id; a new document with it supersedes the old."
    ),
    task_version: str | None = typer.Option(None, "--task-version", help="Version of the trial protocol."),
    epochs: int | None = typer.Option(
        None, "--epochs", help="Repetitions per sample (default: from --samples' epoch column, else 1)."
    ),
    attempted: int | None = typer.Option(None, "--attempted", help="Sample runs attempted."),
    errors: int = typer.Option(0, "--errors", help="Sample runs that failed."),
    refusals: int = typer.Option(0, "--refusals", help="Sample runs the model refused."),
    description: str | None = typer.Option(None, "--description", help="What was done."),
    json_out: bool = JSON_OPT,
) -> Any:
    """Record a manual result (a red-team uplift trial, an expert-graded task) and its supporting document."""
    from pydantic import ValidationError

    from scalegate.evidence.manual import ManualResult, read_samples_table
    from scalegate.evidence.service import ingest_manual

    if not 0 < level < 1:
        raise InputError(f"confidence level {level} must lie strictly between 0 and 1", where="--level")
    if level != 0.95 and ci is None:
        raise InputError(
            "--level is the confidence level of --ci: give --ci LOW HIGH with it", where="--level"
        )
    try:
        result = ManualResult(
            task=task,
            metric=metric,
            value=value,
            n=n,
            stderr=stderr,
            model=model,
            run_id=run_id,
            task_version=task_version,
            **({"epochs": epochs} if epochs is not None else {}),
            attempted=attempted,
            errors=errors,
            refusals=refusals,
            description=description,
            elicitation=list(elicitation or []),
            interval={"low": ci[0], "high": ci[1], "level": level} if ci else None,
            samples=read_samples_table(samples) if samples else [],
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(
            first["msg"], where=".".join(str(p) for p in first["loc"]) or "manual result"
        ) from exc
    return ingest_manual(workspace_of(ctx), actor_of(ctx), result, checkpoint, document=document)


def _write_export(result: tuple[list[EveryEvalEverDocument], Path | None]) -> None:
    documents, out = result
    if out is None:
        emit_json(documents)
        return
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"--out: cannot make directory {out} ({exc.strerror or exc})")
    for document in documents:
        evidence_id = document["source_metadata"]["additional_details"]["evidence_id"]
        (out / f"evidence-{evidence_id}.json").write_text(json.dumps(document, indent=2) + "\n")
    console().print(f"wrote {len(documents)} Every Eval Ever document(s) to {out}")


@evidence_app.command("export")
@command(render=_write_export)
def evidence_export(
    ctx: typer.Context,
    format: str = typer.Option("every-eval-ever", "--format", help="Export format: every-eval-ever."),
    checkpoint: str | None = typer.Option(
        None, "--checkpoint", "-c", help="Only this checkpoint (MODEL@CKPT)."
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Directory for one JSON file per record (default stdout)."
    ),
    organization: str = typer.Option("unknown", "--organization", help="Who ran the evaluations."),
    relationship: str = typer.Option(
        "first_party",
        "--relationship",
        help="Evaluator and model: first_party, third_party, collaborative, other.",
    ),
) -> tuple[list[EveryEvalEverDocument], Path | None]:
    """Export current evidence records as Every Eval Ever documents."""
    from scalegate.evidence.export import export_every_eval_ever

    if format != "every-eval-ever":
        raise InputError(f"unknown export format {format!r}; use every-eval-ever", where="--format")
    if relationship not in ("first_party", "third_party", "collaborative", "other"):
        raise InputError(f"unknown relationship {relationship!r}", where="--relationship")
    documents = export_every_eval_ever(
        workspace_of(ctx), checkpoint_ref=checkpoint, organization=organization, relationship=relationship
    )
    return documents, out


# -- evals --------------------------------------------------------------------------------------------------


def _print_run(run: Any) -> None:
    out = console()
    for result in run.ingested:
        for record in result.records:
            out.print(
                f"{'ingested' if result.created else 'already had'} {record.task}: evidence {record.id}"
            )
    for error in run.errors:
        out.print(f"[red]not ingested[/red]: {error}")


@evals_app.command("run")
@command(render=_print_run, to_json=as_dict, exit_code=lambda run: 0 if run.success else 1)
def evals_run(
    ctx: typer.Context,
    checkpoint: str = typer.Argument(..., help="MODEL@CHECKPOINT the results are for."),
    model: str = typer.Option(..., "--model", help="Inspect model to evaluate, e.g. openai/gpt-4o, hf/..."),
    log_dir: Path = typer.Option(
        Path("logs"), "--log-dir", help="Inspect log directory (re-runs resume here)."
    ),
    task_file: Path | None = typer.Option(
        None, "--task-file", help="Python file defining the tasks (else Inspect registry names are used)."
    ),
    indicator: list[str] | None = typer.Option(
        None, "--indicator", help="Only these indicators; repeatable."
    ),
    epochs: int | None = typer.Option(
        None, "--epochs", help="Epochs (default: the most any indicator needs)."
    ),
    limit: int | None = typer.Option(
        None, "--limit", help="Samples per task (a smoke test; flagged if too few)."
    ),
    model_arg: list[str] | None = typer.Option(None, "-M", "--model-arg", help="Model argument KEY=VALUE."),
    allow_status: str | None = typer.Option(
        None, "--allow-status", help="Also ingest logs with this status."
    ),
    elicitation: list[str] | None = ELICITATION_OPT,
    json_out: bool = JSON_OPT,
) -> Any:
    """Run the active policy's Inspect evaluations on a model and ingest the logs for the checkpoint."""
    from scalegate.evidence.runner import run_policy_evals

    return run_policy_evals(
        workspace_of(ctx),
        actor_of(ctx),
        checkpoint,
        model=model,
        log_dir=log_dir,
        task_file=task_file,
        indicator_ids=list(indicator or []),
        epochs=epochs,
        limit=limit,
        model_args=_model_args(model_arg),
        allow_status=allow_status or False,
        elicitation=list(elicitation or []),
    )


# -- helpers ------------------------------------------------------------------------------------------------


def _model_args(items: list[str] | None) -> JsonObject:
    """``-M KEY=VALUE`` arguments of the model, each value read as JSON when it is JSON, else as text."""
    out: JsonObject = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"{item!r} is not KEY=VALUE", where="-M")
        try:
            out[key.strip()] = load_json(raw)
        except BoundsError:
            out[key.strip()] = raw
    return out


def _brief(record: EvidenceRecord) -> JsonObject:
    """An evidence record's document without the log's ``info`` (``evidence show`` prints it)."""
    out: JsonObject = to_jsonable(record)
    out.pop("info", None)
    return out


def _n(record: EvidenceRecord) -> str:
    return str(max((s.n_samples for s in record.scorers), default=0))


def _headline(record: EvidenceRecord) -> str:
    for scorer in record.scorers:
        for name, value in scorer.metrics.items():
            if value is not None and not name.endswith("stderr"):
                return f"{name}={value:.3g}"
    return ""


def _metrics(metrics: dict[str, float | None]) -> str:
    return ", ".join(f"{k}={'' if v is None else f'{v:.4g}'}" for k, v in metrics.items())


def _indicator_cells(found: IndicatorEvidence | None) -> list[Any]:
    if found is None:
        return ["none", "", "", "", "", "no evidence"]
    flags = ", ".join(f.code for f in found.flags) or "sufficient"
    return [
        found.evidence_id,
        f"{found.estimate:.3g}",
        f"[{found.ci_low:.3g}, {found.ci_high:.3g}]",
        found.n_samples,
        found.interval_method,
        flags,
    ]
