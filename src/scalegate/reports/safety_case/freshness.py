"""Freshness: is every piece of evidence a safety case rests on still what the record says, and still valid?

Stale evidence invalidates the case (each finding is an error):

    F01  an evaluation result is no longer the current valid result of its indicator (superseded, flagged)
    F02  the audit entry a solution cites does not exist or does not record the solution's SHA-256
    F03  safeguard evidence is no longer approved, has expired, or its file changed
    F04  a decision changed since the case was built, or its determination is no longer signed and current
    F05  the case was built under a policy version that is no longer active
    F06  an undeveloped goal hangs on a record that changed since the case was built (``gaps.py``)
    F07  an undeveloped goal is older than the policy's cadence for its question (``gaps.py``)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scalegate.canonical import canonical_json
from scalegate.context import joined
from scalegate.evidence.service import indicator_evidence
from scalegate.reports.records import audit_entry
from scalegate.reports.safety_case.gaps import check_gaps
from scalegate.reports.safety_case.model import Node, SafetyCase
from scalegate.reports.safety_case.validate import CaseValidation, validate_case
from scalegate.safeguards.service import standard_status
from scalegate.store.base import row_digest
from scalegate.store.models.governance import DecisionRow
from scalegate.store.models.safeguards import SafeguardEvidenceRow

if TYPE_CHECKING:
    from scalegate.context import Context
    from scalegate.workspace import Workspace

__all__ = ["check_freshness", "validate_against_record"]


def validate_against_record(
    workspace: Workspace, case: SafetyCase, *, for_deploy: bool | None = None
) -> CaseValidation:
    """Structural validation plus freshness of every evidence leaf against the workspace."""
    result = validate_case(case, for_deploy=for_deploy)
    check_freshness(workspace, case, result)
    return result


def check_freshness(workspace: Workspace, case: SafetyCase, result: CaseValidation) -> None:
    """Add an F-coded error to ``result`` for each leaf whose evidence is stale and each undeveloped goal
    that went stale."""
    with workspace.reading() as ctx:
        active = ctx.active
        built = case.policy.get("content_hash")
        if built and built != active.content_hash:
            result.add(
                "F05",
                "error",
                None,
                f"built under policy {case.policy.get('id')} ({str(built)[:12]}), but the "
                f"active policy is {active.policy.id} ({active.content_hash[:12]})",
            )
        for node in case.solutions():
            if node.evidence is not None:
                _check_leaf(ctx, node, result)
        check_gaps(ctx, case, result)


def _check_leaf(ctx: Context, node: Node, result: CaseValidation) -> None:
    session = ctx.session
    binding = node.evidence
    assert binding is not None
    entry = audit_entry(session, binding.audit_seq)
    if entry is None:
        result.add("F02", "error", node.id, f"audit entry #{binding.audit_seq} does not exist")
    elif binding.sha256 not in canonical_json(entry).decode("utf-8"):
        result.add(
            "F02", "error", node.id, f"audit entry #{binding.audit_seq} does not record {binding.sha256[:12]}"
        )
    problem = {"evaluation": _evaluation, "safeguard_evidence": _safeguard, "decision": _decision}[
        binding.source
    ](ctx, node)
    if problem:
        code = {"evaluation": "F01", "safeguard_evidence": "F03", "decision": "F04"}[binding.source]
        result.add(code, "error", node.id, problem)


def _evaluation(ctx: Context, node: Node) -> str | None:
    workspace, session = ctx.workspace, ctx.session
    binding = node.evidence
    assert binding is not None
    indicators = {i.id: i for _, i in ctx.policy.indicators()}
    indicator = indicators.get(binding.ref)
    checkpoint_id = node.data.get("checkpoint_id")
    if indicator is None or checkpoint_id is None:
        return f"indicator {binding.ref} is not in the active policy or the leaf names no checkpoint"
    current = indicator_evidence(workspace, session, int(checkpoint_id), indicator)
    if current is None:
        return f"{binding.ref} has no valid result any more"
    if current.sha256 != binding.sha256:
        return (
            f"{binding.ref}: evidence {binding.sha256[:12]} is superseded by {current.sha256[:12]} "
            f"(evidence #{current.evidence_id})"
        )
    if current.flags:
        return f"{binding.ref}: the result is now flagged: " + "; ".join(f.message for f in current.flags)
    return None


def _safeguard(ctx: Context, node: Node) -> str | None:
    workspace, session = ctx.workspace, ctx.session
    binding = node.evidence
    assert binding is not None
    row = session.get(SafeguardEvidenceRow, int(node.data.get("evidence_id", -1)))
    if row is None:
        return f"safeguard evidence #{node.data.get('evidence_id')} no longer exists"
    if row.status != "approved":
        return f"safeguard evidence #{row.id} is {row.status}"
    if row.expires_at is not None and row.expires_at <= workspace.now():
        return f"safeguard evidence #{row.id} expired on {row.expires_at.date().isoformat()}"
    if row.sha256 is not None and row.sha256 != binding.sha256:
        return f"safeguard evidence #{row.id} now points to file {row.sha256[:12]}, not {binding.sha256[:12]}"
    return None


def _decision(ctx: Context, node: Node) -> str | None:
    workspace, session = ctx.workspace, ctx.session
    binding = node.evidence
    assert binding is not None
    row = session.get(DecisionRow, int(binding.ref))
    if row is None:
        return f"decision #{binding.ref} no longer exists"
    if row_digest(row) != binding.sha256:
        return f"decision #{row.id} changed since the case was built (status now {row.status})"
    kind, level = node.data.get("kind"), node.data.get("level")
    if kind and level:
        status = standard_status(joined(workspace, session), str(kind), str(level))
        det = status.determination
        if det is None or det.get("decision_id") != row.id or not det.get("approved") or det.get("stale"):
            why = [r["text"] for r in status.reasons if "determination" in r["text"]]
            return f"decision #{row.id} is no longer the signed, current determination" + (
                f": {'; '.join(why)}" if why else ""
            )
    return None
