"""The registry service: models, training runs, checkpoints with held-out losses, post-training enhancements.

Registering a checkpoint computes its effective compute, evaluates the policy's assessment triggers and opens
the assessments that fired, all in one transaction with its audit entries. Many checkpoints at once
(``register_checkpoints``: an imported CSV, an SDK or API batch) are one transaction too, with one audit entry
for the batch and the triggers evaluated once, so that a thousand checkpoints cost a fixed number of
statements. Every door (CLI, web API, SDK, training callback, importer) calls these functions.

Every write here is checked against the permission matrix (``registry.write``: evaluators and the RSO), so an
auditor, an unknown user or nobody at all is refused through every door; and a date the caller states (a
checkpoint's ``recorded_at``, a run's start, an enhancement's dates) may not lie in the future, where it
would push an assessment deadline out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NotRequired, TypedDict

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from scalegate.actor import Actor
from scalegate.clock import refuse_future
from scalegate.context import Context
from scalegate.errors import ConflictError, InputError, ScalegateError
from scalegate.inputs import MAX_NAME_LENGTH
from scalegate.jsonable import JsonObject, to_jsonable
from scalegate.permissions import require
from scalegate.registry.assessments_due import open_assessments
from scalegate.registry.effective import active_fit, apply_estimate, estimate_for, estimate_with
from scalegate.registry.lookup import (
    checkpoint_dict,
    get_model,
    get_run,
    model_checkpoints,
    resolve_checkpoint,
)
from scalegate.registry.scaling import EffectiveComputeEstimate
from scalegate.registry.specs import NAME_PATTERN, CheckpointSpec
from scalegate.registry.triggers import (
    TriggerDocument,
    TriggerFiring,
    as_recorded,
    evaluate_triggers,
    evaluate_triggers_many,
)
from scalegate.store.base import Base, row_values
from scalegate.store.models.assessments import AssessmentRow, EnhancementKind, EnhancementRow
from scalegate.store.models.registry import (
    CheckpointRow,
    LossMeasurementRow,
    ModelRow,
    ScalingFitRow,
    Stage,
    TrainingRunRow,
)
from scalegate.workspace import Workspace

__all__ = [
    "BATCH_EVENT",
    "CheckpointReport",
    "CheckpointStatus",
    "ModelSummary",
    "add_checkpoint",
    "batch_document",
    "checkpoint_status",
    "create_model",
    "create_run",
    "document",
    "evaluate_and_open",
    "list_models",
    "model_summary",
    "record_enhancement",
    "register_checkpoint",
    "register_checkpoints",
    "set_stage",
]


class OpenedAssessment(TypedDict):
    """An assessment a registration opened; ``checkpoint`` names it in a batch's document."""

    id: int
    checkpoint: NotRequired[str]
    trigger: str
    due_at: str
    clause: str


class CheckpointReportDocument(TypedDict):
    """A registered checkpoint as the doors return it (``CheckpointReport.to_dict``): its columns, its
    effective-compute estimate (None without a fit), its triggers and the assessments they opened."""

    checkpoint: JsonObject
    effective_compute: JsonObject | None
    triggers: list[TriggerDocument]
    assessments_opened: list[OpenedAssessment]


class BatchCheckpoint(TypedDict):
    """One checkpoint of a registered batch, compactly."""

    ref: str
    step: int
    recorded_at: str
    effective_compute: float | None
    method: str | None


class BatchDocument(TypedDict):
    """A registered batch as the doors return it (``batch_document``)."""

    model: str
    registered: int
    checkpoints: list[BatchCheckpoint]
    assessments_opened: list[OpenedAssessment]


@dataclass
class CheckpointReport:
    """What registering (or re-evaluating) a checkpoint produced."""

    checkpoint: CheckpointRow
    estimate: EffectiveComputeEstimate | None
    firings: list[TriggerFiring] = field(default_factory=list)
    opened: list[AssessmentRow] = field(default_factory=list)

    def to_dict(self) -> CheckpointReportDocument:
        return {
            "checkpoint": checkpoint_dict(self.checkpoint),
            "effective_compute": to_jsonable(self.estimate),
            "triggers": [f.to_dict() for f in self.firings],
            "assessments_opened": [
                {"id": a.id, "trigger": a.trigger, "due_at": a.due_at.isoformat(), "clause": a.clause}
                for a in self.opened
            ],
        }


