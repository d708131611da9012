"""Models, runs and checkpoints in the store (SQLite and PostgreSQL): references, effective compute, audit."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from scalegate.audit import log_size
from scalegate.errors import ConflictError, FitError, InputError, NotFoundError
from scalegate.registry import fits, lookup, service
from scalegate.store.models.audit import AuditEntryRow
from scalegate.store.models.registry import CheckpointRow, ScalingFitRow
from scalegate.workspace import Workspace
from tests.registry.conftest import RSO, checkpoint, days, family_with_fit, law_loss, reference_points


def test_model_names_are_unique_and_checked(workspace: Workspace) -> None:
    service.create_model(workspace, RSO, "m1", "fam", "team")
    with pytest.raises(ConflictError, match="model 'm1' already exists"):
        service.create_model(workspace, RSO, "m1", "fam", "team")
    with pytest.raises(InputError, match="no '@' or '/'"):
        service.create_model(workspace, RSO, "m@2", "fam", "team")
    assert [m.name for m in service.list_models(workspace)] == ["m1"]


def test_resolve_checkpoint_by_model_and_by_name(workspace: Workspace) -> None:
    family_with_fit(workspace)
    now = workspace.now()
    service.register_checkpoint(workspace, RSO, "m1", checkpoint("c2", 200, 2e20, now - days(1)))
    service.register_checkpoint(workspace, RSO, "m1", checkpoint("c1", 100, 1e20, now - days(2)))
    service.register_checkpoint(workspace, RSO, "m1", checkpoint("c3", 300, 3e20, now - days(1)))
    with workspace.read() as session:
        assert lookup.resolve_checkpoint(session, "m1").name == "c3"  # same date, higher step
        assert lookup.resolve_checkpoint(session, "m1@c1").step == 100
        with pytest.raises(NotFoundError, match="model 'm1' has no checkpoint 'nope'"):
            lookup.resolve_checkpoint(session, "m1@nope")
        with pytest.raises(NotFoundError, match="no model 'm9'"):
            lookup.resolve_checkpoint(session, "m9@c1")
        with pytest.raises(NotFoundError, match="not a checkpoint reference"):
            lookup.resolve_checkpoint(session, "m1@c1@x")


def test_duplicate_checkpoint_is_a_conflict_and_writes_nothing(workspace: Workspace) -> None:
    family_with_fit(workspace)
    service.register_checkpoint(workspace, RSO, "m1", checkpoint("c1", 1, 1e20, workspace.now()))
    with workspace.read() as session:
        before = log_size(session)
    with pytest.raises(ConflictError, match="checkpoint m1@c1 already exists"):
        service.register_checkpoint(workspace, RSO, "m1", checkpoint("c1", 2, 2e20, workspace.now()))
    with workspace.read() as session:
        assert log_size(session) == before


def test_effective_compute_from_loss_inverts_the_fit(workspace: Workspace) -> None:
    family_with_fit(workspace)
    report = service.register_checkpoint(
        workspace, RSO, "m1", checkpoint("c1", 1, 1e21, workspace.now(), compute_for_loss=5e21, run="run-1")
    )
    row = report.checkpoint
    assert row.effective_compute_method == "scaling_law"
    assert row.effective_compute == pytest.approx(5e21, rel=1e-6)
    assert row.effective_compute_low is not None and row.effective_compute_high is not None
    assert row.effective_compute is not None
    assert row.effective_compute_low <= row.effective_compute <= row.effective_compute_high
    assert row.aggregate_loss == pytest.approx(law_loss(5e21))
    assert row.fit_id is not None


def test_without_loss_the_declared_multiplier_is_used_and_labelled(workspace: Workspace) -> None:
    family_with_fit(workspace)
    report = service.register_checkpoint(
        workspace, RSO, "m1", checkpoint("c1", 1, 3e21, workspace.now(), run="run-1")
    )
    assert report.checkpoint.effective_compute == pytest.approx(6e21)
    assert report.checkpoint.effective_compute_method == "flops_multiplier"
    assert report.estimate is not None and "declared algorithmic multiplier 2" in report.estimate.note
    assert report.checkpoint.effective_compute_low is None


def test_without_loss_or_multiplier_effective_compute_is_unknown_and_the_trigger_fires(
    workspace: Workspace,
) -> None:
    service.create_model(workspace, RSO, "m1", "fam", "team")
    report = service.register_checkpoint(workspace, RSO, "m1", checkpoint("c1", 1, 3e21, workspace.now()))
    assert report.checkpoint.effective_compute is None
    compute = next(f for f in report.firings if f.trigger == "effective_compute")
    assert compute.fired and "cannot show it is below 4x" in compute.text


def test_checkpoint_missing_a_weighted_dataset_is_refused(workspace: Workspace) -> None:
    service.create_model(workspace, RSO, "m1", "fam", "team")
    fits.fit_family(workspace, RSO, "fam", reference_points(), weights={"heldout": 1.0})
    spec = checkpoint("c1", 1, 1e20, workspace.now()).model_copy(update={"losses": {"other": 2.0}})
    with pytest.raises(InputError, match="m1@c1: loss missing for weighted dataset"):
        service.register_checkpoint(workspace, RSO, "m1", spec)
    with workspace.read() as session:
        assert session.execute(select(func.count()).select_from(CheckpointRow)).scalar_one() == 0


def test_new_fit_re_derives_effective_compute_and_supersedes_the_old(workspace: Workspace) -> None:
    family_with_fit(workspace)
    service.register_checkpoint(
        workspace, RSO, "m1", checkpoint("c1", 1, 1e21, workspace.now(), compute_for_loss=5e21)
    )
    steeper = {"E": 1.7, "A": 400.0, "alpha": 0.16}
    report = fits.fit_family(workspace, RSO, "fam", reference_points(steeper))
    assert [c.ref for c in report.updated] == ["m1@c1"]
    with workspace.read() as session:
        row = lookup.resolve_checkpoint(session, "m1@c1")
        statuses = session.execute(select(ScalingFitRow.status).order_by(ScalingFitRow.id)).scalars().all()
    assert row.fit_id == report.fit.id
    assert row.effective_compute == pytest.approx(((law_loss(5e21) - 1.7) / 400.0) ** (-1 / 0.16), rel=1e-6)
    assert statuses == ["superseded", "active"]


def test_fit_that_puts_a_checkpoint_below_its_irreducible_loss_is_refused_whole(workspace: Workspace) -> None:
    family_with_fit(workspace)
    service.register_checkpoint(
        workspace, RSO, "m1", checkpoint("c1", 1, 1e21, workspace.now(), compute_for_loss=1e24)
    )
    higher_floor = {"E": 1.9, "A": 400.0, "alpha": 0.15}
    with pytest.raises(
        FitError, match=r"fit refused: m1@c1: loss .* below the fitted irreducible loss E=1\.9"
    ):
        fits.fit_family(workspace, RSO, "fam", reference_points(higher_floor))
    with workspace.read() as session:
        assert session.execute(select(func.count()).select_from(ScalingFitRow)).scalar_one() == 1


def test_family_checkpoints_are_ordered_by_effective_compute(workspace: Workspace) -> None:
    family_with_fit(workspace)
    service.create_model(workspace, RSO, "m2", "fam", "team")
    now = workspace.now()
    service.register_checkpoint(workspace, RSO, "m1", checkpoint("a", 1, 1e20, now, compute_for_loss=8e21))
    service.register_checkpoint(workspace, RSO, "m2", checkpoint("b", 1, 1e20, now, compute_for_loss=2e21))
    service.register_checkpoint(workspace, RSO, "m2", checkpoint("c", 2, 1e20, now))  # unknown: last
    service.register_checkpoint(workspace, RSO, "m1", checkpoint("d", 2, 1e20, now, compute_for_loss=4e21))
    with workspace.read() as session:
        refs = [c.ref for c in lookup.family_checkpoints(session, "fam")]
    assert refs == ["m2@b", "m1@d", "m1@a", "m2@c"]


def test_every_change_is_audited_with_row_digests(workspace: Workspace) -> None:
    family_with_fit(workspace)
    service.register_checkpoint(
        workspace, RSO, "m1", checkpoint("c1", 1, 1e21, workspace.now(), compute_for_loss=5e21)
    )
    with workspace.read() as session:
        events = session.execute(select(AuditEntryRow.event).order_by(AuditEntryRow.seq)).scalars().all()
        body = session.execute(
            select(AuditEntryRow.body).where(AuditEntryRow.event == "checkpoint.registered")
        ).scalar_one()
    assert events[1:] == [
        "model.registered",
        "scaling.fitted",
        "run.registered",
        "checkpoint.registered",
        "assessment.opened",
    ]
    assert '"table":"checkpoints"' in body and '"table":"loss_measurements"' in body


def test_enhancements_and_stage_changes_are_recorded(workspace: Workspace) -> None:
    family_with_fit(workspace)
    service.register_checkpoint(
        workspace, RSO, "m1", checkpoint("c1", 1, 1e21, workspace.now(), compute_for_loss=5e21)
    )
    service.record_enhancement(
        workspace, RSO, "m1", "fine-tuning", "RL on tool use", workspace.now() - days(3), checkpoint="c1"
    )
    report = service.set_stage(workspace, RSO, "m1@c1", "deployed")
    summary = service.model_summary(workspace, "m1")
    assert summary.enhancements[0]["kind"] == "fine-tuning"
    assert report.checkpoint.stage == "deployed"
    with pytest.raises(InputError, match="enhancement ends before it starts"):
        service.record_enhancement(
            workspace, RSO, "m1", "scaffolding", "x", workspace.now(), ended_at=workspace.now() - days(1)
        )
