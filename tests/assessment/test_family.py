"""Assessing a whole family at once gives, checkpoint by checkpoint, exactly what ``assess`` gives, for fewer
statements than assessing them one by one."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from scalegate.assessment.service import assess, assess_family
from scalegate.clock import FixedClock
from scalegate.registry.service import register_checkpoints
from scalegate.registry.specs import CheckpointSpec
from scalegate.workspace import Workspace
from tests.assessment.test_statement_counts import bio_logs as bio_logs  # the shared fixtures
from tests.assessment.test_statement_counts import families as families
from tests.assessment.test_statement_counts import inspect_logs as inspect_logs
from tests.evidence.conftest import EVALUATOR
from tests.support.sql import counting


def _views(assessments: list) -> list[dict]:  # type: ignore[type-arg]
    out = []
    for a in assessments:
        view = a.to_dict()
        view["while_pending"] = a.while_pending.to_dict() if a.while_pending else None
        out.append(view)
    return out


def test_family_assessment_equals_one_by_one(families: Workspace, clock: FixedClock) -> None:
    # Later checkpoints without results: the earlier results stand, or cannot (a trigger fired).
    clock.advance(timedelta(days=1))
    register_checkpoints(
        families,
        EVALUATOR,
        "m5",
        [
            (None, CheckpointSpec(name="late-small", step=50, training_flops=1e21, run="r")),
            (None, CheckpointSpec(name="late-big", step=60, training_flops=1e24, run="r")),
        ],
    )
    together = assess_family(families, "f5", with_forecasts=True)
    refs = [a.ref for a in together]
    assert len(refs) == 7 and {"m5@late-small", "m5@late-big"} <= set(refs)
    alone = [assess(families, ref) for ref in refs]
    assert _views(together) == _views(alone)
    carried = {a.ref: a.basis.carried_over for a in together}
    assert carried["m5@late-small"] or any(a.while_pending for a in together)


def test_family_assessment_costs_fewer_statements_than_one_by_one(families: Workspace) -> None:
    refs = [a.ref for a in assess_family(families, "f25")]
    with counting(families) as together:
        assess_family(families, "f25")
    with counting(families) as alone:
        for ref in refs:
            assess(families, ref, with_forecasts=False)
    assert len(together) * 3 < len(alone), (len(together), len(alone))


def test_an_empty_family_has_no_assessments(families: Workspace, tmp_path: Path) -> None:
    assert assess_family(families, "no-such-family") == []
