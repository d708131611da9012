"""The training callback stops a real ``transformers`` Trainer at the step where the real gate pauses.

The model is a one-layer GPT-2 built from a config (no download) trained on random tokens on the CPU. The
policy is the minimal one with a single brake on training: the effective-compute trigger, with no deadline (as
in RSP v1.0), so that at 4x the last assessed checkpoint the assessment is due at once and the gate pauses.
Effective compute is training FLOPs times the run's declared multiplier, and FLOPs grow by one baseline's
worth per step, so the ratio is exactly the step number: steps 1-3 continue, step 4 pauses.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scalegate.clock import FixedClock
from scalegate.registry import lookup, service
from scalegate.registry.assessments_due import due_assessments, mark_assessment_completed
from scalegate.registry.specs import CheckpointSpec
from scalegate.sdk import Client
from scalegate.workspace import Workspace, init_workspace
from tests.registry.conftest import RSO, policy_variant
from tests.sdk.test_client import add_trainer

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

FLOPS_PER_STEP = 1e18


def only_the_compute_trigger_brakes(document: dict[str, Any]) -> None:
    document["triggers"].pop("deadline_days")
    document["triggers"].pop("deadline_source")
    document["training_pause"] = None
    for threshold in document["thresholds"]:
        threshold.pop("affirmative_case_required", None)
    for rule in document["actions"]:
        if rule["action"] == "continue-training":
            rule["requires_kinds"] = []


@pytest.fixture
def training_ws(tmp_path: Path, clock: FixedClock) -> Iterator[Workspace]:
    policy = policy_variant(tmp_path, "training-brake", only_the_compute_trigger_brakes)
    ws = init_workspace(f"sqlite:///{tmp_path / 'ws.db'}", str(policy), clock=clock)
    service.create_model(ws, RSO, "tiny", "tiny", "research")
    service.create_run(ws, RSO, "tiny", "run", algorithmic_multiplier=1.0)
    spec = CheckpointSpec(
        name="step-0", step=0, training_flops=FLOPS_PER_STEP, run="run", recorded_at=clock.now()
    )
    base = service.register_checkpoint(ws, RSO, "tiny", spec).checkpoint
    with ws.transaction() as session:
        mark_assessment_completed(ws, session, RSO, base.id, clock.now())
    add_trainer(ws)
    try:
        yield ws
    finally:
        ws.close()


class RandomTokens(torch.utils.data.Dataset):  # type: ignore[misc,name-defined]
    def __init__(self, n: int, length: int, vocab: int, seed: int) -> None:
        generator = torch.Generator().manual_seed(seed)
        self.data = torch.randint(0, vocab, (n, length), generator=generator)

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {"input_ids": self.data[i], "labels": self.data[i]}


@pytest.mark.slow
def test_trainer_stops_at_the_step_the_gate_pauses(training_ws: Workspace, tmp_path: Path) -> None:
    from transformers import GPT2Config, GPT2LMHeadModel, Trainer, TrainingArguments

    from scalegate.sdk.callbacks import ScalegateCallback

    torch.manual_seed(0)
    config = GPT2Config(
        n_layer=1, n_head=2, n_embd=32, vocab_size=64, n_positions=32, bos_token_id=0, eos_token_id=0
    )
    model = GPT2LMHeadModel(config)
    args = TrainingArguments(
        output_dir=str(tmp_path / "out"),
        max_steps=10,
        per_device_train_batch_size=4,
        per_device_eval_batch_size=8,
        eval_strategy="steps",
        eval_steps=1,
        logging_steps=1,
        save_strategy="no",
        report_to=[],
        use_cpu=True,
        disable_tqdm=True,
        learning_rate=1e-3,
        seed=0,
    )
    client = Client(workspace=training_ws, user="trainer")
    callback = ScalegateCallback(client, "tiny", run="run", flops_per_step=FLOPS_PER_STEP)
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=RandomTokens(64, 16, 64, 1),
        eval_dataset=RandomTokens(8, 16, 64, 2),
        callbacks=[callback],
    )
    trainer.train()

    assert trainer.state.global_step == 4
    assert callback.stopped_at_step == 4
    assert [(step, result.outcome) for step, result in callback.history] == [
        (1, "allow"),
        (2, "allow"),
        (3, "allow"),
        (4, "pause"),
    ]
    verdict = callback.last_verdict
    assert verdict is not None and verdict.exit_code == 3 and verdict.checkpoint == "tiny@step-4"
    assert "comprehensive assessment due" in verdict.explain()
    with training_ws.read() as session:
        reported = lookup.model_checkpoints(session, "tiny")
    assert [c.name for c in reported] == ["step-0", "step-1", "step-2", "step-3", "step-4"]
    assert [c.effective_compute for c in reported] == [FLOPS_PER_STEP * max(s, 1) for s in range(5)]
    assert reported[4].losses[0].dataset == "eval" and reported[4].losses[0].loss > 0
    (due,) = due_assessments(training_ws)
    assert due.checkpoint == "tiny@step-4" and due.trigger == "effective_compute"


def test_missing_eval_loss_pauses_without_raising(training_ws: Workspace) -> None:
    from transformers import TrainerControl, TrainerState

    from scalegate.sdk.callbacks import ScalegateCallback

    callback = ScalegateCallback(Client(workspace=training_ws), "tiny", flops_per_step=FLOPS_PER_STEP)
    state, control = TrainerState(), TrainerControl()
    state.global_step = 1
    callback.on_evaluate(None, state, control, metrics={"eval_accuracy": 0.5})  # type: ignore[arg-type]
    assert control.should_training_stop
    assert callback.last_verdict is not None and "no 'eval_loss'" in callback.last_verdict.explain()
