"""Each built-in of the wider framework corpus runs through a real workspace: a checkpoint with no evaluation
results is assessed and gated, and since these texts publish no numbers (no indicator is bound), nothing is
ruled out and no gate lets an external deployment proceed on the baseline alone."""

from __future__ import annotations

from typing import Any

import pytest

from tests.gate.conftest import MODEL
from tests.support.policy import policy_of

CORPUS = [
    "gdm-fsf-1.0",
    "gdm-fsf-2.0",
    "gdm-fsf-3.1",
    "openai-preparedness-2023-beta",
    "xai-faif-2025-12",
    "xai-faif-2026-06",
    "xai-rmf-2025-02-draft",
    "xai-rmf-2025-08",
]


@pytest.mark.parametrize("policy_id", CORPUS)
def test_an_unevaluated_checkpoint_fails_closed(flow_for: Any, policy_id: str) -> None:
    from scalegate.assessment.service import assess

    flow = flow_for(policy_id)
    flow.register("c1", 1.0e24)
    ref = f"{MODEL}@c1"
    assessment = assess(flow.workspace, ref)
    policy = policy_of(flow.workspace)
    assert {f.threshold_id for f in assessment.findings} == {t.id for t in policy.thresholds}
    assert not any(f.ruled_out for f in assessment.findings)
    external = flow.gate(ref, "deploy-external")
    assert external["outcome"] != "proceed", external
