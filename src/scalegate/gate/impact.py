"""What a policy change does to the record: obligations, verdicts, sign-offs and deadlines, before -> after.

A lab, an AI safety institute or an auditor asks "what changes if the workspace moves to this policy?" before
the Board approves the move. ``policy_impact(workspace, target)`` answers from the record itself: every
checkpoint of every model is assessed and gated twice on the same evidence, once under the active policy and
once under the target (``assessment.under_policy.context_under``, a read-only view in which the target
stands for the active policy), and the two are compared:

- **obligations** that appear or disappear, for the workspace (documents such as RSP v3 Risk Reports, reviews,
  cadences, briefings, sign-off rules, the government notice rule) and for each checkpoint (required safeguard
  standards, the decisions, documents and notices its actions need);
- **verdicts** (allow / restrict / pause for each action) that change, each side with the reasons that
  decided it: their stable codes, the clause they cite and their text with its numbers;
- **sign-offs** that go stale: every live decision is bound to the content hash of the policy it was signed
  under, so under another policy each one must be taken again; the impact says which roles the new rule asks
  for and which of them no signature on record covers;
- **deadlines** that start: documents with a cadence, recurring reviews and briefings the target adds (due
  counted from now, as if adopted now), and assessments that triggers of the target open for a checkpoint.

Nothing is written, and both sides are read in one snapshot: the target's side is the same unit of work with
the target standing for the active policy (``context_under``), so the two are compared on exactly one state of
the record, whose audit log size the impact carries (``state_version``).

``Impact.digest`` fingerprints *what the change does* (which obligations, verdicts, decisions and deadlines
change, with the codes and clauses that decide them), not when it was computed or the dates it computed, so
the approval step can tell whether the impact recorded with a proposal still holds (``gate.migration``).

The gate's relied-row check (a forged row pauses every verdict) is not part of the impact: it concerns the
record, not the policy, and is the same on both sides.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import select

from scalegate.assessment.service import Assessment, assess_family
from scalegate.assessment.under_policy import context_under
from scalegate.audit.log import log_size
from scalegate.canonical import digest
from scalegate.gate.service import decide
from scalegate.gate.verdict import Reason, Verdict
from scalegate.governance.decisions import status_of
from scalegate.governance.policy_change import ImpactRecord
from scalegate.months import add_months
from scalegate.policy.rewrite import summarize_rewrite
from scalegate.store.models.governance import DecisionRow
from scalegate.store.models.registry import ModelRow
from scalegate.vocabulary import ACTIONS, Outcome

if TYPE_CHECKING:
    from scalegate.context import Context
    from scalegate.policy import Policy
    from scalegate.workspace import Workspace

__all__ = [
    "CheckpointImpact",
    "Deadline",
    "Explanation",
    "Impact",
    "Obligation",
    "ObligationChange",
    "PolicyRef",
    "StaleDecision",
    "VerdictChange",
    "impact_in",
    "policy_impact",
]

ChangeKind = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class PolicyRef:
    """One side of the migration: a policy and the hash of its normalised document."""

    id: str
    version: str
    content_hash: str


@dataclass(frozen=True)
class Obligation:
    """Something a policy requires: a standard, a decision, a document, a notice, a cadence."""

    id: str
    """Stable id, e.g. `standard:security:ASL-3`, `document:risk-report`, `decision:affirmative_case`."""
    title: str
    """What is required, in policy terms (roles, levels and intervals included)."""
    clause: str | None
    """The clause that requires it."""


@dataclass(frozen=True)
class ObligationChange:
    """An obligation that appears, disappears or changes its terms."""

    kind: ChangeKind
    id: str
    before: Obligation | None
    after: Obligation | None

    @property
    def clause(self) -> str | None:
        side = self.after or self.before
        return side.clause if side is not None else None

    def text(self) -> str:
        if self.after is not None and self.before is None:
            return f"+ {self.after.title} ({self.after.clause})"
        if self.before is not None and self.after is None:
            return f"- {self.before.title} ({self.before.clause})"
        assert self.before is not None and self.after is not None
        return f"~ {self.before.title} -> {self.after.title} ({self.after.clause})"


@dataclass(frozen=True)
class Explanation:
    """A reason that decided a verdict: its stable code, the clause it cites, its text with the numbers."""

    code: str
    effect: str
    clause: str | None
    text: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class VerdictChange:
    """One action on one checkpoint under both policies."""

    action: str
    before: Outcome
    after: Outcome
    because_before: list[Explanation]
    because_after: list[Explanation]

    @property
    def changed(self) -> bool:
        return self.before != self.after

    __json_extra__ = ("changed",)
    """Its JSON document is its fields, then whether the outcome changes (``to_jsonable``)."""


@dataclass(frozen=True)
class Deadline:
    """A deadline that starts under the target policy."""

    id: str
    title: str
    due_at: datetime | None
    """When it falls due (None: the policy sets no date)."""
    clause: str | None
    subject: str
    """`workspace`, or the checkpoint it concerns (`MODEL@CHECKPOINT`)."""


@dataclass(frozen=True)
class CheckpointImpact:
    """What the migration changes for one checkpoint."""

    ref: str
    required_before: dict[str, str]
    required_after: dict[str, str]
    obligations: list[ObligationChange]
    verdicts: list[VerdictChange]
    deadlines: list[Deadline]

    @property
    def changed(self) -> bool:
        return bool(
            self.required_before != self.required_after
            or self.obligations
            or self.deadlines
            or any(v.changed for v in self.verdicts)
        )


@dataclass(frozen=True)
class StaleDecision:
    """A live decision signed or opened under the active policy, which the target does not carry over."""

    decision_id: int
    decision_type: str
    subject: str
    status: str
    signed_roles: list[str]
    roles_before: list[str]
    roles_after: list[str]
    """Roles the target's rule asks to sign (empty: the target has no rule for this decision type)."""
    missing_after: list[str]
    """Roles of the target's rule that no approving signature on record holds."""
    clause_after: str | None
    why: str