def _check_name(value: str, what: str) -> str:
    if len(value or "") > MAX_NAME_LENGTH:
        raise InputError(f"{what} is longer than {MAX_NAME_LENGTH} characters", where=what)
    if not re.fullmatch(NAME_PATTERN, value or ""):
        raise InputError(
            f"{what} {value!r} must be letters, digits, '.', '_' or '-' (no '@' or '/')", where=what
        )
    return value


# -- models and runs -----------------------------------------------------------------------------------------


def create_model(
    workspace: Workspace, actor: Actor, name: str, family: str, owner: str, description: str = ""
) -> ModelRow:
    """Register a model in a family (sharing a baseline recipe, a fit and an assessment baseline)."""
    with workspace.writing(actor) as ctx:
        require(actor, "registry.write", ctx.policy)
        _check_name(name, "model")
        _check_name(family, "family")
        if not owner.strip():
            raise InputError("a model needs an owner", where="owner")
        session = ctx.session
        if session.execute(select(ModelRow.id).where(ModelRow.name == name)).first():
            raise ConflictError(f"model {name!r} already exists")
        row = ModelRow(
            name=name, family=family, owner=owner.strip(), description=description, created_at=workspace.now()
        )
        session.add(row)
        session.flush()
        workspace.record(
            session,
            actor,
            "model.registered",
            f"model:{name}",
            {"family": family, "owner": owner},
            rows=[row],
        )
    return row


def list_models(workspace: Workspace, family: str | None = None) -> list[ModelRow]:
    """Every model, by family then name."""
    with workspace.read() as session:
        query = select(ModelRow).order_by(ModelRow.family, ModelRow.name)
        if family:
            query = query.where(ModelRow.family == family)
        return list(session.execute(query).scalars())


def create_run(
    workspace: Workspace,
    actor: Actor,
    model: str,
    name: str,
    *,
    algorithmic_multiplier: float | None = None,
    started_at: datetime | None = None,
    notes: str = "",
) -> TrainingRunRow:
    """Register a training run; ``algorithmic_multiplier``: declared gain of its recipe over the baseline."""
    with workspace.writing(actor) as ctx:
        require(actor, "registry.write", ctx.policy)
        if started_at is not None:
            refuse_future(started_at, workspace.now(), "started_at")
        _check_name(name, "run")
        if algorithmic_multiplier is not None and not algorithmic_multiplier > 0:
            raise InputError(
                f"algorithmic multiplier must be positive, got {algorithmic_multiplier}", where="multiplier"
            )
        session = ctx.session
        owner = get_model(session, model)
        if session.execute(
            select(TrainingRunRow.id).where(TrainingRunRow.model_id == owner.id, TrainingRunRow.name == name)
        ).first():
            raise ConflictError(f"run {name!r} already exists for model {model!r}")
        row = TrainingRunRow(
            model_id=owner.id,
            name=name,
            algorithmic_multiplier=algorithmic_multiplier,
            started_at=started_at,
            notes=notes,
            created_at=workspace.now(),
        )
        session.add(row)
        session.flush()
        workspace.record(
            session,
            actor,
            "run.registered",
            f"model:{model}",
            {"run": name, "algorithmic_multiplier": algorithmic_multiplier},
            rows=[row],
        )
    return row


# -- checkpoints ---------------------------------------------------------------------------------------------


def register_checkpoint(
    workspace: Workspace, actor: Actor, model: str, spec: CheckpointSpec
) -> CheckpointReport:
    """Register one checkpoint: effective compute, triggers, the assessments they open; one transaction."""
    with workspace.writing(actor) as ctx:
        return add_checkpoint(ctx, actor, get_model(ctx.session, model), spec)


BATCH_EVENT = "checkpoints.registered"
"""The audit event of a batch of checkpoints registered together (one entry for the whole batch)."""


