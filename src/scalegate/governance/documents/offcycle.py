"""Off-cycle analyses: a determination that a model exceeds what was publicly analysed starts a clock.

RSP v3.3 and later (§3.1, "Off-cycle updates"): within 30 days of determining that an internally deployed
model could pose risks that significantly exceed those of every model publicly analysed, an analysis of that
model is published; for a public deployment the analysis has no stated deadline. The determination is a
record (who, when, why), its deadline comes from the policy, and publishing names the public artifact that
carries the analysis (a Risk Report, a System Card or another).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from scalegate.errors import ConflictError, InputError, NotFoundError
from scalegate.governance.documents.reading import terms_of
from scalegate.governance.documents.terms import OffCycleTerms
from scalegate.governance.permissions import require
from scalegate.store.models.documents import OffCycleAnalysisRow
from scalegate.store.models.registry import ModelRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from scalegate.actor import Actor
    from scalegate.policy import Policy
    from scalegate.workspace import Workspace

__all__ = ["OffCycleView", "determine", "list_analyses", "offcycle_terms", "publish"]


@dataclass(frozen=True, kw_only=True)
class OffCycleView:
    """An off-cycle analysis and its clock."""

    id: int
    model: str
    deployment: str
    determined_at: datetime
    determined_by: str
    reason: str
    due_at: datetime | None
    published_at: datetime | None
    artifact: str | None
    clause: str


def offcycle_terms(policy: Policy, deployment: str) -> OffCycleTerms:
    """The off-cycle obligation for ``deployment``; ``ConflictError`` when the policy has none."""
    terms = terms_of(policy)
    found = terms.offcycle_for(deployment) if terms else None
    if found is None:
        raise ConflictError(
            f"policy {policy.id} obliges no off-cycle analysis for a {deployment} deployment", where="policy"
        )
    return found


def _view(row: OffCycleAnalysisRow, clause: str) -> OffCycleView:
    return OffCycleView(
        id=row.id,
        model=row.model,
        deployment=row.deployment,
        determined_at=row.determined_at,
        determined_by=row.determined_by,
        reason=row.reason,
        due_at=row.due_at,
        published_at=row.published_at,
        artifact=row.artifact,
        clause=clause,
    )


def determine(
    workspace: Workspace, actor: Actor, *, model: str, reason: str, deployment: str = "internal"
) -> OffCycleView:
    """Record the determination that ``model`` exceeds what was publicly analysed; starts its clock."""
    if deployment not in ("internal", "public"):
        raise InputError(f"deployment must be internal or public, got {deployment!r}", where="deployment")
    if not reason.strip():
        raise InputError("a determination needs its reason", where="reason")
    with workspace.writing(actor) as ctx:
        terms = offcycle_terms(ctx.policy, deployment)
        require(actor, "assessment.request", ctx.policy)
        if ctx.session.execute(select(ModelRow.id).where(ModelRow.name == model)).first() is None:
            raise NotFoundError(f"no model {model!r}", where="models")
        due = ctx.now + timedelta(days=terms.deadline_days) if terms.deadline_days is not None else None
        row = OffCycleAnalysisRow(
            obligation=terms.obligation,
            model=model,
            deployment=deployment,
            determined_at=ctx.now,
            determined_by=actor.label,
            reason=reason.strip(),
            due_at=due,
            published_at=None,
            published_by=None,
            artifact=None,
        )
        ctx.session.add(row)
        ctx.session.flush()
        ctx.record(
            "offcycle.determined",
            f"offcycle:{row.id}",
            {
                "analysis_id": row.id,
                "model": model,
                "deployment": deployment,
                "due_at": due.isoformat() if due else None,
                "clause": terms.clause,
            },
            rows=[row],
        )
        return _view(row, terms.clause)


def _get(session: Session, analysis_id: int) -> OffCycleAnalysisRow:
    row = session.get(OffCycleAnalysisRow, analysis_id)
    if row is None:
        raise NotFoundError(f"no off-cycle analysis {analysis_id}", where="offcycle_analyses")
    return row


def publish(workspace: Workspace, actor: Actor, analysis_id: int, *, artifact: str) -> OffCycleView:
    """Record the analysis as published in ``artifact`` (its title or address)."""
    if not artifact.strip():
        raise InputError("name the public artifact that carries the analysis", where="artifact")
    with workspace.writing(actor) as ctx:
        require(actor, "report.generate", ctx.policy)
        row = _get(ctx.session, analysis_id)
        if row.published_at is not None:
            raise ConflictError(f"off-cycle analysis {analysis_id} was published {row.published_at.date()}")
        terms = offcycle_terms(ctx.policy, row.deployment)
        row.published_at, row.published_by, row.artifact = ctx.now, actor.label, artifact.strip()
        ctx.record(
            "offcycle.published",
            f"offcycle:{row.id}",
            {"analysis_id": row.id, "artifact": row.artifact},
            rows=[row],
        )
        return _view(row, terms.clause)


def list_analyses(workspace: Workspace, actor: Actor, *, model: str | None = None) -> list[OffCycleView]:
    """Off-cycle analyses, newest first."""
    with workspace.reading() as ctx:
        require(actor, "report.read", ctx.policy)
        terms = terms_of(ctx.policy)
        stmt = select(OffCycleAnalysisRow).order_by(OffCycleAnalysisRow.id.desc())
        if model:
            stmt = stmt.where(OffCycleAnalysisRow.model == model)
        out = []
        for row in ctx.session.execute(stmt).scalars():
            found = terms.offcycle_for(row.deployment) if terms else None
            out.append(_view(row, found.clause if found else row.obligation))
        return out
