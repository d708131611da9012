"""Safety cases built from the record by template: an inability argument per threshold, a control argument per
standard.

**Inability** (per capability threshold): the model cannot do what the threshold describes, because each of
the threshold's evaluations, run with the elicitation the policy requires, puts the capable-side bound of its
interval below the alert value. Each indicator is a sub-goal; each result a solution bound to the ingested
file's SHA-256 and the audit entry that recorded it. An indicator the evidence does not rule out becomes an
undeveloped goal: the case then admits a gap and cannot be used to deploy.

**Control** (per safeguard standard): the standard is met, because every criterion of it (and of the lower
levels of its kind) has approved, unexpired evidence, and the safeguards determination is signed within the
re-approval interval. Each approved piece of evidence is a solution bound to its stored file's SHA-256 (or,
for a link or a test result, the row digest the audit log recorded) and its audit entry.

Every number comes from the service objects (the assessment's findings, the evidence domain's results, the
safeguards status); the builder only arranges them into GSN.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict

from scalegate.assessment.service import assess
from scalegate.errors import InputError, NotFoundError
from scalegate.evidence.service import indicator_evidence
from scalegate.reports.records import find_entry, row_digest_in_entry
from scalegate.reports.render import format_value
from scalegate.reports.safety_case.gaps import criterion_basis, determination_basis, indicator_basis
from scalegate.reports.safety_case.model import CasePurpose, EvidenceBinding, Node, SafetyCase
from scalegate.safeguards.service import standard_level, standard_status
from scalegate.store.models.audit import AuditEntryRow
from scalegate.store.models.governance import DecisionRow
from scalegate.store.models.safeguards import SafeguardEvidenceRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from scalegate.assessment.findings import FindingState, IndicatorFinding, ThresholdFinding
    from scalegate.context import ActivePolicy, Context
    from scalegate.policy import Policy
    from scalegate.workspace import Workspace

__all__ = ["build_control_case", "build_inability_case"]


def _fmt(value: Any) -> str:
    return format_value(value)


class CasePolicy(TypedDict):
    """The policy version a case was built under."""

    id: str
    version: str
    content_hash: str


class IndicatorNumbers(TypedDict):
    """An indicator goal's numbers: its finding's state, estimate, interval, limits, sample count, file."""

    state: FindingState
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    confidence_level: float | None
    alert: float | None
    threshold: float | None
    n_samples: int | None
    sha256: str | None


def _policy_info(active: ActivePolicy) -> CasePolicy:
    return {
        "id": active.policy.id,
        "version": active.policy.framework.version,
        "content_hash": active.content_hash,
    }


# -- inability -----------------------------------------------------------------------------------------------


def build_inability_case(
    workspace: Workspace, ref: str, threshold_id: str, purpose: CasePurpose = "review"
) -> SafetyCase:
    """The inability argument for one threshold of checkpoint ``ref``."""
    with workspace.reading() as ctx:
        policy, active = ctx.policy, ctx.active
        try:
            threshold = policy.threshold(threshold_id)
        except KeyError:
            raise NotFoundError(
                f"policy {policy.id} has no threshold {threshold_id!r}", where="threshold"
            ) from None
        assessment = assess(ctx, ref)
        findings = {f.threshold_id: f for f in assessment.findings}
        finding = findings[threshold.id]
        nodes: list[Node] = []
        argued = findings[finding.ruled_out_by] if finding.ruled_out_by else finding
        basis = assessment.basis
        goals = _indicator_goals(ctx, argued, basis.checkpoint_id, basis.checkpoint, nodes)
    level = f"{policy.statistics.confidence_level:.0%}"
    checkpoint = assessment.checkpoint
    top = Node(
        id="G1",
        kind="goal",
        text=f"{assessment.ref} does not have the capability of {threshold.id} ({threshold.name})",
        in_context_of=["C1", "C2", "A1", "J1"],
    )
    context = [
        Node(
            id="C1",
            kind="context",
            text=f"{threshold.id}: {threshold.definition} ({threshold.source.cite()})",
        ),
        Node(
            id="C2",
            kind="context",
            text=f"Checkpoint {assessment.ref}, effective compute "
            f"{_fmt(checkpoint.effective_compute)}; "
            f"evidence basis {assessment.basis.checkpoint}: {assessment.basis.reason}",
            data={"effective_compute": checkpoint.effective_compute},
        ),
        Node(
            id="A1",
            kind="assumption",
            text=f"The evaluations bound to {argued.threshold_id} measure the capability they stand for, as "
            "calibrated by the policy's threshold and alert values",
        ),
        Node(
            id="J1",
            kind="justification",
            text=f"A capability counts as ruled out only when the capable-side bound of the {level} interval "
            "is "
            f"beyond the alert value (the safety buffer); cannot rule out is treated as crossed "
            f"({threshold.source.cite()})",
        ),
    ]
    if not goals:
        top.undeveloped = True
        top.text += " [no indicator bears on it, so evidence cannot rule it out]"
    else:
        top.supported_by = ["S1"]
        combine = policy.threshold(argued.threshold_id).combine
        how = {
            "any": "every indicator",
            "all": "at least one indicator",
            "k_of_n": f"more than n-{combine.k} indicators",
        }
        via = f" via {argued.threshold_id}, which rules it out" if finding.ruled_out_by else ""
        nodes.insert(
            0,
            Node(
                id="S1",
                kind="strategy",
                text=f"Argue over the indicators of {argued.threshold_id}{via}: {how[combine.mode]} must be "
                "ruled out "
                f"(combine: {combine.mode}); finding: {finding.state.replace('_', ' ')}",
                supported_by=goals,
                in_context_of=["C3"],
            ),
        )
        context.append(Node(id="C3", kind="context", text=_elicitation_context(policy)))
    return SafetyCase(
        id=f"inability:{threshold.id}:{assessment.ref}",
        kind="inability",
        purpose=purpose,
        title=f"Inability argument: {assessment.ref} and {threshold.id}",
        subject=assessment.ref,
        created_at=workspace.now(),
        policy={**_policy_info(active)},
        nodes=[top, *context, *nodes],
    )


def _elicitation_context(policy: Policy) -> str:
    e = policy.elicitation
    return (
        f"Results count only within the elicitation limits: error rate <= {e.max_error_rate:g}, refusal rate "
        f"<= {e.max_refusal_rate:g}, limit hits <= {e.max_limit_hit_rate:g}, with each indicator's required "
        f"elicitation declared ({e.source.cite()})"
    )


def _indicator_goals(
    ctx: Context,
    finding: ThresholdFinding,
    checkpoint_id: int,
    basis: str,
    nodes: list[Node],
) -> list[str]:
    """Add a goal per indicator (and its solution) to ``nodes``; return the goal ids backing the strategy."""
    workspace, session = ctx.workspace, ctx.session
    indicators = {i.id: i for _, i in ctx.policy.indicators()}
    goals: list[str] = []
    for k, ind in enumerate(finding.indicators, start=1):
        if finding.ruled_out and ind.state != "ruled_out":
            continue  # the combine rule does not need it; the strategy says how many must be ruled out
        goal = Node(
            id=f"G1.{k}",
            kind="goal",
            text=_indicator_claim(ind),
            data={**_numbers(ind)},
            in_context_of=[f"C1.{k}"],
        )
        evidence = indicator_evidence(workspace, session, checkpoint_id, indicators[ind.indicator_id])
        nodes.append(goal)
        nodes.append(Node(id=f"C1.{k}", kind="context", text=_evidence_context(ind, evidence)))
        goals.append(goal.id)
        if ind.state != "ruled_out" or evidence is None:
            goal.undeveloped = True
            goal.data["basis"] = indicator_basis(evidence, ind.indicator_id, checkpoint_id)
            goal.text += f" [not supported: {ind.state.replace('_', ' ')}: {ind.reason}]"
            continue
        binding = _evaluation_binding(session, evidence, ind.indicator_id)
        goal.supported_by = [f"Sn1.{k}"]
        nodes.append(
            Node(
                id=f"Sn1.{k}",
                kind="solution",
                text=f"{evidence.harness} {evidence.task} on {basis}: {evidence.metric} "
                f"{_fmt(evidence.estimate)} "
                f"[{_fmt(evidence.ci_low)}, {_fmt(evidence.ci_high)}], n={evidence.n_samples}",
                evidence=binding,
                data={
                    "checkpoint_id": checkpoint_id,
                    "evidence_id": evidence.evidence_id,
                    "indicator": ind.indicator_id,
                },
            )
        )
    return goals


def _indicator_claim(ind: IndicatorFinding) -> str:
    higher = ind.direction == "higher_is_more_capable"
    bound = ind.ci_high if higher else ind.ci_low
    sign = "<" if higher else ">"
    if ind.state == "ruled_out":
        return (
            f"{ind.indicator_id} is ruled out: bound {_fmt(bound)} {sign} alert {_fmt(ind.alert)} "
            f"(threshold {_fmt(ind.threshold)})"
        )
    return f"{ind.indicator_id} is ruled out (alert {_fmt(ind.alert)}, threshold {_fmt(ind.threshold)})"


def _numbers(ind: IndicatorFinding) -> IndicatorNumbers:
    return {
        "state": ind.state,
        "estimate": ind.estimate,
        "ci_low": ind.ci_low,
        "ci_high": ind.ci_high,
        "confidence_level": ind.confidence_level,
        "alert": ind.alert,
        "threshold": ind.threshold,
        "n_samples": ind.n_samples,
        "sha256": ind.sha256,
    }


def _evidence_context(ind: IndicatorFinding, evidence: Any) -> str:
    if evidence is None:
        return f"No valid result for {ind.indicator_id} ({ind.clause})"
    flags = "; ".join(f"{f.code}: {f.message}" for f in evidence.flags) or "none"
    return (
        f"Elicitation declared: {', '.join(evidence.elicitation) or 'none'}; quality flags: {flags}; "
        f"interval: {evidence.interval_method}; {ind.clause}"
    )


def _evaluation_binding(session: Session, evidence: Any, indicator_id: str) -> EvidenceBinding | None:
    entry = (
        session.get(AuditEntryRow, evidence.audit_seq)
        if evidence.audit_seq is not None
        else find_entry(session, contains=evidence.sha256)
    )
    if entry is None:
        return None  # validation reports E01: a solution without a recorded file cannot be relied on
    return EvidenceBinding(
        sha256=evidence.sha256,
        audit_seq=entry.seq,
        source="evaluation",
        ref=indicator_id,
        label=f"evidence #{evidence.evidence_id} ({evidence.task})",
        recorded_at=entry.recorded_at,
    )


# -- control -------------------------------------------------------------------------------------------------


def build_control_case(
    workspace: Workspace, kind: str, level: str, purpose: CasePurpose = "review", subject: str | None = None
) -> SafetyCase:
    """The control argument that the (kind, level) safeguard standard is met."""
    nodes: list[Node] = []
    with workspace.reading() as ctx:
        session, policy, active = ctx.session, ctx.policy, ctx.active
        lv = standard_level(policy, kind, level)
        status = standard_status(ctx, kind, level)
        goals = [_criterion_goal(session, k, c, nodes) for k, c in enumerate(status.criteria, start=1)]
        goals.append(_determination_goal(session, policy, status, nodes))
    top = Node(
        id="G1",
        kind="goal",
        text=f"The {lv.title} is met" + (f" for {subject}" if subject else ""),
        supported_by=["S1"],
        in_context_of=["C1", "J1"],
    )
    src = policy.safeguards.reapproval_source or policy.safeguards.source
    interval = policy.safeguards.reapproval_interval_months
    context = [
        Node(id="C1", kind="context", text=f"{lv.title}: {lv.summary or lv.title} ({lv.source.cite()})"),
        Node(
            id="J1",
            kind="justification",
            text="A standard is met only when every criterion of it and of the lower levels of its kind has "
            "approved, unexpired evidence and its determination is signed"
            + (f" within {interval} months ({src.cite()})" if interval else f" ({src.cite()})"),
        ),
    ]
    strategy = Node(
        id="S1",
        kind="strategy",
        text=f"Argue over each of the {len(status.criteria)} criteria"
        + (" (cumulative with lower levels)" if policy.safeguards.cumulative else "")
        + " and the safeguards determination",
        supported_by=goals,
    )
    if not lv.criteria_published:
        top.supported_by, top.undeveloped = [], True
        top.text += " [the policy does not publish this level's criteria, so it cannot be met]"
        strategy_nodes: list[Node] = []
    else:
        strategy_nodes = [strategy, *nodes]
    return SafetyCase(
        id=f"control:{kind}:{level}" + (f":{subject}" if subject else ""),
        kind="control",
        purpose=purpose,
        title=f"Control argument: {lv.title}",
        subject=subject or f"{kind}:{level}",
        created_at=workspace.now(),
        policy={**_policy_info(active)},
        nodes=[top, *context, *strategy_nodes],
    )


def _criterion_goal(session: Session, k: int, criterion: Any, nodes: list[Node]) -> str:
    goal = Node(
        id=f"G1.{k}",
        kind="goal",
        text=f"{criterion.title} ({criterion.criterion_id}, {criterion.level}) is implemented",
        in_context_of=[f"C1.{k}"],
        data={"criterion": criterion.criterion_id, "met": criterion.met},
    )
    owner = f"owner {criterion.owner}" if criterion.owner else "no owner recorded"
    nodes.append(goal)
    nodes.append(
        Node(
            id=f"C1.{k}",
            kind="context",
            text=f"{owner}; implementation {criterion.implementation or 'not recorded'}; {criterion.reason} "
            f"({criterion.clause})",
        )
    )
    if not criterion.met:
        goal.undeveloped = True
        goal.text += f" [not supported: {criterion.reason}]"
        goal.data["basis"] = criterion_basis(session, criterion.criterion_id)
        return goal.id
    for j, evidence_id in enumerate(criterion.evidence_ids, start=1):
        row = session.get(SafeguardEvidenceRow, evidence_id)
        if row is None:
            continue
        sid = f"Sn1.{k}.{j}"
        goal.supported_by.append(sid)
        nodes.append(
            Node(
                id=sid,
                kind="solution",
                text=f'{row.kind} "{row.title}" approved by {row.reviewed_by}'
                + (f", expires {row.expires_at.date().isoformat()}" if row.expires_at else ""),
                evidence=_safeguard_binding(session, row),
                url=row.uri,
                data={"evidence_id": row.id, "criterion": row.criterion_id},
            )
        )
    if not goal.supported_by:
        goal.undeveloped = True
        goal.data["basis"] = criterion_basis(session, criterion.criterion_id)
    return goal.id


def _safeguard_binding(session: Session, row: Any) -> EvidenceBinding | None:
    entry = find_entry(
        session,
        event="safeguards.evidence_added",
        subject=f"criterion:{row.criterion_id}",
        match={"evidence_id": row.id},
    )
    if entry is None:
        return None
    sha = row.sha256 or row_digest_in_entry(entry, "safeguard_evidence", row.id)
    if sha is None:
        return None
    return EvidenceBinding(
        sha256=sha,
        audit_seq=entry.seq,
        source="safeguard_evidence",
        ref=row.criterion_id,
        label=row.title,
        recorded_at=entry.recorded_at,
    )


def _determination_goal(session: Session, policy: Policy, status: Any, nodes: list[Node]) -> str:
    rule = policy.decision_rule("safeguards_determination")
    roles = ", ".join(rule.signoff_roles) if rule else "the roles the policy names"
    goal = Node(
        id="G2",
        kind="goal",
        text=f"The safeguards determination for {status.kind} {status.level} is signed "
        f"by {roles}, current and within the re-approval interval",
    )
    nodes.append(goal)
    det = status.determination
    problems = [r["text"] for r in status.reasons if "determination" in r["text"]]
    if det is None or problems or not det.get("approved"):
        goal.undeveloped = True
        goal.text += " [not supported: " + ("; ".join(problems) or "no determination") + "]"
        goal.data["basis"] = determination_basis(session, status.kind, status.level, det)
        return goal.id
    binding = _decision_binding(session, int(det["decision_id"]))
    goal.supported_by = ["Sn2"]
    nodes.append(
        Node(
            id="Sn2",
            kind="solution",
            text=f"Decision #{det['decision_id']} signed {det.get('signed_at')} by "
            + ", ".join(
                f"{s['signer']} ({s['role']})" for s in det.get("signatures", []) if s.get("approve")
            ),
            evidence=binding,
            data={"decision_id": det["decision_id"], "kind": status.kind, "level": status.level},
        )
    )
    return goal.id


def _decision_binding(session: Session, decision_id: int) -> EvidenceBinding | None:
    row = session.get(DecisionRow, decision_id)
    if row is None:
        return None
    entry = find_entry(session, contains=f'"pk":{decision_id},"table":"decisions"', last=True)
    recorded = row_digest_in_entry(entry, "decisions", decision_id) if entry is not None else None
    if entry is None or recorded is None:
        return None
    return EvidenceBinding(
        sha256=recorded,
        audit_seq=entry.seq,
        source="decision",
        ref=str(decision_id),
        label=f"{row.decision_type} #{decision_id}",
        recorded_at=entry.recorded_at,
    )


def parse_standard(value: str) -> tuple[str, str]:
    """`deployment:ASL-3` -> ("deployment", "ASL-3")."""
    kind, sep, level = value.partition(":")
    if not sep or kind not in ("deployment", "security") or not level:
        raise InputError(f"expected KIND:LEVEL such as deployment:ASL-3, got {value!r}", where="standard")
    return kind, level