def register_checkpoints(
    workspace: Workspace,
    actor: Actor,
    model: str,
    specs: Sequence[CheckpointSpec | tuple[str | None, CheckpointSpec]],
    *,
    on_checkpoint: Callable[[int], None] | None = None,
) -> list[CheckpointReport]:
    """Register many checkpoints of one model in one transaction (all or nothing), in order of recorded date
    then step.

    A batch costs a fixed number of statements plus its inserts, not a registration's worth per checkpoint:
    the names already taken, the runs, the family's fit and the policy are read once; the rows are inserted
    together; one audit entry (``checkpoints.registered``) digests every row written; the triggers are
    evaluated once for the batch, and each assessment they call for is opened once (the first checkpoint
    that fires it, in order, is its subject), as registering them one by one would. Each spec may come with
    the place it was read from (``file:line``) so that a failure names it.

    ``on_checkpoint(1)`` is called as each checkpoint's row and effective compute are made, inside the
    transaction (a door's progress bar: the per-checkpoint work of a large batch is most of its time).
    """
    with workspace.writing(actor) as ctx:
        require(actor, "registry.write", ctx.policy)
        placed = [spec if isinstance(spec, tuple) else (None, spec) for spec in specs]
        if not placed:
            raise InputError("no checkpoints to register", where="checkpoints")
        _check_unique(placed)
        now = workspace.now()
        for n, (where, spec) in enumerate(placed):
            if spec.recorded_at is not None:
                try:
                    refuse_future(spec.recorded_at, now, "recorded_at")
                except InputError as exc:
                    raise InputError(exc.message, where=where or f"checkpoints[{n}].recorded_at") from exc
        ordered = sorted(placed, key=lambda s: (s[1].recorded_at or now, s[1].step))
        session = ctx.session
        owner = get_model(session, model)
        seed = ctx.policy.statistics.bootstrap_seed
        taken = _taken_names(session, owner, [spec.name for _, spec in ordered])
        fit = active_fit(session, owner.family)
        runs: dict[str, TrainingRunRow] = {}
        rows: list[CheckpointRow] = []
        estimates: list[EffectiveComputeEstimate | None] = []
        for where, spec in ordered:
            try:
                row, estimate = _new_checkpoint(session, owner, spec, taken, runs, fit, seed, now)
            except ScalegateError as exc:
                raise type(exc)(exc.message, where=where or exc.where) from exc
            rows.append(row)
            estimates.append(estimate)
            if on_checkpoint is not None:
                on_checkpoint(1)
        rows = _insert(session, owner, rows)
        losses = [loss for row in rows for loss in row.losses]
        workspace.record(
            session,
            actor,
            BATCH_EVENT,
            f"model:{owner.name}",
            {
                "count": len(rows),
                "checkpoints": [
                    {
                        "name": r.name,
                        "step": r.step,
                        "training_flops": r.training_flops,
                        "effective_compute": r.effective_compute,
                        "method": r.effective_compute_method,
                    }
                    for r in rows
                ],
            },
            rows=[*rows, *losses],
        )
        return _evaluate_batch(workspace, session, actor, rows, estimates)


def batch_document(model: str, reports: Sequence[CheckpointReport]) -> BatchDocument:
    """A registered batch as the doors return it: each checkpoint with its effective compute, and the
    assessments the batch opened. Compact on purpose: a thousand checkpoints' full trigger lists would be
    megabytes, and ``checkpoint show`` gives any one of them."""
    return {
        "model": model,
        "registered": len(reports),
        "checkpoints": [
            {
                "ref": r.checkpoint.ref,
                "step": r.checkpoint.step,
                "recorded_at": r.checkpoint.recorded_at.isoformat(),
                "effective_compute": r.checkpoint.effective_compute,
                "method": r.checkpoint.effective_compute_method,
            }
            for r in reports
        ],
        "assessments_opened": [
            {
                "id": a.id,
                "checkpoint": r.checkpoint.ref,
                "trigger": a.trigger,
                "due_at": a.due_at.isoformat(),
                "clause": a.clause,
            }
            for r in reports
            for a in r.opened
        ],
    }