@dataclass(frozen=True)
class Impact:
    """Everything the migration from the active policy to ``to`` changes, computed without writing."""

    from_policy: PolicyRef
    to_policy: PolicyRef
    computed_at: datetime
    state_version: int
    """The audit log's size the impact was computed at (every change to the record appends to it)."""
    summary: list[str]
    """What the policy text changes, in a few sentences (``policy.rewrite``)."""
    obligations: list[ObligationChange]
    """Obligations of the workspace as a whole that appear, disappear or change."""
    checkpoints: list[CheckpointImpact]
    stale_decisions: list[StaleDecision]
    deadlines: list[Deadline]
    """Workspace deadlines that start (each checkpoint's own are under ``checkpoints``)."""
    digest: str = ""
    """Fingerprint of what the change does (see the module docstring)."""

    @property
    def verdict_changes(self) -> list[tuple[str, VerdictChange]]:
        return [(c.ref, v) for c in self.checkpoints for v in c.verdicts if v.changed]

    def headline(self) -> str:
        """One line: how many obligations, verdicts, sign-offs and deadlines change."""
        per = sum(len(c.obligations) for c in self.checkpoints)
        deadlines = len(self.deadlines) + sum(len(c.deadlines) for c in self.checkpoints)
        old, new = self.from_policy, self.to_policy
        return (
            f"{old.id} {old.version} -> {new.id} {new.version}: "
            f"{len(self.obligations)} workspace obligations and {per} checkpoint obligations change, "
            f"{len(self.verdict_changes)} verdicts change, {len(self.stale_decisions)} sign-offs go stale, "
            f"{deadlines} deadlines start"
        )

    def record(self) -> ImpactRecord:
        """What a proposal records of its impact: the digest, the state it was computed on, the headline and
        the changed verdicts (the full impact is recomputed on demand)."""
        return {
            "digest": self.digest,
            "state_version": self.state_version,
            "computed_at": self.computed_at.isoformat(),
            "from": self.from_policy.content_hash,
            "to": self.to_policy.content_hash,
            "headline": self.headline(),
            "verdicts": [f"{ref} {v.action}: {v.before} -> {v.after}" for ref, v in self.verdict_changes],
            "stale_decisions": [d.decision_id for d in self.stale_decisions],
        }


# -- computing -----------------------------------------------------------------------------------------------


@dataclass
class _Side:
    policy: Policy
    content_hash: str
    size: int
    now: datetime
    assessments: dict[str, Assessment]
    verdicts: dict[str, dict[str, Verdict]]
    decisions: dict[int, Any]


def policy_impact(workspace: Workspace, target: Policy) -> Impact:
    """The impact of moving ``workspace`` from its active policy to ``target`` (writes nothing)."""
    with workspace.reading() as ctx:
        return impact_in(ctx, target)


