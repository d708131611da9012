"""The gate: may this checkpoint continue training, be deployed internally, or externally? And why.

``decide(assessment, action, ctx)`` turns one typed ``Assessment`` into the verdict for one action, so a page
or a report that shows all three actions assesses once and decides three times. ``evaluate_gate`` is
``decide(assess(ctx, ref), action, ctx)`` in one read transaction: the verdict and the state it is labelled
with (``Verdict.state_version``, and with ``sealed=True`` the cache's ``Verdict.sealed_state``) come from the
same snapshot, so no concurrent change can slip between deciding and labelling. In that snapshot too, every
row the decision read is checked against the audit log (``scalegate.gate.relied``): a row edited or inserted
with SQL makes the verdict ``pause`` (``record.unverified``) before anyone runs ``audit verify``.

A verdict's ``valid_until`` is the earliest time at which it could change by itself: a deadline, a trigger
that will fire, an expiry, a re-approval, the month that changes what a trigger's text says.

Rules come from the active policy (``actions``, ``training_pause``, ``decisions``, ``government_notice``,
``interim_measures``); nothing framework-specific is written here. The gate fails closed: any error while
deciding, missing data or an unreachable store gives ``pause`` with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError

from scalegate.assessment.requirements import RequiredLevel, required_levels
from scalegate.assessment.service import Assessment, RequiredStandard, assess
from scalegate.audit.row_index import rebuild
from scalegate.clock import default_clock
from scalegate.context import Context
from scalegate.errors import InputError, NotFoundError, ScalegateError
from scalegate.gate.cache import read_state
from scalegate.gate.comparable import comparable_unmet
from scalegate.gate.obligations import obligation_reasons
from scalegate.gate.relied import check_relied_rows, fault_reasons, relied_rows
from scalegate.gate.verdict import ACTIONS, EXIT_CODES, Effect, InterimRestriction, Outcome, Reason, Verdict
from scalegate.governance.decisions import DecisionStatus, before_proceeding
from scalegate.months import add_months
from scalegate.safeguards.service import StandardStatus, standard_status
from scalegate.workspace import open_workspace

if TYPE_CHECKING:
    from scalegate.workspace import Workspace

__all__ = ["ACTIONS", "decide", "evaluate_actions", "evaluate_gate", "gate_for_url"]


def check_action(action: str) -> None:
    """Refuse an action the gate does not know (bad input, not a pause)."""
    if action not in ACTIONS:
        raise InputError(f"unknown action {action!r}; expected one of {', '.join(ACTIONS)}", where="action")


def evaluate_gate(workspace: Workspace, ref: str, action: str, *, sealed: bool = False) -> Verdict:
    """Decide ``action`` for checkpoint ``ref``. Bad input raises ``InputError``/``NotFoundError``; everything
    else that goes wrong yields a ``pause`` verdict that says what went wrong. With ``sealed``, the verdict
    also carries the state it was decided from (for the verdict cache)."""
    return evaluate_actions(workspace, ref, (action,), sealed=sealed)[action]


def evaluate_actions(
    workspace: Workspace, ref: str, actions: Sequence[str] = ACTIONS, *, sealed: bool = False
) -> dict[str, Verdict]:
    """The verdict for each of ``actions`` on checkpoint ``ref``, from one assessment in one snapshot (with
    ``sealed``, each also carries that snapshot's state, read in it: ``Verdict.sealed_state``)."""
    for action in actions:
        check_action(action)
    try:
        with workspace.reading() as ctx, relied_rows(ctx.session) as loaded:
            assessment = assess(ctx, ref, with_forecasts=False)
            verdicts = {action: decide(assessment, action, ctx) for action in actions}
            checked = check_relied_rows(ctx.session, loaded, [assessment], ctx.active.version_id)
            if checked.faults:
                reasons = fault_reasons(checked.faults)
                verdicts = {action: _unverified(verdict, reasons) for action, verdict in verdicts.items()}
            if sealed:
                state = read_state(ctx.session)
                for verdict in verdicts.values():
                    verdict.sealed_state = state
        if checked.index_stale:
            _rebuild_index(workspace)
        return verdicts
    except (InputError, NotFoundError):
        raise
    except ScalegateError as exc:
        message = f"{type(exc).__name__}: {exc}"
        return {a: _failed(workspace.now(), ref, a, message) for a in actions}
    except Exception as exc:  # fail closed on any bug, and say so
        message = f"internal error while deciding: {type(exc).__name__}: {exc}"
        return {a: _failed(workspace.now(), ref, a, message, code=1) for a in actions}


def _unverified(verdict: Verdict, reasons: list[Reason]) -> Verdict:
    """``verdict`` turned into a pause because rows it relies on disagree with the audit log
    (``scalegate.gate.relied``): never an allow or a restriction decided from a forged record."""
    verdict.reasons = [*reasons, *verdict.reasons]
    verdict.outcome = "pause"
    verdict.exit_code = EXIT_CODES["pause"]
    verdict.restrictions = []
    return verdict


def _rebuild_index(workspace: Workspace) -> None:
    """Rewrite the row index from the log after a lookup found it wrong, so the next decision is fast again.
    Best effort: the verdict was already decided from the log itself, and a store that refuses the write
    (read-only, busy) only keeps the next decision on the slow path."""
    try:
        with workspace.transaction() as session:
            rebuild(session)
    except (ScalegateError, SQLAlchemyError):
        pass


def decide(assessment: Assessment, action: str, ctx: Context) -> Verdict:
    """The verdict for ``action`` on an assessment made in ``ctx`` (fails closed on any error)."""
    check_action(action)
    try:
        return _decide(assessment, action, ctx)
    except Exception as exc:  # fail closed on any bug, and say so
        message = f"internal error while deciding: {type(exc).__name__}: {exc}"
        return _failed(ctx.now, assessment.ref, action, message, code=1)


def _failed(now: datetime, ref: str, action: str, message: str, code: int = 3) -> Verdict:
    return _paused(now, ref, action, f"cannot decide, so pause: {message}", message, code)


def _paused(
    now: datetime, ref: str, action: str, text: str, message: str, code: int = 3, *, unavailable: bool = False
) -> Verdict:
    """A fail-closed verdict: pause, for the reason given, with the error recorded."""
    reason = Reason("store.unavailable" if unavailable else "gate.error", text, None, "blocks")
    return Verdict(ref, action, "pause", [reason], now, errors=[message], exit_code=code)


def gate_for_url(url: str | None, ref: str, action: str) -> Verdict:
    """Open the workspace and decide; an unreachable or invalid store is a ``pause`` (fail closed)."""
    try:
        workspace = open_workspace(url)
    except ScalegateError as exc:
        now = default_clock().now().astimezone(UTC)
        return _paused(now, ref, action, f"store unavailable, so pause: {exc}", str(exc), unavailable=True)
    try:
        return evaluate_gate(workspace, ref, action)
    finally:
        workspace.close()


# -- the rules -----------------------------------------------------------------------------------------------


def _decide(assessment: Assessment, action: str, ctx: Context) -> Verdict:
    policy = ctx.policy
    now = ctx.now
    if action == "continue-training" and assessment.while_pending is not None:
        assessment = assessment.while_pending
    rule = next((a for a in policy.actions if a.action == action), None)
    reasons: list[Reason] = []
    bounds: list[datetime] = [assessment.valid_until] if assessment.valid_until else []
    if rule is None:
        reasons.append(
            Reason(
                "policy.no_action_rule",
                f"policy {policy.id} has no rule for {action}: cannot allow it",
                None,
                "blocks",
            )
        )
    reasons += _trigger_reasons(assessment, action, now, bounds)
    bounds += _time_bounds(assessment, now)
    reasons += _finding_reasons(assessment)
    required = _effective_required(assessment, action, ctx, reasons)
    if rule is not None:
        if action == "continue-training" and policy.training_pause is not None:
            reasons += _training_reasons(assessment, required, ctx)
        else:
            reasons += _kind_reasons(assessment, required, rule.requires_kinds, rule.source.cite(), ctx)
        for decision in rule.requires_decisions:
            if decision == "capability_determination":
                reasons += _determination_reasons(assessment, ctx)
            elif decision == "safeguards_determination":  # signatures: covered by each standard's status
                reasons += _safeguards_notice_reasons(assessment, required, rule.requires_kinds, ctx)
            else:
                reasons += _decision_reasons(assessment, decision, ctx)
        reasons += _affirmative_case_reasons(assessment, ctx)
        reasons += obligation_reasons(assessment, action, ctx, bounds)
        if action != "continue-training":
            reasons += _government_reasons(assessment, required, ctx)
    outcome, restrictions = _outcome(assessment, action, reasons, bounds, ctx)
    return Verdict(
        assessment.ref,
        action,
        outcome,
        reasons,
        now,
        policy={
            "id": assessment.policy.id,
            "version": assessment.policy.version,
            "content_hash": assessment.policy.content_hash,
        },
        restrictions=restrictions,
        required=required,
        valid_until=min(bounds) if bounds else None,
        exit_code=EXIT_CODES[outcome],
        state_version=assessment.state_version,
    )


def _trigger_reasons(
    assessment: Assessment, action: str, now: datetime, bounds: list[datetime]
) -> list[Reason]:
    out = []
    for firing in assessment.fired:
        due = firing.deadline
        data = dict(firing.to_dict())
        text = f"comprehensive assessment due: {firing.text or firing.trigger}"
        if due and due <= now:
            text += f"; deadline {due.date()} has passed without a completed assessment"
            out.append(Reason("trigger.overdue", text, firing.clause, "blocks", data))
        elif action == "continue-training":
            if due:
                bounds.append(due)
            text += f"; training may continue until the deadline {due.date() if due else '-'}"
            out.append(Reason("trigger.pending", text, firing.clause, "info", data))
        else:
            text += "; a notably more capable model cannot be deployed before its assessment"
            out.append(Reason("trigger.assessment_due", text, firing.clause, "blocks", data))
    return out


def _time_bounds(assessment: Assessment, now: datetime) -> list[datetime]:
    """The times after ``now`` at which a trigger's verdict or text changes by itself: a trigger that will
    fire, a deadline that will pass, and the next whole month of a calendar trigger's count."""
    out: list[datetime] = []
    for firing in assessment.triggers:
        out += [t for t in (firing.triggered_at, firing.deadline) if t is not None and t > now]
        mark = firing.detail.get("mark") if firing.trigger == "calendar" else None
        if isinstance(mark, str) and datetime.fromisoformat(mark) > now:  # when it will fire
            out.append(datetime.fromisoformat(mark))
        since = firing.detail.get("since") if firing.trigger == "calendar" else None
        if isinstance(since, str) and firing.value is not None:
            anchor = datetime.fromisoformat(since)
            months = int(firing.value) + 1
            while (nxt := add_months(anchor, months)) <= now:  # the count is whole months as of now
                months += 1
            out.append(nxt)
    return out


def _finding_reasons(assessment: Assessment) -> list[Reason]:
    out = []
    for finding in assessment.findings:
        children = [
            Reason(
                "finding.indicator",
                f"{i.indicator_id}: {i.state}: {i.reason}",
                i.clause,
                "info",
                {k: v for k, v in i.to_dict().items() if k != "flags"},
            )
            for i in finding.indicators
        ]
        text = f"{finding.threshold_id} ({finding.status}): {finding.state.replace('_', ' ')}"
        if not finding.ruled_out:
            text += (
                " -> cannot rule out, treated as crossed"
                if finding.status == "active"
                else " -> tracked only, requires no safeguards"
            )
        out.append(
            Reason(
                "finding",
                f"{text}: {finding.reason}",
                finding.clause,
                "info",
                {"threshold": finding.threshold_id, "state": finding.state},
                children,
            )
        )
    return out


def _effective_required(
    assessment: Assessment, action: str, ctx: Context, reasons: list[Reason]
) -> dict[str, str]:
    """Engine levels for this action, replaced by a signed, current human determination (flagged if less
    conservative than the engine)."""
    scoped = required_levels(ctx.policy, assessment.findings, action)
    required = {k: v.level for k, v in scoped.levels.items()}
    det = assessment.determination
    if det is None or not det.approved or det.stale:
        return required
    determined = dict(det.payload.get("determined") or {})
    if not determined:
        return required
    if det.payload.get("less_conservative"):
        details = "; ".join(det.payload.get("less_conservative_details", []))
        reasons.append(
            Reason(
                "determination.less_conservative",
                f"FLAG: the signed determination is less conservative than the engine ({details}); "
                f"justification: {det.payload.get('justification')}",
                None,
                "info",
                {"decision_id": det.decision_id},
            )
        )
    required.update(determined)
    return required


def _standard(assessment: Assessment, kind: str, level: str, ctx: Context) -> RequiredStandard:
    """The required standard as the assessment has it, or its status at another level (an action-scoped or
    human-determined requirement differs from the most conservative view the assessment holds)."""
    held = assessment.safeguards.get(kind)
    if held is not None and held.status.level == level:
        return held
    lv = ctx.policy.level(kind, level)
    required = RequiredLevel(kind, lv.id, lv.rank, [], [lv.source.cite()], False, lv.criteria_published)
    return RequiredStandard(required, standard_status(ctx, kind, level))


def _standard_reason(
    assessment: Assessment, kind: str, level: str, effect: Effect, ctx: Context
) -> Reason | None:
    held = _standard(assessment, kind, level, ctx)
    status = held.status
    if status.met:
        return None
    children = [
        Reason(
            "standard.criterion_unmet",
            f"{c.criterion_id} ({c.level}): {c.reason}",
            c.clause,
            "info",
            {"criterion": c.criterion_id},
        )
        for c in status.gaps
    ]
    children += [Reason("standard.note", r["text"], r["clause"], "info") for r in status.reasons]
    why = ", ".join(held.required.because) or "baseline"
    return Reason(
        "standard.unmet",
        f"required {kind} standard {level} (because: {why}) is not met",
        ", ".join(held.required.clauses) or None,
        effect,
        {"kind": kind, "level": level, "gaps": [c.criterion_id for c in status.gaps], "safeguards": True},
        children,
    )


def _kind_reasons(
    assessment: Assessment, required: dict[str, str], kinds: Sequence[str], clause: str, ctx: Context
) -> list[Reason]:
    out = []
    for kind in kinds:
        level = required.get(kind)
        if level is None:
            continue
        reason = _standard_reason(assessment, kind, level, "blocks", ctx)
        if reason is None:
            text = f"required {kind} standard {level} is met"
            out.append(Reason("standard.met", text, clause, "satisfied"))
        else:
            out.append(reason)
    return out


def _training_reasons(assessment: Assessment, required: dict[str, str], ctx: Context) -> list[Reason]:
    """The training-pause rule (RSP v2.2 §6.2 and its footnote): no training at >= N x the effective compute
    of a model whose required security standard is not met, this run's own model or any other
    (``scalegate.gate.comparable``); a sufficient level (ASL-3 security) lets training continue."""
    rule = ctx.policy.training_pause
    if rule is None:
        return []
    return _own_training_reasons(assessment, required, ctx) + _comparable_reasons(assessment, ctx)


def _comparable_reasons(assessment: Assessment, ctx: Context) -> list[Reason]:
    """The pause for a run at or above the multiple of another checkpoint whose required standard is unmet."""
    rule = ctx.policy.training_pause
    assert rule is not None
    statuses: dict[tuple[str, str], StandardStatus] = {}

    def standard(kind: str, level: str) -> StandardStatus:
        if (kind, level) not in statuses:
            statuses[(kind, level)] = _standard(assessment, kind, level, ctx).status
        return statuses[(kind, level)]

    ec = assessment.checkpoint.effective_compute
    found = comparable_unmet(ctx, assessment.checkpoint_id, ec, rule, standard)
    out = []
    for level in sorted({c.level for c in found}):
        at = [c for c in found if c.level == level]
        top = at[0]
        others = f" and {len(at) - 1} more" if len(at) > 1 else ""
        where = (
            f"this run's effective compute ({ec:.3g}) is {ec / top.effective_compute:.3g}x"
            if ec
            else "this run's effective compute is unknown, so it cannot be shown to be below"
        )
        text = (
            f"training pause: {where} that of {top.ref} ({top.effective_compute:.3g}){others}, at or above "
            f"{rule.effective_compute_multiple:g}x of a model whose required {rule.kind} standard {level} "
            f"(because: {', '.join(top.because) or 'baseline'}) is not met"
        )
        data = {
            "kind": rule.kind,
            "level": level,
            "models": [{"ref": c.ref, "effective_compute": c.effective_compute} for c in at[:20]],
            "safeguards": True,
        }
        out.append(Reason("training_pause.comparable", text, rule.source.cite(), "blocks", data))
    return out


def _own_training_reasons(assessment: Assessment, required: dict[str, str], ctx: Context) -> list[Reason]:
    """The pause for this run's own model: its required standard of the rule's kind is not met."""
    policy = ctx.policy
    rule = policy.training_pause
    assert rule is not None
    clause = rule.source.cite()
    level = required.get(rule.kind)
    if level is None:
        return []
    reason = _standard_reason(assessment, rule.kind, level, "blocks", ctx)
    if reason is None:
        text = f"required {rule.kind} standard {level} is met: training may continue"
        return [Reason("training_pause.met", text, clause, "satisfied")]
    if rule.sufficient_level:
        sufficient = policy.level(rule.kind, rule.sufficient_level)
        if policy.level(rule.kind, level).rank >= sufficient.rank:
            status: StandardStatus = _standard(assessment, rule.kind, sufficient.id, ctx).status
            if status.met:
                text = (
                    f"{rule.kind} standard {sufficient.id} is met, which suffices to continue training "
                    f"although {level} is required"
                )
                return [Reason("training_pause.sufficient", text, clause, "satisfied")]
            reason.text += f"; neither is {sufficient.id}, which would suffice to continue training"
    ec = assessment.checkpoint.effective_compute
    reason.text = (
        f"training pause: this run is at {rule.effective_compute_multiple:g}x or more of the effective "
        f"compute ({ec:.3g}) of a model whose "
        if ec
        else "training pause: "
    ) + reason.text
    reason.code = "training_pause"
    reason.clause = clause
    return [reason]


def _safeguards_notice_reasons(
    assessment: Assessment, required: dict[str, str], kinds: Sequence[str], ctx: Context
) -> list[Reason]:
    """The notices a signed safeguards determination requires before proceeding (RSP v2.2 §4.3: shared with
    the Board and the LTBT "before moving forward"): each missing one blocks, as for any other decision.

    This holds for the determination of the required level and for those of the levels below it: standards
    are cumulative (the required standard's criteria include the lower levels'), so the model proceeds on each
    of them, and a signed determination nobody was told of is a notice still due (fail closed). The Sign-offs
    page lists the same decisions as still to notify."""
    rule = ctx.policy.decision_rule("safeguards_determination")
    if rule is None:
        return []
    cites = [n.source.cite() for n in before_proceeding(rule)]
    clause = ", ".join(dict.fromkeys(cites)) or rule.source.cite()
    out = []
    for kind in kinds:
        level = required.get(kind)
        if level is None:
            continue
        rank = ctx.policy.level(kind, level).rank
        for lower in (lv.id for lv in ctx.policy.levels_of(kind) if lv.rank <= rank):
            det = _standard(assessment, kind, lower, ctx).status.determination
            if not det or not det.get("approved") or det.get("stale") or det.get("notified", False):
                continue
            missing = ", ".join(det.get("missing_notifications") or []) or "the roles the policy names"
            ident = f"safeguards determination #{det.get('decision_id')} for {kind} {lower}"
            text = f"{ident} is signed but {missing} must be notified before proceeding"
            data = {
                "decision_id": det.get("decision_id"),
                "decision": "safeguards_determination",
                "kind": kind,
            }
            out.append(Reason("decision.unnotified", text, clause, "blocks", data))
    return out


def _determination_reasons(assessment: Assessment, ctx: Context) -> list[Reason]:
    rule = ctx.policy.decision_rule("capability_determination")
    clause = rule.source.cite() if rule else None
    det = assessment.determination
    if det is None:
        roles = ", ".join(rule.signoff_roles) if rule else "the roles the policy names"
        text = f"no capability determination for {assessment.ref} (to be signed by {roles})"
        return [Reason("decision.missing", text, clause, "blocks", {"decision": "capability_determination"})]
    return _status_reasons("capability determination", det, clause)


def _status_reasons(name: str, status: DecisionStatus, clause: str | None) -> list[Reason]:
    ident = f"{name} #{status.decision_id}"
    data: dict[str, Any] = {"decision_id": status.decision_id, "decision": status.decision_type}
    if status.stale:
        text = f"{ident} is stale: {', '.join(status.stale_keys)} changed since it was signed"
        return [Reason("decision.stale", text, clause, "blocks", data)]
    if status.rejected_by:
        text = f"{ident} was rejected by {', '.join(status.rejected_by)}"
        return [Reason("decision.rejected", text, clause, "blocks", data)]
    if not status.approved:
        text = f"{ident} awaits sign-off by {', '.join(status.missing_roles)}"
        return [Reason("decision.unsigned", text, clause, "blocks", data)]
    if not status.notified:
        missing = ", ".join(status.missing_notifications)
        text = f"{ident} is signed but {missing} must be notified before proceeding"
        return [Reason("decision.unnotified", text, clause, "blocks", data)]
    return [Reason("decision.complete", f"{ident} signed and notified", clause, "satisfied", data)]


def _decision_reasons(assessment: Assessment, decision: str, ctx: Context) -> list[Reason]:
    rule = ctx.policy.decision_rule(decision)
    clause = rule.source.cite() if rule else None
    status = assessment.decisions.get(decision)
    if status is None:
        text = f"no {decision.replace('_', ' ')} decision for {assessment.ref}"
        return [Reason("decision.missing", text, clause, "blocks", {"decision": decision})]
    return _status_reasons(decision.replace("_", " "), status, clause)


def _affirmative_case_reasons(assessment: Assessment, ctx: Context) -> list[Reason]:
    needed = assessment.requirements.affirmative_case_for
    if not needed:
        return []
    clause = ", ".join(ctx.policy.threshold(t).source.cite() for t in needed)
    status = assessment.decisions.get("affirmative_case")
    if status is None:
        text = (
            f"{', '.join(needed)} cannot be ruled out: an affirmative case (risks from models pursuing "
            "misaligned goals and their mitigations), reviewed and signed, is required before proceeding"
        )
        return [Reason("affirmative_case.missing", text, clause, "blocks", {"thresholds": needed})]
    return _status_reasons("affirmative case", status, clause)


def _government_reasons(assessment: Assessment, required: dict[str, str], ctx: Context) -> list[Reason]:
    policy = ctx.policy
    notice = policy.government_notice
    if notice is None:
        return []
    exceeds = [
        f"{r.kind} {required[r.kind]} > {r.level}"
        for r in notice.when_required_exceeds
        if r.kind in required
        and policy.level(r.kind, required[r.kind]).rank > policy.level(r.kind, r.level).rank
    ]
    if not exceeds:
        return []
    clause = notice.source.cite()
    if assessment.government_notified:
        text = f"{notice.recipient} notified ({'; '.join(exceeds)})"
        return [Reason("government_notice.sent", text, clause, "satisfied")]
    text = (
        f"{notice.recipient} must be notified: required level exceeds the notice level ({'; '.join(exceeds)})"
    )
    return [Reason("government_notice.due", text, clause, "blocks")]


def _outcome(
    assessment: Assessment, action: str, reasons: list[Reason], bounds: list[datetime], ctx: Context
) -> tuple[Outcome, list[InterimRestriction]]:
    blocking = [r for r in reasons if r.effect == "blocks"]
    if not blocking:
        return "allow", []
    if not all(r.data.get("safeguards") for r in blocking):
        return "pause", []
    interim = _interim(assessment, action, ctx)
    if interim is None:
        return "pause", []
    for r in blocking:
        r.effect = "restricts"
    expires = interim.get("expires_at")
    if expires:
        bounds.append(datetime.fromisoformat(expires))
    text = (
        f"approved interim measures #{interim['decision_id']} allow {action} within their scope: "
        f"{interim['scope']}"
    )
    reasons.append(Reason("interim_measures.apply", text, interim["clause"], "restricts", dict(interim)))
    return "restrict", [interim]


def _interim(assessment: Assessment, action: str, ctx: Context) -> InterimRestriction | None:
    policy = ctx.policy
    if policy.interim_measures is None or action not in policy.interim_measures.actions:
        return None
    status = assessment.decisions.get("interim_measures")
    if status is None or not status.approved or status.stale:
        return None
    payload = status.payload
    if action not in payload.get("actions", []):
        return None
    expires = payload.get("expires_at")
    if expires and datetime.fromisoformat(expires) <= ctx.now:
        return None
    return {
        "decision_id": status.decision_id,
        "scope": payload.get("scope"),
        "actions": payload.get("actions"),
        "expires_at": expires,
        "clause": policy.interim_measures.source.cite(),
    }
