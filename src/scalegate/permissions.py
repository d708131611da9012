"""Who may do what: one permission per action, each rule with a reason and where it came from.

Two layers make up the matrix. ``PERMISSION_RULES`` are scalegate's defaults, written in the role vocabulary
of the default policy (RSO, CEO, board, LTBT, evaluator...). On top of them, ``rules_for(policy)`` derives
rules from the active policy itself: whoever the policy names as proposer of changes may propose, whoever
signs a decision type may sign, whoever receives noncompliance reports may handle them. A framework with other
roles (OpenAI's SAG and leadership) therefore works without code changes, and every grant can be traced to a
clause.

Pseudo-roles, never granted by a policy:

- ``anyone``: every actor, including an anonymous reporter and an unknown CLI user;
- ``member``: any stored, active workspace user;
- ``system``: scalegate acting on its own (scheduled activation of a policy change, compliance checks);
- ``admin``: user and role management only; it grants no say in any policy decision.

An API token narrows an actor further: ``Actor.scopes`` lists the action patterns (``decision.*``,
``gate.read``) the token may be used for.

The matrix sits below every domain (next to the workspace), so that each service checks its own writes:
registering checkpoints, refitting a scaling law and ingesting evidence are checked in the registry and
evidence services, not in a door, and the CLI, the SDK, the API and the dashboard all get the same answer.
``scalegate.governance.permissions`` re-exports it for the governance domain.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Literal, get_args

from scalegate.actor import Actor
from scalegate.context import ActivePolicy
from scalegate.errors import PermissionDenied

if TYPE_CHECKING:
    from scalegate.policy import Policy

__all__ = [
    "ACTIONS",
    "ADMIN_ROLE",
    "PERMISSIONS",
    "PERMISSION_RULES",
    "PSEUDO_ROLES",
    "Action",
    "PermissionRule",
    "actor_roles",
    "allowed",
    "require",
    "roles_for",
    "rules_for",
    "scope_allows",
]

Action = Literal[
    "policy.read",
    "policy.propose",
    "policy.consult",
    "policy.approve",
    "policy.publish",
    "policy.activate",
    "registry.read",
    "registry.write",
    "evidence.read",
    "evidence.ingest",
    "assessment.read",
    "assessment.run",
    "assessment.request",
    "safeguards.read",
    "safeguards.record",
    "safeguards.approve",
    "decision.read",
    "decision.open",
    "decision.sign",
    "notification.send",
    "gate.read",
    "noncompliance.report",
    "noncompliance.read",
    "noncompliance.handle",
    "noncompliance.summary",
    "noncompliance.disclose",
    "compliance.read",
    "compliance.record",
    "audit.read",
    "audit.verify",
    "audit.checkpoint",
    "report.read",
    "report.generate",
    "report.export",
    "users.read",
    "users.admin",
    "tokens.create",
]
"""Every action scalegate checks; a door or a domain calls ``require(actor, action, policy)`` first."""

ACTIONS: tuple[Action, ...] = get_args(Action)

ADMIN_ROLE = "admin"
"""User management only (users, roles, signing-key approval): grants no say in any policy decision."""

PSEUDO_ROLES = frozenset({"anyone", "member", "system", ADMIN_ROLE})
"""Roles scalegate itself defines (see the module docstring)."""

DEFAULT = "scalegate default"
RSP = "Anthropic RSP v2.2"


@dataclass(frozen=True)
class PermissionRule:
    """Roles granted an action, why, and where the grant comes from (a policy clause or scalegate)."""

    action: Action
    roles: frozenset[str]
    """Serialised as a sorted list (``to_jsonable``)."""
    reason: str
    source: str


def _rule(action: Action, roles: str, reason: str, source: str = DEFAULT) -> PermissionRule:
    return PermissionRule(action, frozenset(roles.split()), reason, source)


_READERS = "rso ceo board ltbt evaluator safeguards_owner security external_reviewer auditor"
_OVERSIGHT = "rso ceo board ltbt auditor external_reviewer"

PERMISSION_RULES: dict[Action, PermissionRule] = {
    rule.action: rule
    for rule in (
        _rule(
            "policy.read",
            "anyone",
            "the policy is a public commitment; reading it needs no role",
            f"{RSP} §7.2",
        ),
        _rule("policy.propose", "rso ceo", "changes are proposed by the CEO and the RSO", f"{RSP} §7.1"),
        _rule("policy.consult", "ltbt", "the LTBT is consulted on policy changes", f"{RSP} §7.1"),
        _rule("policy.approve", "board", "the Board approves policy changes", f"{RSP} §7.1"),
        _rule(
            "policy.publish",
            "rso",
            "the public version is updated before a change takes effect",
            f"{RSP} §7.1",
        ),
        _rule("policy.activate", "rso system", "an approved, published change takes effect on its date"),
        _rule("registry.read", _READERS, "people with a part in assessments read what was assessed"),
        _rule("registry.write", "evaluator rso", "evaluators register the checkpoints they assess"),
        _rule("evidence.read", _READERS, "people with a part in assessments read the evidence"),
        _rule(
            "evidence.ingest", "evaluator", "the frontier red team runs the evaluations and ingests results"
        ),
        _rule("assessment.read", _READERS, "people with a part in assessments read findings"),
        _rule("assessment.run", "evaluator rso system", "evaluators and the RSO compute findings"),
        _rule(
            "assessment.request",
            "rso",
            "the RSO may call for an assessment at their discretion",
            f"{RSP} §3.1",
        ),
        _rule("safeguards.read", _READERS, "people with a part in assessments read safeguards status"),
        _rule(
            "safeguards.record",
            "safeguards_owner security",
            "owners record how each safeguard is implemented",
        ),
        _rule(
            "safeguards.approve",
            "rso ceo",
            "the CEO and RSO determine whether safeguards are met",
            f"{RSP} §4.3",
        ),
        _rule("decision.read", _READERS, "decisions are read by those who sign, are told, or review them"),
        _rule(
            "decision.open",
            "rso ceo evaluator safeguards_owner system",
            "reports are escalated for a determination by those who draft them or decide on them",
            f"{RSP} §3.3",
        ),
        _rule(
            "decision.sign",
            "rso ceo board",
            "named roles sign determinations and policy changes",
            f"{RSP} §3.3",
        ),
        _rule(
            "notification.send",
            "rso ceo system",
            "the CEO and RSO share determinations before proceeding",
            f"{RSP} §3.3",
        ),
        _rule(
            "gate.read",
            "anyone",
            "pipelines ask the gate before they proceed; without credentials only the outcome the public "
            "summary publishes, not the reasons",
        ),
        _rule("noncompliance.report", "anyone", "any member of staff may report, anonymously", f"{RSP} §7.1"),
        _rule(
            "noncompliance.read",
            "rso board",
            "reports go to the RSO, or to the Board when about the RSO",
            f"{RSP} §7.1",
        ),
        _rule(
            "noncompliance.handle",
            "rso board",
            "the recipient investigates and resolves reports",
            f"{RSP} §7.1",
        ),
        _rule(
            "noncompliance.summary",
            "rso",
            "minimal-risk cases reach the Board in quarterly summaries",
            f"{RSP} §7.1",
        ),
        _rule(
            "noncompliance.disclose",
            "anyone",
            "aggregate counts carry no detail and may be published",
            f"{RSP} §7.2",
        ),
        _rule("compliance.read", _READERS, "the compliance calendar is shared with everyone accountable"),
        _rule(
            "compliance.record",
            "rso security safeguards_owner",
            "those responsible record reviews and drills",
        ),
        _rule("audit.read", _OVERSIGHT, "oversight bodies and reviewers read the record"),
        _rule(
            "audit.verify",
            f"{_OVERSIGHT} system",
            "anyone with oversight may prove the record was not altered",
        ),
        _rule(
            "audit.checkpoint",
            "rso auditor system",
            "checkpoints are signed by the RSO's team or the auditor",
        ),
        _rule("report.read", _READERS, "reports are read by those with a part in the decision"),
        _rule(
            "report.generate",
            "rso evaluator safeguards_owner system",
            "report drafters generate reports (and scalegate itself, for scheduled and demo reports)",
            f"{RSP} §3.3",
        ),
        _rule(
            "report.export",
            "rso auditor external_reviewer",
            "reviewers receive export bundles",
            f"{RSP} §7.2",
        ),
        _rule("users.read", "admin rso auditor", "who holds which role is itself a governance record"),
        _rule("users.admin", "admin", "user management is kept apart from every policy role"),
        _rule(
            "tokens.create",
            "member",
            "every user may create API tokens for themselves, narrower than they are",
        ),
    )
}
"""scalegate's default matrix, one rule per action."""

