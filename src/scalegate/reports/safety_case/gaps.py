"""The gaps a safety case admits: its undeveloped goals, what each hangs on, and when one has gone stale.

A solution goes stale when the evidence under it changes (``freshness.py``). An undeveloped goal rests on no
evidence, so without a rule of its own it would stay "current" forever, and a case written to admit a gap
would still validate after the gap was closed, or reopened differently, or long after the policy required the
question to be asked again. Two rules make it stale, each an error of ``case validate`` (and outlined in red
in the rendered case):

    F06  the record the gap hangs on changed since the case was built: a result of the goal's indicator was
         ingested, superseded or withdrawn; the implementation or evidence of the goal's criterion changed; a
         safeguards determination of the goal's standard was opened, signed or replaced. The case no longer
         describes the record, whichever way the gap went, and is rebuilt.
    F07  the gap is older than the policy's cadence for the question it leaves open. An inability case's gap
         (a capability not ruled out) is as old as the assessment that left it, and the policy calls for a
         new comprehensive assessment after its calendar interval (RSP v2.2 §3.1: "six months' worth of
         finetuning and other capability elicitation methods"; ``triggers.calendar``); a control case's gap
         (a criterion or determination not in place) is a safeguards question the policy has every standard
         re-approved on (RSP v2.2 §4.3: "at least annually"; ``safeguards.reapproval_interval_months``). A
         hand-written case follows the calendar interval. A policy without the interval sets no age limit.

At build time the builder stores what each undeveloped goal hangs on in ``data["basis"]``; freshness
computes the same basis from the current record and compares.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, TypedDict

from sqlalchemy import select

from scalegate.canonical import digest
from scalegate.context import joined
from scalegate.evidence.service import indicator_evidence
from scalegate.months import add_months
from scalegate.reports.safety_case.model import Node, SafetyCase
from scalegate.safeguards.service import standard_status
from scalegate.store.base import row_digest
from scalegate.store.models.governance import DecisionRow
from scalegate.store.models.safeguards import SafeguardEvidenceRow, SafeguardImplementationRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from scalegate.context import Context
    from scalegate.policy.schema import Policy
    from scalegate.reports.safety_case.validate import CaseValidation

__all__ = [
    "CriterionBasis",
    "DeterminationBasis",
    "IndicatorBasis",
    "check_gaps",
    "criterion_basis",
    "determination_basis",
    "gap_cadence",
    "indicator_basis",
]


class IndicatorBasis(TypedDict):
    """What an indicator's undeveloped goal hangs on: its current result on the checkpoint, if any."""

    source: Literal["evaluation"]
    indicator: str
    checkpoint_id: int
    evidence_id: int | None
    sha256: str | None


class CriterionBasis(TypedDict):
    """What a criterion's undeveloped goal hangs on: how many records, and the digest of their digests."""

    source: Literal["safeguard_evidence"]
    criterion: str
    records: int
    digest: str


class DeterminationBasis(TypedDict):
    """What an undeveloped determination goal hangs on: the latest determination's id and row digest."""

    source: Literal["decision"]
    kind: str
    level: str
    decision_id: int | None
    sha256: str | None


def indicator_basis(evidence: Any, indicator_id: str, checkpoint_id: int) -> IndicatorBasis:
    """What an indicator's undeveloped goal hangs on: the indicator's current result on the checkpoint (its
    evidence id and file hash), or none."""
    return {
        "source": "evaluation",
        "indicator": indicator_id,
        "checkpoint_id": checkpoint_id,
        "evidence_id": evidence.evidence_id if evidence is not None else None,
        "sha256": evidence.sha256 if evidence is not None else None,
    }


def criterion_basis(session: Session, criterion_id: str) -> CriterionBasis:
    """What a criterion's undeveloped goal hangs on: the digest of its implementation record and every piece
    of its evidence (any change of status, file, review or expiry changes it)."""
    rows: list[Any] = list(
        session.execute(
            select(SafeguardImplementationRow).where(SafeguardImplementationRow.criterion_id == criterion_id)
        ).scalars()
    )
    rows += session.execute(
        select(SafeguardEvidenceRow)
        .where(SafeguardEvidenceRow.criterion_id == criterion_id)
        .order_by(SafeguardEvidenceRow.id)
    ).scalars()
    return {
        "source": "safeguard_evidence",
        "criterion": criterion_id,
        "records": len(rows),
        "digest": digest([row_digest(r) for r in rows]),
    }


