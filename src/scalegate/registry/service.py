"""The registry service: models, training runs, checkpoints with held-out losses, post-training enhancements.

Registering a checkpoint computes its effective compute, evaluates the policy's assessment triggers and opens
the assessments that fired, all in one transaction with its audit entries. Every door (CLI, web API, SDK,
training callback, importer) calls these functions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scalegate.actor import Actor
from scalegate.errors import ConflictError, InputError, ScalegateError
from scalegate.registry.assessments_due import open_assessments
from scalegate.registry.effective import apply_estimate, estimate_for
from scalegate.registry.lookup import (
    checkpoint_dict,
    get_model,
    get_run,
    model_checkpoints,
    resolve_checkpoint,
)
from scalegate.registry.scaling import EffectiveComputeEstimate
from scalegate.registry.specs import NAME_PATTERN, CheckpointSpec
from scalegate.registry.triggers import TriggerFiring, evaluate_triggers
from scalegate.store.base import Base, row_values
from scalegate.store.models.registry import (
    AssessmentRow,
    CheckpointRow,
    EnhancementKind,
    EnhancementRow,
    LossMeasurementRow,
    ModelRow,
    Stage,
    TrainingRunRow,
)
from scalegate.workspace import Workspace

__all__ = [
    "CheckpointReport",
    "add_checkpoint",
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


@dataclass
class CheckpointReport:
    """What registering (or re-evaluating) a checkpoint produced."""

    checkpoint: CheckpointRow
    estimate: EffectiveComputeEstimate | None
    firings: list[TriggerFiring] = field(default_factory=list)
    opened: list[AssessmentRow] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "checkpoint": checkpoint_dict(self.checkpoint),
            "effective_compute": self.estimate.to_dict() if self.estimate else None,
            "triggers": [f.to_dict() for f in self.firings],
            "assessments_opened": [
                {"id": a.id, "trigger": a.trigger, "due_at": a.due_at.isoformat(), "clause": a.clause}
                for a in self.opened
            ],
        }


def _check_name(value: str, what: str) -> str:
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
    _check_name(name, "model")
    _check_name(family, "family")
    if not owner.strip():
        raise InputError("a model needs an owner", where="owner")
    with workspace.transaction() as session:
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
    _check_name(name, "run")
    if algorithmic_multiplier is not None and not algorithmic_multiplier > 0:
        raise InputError(
            f"algorithmic multiplier must be positive, got {algorithmic_multiplier}", where="multiplier"
        )
    with workspace.transaction() as session:
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
    with workspace.transaction() as session:
        return add_checkpoint(workspace, session, actor, get_model(session, model), spec)


def register_checkpoints(
    workspace: Workspace, actor: Actor, model: str, specs: Sequence[tuple[str | None, CheckpointSpec]]
) -> list[CheckpointReport]:
    """Register many checkpoints in one transaction (all or nothing), in order of recorded date then step.

    Each spec comes with the place it was read from (file:line) so that a failure names it.
    """
    ordered = sorted(specs, key=lambda s: (s[1].recorded_at or workspace.now(), s[1].step))
    reports: list[CheckpointReport] = []
    with workspace.transaction() as session:
        owner = get_model(session, model)
        for where, spec in ordered:
            try:
                reports.append(add_checkpoint(workspace, session, actor, owner, spec))
            except ScalegateError as exc:
                raise type(exc)(exc.message, where=where or exc.where) from exc
    return reports


def add_checkpoint(
    workspace: Workspace, session: Session, actor: Actor, model: ModelRow, spec: CheckpointSpec
) -> CheckpointReport:
    """Register a checkpoint inside the caller's transaction."""
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
    estimate, fit_id = estimate_for(session, row, run, seed=workspace.policy().statistics.bootstrap_seed)
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
    if stage not in ("pretraining", "mid-training", "post-training", "deployed"):
        raise InputError(f"unknown stage {stage!r}", where="stage")
    with workspace.transaction() as session:
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
    if kind not in ("fine-tuning", "scaffolding", "tool-use", "prompting", "other"):
        raise InputError(f"unknown enhancement kind {kind!r}", where="kind")
    if ended_at is not None and ended_at < started_at:
        raise InputError("enhancement ends before it starts", where="ended_at")
    if not description.strip():
        raise InputError("an enhancement needs a description", where="description")
    with workspace.transaction() as session:
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


def model_summary(workspace: Workspace, name: str) -> dict[str, Any]:
    """A model with its runs, checkpoints and post-training enhancements, as JSON."""
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
        return {
            "model": row_values(model),
            "runs": [row_values(r) for r in runs],
            "checkpoints": [checkpoint_dict(c) for c in model_checkpoints(session, name)],
            "enhancements": [row_values(e) for e in enhancements],
        }


def checkpoint_status(workspace: Workspace, ref: str) -> dict[str, Any]:
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
        return {
            "checkpoint": checkpoint_dict(row),
            "triggers": [f.to_dict() for f in evaluate_triggers(workspace, session, row)],
            "assessments": [row_values(a) for a in assessments],
        }


def document(row: Base) -> dict[str, Any]:
    """A registry row (model, run, enhancement, assessment, compliance finding) as the JSON document the doors
    print: every column, times in ISO-8601, bytes as hex. The doors call this rather than the store's
    ``row_values``, so that what a registry record looks like outside is decided here."""
    return row_values(row)