PERMISSIONS: dict[Action, set[str]] = {action: set(rule.roles) for action, rule in PERMISSION_RULES.items()}
"""The default matrix as plain role sets (policy-derived rules come on top: see ``rules_for``)."""

assert set(PERMISSION_RULES) == set(ACTIONS), "every action needs a default rule"


def rules_for(policy: Policy | None) -> dict[Action, list[PermissionRule]]:
    """The default rules plus those the policy implies, per action.

    The defaults are modelled on RSP v2.2 and cite it. Under a policy encoding another document (RSP v1.0,
    another framework) that citation is not the policy's own: such a default then says it is scalegate's,
    naming the clause it follows, rather than passing a v2.2 clause off as one of the policy's."""
    table: dict[Action, list[PermissionRule]] = {
        a: [_as_default(PERMISSION_RULES[a], policy)] for a in ACTIONS
    }
    if policy is not None:
        for rule in _policy_rules(policy):
            table[rule.action].append(rule)
    return table


def _as_default(rule: PermissionRule, policy: Policy | None) -> PermissionRule:
    """``rule`` with a source that does not cite another document as the policy's (see ``rules_for``)."""
    if policy is None or not rule.source.startswith(RSP):
        return rule
    if policy.governance.change_control.source.document == RSP:
        return rule
    return PermissionRule(rule.action, rule.roles, rule.reason, f"{DEFAULT} (after {rule.source})")


