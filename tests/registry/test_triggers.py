"""The trigger table of each built-in policy: ratios, months, buffers, discretion, deadlines as stated."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from scalegate.actor import Actor
from scalegate.clock import FixedClock
from scalegate.errors import InputError, PermissionDenied
from scalegate.months import add_months
from scalegate.registry import lookup, service
from scalegate.registry.assessments_due import mark_assessment_completed, request_assessment
from scalegate.registry.specs import CheckpointSpec
from scalegate.registry.triggers import TriggerFiring, evaluate_triggers
from scalegate.workspace import Workspace
from tests.conftest import MINIMAL_POLICY
from tests.registry.conftest import RSO, STAFF, days
from tests.support.policy import policy_of

T0 = datetime(2025, 1, 10, 12, 0, tzinfo=UTC)
ANCHOR = T0 + days(5)
BASE_FLOPS = 1e22

Make = Callable[[Any], Workspace]

# policy, compute ratio that fires / does not, months that fire / do not, deadline days, safety buffer
TABLE = [
    ("anthropic-rsp-2.2", 4.0, 3.9, 6, 5, 30, None),
    ("anthropic-rsp-2.0", 4.0, 3.9, 6, 5, 30, None),
    ("anthropic-rsp-1.0", 4.0, 3.9, 3, 2, None, 6.0),
    (str(MINIMAL_POLICY), 4.0, 3.9, 6, 5, 30, None),
]
IDS = [row[0].rsplit("/", 1)[-1] for row in TABLE]


def assessed_family(ws: Workspace) -> None:
    """Model `m` whose checkpoint `base` (1e22 effective compute) was comprehensively assessed at ANCHOR."""
    service.create_model(ws, RSO, "m", "fam", "team")
    service.create_run(ws, RSO, "m", "r", algorithmic_multiplier=1.0)
    spec = CheckpointSpec(name="base", step=1, training_flops=BASE_FLOPS, run="r", recorded_at=T0)
    base = service.register_checkpoint(ws, RSO, "m", spec).checkpoint
    with ws.transaction() as session:
        mark_assessment_completed(ws, session, RSO, base.id, ANCHOR)


def firings_at_ratio(ws: Workspace, ratio: float, name: str = "next") -> dict[str, TriggerFiring]:
    spec = CheckpointSpec(
        name=name, step=2, training_flops=BASE_FLOPS * ratio, run="r", recorded_at=T0 + days(20)
    )
    service.register_checkpoint(ws, RSO, "m", spec)
    with ws.read() as session:
        found = evaluate_triggers(ws, session, lookup.resolve_checkpoint(session, f"m@{name}"))
    return {f.trigger: f for f in found}


@pytest.mark.parametrize(("policy", "fires", "quiet", "_m", "_q", "deadline", "_b"), TABLE, ids=IDS)
def test_effective_compute_ratio(
    variant_workspace: Make,
    policy: str,
    fires: float,
    quiet: float,
    _m: int,
    _q: int,
    deadline: int | None,
    _b: float | None,
) -> None:
    ws = variant_workspace(policy)
    assessed_family(ws)
    below = firings_at_ratio(ws, quiet, "below")["effective_compute"]
    at = firings_at_ratio(ws, fires, "at")["effective_compute"]
    assert not below.fired and below.value == pytest.approx(quiet) and below.deadline is None
    assert at.fired and at.value == pytest.approx(fires) and at.threshold == fires
    assert at.triggered_at == T0 + days(20)
    assert at.deadline == T0 + days(20 + (deadline or 0))
    assert at.clause and at.clause.startswith(policy_of(ws).framework.document)
    assert "4.00x" in at.text and "m@base" in at.text


@pytest.mark.parametrize(("policy", "_f", "_n", "fires", "quiet", "deadline", "_b"), TABLE, ids=IDS)
def test_calendar_months(
    variant_workspace: Make,
    clock: FixedClock,
    policy: str,
    _f: float,
    _n: float,
    fires: int,
    quiet: int,
    deadline: int | None,
    _b: float | None,
) -> None:
    ws = variant_workspace(policy)
    assessed_family(ws)
    clock.set(add_months(ANCHOR, quiet))
    early = firings_at_ratio(ws, 1.5, "early")["calendar"]
    clock.set(add_months(ANCHOR, fires))
    late = firings_at_ratio(ws, 1.5, "late")["calendar"]
    assert not early.fired and early.value == quiet and early.threshold == fires
    assert late.fired and late.value == fires
    assert late.triggered_at == add_months(ANCHOR, fires)
    assert late.deadline == add_months(ANCHOR, fires) + days(deadline or 0)


def test_calendar_month_mark_is_exact_to_the_second(variant_workspace: Make, clock: FixedClock) -> None:
    ws = variant_workspace("anthropic-rsp-2.2")
    assessed_family(ws)
    clock.set(add_months(ANCHOR, 6) - days(1 / 86400))
    assert not firings_at_ratio(ws, 1.0, "a")["calendar"].fired
    clock.set(add_months(ANCHOR, 6))
    assert firings_at_ratio(ws, 1.0, "b")["calendar"].fired


@pytest.mark.parametrize(("policy", "buffer", "fires", "quiet"), [("anthropic-rsp-1.0", 6.0, 6.0, 5.9)])
def test_safety_buffer(
    variant_workspace: Make, policy: str, buffer: float, fires: float, quiet: float
) -> None:
    ws = variant_workspace(policy)
    assessed_family(ws)
    within = firings_at_ratio(ws, quiet, "within")["safety_buffer"]
    beyond = firings_at_ratio(ws, fires, "beyond")["safety_buffer"]
    assert not within.fired and "within the 6x safety buffer" in within.text
    assert within.detail["headroom"] == pytest.approx(buffer / quiet)
    assert beyond.fired and beyond.threshold == buffer and "exceeds the 6x safety buffer" in beyond.text
    assert beyond.deadline == beyond.triggered_at  # v1.0 states no deadline: due at once


@pytest.mark.parametrize("policy", ["anthropic-rsp-2.2", "anthropic-rsp-2.0", str(MINIMAL_POLICY)])
def test_policies_without_a_buffer_report_none(variant_workspace: Make, policy: str) -> None:
    ws = variant_workspace(policy)
    assessed_family(ws)
    assert "safety_buffer" not in firings_at_ratio(ws, 7.0)


def test_an_assessment_interval_at_or_above_the_buffer_is_reported(
    variant_workspace: Make, tmp_path: Any
) -> None:
    from tests.registry.conftest import policy_variant, v1_like

    def wide_interval(doc: dict[str, Any]) -> None:
        v1_like(doc)
        doc["triggers"]["effective_compute"]["ratio"] = 8.0

    ws = variant_workspace(policy_variant(tmp_path, "wide", wide_interval))
    assessed_family(ws)
    buffer = firings_at_ratio(ws, 1.0)["safety_buffer"]
    assert buffer.fired and "the next assessment point would exceed the buffer" in buffer.text
    assert buffer.key is None  # a policy problem, not an assessment to open


@pytest.mark.parametrize(
    ("policy", "allowed", "refused"),
    [
        ("anthropic-rsp-2.2", "rso", "staff"),
        ("anthropic-rsp-2.0", "rso", "ceo"),
        ("openai-preparedness-2", "sag", "rso"),
        (str(MINIMAL_POLICY), "rso", "staff"),
    ],
    ids=["rsp-2.2", "rsp-2.0", "openai-pf-2", "minimal"],
)
def test_discretionary_request_by_allowed_role_only(
    variant_workspace: Make, policy: str, allowed: str, refused: str
) -> None:
    ws = variant_workspace(policy)
    assessed_family(ws)
    with pytest.raises(
        PermissionDenied, match=f"may not request an assessment: the policy allows roles {allowed}"
    ):
        request_assessment(ws, Actor("x", frozenset({refused})), "m", "looks stronger")
    row = request_assessment(ws, Actor("y", frozenset({allowed})), "m@base", "looks stronger")
    assert row.trigger == "discretionary" and row.requested_by == "y"
    with ws.read() as session:
        found = {
            f.trigger: f for f in evaluate_triggers(ws, session, lookup.resolve_checkpoint(session, "m"))
        }
    assert found["discretionary"].fired and "looks stronger" in found["discretionary"].text
    deadline = policy_of(ws).triggers.deadline_days
    assert row.due_at == ws.now() + days(deadline or 0)


@pytest.mark.parametrize("policy", ["anthropic-rsp-1.0", "gdm-fsf-3.0"])
def test_policies_granting_no_discretion_refuse_everyone(variant_workspace: Make, policy: str) -> None:
    ws = variant_workspace(policy)
    assessed_family(ws)
    with pytest.raises(PermissionDenied, match="grants no one a discretionary assessment trigger"):
        request_assessment(ws, RSO, "m", "looks stronger")


@pytest.mark.parametrize("policy", ["openai-preparedness-2", "gdm-fsf-3.0"])
def test_frameworks_without_compute_or_calendar_triggers(variant_workspace: Make, policy: str) -> None:
    ws = variant_workspace(policy)
    assessed_family(ws)
    found = firings_at_ratio(ws, 100.0)
    assert "effective_compute" not in found and "calendar" not in found
    report = service.set_stage(ws, RSO, "m@next", "deployed")
    before = [e.id for e in policy_of(ws).triggers.events if e.event == "before_deployment"]
    deployment = [f for f in report.firings if f.trigger == "event" and f.fired]
    assert before and [f.detail["event"] for f in deployment] == before
    assert all("without a completed assessment" in f.text for f in deployment)
    assert [a.trigger for a in report.opened] == ["event"] * len(before)


def test_no_assessed_baseline_fires_fail_closed(variant_workspace: Make) -> None:
    ws = variant_workspace("anthropic-rsp-2.2")
    service.create_model(ws, RSO, "m", "fam", "team")
    report = service.register_checkpoint(ws, RSO, "m", CheckpointSpec(name="c", step=1, training_flops=1e20))
    found = {f.trigger: f for f in report.firings}
    assert (
        found["effective_compute"].fired
        and "has completed a comprehensive assessment" in found["effective_compute"].text
    )
    assert not found["calendar"].fired
    assert [a.trigger for a in report.opened] == ["effective_compute"]


def test_staff_role_alone_cannot_request(variant_workspace: Make) -> None:
    ws = variant_workspace(str(MINIMAL_POLICY))
    assessed_family(ws)
    with pytest.raises(PermissionDenied):
        request_assessment(ws, STAFF, "m", "reason")


def test_a_firing_already_assessed_reads_as_satisfied(variant_workspace: Make) -> None:
    ws = variant_workspace("anthropic-rsp-2.2")
    assessed_family(ws)
    spec = CheckpointSpec(
        name="big", step=2, training_flops=5 * BASE_FLOPS, run="r", recorded_at=T0 + days(1)
    )
    crossing = {f.trigger: f for f in service.register_checkpoint(ws, RSO, "m", spec).firings}[
        "effective_compute"
    ]
    assert crossing.fired and crossing.deadline == T0 + days(31)
    later = firings_at_ratio(ws, 6.0, "bigger")["effective_compute"]
    assert later.deadline == crossing.deadline and later.detail["first_fired_on"] == "m@big"
    with ws.transaction() as session:
        big = lookup.resolve_checkpoint(session, "m@big")
        mark_assessment_completed(ws, session, RSO, big.id, T0 + days(3))  # before the baseline's: it stays
        with pytest.raises(InputError, match="after the completion time"):
            mark_assessment_completed(ws, session, RSO, big.id, T0)
    with ws.read() as session:
        again = evaluate_triggers(ws, session, lookup.resolve_checkpoint(session, "m@big"))
    ratio = next(f for f in again if f.trigger == "effective_compute")
    assert not ratio.fired and "assessed: m@big" in ratio.text and ratio.deadline is None