def _check_unique(placed: Sequence[tuple[str | None, CheckpointSpec]]) -> None:
    seen: dict[str, str | None] = {}
    for n, (where, spec) in enumerate(placed, start=1):
        if spec.name in seen:
            first = seen[spec.name]
            raise InputError(
                f"checkpoint {spec.name!r} appears twice in the batch (first at {first})",
                where=where or f"checkpoints[{n - 1}]",
            )
        seen[spec.name] = where or f"checkpoints[{n - 1}]"


def _taken_names(session: Session, model: ModelRow, names: list[str]) -> set[str]:
    """Which of ``names`` the model already has, read in chunks the database's parameter limit allows."""
    taken: set[str] = set()
    for lo in range(0, len(names), 500):
        taken |= set(
            session.execute(
                select(CheckpointRow.name).where(
                    CheckpointRow.model_id == model.id, CheckpointRow.name.in_(names[lo : lo + 500])
                )
            ).scalars()
        )
    return taken


def _new_checkpoint(
    session: Session,
    model: ModelRow,
    spec: CheckpointSpec,
    taken: set[str],
    runs: dict[str, TrainingRunRow],
    fit: ScalingFitRow | None,
    seed: int,
    now: datetime,
) -> tuple[CheckpointRow, EffectiveComputeEstimate | None]:
    """A checkpoint row of a batch with its losses and effective compute, not yet added to the session."""
    if spec.name in taken:
        raise ConflictError(f"checkpoint {model.name}@{spec.name} already exists")
    run = None
    if spec.run:
        run = runs.get(spec.run) or runs.setdefault(spec.run, get_run(session, model, spec.run))
    row = CheckpointRow(
        model_id=model.id,
        run_id=run.id if run else None,
        name=spec.name,
        step=spec.step,
        training_flops=spec.training_flops,
        recorded_at=spec.recorded_at or now,
        stage=spec.stage,
        created_at=now,
        losses=[
            LossMeasurementRow(dataset=d, loss=v, weight=spec.weights.get(d, 1.0))
            for d, v in sorted(spec.losses.items())
        ],
    )
    row.model = model
    estimate, fit_id = estimate_with(row, run, fit, seed=seed)
    apply_estimate(row, estimate, fit_id)
    return row, estimate


def _insert(session: Session, model: ModelRow, built: list[CheckpointRow]) -> list[CheckpointRow]:
    """Insert a batch's checkpoints and losses with one multi-row statement each, then read them back (ids,
    losses) in the batch's order: SQLite cannot return the ids of a multi-row insert in order, and inserting
    row by row would cost a statement per checkpoint and per loss."""
    columns = [a.key for a in CheckpointRow.__mapper__.column_attrs if a.key != "id"]
    session.execute(insert(CheckpointRow), [{c: getattr(row, c) for c in columns} for row in built])
    names = [row.name for row in built]
    ids: dict[str, int] = {}
    for lo in range(0, len(names), 500):
        found = session.execute(
            select(CheckpointRow.name, CheckpointRow.id).where(
                CheckpointRow.model_id == model.id, CheckpointRow.name.in_(names[lo : lo + 500])
            )
        )
        ids |= {str(name): int(id_) for name, id_ in found}
    losses = [
        {"checkpoint_id": ids[row.name], "dataset": m.dataset, "loss": m.loss, "weight": m.weight}
        for row in built
        for m in row.losses
    ]
    if losses:
        session.execute(insert(LossMeasurementRow), losses)
    stored: dict[int, CheckpointRow] = {}
    id_list = list(ids.values())
    for lo in range(0, len(id_list), 500):
        found_rows = session.execute(
            select(CheckpointRow).where(CheckpointRow.id.in_(id_list[lo : lo + 500]))
        )
        stored |= {row.id: row for row in found_rows.scalars()}
    return [stored[ids[name]] for name in names]


