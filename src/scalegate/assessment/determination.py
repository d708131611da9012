"""Human decisions about a checkpoint: the capability determination, affirmative cases and interim measures.

The engine recommends; people decide (RSP v2.2 §3.3: the CEO and RSO make the determination). A determination
binds to the findings and evidence set it was made on; if either changes, its sign-offs no longer count. A
determination less conservative than the engine's recommendation needs a written justification and carries a
flag wherever it is shown. What its approval sets off (the assessment is complete) is in ``completion``.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scalegate.assessment.service import assess, checkpoint_subject
from scalegate.clock import refuse_past
from scalegate.errors import InputError
from scalegate.evidence.blobs import put_bytes
from scalegate.governance.decisions import open_decision
from scalegate.inputs import MAX_DOCUMENT, BoundsError, read_regular

if TYPE_CHECKING:
    from scalegate.actor import Actor
    from scalegate.workspace import Workspace

__all__ = ["approve_interim_measures", "propose_affirmative_case", "propose_determination"]


def propose_determination(
    workspace: Workspace,
    actor: Actor,
    ref: str,
    *,
    levels: dict[str, str] | None = None,
    justification: str | None = None,
) -> Any:
    """Open a capability determination for sign-off, with the engine's recommendation beside the human one."""
    with workspace.reading() as ctx:  # the assessment and the policy that judges the levels: one snapshot
        assessment, policy = assess(ctx, ref), ctx.policy
    engine = {k: v.level for k, v in assessment.requirements.levels.items()}
    chosen = dict(engine if levels is None else levels)
    weaker = []
    for kind, level in chosen.items():
        try:
            rank = policy.level(kind, level).rank
        except KeyError:
            raise InputError(f"no {kind} level {level!r} in policy {policy.id}", where="level") from None
        if kind in engine and rank < policy.level(kind, engine[kind]).rank:
            weaker.append(f"{kind} {level} < engine {engine[kind]}")
    missing = [k for k in engine if k not in chosen]
    if missing:
        raise InputError(f"the determination must name a level for {', '.join(missing)}", where="level")
    if weaker and not (justification and justification.strip()):
        raise InputError(
            f"determination is less conservative than the engine ({'; '.join(weaker)}): "
            "a written justification is required",
            where="justification",
        )
    payload = {
        "checkpoint": assessment.ref,
        "engine_required": engine,
        "determined": chosen,
        "less_conservative": bool(weaker),
        "less_conservative_details": weaker,
        "justification": justification,
        "findings": {f.threshold_id: f.state for f in assessment.findings},
    }
    with workspace.transaction() as session:
        return open_decision(
            workspace,
            session,
            actor,
            decision_type="capability_determination",
            subject=checkpoint_subject(assessment.checkpoint_id),
            payload=payload,
            bound_state=dict(assessment.bound_state),
        )


def propose_affirmative_case(
    workspace: Workspace, actor: Actor, ref: str, document: Path, *, summary: str = ""
) -> Any:
    """Open an affirmative case (RSP v2.2 AI R&D-4/-5) for sign-off, bound to its document hash, findings."""
    try:
        data = read_regular(Path(document), MAX_DOCUMENT)
    except (OSError, BoundsError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else str(exc)
        raise InputError(f"cannot read affirmative case: {reason}", where=str(document)) from exc
    assessment = assess(workspace, ref)
    with workspace.transaction() as session:
        sha = put_bytes(session, data, workspace.now())
        return open_decision(
            workspace,
            session,
            actor,
            decision_type="affirmative_case",
            subject=checkpoint_subject(assessment.checkpoint_id),
            payload={
                "checkpoint": assessment.ref,
                "document_sha256": sha,
                "summary": summary,
                "thresholds": assessment.requirements.affirmative_case_for,
            },
            bound_state={"document": sha, "findings": assessment.bound_state["findings"]},
        )


def approve_interim_measures(
    workspace: Workspace,
    actor: Actor,
    ref: str,
    *,
    actions: list[str],
    scope: str,
    expires_at: datetime | None = None,
) -> Any:
    """Open interim measures for sign-off: they turn a pause into a restricted continuation in their scope."""
    with workspace.reading() as ctx:  # the assessment and the policy that bounds the measures: one snapshot
        assessment, policy = assess(ctx, ref), ctx.policy
    if policy.interim_measures is None:
        raise InputError(f"policy {policy.id} does not provide for interim measures")
    allowed = set(policy.interim_measures.actions)
    bad = [a for a in actions if a not in allowed]
    if bad:
        raise InputError(
            f"interim measures may cover only {', '.join(sorted(allowed))}, not {', '.join(bad)}",
            where="action",
        )
    if not scope.strip():
        raise InputError("interim measures need a scope describing the restriction", where="scope")
    if expires_at is not None:
        refuse_past(expires_at, workspace.now(), "expires_at")
    payload = {
        "checkpoint": assessment.ref,
        "actions": actions,
        "scope": scope,
        "expires_at": expires_at.isoformat() if expires_at else None,
    }
    with workspace.transaction() as session:
        return open_decision(
            workspace,
            session,
            actor,
            decision_type="interim_measures",
            subject=checkpoint_subject(assessment.checkpoint_id),
            payload=payload,
            bound_state={"findings": assessment.bound_state["findings"]},
        )
