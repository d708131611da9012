"""One checkpoint's record judged under several frameworks: each framework's verdict for every action, the
clauses and numbers that decided it, and what the record lacks for that framework.

``compare(workspace, ref, policies)`` opens one reading snapshot and, for each policy, a context in which
that policy stands for the active one (``scalegate.assessment.under_policy.context_under``). In it the engine
assesses the checkpoint and the gate decides every action exactly as it would if the policy governed the
workspace: the same ``assess`` and ``decide``, nothing framework-specific here. Nothing is written.

What each framework is told it lacks (``Need``), read from its own assessment and verdicts, never guessed:

* ``evidence``: an indicator of a threshold not ruled out has no usable result on the checkpoint (the
  policy's evaluation, its task and the indicator's clause are named); such a threshold is "cannot rule
  out", treated as crossed.
* ``unbound``: a threshold has no indicator at all, so no evidence can rule it out (its domain is named).
* ``decision``: a sign-off the framework requires before an action is missing, stale, unsigned, rejected or
  not yet notified. Sign-offs do not transfer between frameworks: a decision is bound to the policy it was
  opened under, so under another framework it stands as "recorded under another policy; none under this
  framework", and the roles that framework names must sign under it.
* ``safeguards``: a required standard whose criteria have no approved, current evidence in the record.
* ``notice``: a government notice the framework requires and the record does not show.
* ``assessment``: an assessment trigger of the framework fired and its assessment is due or overdue.
* ``document``: a document the framework requires (a Risk Report, an external review...) is missing or late.
* ``rule``: the framework has no rule for the action, so it cannot allow it.
* ``error``: the framework could not be decided; the verdict is pause and the error says why.

A framework identical to the active policy (same content hash) is judged with the record's sign-offs, so its
row is the gate's own answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from scalegate.assessment.findings import IndicatorFinding, ThresholdFinding
from scalegate.assessment.service import Assessment, assess
from scalegate.assessment.under_policy import context_under
from scalegate.audit.log import log_size
from scalegate.errors import InputError
from scalegate.gate.relied import check_relied_rows, fault_reasons, relied_rows
from scalegate.gate.service import decide
from scalegate.gate.verdict import ACTIONS, EXIT_CODES, Reason, Verdict
from scalegate.governance.decisions import DecisionStatus, decision_rule
from scalegate.policy import Policy, builtin_ids, content_hash, load_builtin
from scalegate.registry.lookup import resolve_checkpoint

if TYPE_CHECKING:
    from scalegate.context import Context
    from scalegate.workspace import Workspace

__all__ = [
    "ActionRow",
    "Comparison",
    "Decisive",
    "FrameworkRow",
    "Need",
    "NeedKind",
    "Numbers",
    "ThresholdRow",
    "compare",
    "select_policies",
]

NeedKind = Literal[
    "evidence", "unbound", "assessment", "decision", "safeguards", "notice", "document", "rule", "error"
]
"""What a framework needs that the record does not have (see the module docstring)."""

_DECISION_CODES = {
    "decision.missing",
    "decision.stale",
    "decision.rejected",
    "decision.unsigned",
    "decision.unnotified",
    "affirmative_case.missing",
}


@dataclass(frozen=True)
class Numbers:
    """The numbers behind one indicator's finding: score, interval, alert value (the safety buffer's edge)
    and threshold."""

    threshold_id: str
    indicator_id: str | None
    state: str
    clause: str
    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    confidence_level: float | None = None
    alert: float | None = None
    threshold: float | None = None
    buffer: float | None = None
    """Distance from the alert value to the threshold (the safety buffer), when the policy gives both."""
    n_samples: int | None = None

    @classmethod
    def of(cls, finding: IndicatorFinding) -> Numbers:
        buffer = (
            abs(finding.threshold - finding.alert)
            if finding.threshold is not None and finding.alert is not None
            else None
        )
        return cls(
            threshold_id=finding.threshold_id,
            indicator_id=finding.indicator_id,
            state=finding.state,
            clause=finding.clause,
            estimate=finding.estimate,
            ci_low=finding.ci_low,
            ci_high=finding.ci_high,
            confidence_level=finding.confidence_level,
            alert=finding.alert,
            threshold=finding.threshold,
            buffer=buffer,
            n_samples=finding.n_samples,
        )


@dataclass(frozen=True)
class Decisive:
    """One reason that decided an action's outcome, with the clause it cites and the numbers behind it."""

    code: str
    effect: str
    text: str
    clause: str | None
    numbers: list[Numbers] = field(default_factory=list)