def _evaluate_batch(
    workspace: Workspace,
    session: Session,
    actor: Actor,
    rows: list[CheckpointRow],
    estimates: list[EffectiveComputeEstimate | None],
) -> list[CheckpointReport]:
    """The triggers of a batch, evaluated once; each assessment they call for opened by the first checkpoint
    (in order) that fires it, and seen as recorded by the ones after."""
    raw = evaluate_triggers_many(workspace, session, rows)
    keys = sorted({f.key for firings in raw for f in firings if f.fired and f.key is not None})
    recorded: dict[str, AssessmentRow] = {}
    for lo in range(0, len(keys), 500):
        chunk = keys[lo : lo + 500]
        found = session.execute(select(AssessmentRow).where(AssessmentRow.trigger_key.in_(chunk)))
        recorded |= {a.trigger_key: a for a in found.scalars() if a.trigger_key is not None}
    reports: list[CheckpointReport] = []
    for row, estimate, firings in zip(rows, estimates, raw, strict=True):
        seen = [as_recorded(f, recorded) for f in firings]
        opened = open_assessments(workspace, session, actor, row, seen, recorded=recorded)
        reports.append(CheckpointReport(row, estimate, seen, opened))
    return reports


def add_checkpoint(ctx: Context, actor: Actor, model: ModelRow, spec: CheckpointSpec) -> CheckpointReport:
    """Register a checkpoint inside the caller's unit of work."""
    workspace, session = ctx.workspace, ctx.session
    require(actor, "registry.write", ctx.policy)
    if spec.recorded_at is not None:
        refuse_future(spec.recorded_at, workspace.now(), "recorded_at")
    if session.execute(
        select(CheckpointRow.id).where(CheckpointRow.model_id == model.id, CheckpointRow.name == spec.name)
    ).first():
        raise ConflictError(f"checkpoint {model.name}@{spec.name} already exists")
    run = get_run(session, model, spec.run) if spec.run else None
    row = CheckpointRow(
        model_id=model.id,
        run_id=run.id if run else None,
        name=spec.name,
        step=spec.step,
        training_flops=spec.training_flops,
        recorded_at=spec.recorded_at or workspace.now(),
        stage=spec.stage,
        created_at=workspace.now(),
    )
    row.model = model
    session.add(row)
    session.flush()
    losses = [
        LossMeasurementRow(checkpoint=row, dataset=d, loss=v, weight=spec.weights.get(d, 1.0))
        for d, v in sorted(spec.losses.items())
    ]
    session.add_all(losses)
    session.flush()
    estimate, fit_id = estimate_for(session, row, run, seed=ctx.policy.statistics.bootstrap_seed)
    apply_estimate(row, estimate, fit_id)
    session.flush()
    workspace.record(
        session,
        actor,
        "checkpoint.registered",
        f"checkpoint:{row.ref}",
        {
            "step": row.step,
            "training_flops": row.training_flops,
            "effective_compute": row.effective_compute,
            "method": row.effective_compute_method,
        },
        rows=[row, *losses],
    )
    return evaluate_and_open(workspace, session, actor, row, estimate)


def evaluate_and_open(
    workspace: Workspace,
    session: Session,
    actor: Actor,
    row: CheckpointRow,
    estimate: EffectiveComputeEstimate | None = None,
) -> CheckpointReport:
    """Evaluate the triggers of a stored checkpoint and open the assessments that fired."""
    firings = evaluate_triggers(workspace, session, row)
    opened = open_assessments(workspace, session, actor, row, firings)
    return CheckpointReport(row, estimate, firings, opened)


def set_stage(workspace: Workspace, actor: Actor, ref: str, stage: Stage) -> CheckpointReport:
    """Move a checkpoint to another stage (e.g. `deployed`) and re-evaluate its triggers."""
    with workspace.writing(actor) as ctx:
        require(actor, "registry.write", ctx.policy)
        if stage not in ("pretraining", "mid-training", "post-training", "deployed"):
            raise InputError(f"unknown stage {stage!r}", where="stage")
        session = ctx.session
        row = resolve_checkpoint(session, ref)
        before = row.stage
        row.stage = stage
        session.flush()
        workspace.record(
            session,
            actor,
            "checkpoint.stage_changed",
            f"checkpoint:{row.ref}",
            {"from": before, "to": stage},
            rows=[row],
        )
        return evaluate_and_open(workspace, session, actor, row)