def _policy_rules(policy: Policy) -> list[PermissionRule]:
    cc = policy.governance.change_control
    nc = policy.governance.noncompliance
    cite = cc.source.cite()
    out = [
        PermissionRule("policy.propose", frozenset(cc.proposer_roles), "named as proposers of changes", cite),
        PermissionRule(
            "policy.publish", frozenset(cc.proposer_roles), "proposers publish the approved text", cite
        ),
        PermissionRule(
            "policy.activate", frozenset(cc.proposer_roles), "proposers bring the change into effect", cite
        ),
        PermissionRule("policy.approve", frozenset(cc.approver_roles), "named as approvers of changes", cite),
        PermissionRule("policy.consult", frozenset(cc.consulted_roles), "consulted on changes", cite),
    ]
    # deferred: the policy schema (pydantic, ~85 modules, ~0.25 s); importing the matrix does not load it
    # (``evidence ingest`` checks a permission without reading a policy document)
    from scalegate.policy.implied import implied_decision_rules

    for rule in [*policy.decisions, *implied_decision_rules(policy)]:
        signers, told = frozenset(rule.signoff_roles), frozenset(n.role for n in rule.notify)
        where = rule.source.cite()
        out += [
            PermissionRule("decision.sign", signers, f"sign the {rule.decision} decision", where),
            PermissionRule(
                "decision.read", signers | told, f"sign or are told of the {rule.decision}", where
            ),
            PermissionRule(
                "notification.send", signers, f"share the {rule.decision} before proceeding", where
            ),
        ]
        if rule.decision != "policy_change":
            out.append(
                PermissionRule("decision.open", signers, f"make the {rule.decision} determination", where)
            )
        if rule.decision == "safeguards_determination":
            out.append(
                PermissionRule("safeguards.approve", signers, "determine whether safeguards are met", where)
            )
    if policy.interim_measures:
        im = policy.interim_measures
        out.append(
            PermissionRule(
                "decision.sign", frozenset(im.approver_roles), "approve interim measures", im.source.cite()
            )
        )
    if policy.triggers.discretionary:
        d = policy.triggers.discretionary
        out.append(
            PermissionRule(
                "assessment.request", frozenset(d.roles), "may call for an assessment", d.source.cite()
            )
        )
    handlers = {nc.recipient_role, *(r.route_to for r in nc.routing)}
    if nc.material_risk_notify_role:
        handlers.add(nc.material_risk_notify_role)
    out += [
        PermissionRule(
            "noncompliance.read", frozenset(handlers), "receive noncompliance reports", nc.source.cite()
        ),
        PermissionRule(
            "noncompliance.handle", frozenset(handlers), "handle noncompliance reports", nc.source.cite()
        ),
        PermissionRule(
            "noncompliance.summary",
            frozenset({nc.recipient_role}),
            "summarise minimal-risk cases",
            nc.source.cite(),
        ),
    ]
    for cadence in policy.governance.cadences:
        role = frozenset({cadence.responsible_role})
        out += [
            PermissionRule("compliance.record", role, f"responsible for {cadence.id}", cadence.source.cite()),
            PermissionRule("compliance.read", role, f"responsible for {cadence.id}", cadence.source.cite()),
        ]
    return [r for r in out if r.roles]