@dataclass(frozen=True)
class ActionRow:
    """A framework's verdict for one action: the outcome and what decided it.

    For ``pause`` and ``restrict`` the decisive reasons are those that block or restrict; for ``allow``,
    those the verdict found satisfied, with the findings that ruled thresholds out."""

    action: str
    outcome: str
    exit_code: int
    required: dict[str, str]
    decisive: list[Decisive]
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ThresholdRow:
    """A threshold of the framework and its finding on this record."""

    threshold_id: str
    domain: str
    status: str
    state: str
    ruled_out: bool
    clause: str
    reason: str


@dataclass(frozen=True)
class Need:
    """Something a framework needs that the record does not have; it is why the framework cannot rule out
    or cannot allow, and it is never filled in by guessing."""

    kind: NeedKind
    clause: str | None
    text: str
    threshold: str | None = None
    indicator: str | None = None
    task: str | None = None
    """``harness/task`` of the evaluation the indicator names."""
    domain: str | None = None
    decision: str | None = None
    roles: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    """The actions this need blocks (empty for evidence: it bears on the findings of every action)."""


@dataclass(frozen=True)
class FrameworkRow:
    """One framework's judgement of the record."""

    policy_id: str
    title: str
    publisher: str
    version: str
    content_hash: str
    active: bool
    """Whether this is the workspace's active policy (its row is the gate's own answer)."""
    actions: dict[str, ActionRow]
    required: dict[str, str]
    """The most conservative required level per kind (``Requirements.levels``)."""
    thresholds: list[ThresholdRow]
    needs: list[Need]
    basis: str
    errors: list[str] = field(default_factory=list)
    uncovered_domains: list[str] = field(default_factory=list)
    """Domains of the framework's active thresholds for which the record has no usable result at all: no
    indicator of any of their thresholds is bound to evidence on the checkpoint."""

    @property
    def cannot_rule_out(self) -> list[str]:
        """Active thresholds this framework cannot rule out on the record."""
        return [t.threshold_id for t in self.thresholds if not t.ruled_out and t.status == "active"]


@dataclass(frozen=True)
class Comparison:
    """The record of one checkpoint judged under each framework, in one snapshot."""

    ref: str
    checkpoint_id: int
    active_policy: str
    """``id version`` of the workspace's active policy."""
    active_hash: str
    assessed_at: datetime
    state_version: int
    """The audit log's size in the snapshot every framework was judged from."""
    actions: list[str]
    frameworks: list[FrameworkRow]


def select_policies(spec: str) -> list[Policy]:
    """The built-in policies named by ``spec``: ``all`` or comma-separated ids (bad input: ``InputError``)."""
    known = builtin_ids()
    text = spec.strip()
    if text == "all":
        return [load_builtin(i) for i in known]
    ids = [part.strip() for part in text.split(",") if part.strip()]
    if not ids:
        raise InputError("policies: name `all` or one or more built-in policy ids", where="policies")
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise InputError(
            f"policies: no built-in policy {unknown[0]!r}; built-ins are: {', '.join(known)}",
            where="policies",
        )
    return [load_builtin(i) for i in dict.fromkeys(ids)]


def compare(workspace: Workspace, ref: str, policies: list[Policy]) -> Comparison:
    """Judge checkpoint ``ref`` under each of ``policies``, in one reading snapshot; writes nothing.

    Every row read to decide is checked against the audit log as the gate checks it: a row the log does not
    vouch for pauses every verdict of every framework (``record.unverified``)."""
    if not policies:
        raise InputError("policies: name `all` or one or more built-in policy ids", where="policies")
    with workspace.reading() as ctx, relied_rows(ctx.session) as loaded:
        checkpoint = resolve_checkpoint(ctx.session, ref)  # a bad reference is bad input, not a pause
        judged = [_judge(context_under(ctx, policy), ref) for policy in policies]
        assessments = [a for a, _ in judged if a is not None]
        checked = check_relied_rows(ctx.session, loaded, assessments, ctx.active.version_id)
        faults = fault_reasons(checked.faults) if checked.faults else []
        rows = [
            _row(policy, assessment, verdicts, faults, ctx.active.content_hash)
            for policy, (assessment, verdicts) in zip(policies, judged, strict=True)
        ]
        active = ctx.policy
        return Comparison(
            ref=f"{checkpoint.model.name}@{checkpoint.name}",
            checkpoint_id=checkpoint.id,
            active_policy=f"{active.id} {active.framework.version}",
            active_hash=ctx.active.content_hash,
            assessed_at=ctx.now,
            state_version=log_size(ctx.session),
            actions=list(ACTIONS),
            frameworks=rows,
        )


