"""Demo data: a model family whose training run crosses the effective-compute trigger a few weeks ago.

The baseline recipe follows a known law, L(C) = 1.69 + 480·C^(-0.145), measured at eight reference points with
a little deterministic noise. The frontier model's recipe is about 3x more compute-efficient (its run declares
that multiplier, which the held-out losses then confirm). Its first checkpoint was comprehensively assessed;
checkpoints then arrive every five days with 2.2x more training compute each, so effective compute passes 4x
the assessed baseline at the third checkpoint and an assessment falls due, with the policy's deadline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from scalegate.actor import Actor
from scalegate.registry import fits, service
from scalegate.registry.assessments_due import mark_assessment_completed
from scalegate.registry.specs import CheckpointSpec, ReferencePoint

__all__ = ["DEMO_LAW", "DemoFamily", "seed_demo_family"]

DEMO_LAW: dict[str, float] = {"E": 1.69, "A": 480.0, "alpha": 0.145}
"""The baseline recipe's true scaling law in the demo (the fit should recover it)."""

_MULTIPLIER = 3.0
_REFERENCE_NOISE = (0.002, -0.003, 0.001, 0.0025, -0.002, 0.0015, -0.001, 0.002)
_CHECKPOINT_NOISE = (0.0, 0.001, -0.001, 0.0005, -0.0005, 0.001, 0.0, -0.001)


@dataclass
class DemoFamily:
    """What ``seed_demo_family`` created (its JSON document is its fields, by ``to_jsonable``)."""

    family: str
    model: str
    run: str
    fit_id: int
    baseline: str
    checkpoints: list[str] = field(default_factory=list)
    assessments_opened: list[int] = field(default_factory=list)


def _loss(compute: float) -> float:
    return float(DEMO_LAW["E"] + DEMO_LAW["A"] * compute ** (-DEMO_LAW["alpha"]))


def seed_demo_family(
    workspace: Any, actor: Actor, *, family: str = "aurora", model: str = "aurora-1"
) -> DemoFamily:
    """Register the demo family: fit, model, run, eight checkpoints, the assessed baseline. Prints nothing."""
    points = [
        ReferencePoint(compute=c, losses={"heldout": _loss(c) * (1 + n)})
        for c, n in zip([10.0 ** (19 + 0.7 * i) for i in range(8)], _REFERENCE_NOISE, strict=True)
    ]
    service.create_model(workspace, actor, model, family, "pretraining-team", "Demo frontier model")
    fit = fits.fit_family(
        workspace, actor, family, points, source="demo reference runs of the baseline recipe"
    )
    now = workspace.now()
    service.create_run(
        workspace,
        actor,
        model,
        "pretrain-1",
        algorithmic_multiplier=_MULTIPLIER,
        started_at=now - timedelta(days=40),
    )
    created = DemoFamily(family=family, model=model, run="pretrain-1", fit_id=fit.fit.id, baseline="")
    for k in range(8):
        flops = 2.5e21 * 2.2**k
        spec = CheckpointSpec(
            name=f"step-{(k + 1) * 5000}",
            step=(k + 1) * 5000,
            training_flops=flops,
            run="pretrain-1",
            recorded_at=now - timedelta(days=(7 - k) * 5 + 1),
            losses={"heldout": _loss(flops * _MULTIPLIER) * (1 + _CHECKPOINT_NOISE[k])},
        )
        report = service.register_checkpoint(workspace, actor, model, spec)
        created.checkpoints.append(report.checkpoint.ref)
        if k == 0:
            with workspace.transaction() as session:
                mark_assessment_completed(
                    workspace,
                    session,
                    actor,
                    report.checkpoint.id,
                    spec.recorded_at + timedelta(days=2) if spec.recorded_at else now,
                )
            created.baseline = report.checkpoint.ref
        else:
            created.assessments_opened += [a.id for a in report.opened]
    return created
