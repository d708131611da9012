"""The RSP flow end to end on a real workspace: a checkpoint crosses 4x effective compute, Inspect logs are
ingested, a CBRN indicator sits inside the safety buffer, ASL-3 becomes required, and the gate pauses until
the safeguards are evidenced and the determinations signed and notified. Then the same evidence under the
other built-in frameworks, with their own outcomes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.gate.conftest import LOW, MODEL, Flow, blocking
from tests.support.policy import policy_of

C1, C2 = f"{MODEL}@c1", f"{MODEL}@c2"


def _findings(flow: Flow, ref: str) -> dict[str, str]:
    from scalegate.assessment.service import assess

    return {f.threshold_id: f.state for f in assess(flow.workspace, ref).findings}


def test_rsp_2_2_flow(flow_for: Any, standin_logs: dict[str, Path]) -> None:
    from scalegate.assessment.service import assess
    from scalegate.registry.assessments_due import record_prior_assessment

    flow: Flow = flow_for("anthropic-rsp-2.2")
    flow.register("c1", 1.0e24)
    flow.ingest(C1, standin_logs, ["wmdp_bio_low", *LOW])
    record_prior_assessment(flow.workspace, flow.person("rso"), C1, flow.clock.now())
    assert set(_findings(flow, C1).values()) <= {"ruled_out", "insufficient_evidence"}
    assert _findings(flow, C1)["CBRN-3"] == "ruled_out"
    flow.clock.advance(timedelta(days=20))
    flow.register("c2", 3.9e24)
    assert not any(
        t.fired for t in assess(flow.workspace, f"{MODEL}@c2").triggers if t.trigger == "effective_compute"
    )
    flow.clock.advance(timedelta(days=5))
    flow.register("c3", 4.1e24)
    ref = f"{MODEL}@c3"
    fired = {t.trigger: t for t in assess(flow.workspace, ref).triggers if t.fired}
    assert "effective_compute" in fired
    assert fired["effective_compute"].value is not None and fired["effective_compute"].value >= 4.0

    # A notably more capable checkpoint with no results: deployment waits for its assessment; training may go
    # on until the deadline on the strength of the last assessment.
    verdict = flow.gate(ref, "deploy-external")
    assert verdict["outcome"] == "pause" and verdict["exit_code"] == 3
    assert "trigger.assessment_due" in blocking(verdict)
    assert flow.gate(ref, "continue-training")["outcome"] == "allow"

    flow.ingest(ref, standin_logs, ["wmdp_bio", *LOW])
    assessment = assess(flow.workspace, ref)
    states = {f.threshold_id: f.state for f in assessment.findings}
    assert states["CBRN-3"] == "alert"  # inside the safety buffer: cannot rule out
    assert states["CBRN-4"] == "ruled_out"
    assert states["autonomy-checkpoint"] == "ruled_out"
    assert states["AI R&D-4"] == states["AI R&D-5"] == "ruled_out"
    cbrn3 = next(f for f in assessment.findings if f.threshold_id == "CBRN-3")
    wmdp = next(i for i in cbrn3.indicators if i.indicator_id == "cbrn3-wmdp-bio")
    assert wmdp.ci_high is not None and wmdp.alert is not None and wmdp.ci_high >= wmdp.alert
    assert wmdp.estimate is not None and wmdp.threshold is not None and wmdp.estimate < wmdp.threshold
    levels = {k: v.level for k, v in assessment.requirements.levels.items()}
    assert levels == {"deployment": "ASL-3", "security": "ASL-3"}
    assert assessment.requirements.levels["deployment"].because == ["CBRN-3"]

    # ASL-3 required and not in place: training pauses too (training-pause rule), and deployment pauses.
    training = flow.gate(ref, "continue-training")
    assert training["outcome"] == "pause"
    assert "training_pause:security:ASL-3" in blocking(training)
    deploy = flow.gate(ref, "deploy-external")
    texts = blocking(deploy)
    assert "standard.unmet:deployment:ASL-3" in texts
    assert "standard.unmet:security:ASL-3" in texts
    assert "decision.missing" in texts
    assert all(r["clause"] for r in deploy["reasons"] if r["effect"] == "blocks"), deploy["reasons"]

    # Security first: training may continue once ASL-3 security is met.
    flow.meet_standard("security", "ASL-3")
    assert flow.gate(ref, "continue-training")["outcome"] == "allow"
    assert flow.gate(ref, "deploy-external")["outcome"] == "pause"

    flow.meet_standard("deployment", "ASL-3")
    after_safeguards = blocking(flow.gate(ref, "deploy-external"))
    assert not any(t.startswith("standard.unmet") for t in after_safeguards)
    assert "decision.missing" in after_safeguards

    flow.determine(ref)
    government = blocking(flow.gate(ref, "deploy-external"))
    assert "government_notice.due" in government, government
    flow.notify_government(ref, levels)
    final = flow.gate(ref, "deploy-external")
    assert final["outcome"] == "allow" and final["exit_code"] == 0, blocking(final)
    assert final["required"] == {"deployment": "ASL-3", "security": "ASL-3"}

    # New evidence changes the findings' inputs: the determination no longer counts.
    flow.clock.advance(timedelta(days=1))
    flow.ingest(ref, standin_logs, ["wmdp_bio_rerun"])
    stale = flow.gate(ref, "deploy-external")
    assert stale["outcome"] == "pause"
    assert "decision.stale" in blocking(stale), blocking(stale)


@pytest.mark.slow
def test_overdue_assessment_pauses_training(flow_for: Any, standin_logs: dict[str, Path]) -> None:
    from scalegate.registry.assessments_due import record_prior_assessment

    flow: Flow = flow_for("anthropic-rsp-2.2")
    flow.register("c1", 1.0e24)
    flow.ingest(C1, standin_logs, ["wmdp_bio_low", *LOW])
    record_prior_assessment(flow.workspace, flow.person("rso"), C1, flow.clock.now())
    flow.clock.advance(timedelta(days=3))
    flow.register("c2", 8.0e24)
    assert flow.gate(C2, "continue-training")["outcome"] == "allow"
    flow.clock.advance(timedelta(days=31))
    verdict = flow.gate(C2, "continue-training")
    assert verdict["outcome"] == "pause"
    assert "trigger.overdue" in blocking(verdict)


@pytest.mark.slow
def test_interim_measures_turn_pause_into_restrict(flow_for: Any, standin_logs: dict[str, Path]) -> None:
    from scalegate.assessment.determination import approve_interim_measures

    flow: Flow = flow_for("anthropic-rsp-2.2")
    flow.register("c1", 1.0e24)
    flow.ingest(C1, standin_logs, ["wmdp_bio", *LOW])
    flow.meet_standard("security", "ASL-3")
    flow.determine(C1)
    flow.notify_government(C1, {"deployment": "ASL-3", "security": "ASL-3"})
    assert flow.gate(C1, "deploy-internal")["outcome"] == "pause"
    policy = policy_of(flow.workspace)
    assert policy.interim_measures is not None
    decision = approve_interim_measures(
        flow.workspace,
        flow.person("safeguards_owner"),
        C1,
        actions=["deploy-internal"],
        scope="internal research use only, no external API, classifier on",
        expires_at=flow.clock.now() + timedelta(days=30),
    )
    flow.sign_all(int(decision.id), [r for r in policy.interim_measures.approver_roles])
    verdict = flow.gate(C1, "deploy-internal")
    assert verdict["outcome"] == "restrict" and verdict["exit_code"] == 4
    assert verdict["restrictions"][0]["scope"].startswith("internal research use only")
    assert flow.gate(C1, "deploy-external")["outcome"] == "pause"
    flow.clock.advance(timedelta(days=31))
    assert flow.gate(C1, "deploy-internal")["outcome"] == "pause"


@pytest.mark.slow
def test_less_conservative_determination_needs_a_justification_and_is_flagged(
    flow_for: Any, standin_logs: dict[str, Path]
) -> None:
    import pytest

    from scalegate.assessment.determination import propose_determination
    from scalegate.errors import InputError

    flow: Flow = flow_for("anthropic-rsp-2.2")
    flow.register("c1", 1.0e24)
    flow.ingest(C1, standin_logs, ["wmdp_bio", *LOW])
    with pytest.raises(InputError, match="justification is required"):
        propose_determination(
            flow.workspace, flow.person("evaluator"), C1, levels={"deployment": "ASL-2", "security": "ASL-2"}
        )
    decision = propose_determination(
        flow.workspace,
        flow.person("evaluator"),
        C1,
        levels={"deployment": "ASL-2", "security": "ASL-2"},
        justification="expert red-teaming showed no meaningful uplift",
    )
    flow.sign_all(int(decision.id), ["rso", "ceo"])
    verdict = flow.gate(C1, "continue-training")
    flags = [r for r in verdict["reasons"] if r["code"] == "determination.less_conservative"]
    assert flags and flags[0]["data"]["decision_id"] == int(decision.id)
    assert "expert red-teaming" in flags[0]["text"]
    assert verdict["required"] == {"deployment": "ASL-2", "security": "ASL-2"}


def _framework_run(flow: Flow, logs: dict[str, Path]) -> dict[str, Any]:
    from scalegate.assessment.service import assess

    flow.register("c1", 1.0e24)
    flow.ingest(C1, logs, ["wmdp_bio", *LOW])
    assessment = assess(flow.workspace, C1)
    return {
        "findings": {f.threshold_id: f.state for f in assessment.findings},
        "levels": {k: v.level for k, v in assessment.requirements.levels.items()},
        "comprehensive": assessment.requirements.comprehensive_assessment_for,
        "training": flow.gate(C1, "continue-training"),
        "internal": flow.gate(C1, "deploy-internal"),
        "external": flow.gate(C1, "deploy-external"),
    }


def test_rsp_1_0_outcome(flow_for: Any, standin_logs: dict[str, Path]) -> None:
    result = _framework_run(flow_for("anthropic-rsp-1.0"), standin_logs)
    assert result["findings"]["ASL-3 misuse"] == "alert"
    assert result["levels"] == {"deployment": "ASL-3", "security": "ASL-3"}
    assert result["external"]["outcome"] == "pause"


def test_openai_preparedness_outcome(flow_for: Any, standin_logs: dict[str, Path]) -> None:
    result = _framework_run(flow_for("openai-preparedness-2"), standin_logs)
    f = result["findings"]
    assert f["Biological and Chemical High"] == "alert"
    assert f["Biological and Chemical Critical"] == "ruled_out"
    assert f["Cybersecurity High"] == "ruled_out" and f["Cybersecurity Critical"] == "ruled_out"
    assert result["levels"]["security"] == "High"
    # High deployment safeguards for Bio apply to external deployment only.
    assert result["internal"]["required"]["deployment"] == "Baseline"
    assert result["external"]["required"]["deployment"] == "High"
    assert result["external"]["outcome"] == "pause"


def test_gdm_fsf_outcome(flow_for: Any, standin_logs: dict[str, Path]) -> None:
    result = _framework_run(flow_for("gdm-fsf-3.0"), standin_logs)
    f = result["findings"]
    assert f["CBRN uplift level 1"] == "alert"
    # An alert threshold triggers a response (comprehensive assessment), not the CCL's mitigations.
    assert "CBRN uplift level 1" in result["comprehensive"]
    assert f["Cyber uplift level 1"] == "ruled_out"
    # No evaluation results for harmful manipulation: it cannot be ruled out, so its security level is
    # required.
    assert f["Harmful manipulation level 1"] == "insufficient_evidence"
    assert result["levels"]["security"] == "SL2"
    assert result["external"]["outcome"] == "pause"
