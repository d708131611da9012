"""``scalegate evals run``: run the Inspect evaluations the active policy names, then ingest their logs.

The policy's indicators with ``harness: inspect`` name the tasks (``inspect_evals/wmdp_bio``, or a lab's own
task). They run through ``inspect_ai.eval_set``, so a re-run in the same log directory resumes rather than
repeats, with at least as many epochs as any indicator asks (``min_epochs``). Each log is ingested for the
checkpoint exactly as ``scalegate evidence ingest`` would, so a failed or partial run is refused (or kept as
insufficient evidence with ``allow_status``) in the same way.

Tasks resolve as Inspect resolves them: registry names of installed packages (``inspect_evals/...``), or, with
``task_file``, the task of that name in a Python file. ``inspect_ai`` is imported only here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from scalegate.actor import Actor
from scalegate.errors import EvidenceError, InputError
from scalegate.evidence.service import AllowStatus, ingest_file
from scalegate.evidence.types import IngestResult, IngestResultDocument
from scalegate.extras import requires_extra
from scalegate.policy.thresholds import Indicator
from scalegate.registry.lookup import resolve_checkpoint
from scalegate.workspace import Workspace

if TYPE_CHECKING:
    from scalegate.policy import Policy

__all__ = ["EvalRun", "EvalRunDocument", "planned_tasks", "run_policy_evals"]


class EvalRunDocument(TypedDict):
    """What ``run_policy_evals`` did, as JSON."""

    checkpoint: str
    model: str
    log_dir: str
    tasks: list[str]
    success: bool
    logs: list[str]
    errors: list[str]
    ingested: list[IngestResultDocument]


@dataclass
class EvalRun:
    """What ``run_policy_evals`` did."""

    checkpoint: str
    model: str
    log_dir: str
    tasks: list[str]
    success: bool
    logs: list[str] = field(default_factory=list)
    ingested: list[IngestResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> EvalRunDocument:
        return {
            "checkpoint": self.checkpoint,
            "model": self.model,
            "log_dir": self.log_dir,
            "tasks": self.tasks,
            "success": self.success,
            "logs": self.logs,
            "errors": self.errors,
            "ingested": [r.to_dict() for r in self.ingested],
        }


def planned_tasks(indicators: Sequence[Indicator], task_file: Path | None) -> dict[str, int]:
    """Inspect task specs to run, each with the most epochs any of its indicators asks for."""
    plan: dict[str, int] = {}
    for indicator in indicators:
        if indicator.evaluation.harness != "inspect":
            continue
        name = indicator.evaluation.task
        spec = f"{task_file}@{name.removeprefix('inspect_evals/')}" if task_file else name
        plan[spec] = max(plan.get(spec, 1), indicator.min_epochs)
    return plan


def run_policy_evals(
    workspace: Workspace,
    actor: Actor,
    checkpoint_ref: str,
    *,
    model: str,
    log_dir: str | Path,
    task_file: str | Path | None = None,
    indicator_ids: Sequence[str] = (),
    epochs: int | None = None,
    limit: int | None = None,
    model_args: dict[str, Any] | None = None,
    allow_status: AllowStatus = False,
    elicitation: Sequence[str] = (),
    display: str = "none",
) -> EvalRun:
    """Run the policy's Inspect indicator tasks on ``model`` and ingest every log for the checkpoint."""
    with workspace.reading() as ctx:
        resolve_checkpoint(ctx.session, checkpoint_ref)  # fail before running anything
        selected = _selected(ctx.policy, indicator_ids)
    plan = planned_tasks(selected, Path(task_file).resolve() if task_file else None)
    if not plan:
        raise InputError(
            "the active policy names no Inspect evaluations to run"
            + (f" among indicators {', '.join(indicator_ids)}" if indicator_ids else "")
        )
    run = EvalRun(checkpoint_ref, model, str(log_dir), list(plan), success=False)
    logs = _eval_set(plan, model, str(log_dir), epochs, limit, model_args or {}, display, run)
    metadata: dict[str, Any] = {"source": "scalegate evals run"}
    if elicitation:
        metadata["elicitation"] = list(elicitation)
    for location in logs:
        run.logs.append(location)
        try:
            run.ingested.append(
                ingest_file(
                    workspace, actor, location, checkpoint_ref, allow_status=allow_status, metadata=metadata
                )
            )
        except EvidenceError as exc:
            run.errors.append(str(exc))
    run.success = run.success and not run.errors
    return run


def _selected(policy: Policy, indicator_ids: Sequence[str]) -> list[Indicator]:
    indicators = [indicator for _, indicator in policy.indicators()]
    if not indicator_ids:
        return indicators
    known = {i.id: i for i in indicators}
    unknown = [i for i in indicator_ids if i not in known]
    if unknown:
        raise InputError(f"the active policy has no indicator {', '.join(unknown)}", where="indicator")
    return [known[i] for i in indicator_ids]


def _policy_epochs(plan: dict[str, int]) -> int | None:
    """The epochs the policy asks for; None (each task keeps its own setting) when it asks for one."""
    most = max(plan.values())
    return most if most > 1 else None


def _eval_set(
    plan: dict[str, int],
    model: str,
    log_dir: str,
    epochs: int | None,
    limit: int | None,
    model_args: dict[str, Any],
    display: str,
    run: EvalRun,
) -> list[str]:
    with requires_extra("inspect", "running Inspect evaluations"):
        from inspect_ai import eval_set

    try:
        success, logs = eval_set(
            tasks=list(plan),
            model=model,
            log_dir=log_dir,
            model_args=model_args,
            epochs=epochs or _policy_epochs(plan),
            limit=limit,
            display=display,  # type: ignore[arg-type]
            retry_attempts=1,
            retry_wait=0.1,
        )
    except Exception as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise EvidenceError(f"inspect_ai could not run the evaluations: {message}", where=log_dir) from exc
    run.success = bool(success)
    return [log.location for log in logs if log.location]