def record_enhancement(
    workspace: Workspace,
    actor: Actor,
    model: str,
    kind: EnhancementKind,
    description: str,
    started_at: datetime,
    ended_at: datetime | None = None,
    checkpoint: str | None = None,
) -> EnhancementRow:
    """Record a post-training enhancement (fine-tuning, scaffolding, tool use...) applied to a model."""
    with workspace.writing(actor) as ctx:
        require(actor, "registry.write", ctx.policy)
        refuse_future(started_at, workspace.now(), "started_at")
        if ended_at is not None:
            refuse_future(ended_at, workspace.now(), "ended_at")
        if kind not in ("fine-tuning", "scaffolding", "tool-use", "prompting", "other"):
            raise InputError(f"unknown enhancement kind {kind!r}", where="kind")
        if ended_at is not None and ended_at < started_at:
            raise InputError("enhancement ends before it starts", where="ended_at")
        if not description.strip():
            raise InputError("an enhancement needs a description", where="description")
        session = ctx.session
        owner = get_model(session, model)
        ckpt = resolve_checkpoint(session, f"{model}@{checkpoint}") if checkpoint else None
        row = EnhancementRow(
            model_id=owner.id,
            checkpoint_id=ckpt.id if ckpt else None,
            kind=kind,
            description=description.strip(),
            started_at=started_at,
            ended_at=ended_at,
            created_at=workspace.now(),
        )
        session.add(row)
        session.flush()
        workspace.record(session, actor, "enhancement.recorded", f"model:{model}", {"kind": kind}, rows=[row])
    return row


@dataclass(frozen=True)
class ModelSummary:
    """A model with its runs, checkpoints and post-training enhancements; each record is its JSON document
    (``document``, ``checkpoint_dict``), as ``model show`` and the API print it."""

    model: JsonObject
    runs: list[JsonObject]
    checkpoints: list[JsonObject]
    enhancements: list[JsonObject]


@dataclass(frozen=True)
class CheckpointStatus:
    """A checkpoint (its JSON document), its triggers evaluated now, and the assessments recorded for it."""

    checkpoint: dict[str, Any]
    triggers: list[TriggerFiring]
    assessments: list[dict[str, Any]]


def model_summary(workspace: Workspace, name: str) -> ModelSummary:
    """A model with its runs, checkpoints and post-training enhancements."""
    with workspace.read() as session:
        model = get_model(session, name)
        runs = (
            session.execute(
                select(TrainingRunRow).where(TrainingRunRow.model_id == model.id).order_by(TrainingRunRow.id)
            )
            .scalars()
            .all()
        )
        enhancements = (
            session.execute(
                select(EnhancementRow)
                .where(EnhancementRow.model_id == model.id)
                .order_by(EnhancementRow.started_at)
            )
            .scalars()
            .all()
        )
        return ModelSummary(
            model=row_values(model),
            runs=[row_values(r) for r in runs],
            checkpoints=[checkpoint_dict(c) for c in model_checkpoints(session, name)],
            enhancements=[row_values(e) for e in enhancements],
        )


def checkpoint_status(workspace: Workspace, ref: str) -> CheckpointStatus:
    """A checkpoint, its triggers evaluated now, and the assessments recorded for it."""
    with workspace.read() as session:
        row = resolve_checkpoint(session, ref)
        assessments = (
            session.execute(
                select(AssessmentRow).where(AssessmentRow.checkpoint_id == row.id).order_by(AssessmentRow.id)
            )
            .scalars()
            .all()
        )
        return CheckpointStatus(
            checkpoint=checkpoint_dict(row),
            triggers=evaluate_triggers(workspace, session, row),
            assessments=[row_values(a) for a in assessments],
        )


def document(row: Base) -> JsonObject:
    """A registry row (model, run, enhancement, assessment, compliance finding) as the JSON document the doors
    print: every column, times in ISO-8601, bytes as hex. The doors call this rather than the store's
    ``row_values``, so that what a registry record looks like outside is decided here."""
    return row_values(row)