def determination_basis(session: Session, kind: str, level: str, determination: Any) -> DeterminationBasis:
    """What an undeveloped determination goal hangs on: the standard's latest safeguards determination (its
    decision id and row digest), or none."""
    decision_id = determination.get("decision_id") if determination else None
    row = session.get(DecisionRow, int(decision_id)) if decision_id is not None else None
    return {
        "source": "decision",
        "kind": kind,
        "level": level,
        "decision_id": row.id if row is not None else None,
        "sha256": row_digest(row) if row is not None else None,
    }


def gap_cadence(policy: Policy, case: SafetyCase) -> tuple[int, str] | None:
    """How many months a gap of ``case`` may stay undeveloped, and the clause that says so; None when the
    policy sets no interval for its question."""
    if case.kind == "control":
        months = policy.safeguards.reapproval_interval_months
        source = policy.safeguards.reapproval_source or policy.safeguards.source
        return (months, source.cite()) if months else None
    calendar = policy.triggers.calendar
    return (calendar.months, calendar.source.cite()) if calendar else None


def check_gaps(ctx: Context, case: SafetyCase, result: CaseValidation) -> None:
    """Add F06 for each undeveloped goal whose basis changed and F07 for each older than the cadence."""
    workspace = ctx.workspace
    gaps = [n for n in case.nodes if n.undeveloped and n.kind in ("goal", "strategy")]
    if not gaps:
        return
    cadence = gap_cadence(ctx.policy, case)
    expired = (
        cadence is not None
        and case.created_at is not None
        and add_months(case.created_at, cadence[0]) <= workspace.now()
    )
    for node in gaps:
        change = _changed(ctx, node)
        if change:
            result.add(
                "F06",
                "error",
                node.id,
                f"{node.id} is undeveloped on a record that changed since the case was built: {change}; "
                "rebuild the case",
            )
        if expired and cadence is not None and case.created_at is not None:
            result.add(
                "F07",
                "error",
                node.id,
                f"{node.id} has been undeveloped since {case.created_at.date().isoformat()}, longer than the "
                f"{cadence[0]} months the policy allows before the question is asked again ({cadence[1]})",
            )


def _changed(ctx: Context, node: Node) -> str | None:
    """What changed in the record the gap ``node`` hangs on, or None."""
    session = ctx.session
    basis = node.data.get("basis")
    if not isinstance(basis, dict):
        return None
    source = basis.get("source")
    if source == "evaluation":
        return _evaluation_change(ctx, basis)
    if source == "safeguard_evidence":
        now = criterion_basis(session, str(basis.get("criterion")))
        if now["digest"] != basis.get("digest"):
            return (
                f"criterion {basis.get('criterion')}: its implementation or evidence changed "
                f"({basis.get('records')} records then, {now['records']} now)"
            )
        return None
    if source == "decision":
        return _decision_change(ctx, basis)
    return f"unknown basis {source!r}: cannot rule out a change"


def _evaluation_change(ctx: Context, basis: dict[str, Any]) -> str | None:
    workspace, session = ctx.workspace, ctx.session
    indicators = {i.id: i for _, i in ctx.policy.indicators()}
    indicator = indicators.get(str(basis.get("indicator")))
    if indicator is None:
        return f"indicator {basis.get('indicator')} is not in the active policy"
    evidence = indicator_evidence(workspace, session, int(basis["checkpoint_id"]), indicator)
    now = indicator_basis(evidence, indicator.id, int(basis["checkpoint_id"]))
    if (now["evidence_id"], now["sha256"]) == (basis.get("evidence_id"), basis.get("sha256")):
        return None
    then = f"evidence #{basis['evidence_id']}" if basis.get("evidence_id") is not None else "no result"
    current = f"evidence #{now['evidence_id']}" if now["evidence_id"] is not None else "no result"
    return f"{indicator.id}: {then} when built, {current} now"


def _decision_change(ctx: Context, basis: dict[str, Any]) -> str | None:
    workspace, session = ctx.workspace, ctx.session
    kind, level = str(basis.get("kind")), str(basis.get("level"))
    status = standard_status(joined(workspace, session), kind, level)
    now = determination_basis(session, kind, level, status.determination)
    if (now["decision_id"], now["sha256"]) == (basis.get("decision_id"), basis.get("sha256")):
        return None
    if now["decision_id"] is not None and now["decision_id"] == basis.get("decision_id"):
        row = session.get(DecisionRow, int(now["decision_id"]))
        state = f" (status now {row.status})" if row is not None else ""
        return f"the {kind} {level} determination #{now['decision_id']} changed{state}"
    then = f"decision #{basis['decision_id']}" if basis.get("decision_id") is not None else "no determination"
    current = f"decision #{now['decision_id']}" if now["decision_id"] is not None else "no determination"
    return f"the {kind} {level} determination: {then} when built, {current} now"