def impact_in(ctx: Context, target: Policy) -> Impact:
    """The impact of moving from the active policy to ``target``, in the caller's unit of work (its
    snapshot and time): what the approval check uses inside the signing transaction."""
    before = _side(ctx)
    after = _side(context_under(ctx, target))
    return _compare(before, after)


def _side(ctx: Context) -> _Side:
    """Every checkpoint assessed and gated, and every live decision's status, in one snapshot."""
    families = ctx.session.execute(select(ModelRow.family).distinct().order_by(ModelRow.family)).scalars()
    assessments = {a.ref: a for family in list(families) for a in assess_family(ctx, family)}
    verdicts: dict[str, dict[str, Verdict]] = {
        ref: {action: decide(a, action, ctx) for action in ACTIONS} for ref, a in assessments.items()
    }
    rows = ctx.session.execute(
        select(DecisionRow).where(DecisionRow.status.in_(("open", "approved"))).order_by(DecisionRow.id)
    ).scalars()
    decisions = {row.id: (row, status_of(ctx.workspace, ctx.session, row, active=ctx.active)) for row in rows}
    return _Side(
        ctx.policy,
        ctx.active.content_hash,
        log_size(ctx.session),
        ctx.now,
        assessments,
        verdicts,
        decisions,
    )


def _compare(before: _Side, after: _Side) -> Impact:
    now = before.now
    old, new = before.policy, after.policy
    checkpoints = [_checkpoint(ref, before, after) for ref in before.assessments if ref in after.assessments]
    impact = Impact(
        from_policy=PolicyRef(old.id, old.framework.version, before.content_hash),
        to_policy=PolicyRef(new.id, new.framework.version, after.content_hash),
        computed_at=now,
        state_version=before.size,
        summary=summarize_rewrite(old, new),
        obligations=_changes(_workspace_obligations(old), _workspace_obligations(new)),
        checkpoints=checkpoints,
        stale_decisions=_stale(before, after),
        deadlines=_workspace_deadlines(old, new, now),
    )
    return _fingerprinted(impact)


def _checkpoint(ref: str, before: _Side, after: _Side) -> CheckpointImpact:
    a, b = before.assessments[ref], after.assessments[ref]
    verdicts = [
        VerdictChange(
            action,
            before.verdicts[ref][action].outcome,
            after.verdicts[ref][action].outcome,
            _deciding(before.verdicts[ref][action]),
            _deciding(after.verdicts[ref][action]),
        )
        for action in ACTIONS
    ]
    return CheckpointImpact(
        ref=ref,
        required_before={k: v.level for k, v in a.requirements.levels.items()},
        required_after={k: v.level for k, v in b.requirements.levels.items()},
        obligations=_changes(
            _checkpoint_obligations(before.policy, a, before.verdicts[ref]),
            _checkpoint_obligations(after.policy, b, after.verdicts[ref]),
        ),
        verdicts=verdicts,
        deadlines=_trigger_deadlines(a, b),
    )


def _deciding(verdict: Verdict) -> list[Explanation]:
    """The reasons that decided a verdict: those that block or restrict it, or, for an allow, those that
    were satisfied (every reason of the tree, depth first)."""
    reasons = [r for top in verdict.reasons for r in top.walk()]
    wanted = ("blocks", "restricts") if verdict.outcome != "allow" else ("satisfied",)
    deciding = [_explain(r) for r in reasons if r.effect in wanted]
    return deciding or [_explain(r) for r in reasons]


def _explain(reason: Reason) -> Explanation:
    return Explanation(reason.code, reason.effect, reason.clause, reason.text, dict(reason.data))


# -- obligations ---------------------------------------------------------------------------------------------


def _changes(old: dict[str, Obligation], new: dict[str, Obligation]) -> list[ObligationChange]:
    """Obligations added, removed, or kept with other terms (a changed citation alone is no change)."""
    out = [ObligationChange("removed", k, old[k], None) for k in old if k not in new]
    out += [ObligationChange("added", k, None, new[k]) for k in new if k not in old]
    out += [
        ObligationChange("changed", k, old[k], new[k])
        for k in new
        if k in old and old[k].title != new[k].title
    ]
    return sorted(out, key=lambda c: (c.id, c.kind))


def _roles(roles: list[str]) -> str:
    return ", ".join(roles) if roles else "nobody"