def _judge(ctx: Context, ref: str) -> tuple[Assessment | None, dict[str, Verdict]]:
    """The assessment under the context's policy, decided for every action; a framework the engine cannot
    assess under gives a pause for every action, saying why (fail closed), and no assessment."""
    try:
        assessment = assess(ctx, ref, with_forecasts=False)
    except Exception as exc:  # fail closed on any error of one framework, and say so
        message = f"cannot assess under {ctx.policy.id}: {type(exc).__name__}: {exc}"
        reason = Reason("gate.error", f"cannot decide, so pause: {message}", None, "blocks")
        return None, {
            a: Verdict(ref, a, "pause", [reason], ctx.now, errors=[message], exit_code=EXIT_CODES["pause"])
            for a in ACTIONS
        }
    return assessment, {action: decide(assessment, action, ctx) for action in ACTIONS}


def _row(
    policy: Policy,
    assessment: Assessment | None,
    verdicts: dict[str, Verdict],
    faults: list[Reason],
    active_hash: str,
) -> FrameworkRow:
    """One framework's row: its verdicts with what decided them, its findings and what it lacks."""
    if faults:
        verdicts = {action: _unverified(verdict, faults) for action, verdict in verdicts.items()}
    digest = content_hash(policy)
    row = FrameworkRow(
        policy_id=policy.id,
        title=policy.framework.name,
        publisher=policy.framework.publisher,
        version=policy.framework.version,
        content_hash=digest,
        active=digest == active_hash,
        actions={a: _action_row(v, assessment) for a, v in verdicts.items()},
        required={},
        thresholds=[],
        needs=_verdict_needs(policy, assessment, verdicts),
        basis="not assessed",
        errors=[e for v in verdicts.values() for e in v.errors][:1],
    )
    if assessment is None:
        return row
    domains = {t.id: t.domain for t in policy.thresholds}
    return replace(
        row,
        required={k: lv.level for k, lv in assessment.requirements.levels.items()},
        thresholds=[_threshold_row(f, domains.get(f.threshold_id, "")) for f in assessment.findings],
        needs=_evidence_needs(policy, assessment, domains) + row.needs,
        basis=assessment.basis.reason,
        errors=list(assessment.errors),
        uncovered_domains=_uncovered(assessment, domains),
    )


def _uncovered(assessment: Assessment, domains: dict[str, str]) -> list[str]:
    """The domains of active thresholds none of whose indicators has a usable result on the record."""
    covered: dict[str, bool] = {}
    for finding in assessment.findings:
        if finding.status != "active":
            continue
        domain = domains.get(finding.threshold_id, "")
        usable = any(i.state != "insufficient_evidence" for i in finding.indicators)
        covered[domain] = covered.get(domain, False) or usable
    return [d for d, ok in covered.items() if not ok]


def _unverified(verdict: Verdict, faults: list[Reason]) -> Verdict:
    """A verdict turned into a pause because rows it relies on disagree with the audit log."""
    verdict.reasons = [*faults, *verdict.reasons]
    verdict.outcome = "pause"
    verdict.exit_code = EXIT_CODES["pause"]
    verdict.restrictions = []
    return verdict


def _threshold_row(finding: ThresholdFinding, domain: str) -> ThresholdRow:
    return ThresholdRow(
        threshold_id=finding.threshold_id,
        domain=domain,
        status=finding.status,
        state=finding.state,
        ruled_out=finding.ruled_out,
        clause=finding.clause,
        reason=finding.reason,
    )


def _action_row(verdict: Verdict, assessment: Assessment | None) -> ActionRow:
    """The outcome and the reasons that decided it, each with the numbers it rests on."""
    wanted = ("satisfied",) if verdict.outcome == "allow" else ("blocks", "restricts")
    decisive = [
        Decisive(r.code, r.effect, r.text, r.clause, _numbers_of(r, assessment))
        for r in verdict.reasons
        if r.effect in wanted
    ]
    if (
        verdict.outcome == "allow" and assessment is not None
    ):  # the findings that let it through are part of what decided it
        decisive += [
            Decisive("finding", "satisfied", f"{f.threshold_id}: {f.reason}", f.clause, _numbers(f))
            for f in assessment.findings
            if f.status == "active"
        ]
    return ActionRow(
        action=verdict.action,
        outcome=verdict.outcome,
        exit_code=verdict.exit_code,
        required=dict(verdict.required),
        decisive=decisive,
        errors=list(verdict.errors),
    )


def _numbers(finding: ThresholdFinding) -> list[Numbers]:
    if not finding.indicators:
        return [Numbers(finding.threshold_id, None, finding.state, finding.clause)]
    return [Numbers.of(i) for i in finding.indicators]


