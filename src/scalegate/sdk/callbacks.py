"""A Hugging Face ``transformers`` callback that reports every evaluation to scalegate and obeys the gate.

    callback = ScalegateCallback(client, model="aurora-1", flops_per_step=6 * n_params * tokens_per_step)
    trainer = Trainer(..., callbacks=[callback])

At each evaluation the callback reads the held-out loss from the metrics, reports the checkpoint (step,
training FLOPs from ``flops_per_step`` or else the Trainer's own ``state.total_flos``), and asks the gate
whether ``continue-training`` may go on. On pause it sets ``control.should_training_stop`` so the Trainer
stops cleanly after the current step, keeps the verdict in ``last_verdict`` and logs why. It never raises into
the training loop: a failure to report or to reach the gate is itself a pause with that reason.
"""

from __future__ import annotations

import logging
from typing import Any

from scalegate.extras import requires_extra

with requires_extra("ml", "the Hugging Face Trainer callback"):
    from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from scalegate.sdk.client import Client
from scalegate.sdk.loop import check_and_report
from scalegate.sdk.result import GateResult

__all__ = ["ScalegateCallback", "check_and_report"]

logger = logging.getLogger("scalegate.sdk")


class ScalegateCallback(TrainerCallback):
    """Report each evaluation's loss as a checkpoint and stop training when the gate says pause."""

    def __init__(
        self,
        client: Client,
        model: str,
        *,
        dataset: str = "eval",
        metric: str = "eval_loss",
        flops_per_step: float | None = None,
        run: str | None = None,
        stage: str = "pretraining",
        action: str = "continue-training",
        name_format: str = "step-{step}",
    ) -> None:
        self.client = client
        self.model = model
        self.dataset = dataset
        self.metric = metric
        self.flops_per_step = flops_per_step
        self.run = run
        self.stage = stage
        self.action = action
        self.name_format = name_format
        self.last_verdict: GateResult | None = None
        self.history: list[tuple[int, GateResult]] = []
        self.stopped_at_step: int | None = None

    def on_evaluate(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        metrics: dict[str, float] | None = None,
        **kwargs: Any,
    ) -> TrainerControl:
        step = int(state.global_step)
        result = self._check(step, state, metrics or {})
        self.last_verdict = result
        self.history.append((step, result))
        if result.outcome == "pause":
            control.should_training_stop = True
            self.stopped_at_step = step
            logger.warning(
                "scalegate: pausing training of %s at step %d: %s", self.model, step, result.explain()
            )
        return control

    def _check(self, step: int, state: TrainerState, metrics: dict[str, float]) -> GateResult:
        name = self.name_format.format(step=step)
        loss = metrics.get(self.metric)
        if loss is None:
            return GateResult.paused(
                f"no {self.metric!r} in the evaluation metrics: cannot report the checkpoint",
                checkpoint=f"{self.model}@{name}",
            )
        flops = (
            self.flops_per_step * step if self.flops_per_step is not None else float(state.total_flos or 0.0)
        )
        return check_and_report(
            self.client,
            self.model,
            name,
            step,
            flops,
            {self.dataset: float(loss)},
            action=self.action,
            stage=self.stage,
            run=self.run,
        )