def _workspace_obligations(policy: Policy) -> dict[str, Obligation]:
    """What the policy requires of the workspace as a whole."""
    out: dict[str, Obligation] = {}
    ob = policy.obligations
    for doc in ob.documents if ob else []:
        when = f"every {doc.cadence.max_months} months" if doc.cadence else "when called for"
        title = f"{doc.title} ({doc.strength}, {when}; approved by {_roles(doc.approver_roles)})"
        out[f"document:{doc.id}"] = Obligation(f"document:{doc.id}", title, doc.source.cite())
    for rev in ob.reviews if ob else []:
        title = f"review {rev.id} of {rev.reviews} ({rev.strength})"
        out[f"review:{rev.id}"] = Obligation(f"review:{rev.id}", title, rev.source.cite())
    for cad in policy.governance.cadences:
        title = f"{cad.title} every {cad.interval_months} months ({cad.responsible_role})"
        out[f"cadence:{cad.id}"] = Obligation(f"cadence:{cad.id}", title, cad.source.cite())
    for brief in policy.governance.briefings:
        every = f"every {brief.interval_months} months" if brief.interval_months else "regularly"
        key = f"briefing:{brief.role}"
        out[key] = Obligation(key, f"brief the {brief.role} {every}", brief.source.cite())
    for rule in policy.decisions:
        key = f"signoff:{rule.decision}"
        title = f"{rule.decision} signed by {_roles(rule.signoff_roles)}"
        out[key] = Obligation(key, title, rule.source.cite())
    notice = policy.government_notice
    if notice is not None:
        above = ", ".join(f"{r.kind} above {r.level}" for r in notice.when_required_exceeds)
        out["notice:government"] = Obligation(
            "notice:government", f"notify {notice.recipient} when {above} is required", notice.source.cite()
        )
    return out


def _checkpoint_obligations(
    policy: Policy, assessment: Assessment, verdicts: dict[str, Verdict]
) -> dict[str, Obligation]:
    """What the policy requires for one checkpoint: its required standards, and what its actions need."""
    out: dict[str, Obligation] = {}
    for kind, required in assessment.requirements.levels.items():
        key = f"standard:{kind}:{required.level}"
        why = ", ".join(required.because) or "baseline"
        out[key] = Obligation(
            key,
            f"{kind} {required.level} standard ({why})",
            "; ".join(dict.fromkeys(required.clauses)) or None,
        )
    for rule in policy.actions:
        for decision in rule.requires_decisions:
            found = policy.decision_rule(decision)
            key = f"decision:{decision}"
            roles = _roles(list(found.signoff_roles)) if found else "no sign-off rule"
            title = f"{decision} signed by {roles} before {_needing(policy, 'requires_decisions', decision)}"
            out[key] = Obligation(key, title, found.source.cite() if found else rule.source.cite())
        for obligation in rule.requires_obligations:
            key = f"document:{obligation}"
            title = f"{obligation} met before {_needing(policy, 'requires_obligations', obligation)}"
            out[key] = Obligation(key, title, rule.source.cite())
    for action, verdict in verdicts.items():
        for reason in (r for top in verdict.reasons for r in top.walk()):
            if reason.code.startswith("government_notice."):
                out["notice:government"] = Obligation("notice:government", "government notice", reason.clause)
            elif reason.code == "affirmative_case.missing" or (
                reason.code == "decision.complete" and reason.data.get("decision") == "affirmative_case"
            ):
                key = "decision:affirmative_case"
                out.setdefault(key, Obligation(key, f"affirmative case before {action}", reason.clause))
    return out


def _needing(policy: Policy, field_name: str, value: str) -> str:
    return ", ".join(a.action for a in policy.actions if value in getattr(a, field_name))


# -- sign-offs -----------------------------------------------------------------------------------------------


def _stale(before: _Side, after: _Side) -> list[StaleDecision]:
    """Live decisions that are current under the active policy and stale under the target. Decisions about
    the policy itself (`policy_change`) are left out: they are what the migration is, and its own proposal
    would otherwise change the impact recorded with it."""
    out = []
    for decision_id, (row, now_status) in before.decisions.items():
        if decision_id not in after.decisions or now_status.stale or row.decision_type == "policy_change":
            continue
        then = after.decisions[decision_id][1]
        if not then.stale:
            continue
        old_rule = before.policy.decision_rule(row.decision_type)
        new_rule = after.policy.decision_rule(row.decision_type)
        signed = sorted({s.role for s in now_status.signatures if s.approve})
        roles_after = list(new_rule.signoff_roles) if new_rule else []
        missing = [r for r in roles_after if r not in signed]
        if new_rule is None:
            why = f"{after.policy.id} has no sign-off rule for {row.decision_type} decisions"
        else:
            why = (
                f"signed under {before.policy.id} {before.policy.framework.version}; "
                f"{after.policy.id} asks {_roles(roles_after)} ({new_rule.source.cite()})"
                + (f", of whom {_roles(missing)} never signed" if missing else "")
            )
        out.append(
            StaleDecision(
                decision_id=decision_id,
                decision_type=row.decision_type,
                subject=row.subject,
                status=row.status,
                signed_roles=signed,
                roles_before=list(old_rule.signoff_roles) if old_rule else [],
                roles_after=roles_after,
                missing_after=missing,
                clause_after=new_rule.source.cite() if new_rule else None,
                why=why,
            )
        )
    return out