POLICY_ACTIONS: frozenset[Action] = frozenset(
    {
        "policy.propose",
        "policy.publish",
        "policy.activate",
        "policy.approve",
        "policy.consult",
        "decision.sign",
        "decision.read",
        "decision.open",
        "notification.send",
        "safeguards.approve",
        "assessment.request",
        "noncompliance.read",
        "noncompliance.handle",
        "noncompliance.summary",
        "compliance.record",
        "compliance.read",
    }
)
"""The actions a policy can grant beyond the defaults (those ``_policy_rules`` writes; a test reads them from
its source). Checking any other action never reads the policy."""


def _policy_for(action: Action, policy: Policy | ActivePolicy | None) -> Policy | None:
    """The policy whose rules decide ``action``: none for an action no policy can grant, so that a check of
    one given the ``ActivePolicy`` (``ctx.active``) never builds the policy's model."""
    if policy is None or action not in POLICY_ACTIONS:
        return None
    return policy.policy if isinstance(policy, ActivePolicy) else policy


def roles_for(action: Action, policy: Policy | ActivePolicy | None = None) -> frozenset[str]:
    """Every role (and pseudo-role) allowed ``action``."""
    if action not in PERMISSION_RULES:
        raise PermissionDenied(f"unknown action {action!r}")
    return frozenset().union(*(rule.roles for rule in rules_for(_policy_for(action, policy))[action]))


def actor_roles(actor: Actor) -> frozenset[str]:
    """The actor's roles plus the pseudo-roles that apply to it."""
    extra = {"anyone"}
    if actor.kind == "system":
        extra.add("system")
    if actor.kind == "user" and actor.user_id is not None:
        extra.add("member")
    return actor.roles | extra


def scope_allows(scopes: frozenset[str] | None, action: str) -> bool:
    """Whether a token's scopes (action patterns) cover ``action``; no scopes means no token, so no limit."""
    return scopes is None or any(fnmatchcase(action, pattern) for pattern in scopes)


def allowed(actor: Actor, action: Action, policy: Policy | ActivePolicy | None = None) -> bool:
    """Whether ``actor`` may perform ``action`` (pass the active policy for policy-derived roles: its
    ``ActivePolicy`` builds the policy's model only for an action the policy can grant)."""
    return scope_allows(actor.scopes, action) and bool(actor_roles(actor) & roles_for(action, policy))


def require(actor: Actor, action: Action, policy: Policy | ActivePolicy | None = None) -> None:
    """Raise ``PermissionDenied`` naming the actor, the action and the roles that may perform it."""
    if allowed(actor, action, policy):
        return
    may = ", ".join(sorted(roles_for(action, policy)))
    if not scope_allows(actor.scopes, action):
        raise PermissionDenied(f"{actor.label} may not {action}: the API token's scopes do not include it")
    held = ", ".join(sorted(actor.roles)) or "no roles"
    raise PermissionDenied(f"{actor.label} ({held}) may not {action}; roles that may: {may}")