def _numbers_of(reason: Reason, assessment: Assessment | None) -> list[Numbers]:
    """The findings behind a reason about a required standard: those of the thresholds that require it."""
    kind = reason.data.get("kind")
    if assessment is None or not isinstance(kind, str) or kind not in assessment.requirements.levels:
        return []
    because = set(assessment.requirements.levels[kind].because)
    return [n for f in assessment.findings if f.threshold_id in because for n in _numbers(f)]


def _evidence_needs(policy: Policy, assessment: Assessment, domains: dict[str, str]) -> list[Need]:
    """The evaluations an active threshold not ruled out has no usable result for, and the thresholds no
    indicator is bound to."""
    tasks = {i.id: f"{i.evaluation.harness}/{i.evaluation.task}" for _, i in policy.indicators()}
    out: list[Need] = []
    for finding in assessment.findings:
        if finding.ruled_out or finding.status != "active":
            continue
        domain = domains.get(finding.threshold_id)
        if not finding.indicators:
            text = (
                f"{finding.threshold_id} ({domain}): no indicator is bound to this threshold, so no "
                "evidence can rule it out: cannot rule out"
            )
            out.append(Need("unbound", finding.clause, text, finding.threshold_id, domain=domain))
            continue
        for i in finding.indicators:
            if i.state != "insufficient_evidence":
                continue
            task = tasks.get(i.indicator_id)
            text = f"{i.indicator_id} ({task}) for {finding.threshold_id}: {i.reason}: cannot rule out"
            out.append(Need("evidence", i.clause, text, finding.threshold_id, i.indicator_id, task, domain))
    return out


_KINDS: dict[str, NeedKind] = {
    "decision.missing": "decision",
    "decision.stale": "decision",
    "decision.rejected": "decision",
    "decision.unsigned": "decision",
    "decision.unnotified": "decision",
    "affirmative_case.missing": "decision",
    "government_notice.due": "notice",
    "trigger.overdue": "assessment",
    "trigger.assessment_due": "assessment",
    "policy.no_action_rule": "rule",
    "gate.error": "error",
    "store.unavailable": "error",
}
"""The kind of need a blocking or restricting reason stands for; a reason about safeguards (its data says
``safeguards``) is a ``safeguards`` need, and any other is about a document the framework requires."""


def _verdict_needs(policy: Policy, assessment: Assessment | None, verdicts: dict[str, Verdict]) -> list[Need]:
    """What the verdicts' blocking and restricting reasons say is missing, each once, with its actions."""
    merged: dict[tuple[str, str], Need] = {}
    for action, verdict in verdicts.items():
        for reason in verdict.reasons:
            if reason.effect not in ("blocks", "restricts") or reason.code == "record.unverified":
                continue
            need = _need(policy, assessment, reason)
            key = (need.kind, need.text)
            held = merged.get(key)
            merged[key] = replace(need, actions=[*(held.actions if held else []), action])
    return list(merged.values())


def _need(policy: Policy, assessment: Assessment | None, reason: Reason) -> Need:
    if reason.data.get("safeguards"):
        gaps = [str(g) for g in reason.data.get("gaps") or []]
        text = reason.text + (
            f" (criteria without approved, current evidence: {', '.join(gaps)})" if gaps else ""
        )
        return Need("safeguards", reason.clause, text)
    kind = _KINDS.get(reason.code, "document")
    if kind != "decision":
        return Need(kind, reason.clause, reason.text)
    decision = str(reason.data.get("decision") or "affirmative_case")
    rule = decision_rule(policy, decision)
    roles = list(rule.signoff_roles) if rule else []
    label = decision.replace("_", " ")
    where = f" under {reason.clause}" if reason.clause else ""
    signers = f"to be signed by {', '.join(roles)}" if roles else "no sign-off rule in this framework"
    status = _status(assessment, reason.data.get("decision_id"))
    if reason.code in ("decision.missing", "affirmative_case.missing"):
        text = f"{label}{where} ({signers}): none recorded under this framework"
    elif status is not None and "policy" in status.stale_keys:
        text = (
            f"{label}{where} ({signers}): #{status.decision_id} was signed under another policy and does "
            "not transfer; none recorded under this framework"
        )
    else:
        text = reason.text
    return Need("decision", reason.clause, text, decision=decision, roles=roles)


def _status(assessment: Assessment | None, decision_id: Any) -> DecisionStatus | None:
    """The status of a decision the assessment read, by id."""
    if assessment is None:
        return None
    known = [assessment.determination, *assessment.decisions.values()]
    return next((d for d in known if d is not None and d.decision_id == decision_id), None)