# -- deadlines -----------------------------------------------------------------------------------------------


def _workspace_deadlines(old: Policy, new: Policy, now: datetime) -> list[Deadline]:
    """Cadenced documents, recurring reviews and briefings that the target adds or shortens, due counted
    from now (as if the target were adopted now)."""
    out: list[Deadline] = []
    old_docs = {d.id: d for d in (old.obligations.documents if old.obligations else [])}
    for doc in new.obligations.documents if new.obligations else []:
        if doc.cadence is None or doc.strength != "binding":
            continue
        was = old_docs.get(doc.id)
        if was is not None and was.cadence is not None and was.cadence.max_months <= doc.cadence.max_months:
            continue
        out.append(
            Deadline(
                f"document:{doc.id}",
                f"first {doc.title} due ({doc.cadence.max_months} months after adoption)",
                add_months(now, doc.cadence.max_months),
                doc.cadence.source.cite(),
                "workspace",
            )
        )
    old_cadences = {c.id: c for c in old.governance.cadences}
    for cad in new.governance.cadences:
        was_cad = old_cadences.get(cad.id)
        if was_cad is not None and was_cad.interval_months <= cad.interval_months:
            continue
        out.append(
            Deadline(
                f"cadence:{cad.id}",
                f"{cad.title} due ({cad.interval_months} months)",
                add_months(now, cad.interval_months),
                cad.source.cite(),
                "workspace",
            )
        )
    old_briefings = {b.role: b for b in old.governance.briefings}
    for brief in new.governance.briefings:
        if brief.interval_months is None or brief.role in old_briefings:
            continue
        out.append(
            Deadline(
                f"briefing:{brief.role}",
                f"briefing of the {brief.role} due ({brief.interval_months} months)",
                add_months(now, brief.interval_months),
                brief.source.cite(),
                "workspace",
            )
        )
    return out


def _trigger_deadlines(before: Assessment, after: Assessment) -> list[Deadline]:
    """Assessments the target's triggers open for a checkpoint that the active policy's do not."""
    fired = {(t.trigger, t.deadline) for t in before.triggers if t.fired}
    return [
        Deadline(
            f"assessment:{t.trigger}",
            f"assessment due: {t.text}",
            t.deadline,
            t.deadline_clause or t.clause,
            after.ref,
        )
        for t in after.triggers
        if t.fired and (t.trigger, t.deadline) not in fired
    ]


# -- fingerprint ---------------------------------------------------------------------------------------------


def _fingerprinted(impact: Impact) -> Impact:
    """``impact`` with its digest: what changes, with the codes and clauses deciding it, without times."""

    def because(items: list[Explanation]) -> list[tuple[str, str | None]]:
        return sorted({(e.code, e.clause) for e in items}, key=lambda x: (x[0], x[1] or ""))

    content = {
        "from": impact.from_policy.content_hash,
        "to": impact.to_policy.content_hash,
        "obligations": [(c.kind, c.id, c.after.title if c.after else None) for c in impact.obligations],
        "checkpoints": [
            {
                "ref": c.ref,
                "required": [sorted(c.required_before.items()), sorted(c.required_after.items())],
                "obligations": [(o.kind, o.id, o.after.title if o.after else None) for o in c.obligations],
                "verdicts": [
                    (v.action, v.before, v.after, because(v.because_before), because(v.because_after))
                    for v in c.verdicts
                ],
                "deadlines": sorted(d.id for d in c.deadlines),
            }
            for c in impact.checkpoints
        ],
        "stale": [(d.decision_id, d.missing_after) for d in impact.stale_decisions],
        "deadlines": sorted(d.id for d in impact.deadlines),
    }
    return dataclasses.replace(impact, digest=digest(content))
