"""Governance hooks: what a signature sets off runs in the signing transaction, whichever door signs; nothing
is signed or listed before the hooks are installed; the sign-off engine imports no domain."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import select

from scalegate import wiring
from scalegate.actor import SYSTEM, Actor
from scalegate.assessment import completion
from scalegate.audit import log_size
from scalegate.context import Context
from scalegate.errors import ConflictError, InternalError
from scalegate.gate import migration
from scalegate.governance import decisions, hooks, policy_change
from scalegate.governance.decisions import get_decision, open_decision, sign
from scalegate.store.base import Base
from scalegate.store.models.assessments import AssessmentRow
from scalegate.store.models.audit import AuditEntryRow
from scalegate.store.models.governance import DecisionRow, SignatureRow
from scalegate.workspace import Workspace
from tests.governance.conftest import checkpoint
from tests.governance.test_decisions import h, open_cd
from tests.support.signing import PASSWORD

GOVERNANCE = Path(decisions.__file__).parent


def completed(workspace: Workspace, checkpoint_id: int) -> list[AssessmentRow]:
    with workspace.read() as session:
        rows = session.execute(
            select(AssessmentRow).where(
                AssessmentRow.checkpoint_id == checkpoint_id, AssessmentRow.status == "completed"
            )
        ).scalars()
        return list(rows)


def test_approving_a_determination_completes_its_assessment(
    workspace: Workspace, people: dict[str, Actor]
) -> None:
    """``governance.decisions.sign`` itself (no wrapper) completes the assessment with the last signature."""
    decision_id = open_cd(workspace, SYSTEM, subject="checkpoint:1")
    sign(workspace, people["rita"], decision_id, "rso", password=PASSWORD)
    assert completed(workspace, 1) == []  # one role of two: still open
    with workspace.read() as session:
        before = log_size(session)
    sign(workspace, people["carl"], decision_id, "ceo", password=PASSWORD)
    [row] = completed(workspace, 1)
    assert row.kind == "comprehensive" and row.completed_at == workspace.now()
    with workspace.read() as session:
        assert get_decision(session, decision_id).status == "approved"
        events = session.execute(
            select(AuditEntryRow.event).where(AuditEntryRow.seq >= before).order_by(AuditEntryRow.seq)
        ).scalars()
        assert list(events) == ["assessment.completed", "decision.signed"]  # one transaction, both entries


def test_a_rejected_determination_completes_nothing(workspace: Workspace, people: dict[str, Actor]) -> None:
    decision_id = open_cd(workspace, SYSTEM, subject="checkpoint:1")
    sign(
        workspace,
        people["rita"],
        decision_id,
        "rso",
        password=PASSWORD,
        approve=False,
        justification="findings incomplete",
    )
    assert completed(workspace, 1) == []


def test_a_failing_handler_rolls_the_signature_back(workspace: Workspace, people: dict[str, Actor]) -> None:
    """The completion and the signature commit together or not at all."""
    decision_id = open_cd(workspace, SYSTEM, subject="checkpoint:1")
    sign(workspace, people["rita"], decision_id, "rso", password=PASSWORD)

    def complete_then_fail(ctx: Context, decision: DecisionRow) -> Sequence[Base]:
        completion.complete_assessment(ctx, decision)
        raise RuntimeError("the reaction failed after completing")

    failing = hooks.Hooks.of(
        *wiring.PLUGINS, hooks.DecisionHooks("capability_determination", on_closed=complete_then_fail)
    )
    with workspace.read() as session:
        before = log_size(session)
    with hooks.installed_as(failing), pytest.raises(RuntimeError, match="failed after completing"):
        sign(workspace, people["carl"], decision_id, "ceo", password=PASSWORD)
    assert completed(workspace, 1) == []
    with workspace.read() as session:
        assert log_size(session) == before
        assert get_decision(session, decision_id).status == "open"
        assert [s.role for s in session.execute(select(SignatureRow)).scalars()] == ["rso"]
    sign(
        workspace, people["carl"], decision_id, "ceo", password=PASSWORD
    )  # with the installed hooks it goes through
    assert len(completed(workspace, 1)) == 1


def test_a_determination_of_no_known_checkpoint_is_refused(
    workspace: Workspace, people: dict[str, Actor]
) -> None:
    """Approving it would complete nothing, so the last signature is refused rather than silently accepted."""
    checkpoint(workspace, 1)
    for subject, message in [("checkpoint:99", "no checkpoint with id 99"), ("model:m", "not a checkpoint")]:
        with workspace.transaction() as session:
            decision_id = open_decision(
                workspace,
                session,
                SYSTEM,
                decision_type="capability_determination",
                subject=subject,
                payload={},
                bound_state={"findings": h(subject)},
            ).id
        sign(workspace, people["rita"], decision_id, "rso", password=PASSWORD)
        with pytest.raises(Exception, match=message):
            sign(workspace, people["carl"], decision_id, "ceo", password=PASSWORD)
        with workspace.read() as session:
            assert get_decision(session, decision_id).status == "open"


def test_nothing_is_signed_before_the_hooks_are_installed(
    workspace: Workspace, people: dict[str, Actor]
) -> None:
    decision_id = open_cd(workspace, SYSTEM, subject="checkpoint:1")
    sign(workspace, people["rita"], decision_id, "rso", password=PASSWORD)
    with hooks.installed_as(None), pytest.raises(InternalError, match="hooks are not installed"):
        sign(workspace, people["carl"], decision_id, "ceo", password=PASSWORD)
    with workspace.read() as session:
        assert get_decision(session, decision_id).status == "open"
    assert completed(workspace, 1) == []


def test_ready_checks_run_before_an_approving_signature(
    workspace: Workspace, people: dict[str, Actor]
) -> None:
    """The engine asks the ``on_ready`` checks installed for the type before it writes an approval."""
    seen: list[int] = []

    def refuse(ctx: Context, decision: DecisionRow) -> None:
        seen.append(decision.id)
        raise ConflictError("not ready")

    decision_id = open_cd(workspace, SYSTEM, subject="checkpoint:1")
    ready = hooks.Hooks.of(*wiring.PLUGINS, hooks.DecisionHooks("capability_determination", on_ready=refuse))
    with hooks.installed_as(ready), pytest.raises(ConflictError, match="not ready"):
        sign(workspace, people["rita"], decision_id, "rso", password=PASSWORD)
    with hooks.installed_as(ready):  # a rejection is not an approval: no readiness to check
        sign(
            workspace,
            people["rita"],
            decision_id,
            "rso",
            password=PASSWORD,
            approve=False,
            justification="no",
        )
    assert seen == [decision_id]


def test_deferred_hooks_are_installed_when_first_needed(
    workspace: Workspace, people: dict[str, Actor]
) -> None:
    """The CLI defers the wiring to the first signature or calendar read; the completion still happens."""
    decision_id = open_cd(workspace, SYSTEM, subject="checkpoint:1")
    sign(workspace, people["rita"], decision_id, "rso", password=PASSWORD)
    loads: list[int] = []

    def load() -> hooks.Hooks:
        loads.append(1)
        return wiring.install()

    with hooks.installed_as(None):
        hooks.defer(load)
        sign(workspace, people["carl"], decision_id, "ceo", password=PASSWORD)
        hooks.installed()
    assert loads == [1] and len(completed(workspace, 1)) == 1


def test_the_wiring_installs_every_domain_hook() -> None:
    installed = wiring.install()
    assert installed.ready_checks("policy_change") == [
        policy_change.check_ready_for_approval,
        migration.check_impact_current,
    ]
    assert installed.closed_handlers("policy_change") == [policy_change.on_decision_closed]
    assert installed.closed_handlers("capability_determination") == [completion.complete_assessment]
    assert installed.closed_handlers("safeguards_determination") == []
    with pytest.raises(InternalError, match="installed twice: safeguards"):
        hooks.Hooks.of(*wiring.PLUGINS, hooks.CalendarSource("safeguards", lambda ws: []))


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


@pytest.mark.parametrize("module", ["decisions.py", "hooks.py", "calendar.py", "compliance.py"])
def test_the_engine_and_the_calendar_import_no_domain(module: str) -> None:
    """Handlers import ``governance.hooks``; the engine, the calendar and the hooks import none of them."""
    imported = _imports(GOVERNANCE / module)
    banned = (
        "scalegate.registry",
        "scalegate.safeguards",
        "scalegate.assessment",
        "scalegate.governance.policy_change",
    )
    assert not [m for m in imported if m.startswith(banned)]
    assert "importlib" not in imported
