"""Human decisions and their sign-offs, bound to the state they approve.

A decision (a capability determination, a safeguards determination, interim measures, a policy change...) is
opened with ``bound_state``: SHA-256 digests of exactly what is being decided on (findings, evidence set,
report), to which the active policy's content hash is always added. Each sign-off copies those digests. When
the gate later asks ``decision_status`` with the digests of the current state, any difference makes the
decision stale: its sign-offs no longer count, and a new decision must be opened and signed.

Who signs comes from the policy's ``DecisionRule`` for the decision type. Separation of duties:

- whoever opened (submitted) a decision may not sign it in an approving role;
- one person signs at most one role of a decision, so a decision needing two roles needs two people.

For a policy change the approving roles are the change-control approvers (the Board); the proposers' own roles
(CEO, RSO) sign as co-proposers, as RSP v2.2 §7.1 has it ("proposed by the CEO and the RSO and approved by the
Board"). For every other decision type every sign-off role approves.

The engine knows nothing of what a decision sets off. The domain that does registers it as a hook
(``governance.hooks``): a policy change is checked before approval and carried over to its change when closed;
an approved capability determination completes its checkpoint's assessment. ``sign`` runs those hooks in the
signature's own transaction, so every door signs through this one function.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, get_args

from sqlalchemy import select
from sqlalchemy.orm import Session

from scalegate.actor import Actor
from scalegate.errors import ConflictError, InputError, NotFoundError, PermissionDenied
from scalegate.governance.hooks import installed
from scalegate.governance.permissions import require
from scalegate.governance.signing_keys import sign_statement, signoff_statement, unlock
from scalegate.governance.users import user_roles
from scalegate.policy import Policy
from scalegate.policy.implied import implied_decision_rules
from scalegate.policy.rules import DecisionRule, DecisionType, Notification
from scalegate.store.models.governance import DecisionRow, NotificationRow, SignatureRow
from scalegate.store.models.identity import UserRow

if TYPE_CHECKING:
    from scalegate.context import ActivePolicy, Context
    from scalegate.store.base import Base
    from scalegate.workspace import Workspace

__all__ = [
    "DECISION_TYPES",
    "DecisionStatus",
    "NotificationView",
    "SignatureView",
    "StateOf",
    "approving_roles",
    "before_proceeding",
    "consulted_roles",
    "decision_rule",
    "decision_status",
    "get_decision",
    "list_decisions",
    "notices_due",
    "open_decision",
    "show_decision",
    "sign",
    "stale_keys",
    "status_of",
]

DECISION_TYPES: tuple[str, ...] = get_args(DecisionType)
_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_KEY = re.compile(r"^[a-z][a-z0-9_\-]{0,49}$")


# -- the policy behind a decision ----------------------------------------------------------------------------


def decision_rule(policy: Policy, decision_type: str) -> DecisionRule | None:
    """The sign-off rule of a decision type: the policy's own, or one implied by its change control, interim
    measures or obligations (``scalegate.policy.implied``) when the policy states those but no explicit
    rule."""
    rule = policy.decision_rule(decision_type)
    if rule is not None:
        return rule
    if decision_type == "policy_change":
        cc = policy.governance.change_control
        notify = [
            Notification(role=r, timing="before_proceeding", source=cc.source) for r in cc.consulted_roles
        ]
        return DecisionRule(
            decision="policy_change", signoff_roles=list(cc.approver_roles), notify=notify, source=cc.source
        )
    if decision_type == "interim_measures" and policy.interim_measures is not None:
        im = policy.interim_measures
        return DecisionRule(
            decision="interim_measures",
            signoff_roles=list(im.approver_roles),
            notify=list(im.notify),
            source=im.source,
        )

    return next((r for r in implied_decision_rules(policy) if r.decision == decision_type), None)


def approving_roles(policy: Policy, rule: DecisionRule) -> set[str]:
    """Roles whose signature approves (rather than co-proposes): the submitter may not sign these."""
    if rule.decision == "policy_change":
        approvers = set(rule.signoff_roles) & set(policy.governance.change_control.approver_roles)
        if approvers:
            return approvers
    return set(rule.signoff_roles)


def consulted_roles(policy: Policy, decision_type: str) -> set[str]:
    """Roles consulted before approval (told while the decision is still open): the LTBT on policy changes."""
    return (
        set(policy.governance.change_control.consulted_roles) if decision_type == "policy_change" else set()
    )


# -- opening -------------------------------------------------------------------------------------------------


def _check_bound_state(bound_state: dict[str, str]) -> None:
    for key, value in bound_state.items():
        if not isinstance(key, str) or not _KEY.match(key):
            raise InputError(f"bound_state key {key!r} must be a short lowercase name", where="bound_state")
        if not isinstance(value, str) or not _DIGEST.match(value):
            raise InputError(
                f"bound_state[{key!r}] must be a SHA-256 hex digest, got {value!r}", where="bound_state"
            )


def open_decision(
    workspace: Workspace,
    session: Session,
    actor: Actor,
    *,
    decision_type: str,
    subject: str,
    payload: dict[str, Any],
    bound_state: dict[str, str],
) -> DecisionRow:
    """Open a decision awaiting sign-off, in the caller's transaction; earlier open decisions of the same type
    and subject are superseded. Records who, when and the active policy version."""
    if decision_type not in DECISION_TYPES:
        raise InputError(
            f"unknown decision type {decision_type!r}; one of {', '.join(DECISION_TYPES)}",
            where="decision_type",
        )
    if not subject.strip():
        raise InputError("a decision needs a subject", where="subject")
    active = workspace.active_in(session)
    # Opening a policy change is proposing it: the proposers of change control may, and only they.
    require(actor, "policy.propose" if decision_type == "policy_change" else "decision.open", active.policy)
    rule = decision_rule(active.policy, decision_type)
    if rule is None:
        raise InputError(
            f"policy {active.policy.id} has no sign-off rule for {decision_type} decisions", where="decisions"
        )
    _check_bound_state(bound_state)
    if bound_state.get("policy", active.content_hash) != active.content_hash:
        raise ConflictError(
            f"bound_state names policy {bound_state['policy'][:12]}, but the active policy is "
            f"{active.content_hash[:12]}"
        )
    now = workspace.now()
    superseded = _supersede(session, decision_type, subject, now)
    row = DecisionRow(
        decision_type=decision_type,
        subject=subject,
        payload=payload,
        bound_state={**bound_state, "policy": active.content_hash},
        policy_version_id=active.version_id,
        policy_hash=active.content_hash,
        status="open",
        opened_by=actor.label,
        opened_by_user_id=actor.user_id,
        created_at=now,
        closed_at=None,
    )
    session.add(row)
    session.flush()
    workspace.record(
        session,
        actor,
        "decision.opened",
        f"decision:{row.id}",
        {
            "decision_id": row.id,
            "decision_type": decision_type,
            "subject": subject,
            "bound_state": row.bound_state,
            "policy_version_id": active.version_id,
            "signoff_roles": list(rule.signoff_roles),
            "superseded": [d.id for d in superseded],
        },
        rows=[row, *superseded],
    )
    return row


def _supersede(session: Session, decision_type: str, subject: str, now: datetime) -> list[DecisionRow]:
    stmt = select(DecisionRow).where(
        DecisionRow.decision_type == decision_type,
        DecisionRow.subject == subject,
        DecisionRow.status == "open",
    )
    rows = list(session.execute(stmt).scalars())
    for row in rows:
        row.status, row.closed_at = "superseded", now
    return rows


# -- signing -------------------------------------------------------------------------------------------------


def get_decision(session: Session, decision_id: int) -> DecisionRow:
    """A decision by id; ``NotFoundError`` otherwise."""
    row = session.get(DecisionRow, decision_id)
    if row is None:
        raise NotFoundError(f"no decision {decision_id}", where="decisions")
    return row


def _signatures(session: Session, decision_id: int) -> list[SignatureRow]:
    stmt = select(SignatureRow).where(SignatureRow.decision_id == decision_id).order_by(SignatureRow.id)
    return list(session.execute(stmt).scalars())


def _signer(session: Session, actor: Actor, role: str) -> UserRow:
    user = session.get(UserRow, actor.user_id) if actor.user_id is not None else None
    if user is None or not user.active:
        raise PermissionDenied(f"{actor.label} is not an active workspace user and cannot sign")
    if role not in actor.roles or role not in user_roles(session, user.id):
        raise PermissionDenied(f"{actor.label} does not hold role {role!r}")
    return user


def sign(
    workspace: Workspace,
    actor: Actor,
    decision_id: int,
    role: str,
    *,
    password: str,
    approve: bool = True,
    justification: str | None = None,
) -> SignatureRow:
    """Sign (approve or reject) a decision in one role; audit-logged in the same transaction.

    The signer's ``password`` opens their approved signing key (``governance.signing_keys``), which signs the
    sign-off's statement: decision, role, verdict, justification, the digest of the bound state, the policy
    hash and the time. Refused when the password is wrong or the signer has no approved key.

    This is the one way to sign, whatever the door. What a decision type's own domain adds runs through its
    installed hooks (``governance.hooks``), in this transaction: an ``on_ready`` check may refuse an approving
    signature (a policy change before its consultation), and when this signature closes the decision the
    ``on_closed`` handlers carry the outcome over (the policy change is approved or rejected; an approved
    capability determination completes its checkpoint's assessment). A handler that fails rolls the signature
    back with it. Refused with ``InternalError`` when no hooks were installed.
    """
    if not approve and not (justification and justification.strip()):
        raise InputError("a rejection needs a justification", where="justification")
    hooks = installed()
    with workspace.writing(actor) as ctx:
        session, active = ctx.session, ctx.active
        policy = active.policy
        require(actor, "decision.sign", policy)
        decision = get_decision(session, decision_id)
        rule = decision_rule(policy, decision.decision_type)
        if rule is None:
            raise ConflictError(
                f"policy {policy.id} has no sign-off rule for {decision.decision_type} decisions"
            )
        if role not in rule.signoff_roles:
            raise InputError(
                f"role {role!r} does not sign {decision.decision_type} decisions; roles that sign: "
                f"{', '.join(rule.signoff_roles)}",
                where="role",
            )
        user = _signer(session, actor, role)
        _check_signable(decision, active.content_hash)
        signatures = _signatures(session, decision.id)
        _check_duties(policy, rule, decision, user, role, signatures)
        approving = role in approving_roles(policy, rule)
        if decision.decision_type == "policy_change" and approving:
            require(actor, "policy.approve", policy)
        if approve and approving:
            for check in hooks.ready_checks(decision.decision_type):
                check(ctx, decision)
        key, private = unlock(session, user, password)
        signed = sign_statement(
            private,
            key.key_id,
            signoff_statement(
                decision_id=decision.id,
                decision_type=decision.decision_type,
                subject=decision.subject,
                role=role,
                approve=approve,
                justification=justification,
                bound_state=decision.bound_state,
                policy_hash=decision.policy_hash,
                signer=user.name,
                user_id=user.id,
                key_id=key.key_id,
                at=ctx.now,
            ),
        )
        signature = SignatureRow(
            decision_id=decision.id,
            role=role,
            user_id=user.id,
            signer=user.name,
            approve=approve,
            justification=justification,
            bound_state=dict(decision.bound_state),
            policy_version_id=active.version_id,
            signed_at=ctx.now,
            key_id=key.key_id,
            signature=signed.signature,
        )
        session.add(signature)
        extra: list[Base] = []
        if _close_if_complete(decision, rule, [*signatures, signature], ctx.now):
            for handler in hooks.closed_handlers(decision.decision_type):
                extra.extend(handler(ctx, decision))
        ctx.record(
            "decision.signed",
            f"decision:{decision.id}",
            {
                "decision_id": decision.id,
                "role": role,
                "approve": approve,
                "bound_state": decision.bound_state,
                "decision_status": decision.status,
                "signature": signed.to_entry(),
            },
            rows=[signature, decision, *extra],
        )
        return signature


def _check_signable(decision: DecisionRow, active_hash: str) -> None:
    if decision.status != "open":
        raise ConflictError(f"decision {decision.id} is {decision.status}; it can no longer be signed")
    if decision.policy_hash != active_hash:
        raise ConflictError(
            f"decision {decision.id} was opened under another policy version "
            f"({decision.policy_hash[:12]}); open a new decision under the active policy"
        )


def _check_duties(
    policy: Policy,
    rule: DecisionRule,
    decision: DecisionRow,
    user: UserRow,
    role: str,
    signatures: list[SignatureRow],
) -> None:
    if any(s.role == role for s in signatures):
        raise ConflictError(f"role {role!r} has already signed decision {decision.id}")
    mine = [s.role for s in signatures if s.user_id == user.id]
    if mine:
        raise ConflictError(
            f"separation of duties: {user.name} already signed decision {decision.id} as "
            f"{mine[0]}; each role needs a different person"
        )
    if decision.opened_by_user_id == user.id and role in approving_roles(policy, rule):
        raise ConflictError(
            f"separation of duties: {user.name} submitted decision {decision.id} and may not "
            f"approve it as {role}"
        )


def _close_if_complete(
    decision: DecisionRow, rule: DecisionRule, signatures: list[SignatureRow], now: datetime
) -> bool:
    """Close the decision when a signature rejects it or every role has approved; whether it closed."""
    if any(not s.approve for s in signatures):
        decision.status = "rejected"
    elif {s.role for s in signatures} >= set(rule.signoff_roles):
        decision.status = "approved"
    else:
        return False
    decision.closed_at = now
    return True


# -- status --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureView:
    """One sign-off on a decision, as the doors show it."""

    role: str
    signer: str
    approve: bool
    justification: str | None
    signed_at: datetime
    bound_state: dict[str, str]


@dataclass(frozen=True)
class NotificationView:
    """One notice sent about a decision, as the doors show it."""

    id: int
    role: str | None
    timing: str | None
    channel: str
    status: str
    recipients: list[str]
    sent_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True, kw_only=True)
class DecisionStatus:
    """Where a decision stands for the gate: signed, stale, notified.

    Its fields, in this order, are the decision document the CLI and the API print (``to_jsonable``)."""

    decision_id: int
    decision_type: str
    subject: str
    status: str = "open"
    payload: dict[str, Any]
    approved: bool
    """Every required role signed to approve, and nobody rejected."""
    missing_roles: list[str]
    rejected_by: list[str]
    stale: bool
    """A bound digest differs from the current state, or the policy changed: the sign-offs no longer count."""
    stale_keys: list[str]
    notified: bool
    """Every `before_proceeding` notification of the rule was delivered."""
    missing_notifications: list[str]
    signatures: list[SignatureView]
    notifications: list[NotificationView] = field(default_factory=list)
    created_at: datetime
    signed_at: datetime | None
    """When the last required signature landed (approved decisions only)."""
    policy_version_id: int | None = None
    bound_state: dict[str, str] = field(default_factory=dict)
    opened_by: str = ""


def decision_status(
    workspace: Workspace,
    session: Session,
    decision_type: str,
    subject: str,
    current_state: dict[str, str],
    *,
    active: ActivePolicy | None = None,
) -> DecisionStatus | None:
    """The latest decision of a type about a subject, judged against the current state; None if none.
    ``active``: the policy the caller's context already holds (read through ``session`` otherwise)."""
    stmt = (
        select(DecisionRow)
        .where(DecisionRow.decision_type == decision_type, DecisionRow.subject == subject)
        .order_by(DecisionRow.id.desc())
        .limit(1)
    )
    row = session.execute(stmt).scalar_one_or_none()
    return None if row is None else status_of(workspace, session, row, current_state, active=active)


def status_of(
    workspace: Workspace,
    session: Session,
    row: DecisionRow,
    current_state: dict[str, str] | None = None,
    *,
    active: ActivePolicy | None = None,
) -> DecisionStatus:
    """The status of one decision (``current_state`` None: judged against the policy only). ``active``: the
    policy of the caller's context, which must be the one ``session`` sees (read through it otherwise)."""
    if active is None:
        active = workspace.active_in(session)
    rule = decision_rule(active.policy, row.decision_type)
    required = list(rule.signoff_roles) if rule else []
    signatures = _signatures(session, row.id)
    approving = {s.role: s for s in signatures if s.approve}
    rejected = [s.signer for s in signatures if not s.approve]
    missing = [r for r in required if r not in approving]
    approved = rule is not None and not missing and not rejected and row.status != "superseded"
    changed = stale_keys(row.bound_state, {**(current_state or {}), "policy": active.content_hash})
    sent = _notifications(session, row.id)
    missing_notes = notices_due(rule, sent)
    signed_at = max((approving[r].signed_at for r in required), default=None) if approved else None
    return DecisionStatus(
        decision_id=row.id,
        decision_type=row.decision_type,
        subject=row.subject,
        payload=dict(row.payload),
        approved=approved,
        missing_roles=missing,
        rejected_by=rejected,
        stale=bool(changed),
        stale_keys=changed,
        notified=not missing_notes,
        missing_notifications=missing_notes,
        signatures=[_signature_view(s) for s in signatures],
        created_at=row.created_at,
        signed_at=signed_at,
        status=row.status,
        policy_version_id=row.policy_version_id,
        bound_state=dict(row.bound_state),
        opened_by=row.opened_by,
        notifications=[_notification_view(n) for n in sent],
    )


def stale_keys(bound: Mapping[str, str], current: Mapping[str, str]) -> list[str]:
    """The digests a decision was bound to that differ from the current state, sorted; the decision is stale
    exactly when there is one.

    The one definition of staleness: every decision document (``decision list``/``show``, the API, the
    dashboard, the reports) and the gate's ``decision.stale`` read it through ``status_of``. A key the current
    state does not name (judged against the policy only) is not a change."""
    return sorted(k for k, v in bound.items() if k in current and current[k] != v)


def before_proceeding(rule: DecisionRule | None) -> list[Notification]:
    """The notices a decision of ``rule`` must have delivered before the model proceeds, in policy order."""
    return [n for n in (rule.notify if rule else []) if n.timing == "before_proceeding"]


def notices_due(rule: DecisionRule | None, sent: Iterable[NotificationRow | NotificationView]) -> list[str]:
    """The roles still owed a notice before proceeding: each ``before_proceeding`` role of ``rule`` with no
    delivered notice among ``sent`` (all of them when nothing was sent), in policy order.

    The one answer to "which notices are due": a decision's ``missing_notifications`` (the CLI, the API, the
    dashboard's model and Sign-offs pages, the Capability and Safeguards Reports) and the gate's
    ``decision.unnotified`` reasons all come from here, so no window owes a notice another has delivered."""
    delivered = {n.role for n in sent if n.status == "delivered"}
    return [n.role for n in before_proceeding(rule) if n.role not in delivered]


def _notifications(session: Session, decision_id: int) -> list[NotificationRow]:
    stmt = (
        select(NotificationRow).where(NotificationRow.decision_id == decision_id).order_by(NotificationRow.id)
    )
    return list(session.execute(stmt).scalars())


def _signature_view(s: SignatureRow) -> SignatureView:
    return SignatureView(
        role=s.role,
        signer=s.signer,
        approve=s.approve,
        justification=s.justification,
        signed_at=s.signed_at,
        bound_state=s.bound_state,
    )


def _notification_view(n: NotificationRow) -> NotificationView:
    return NotificationView(
        id=n.id,
        role=n.role,
        timing=n.timing,
        channel=n.channel,
        status=n.status,
        recipients=n.recipients,
        sent_at=n.sent_at,
        delivered_at=n.delivered_at,
    )


# -- reading (doors) -----------------------------------------------------------------------------------------


StateOf = Callable[["Context", DecisionRow], "dict[str, str] | None"]
"""The current state a decision is judged against (the digests the gate would bind now), or None to judge it
against the policy only. The engine's is ``scalegate.assessment.standing.current_state``; it lives above this
floor because it assesses checkpoints and standards."""


def list_decisions(
    workspace: Workspace,
    actor: Actor,
    *,
    decision_type: str | None = None,
    subject: str | None = None,
    status: str | None = None,
    state_of: StateOf | None = None,
) -> list[DecisionStatus]:
    """Decisions, newest first, with their sign-off state, judged against ``state_of`` (the doors pass the
    engine's, so a decision the gate treats as stale is shown stale; without it, the policy only)."""
    stmt = select(DecisionRow).order_by(DecisionRow.id.desc())
    if decision_type:
        stmt = stmt.where(DecisionRow.decision_type == decision_type)
    if subject:
        stmt = stmt.where(DecisionRow.subject == subject)
    if status:
        stmt = stmt.where(DecisionRow.status == status)
    with workspace.reading() as ctx:
        require(actor, "decision.read", ctx.policy)
        rows = list(ctx.session.execute(stmt).scalars())
        return [
            status_of(
                workspace, ctx.session, row, state_of(ctx, row) if state_of else None, active=ctx.active
            )
            for row in rows
        ]


def show_decision(
    workspace: Workspace, actor: Actor, decision_id: int, *, state_of: StateOf | None = None
) -> DecisionStatus:
    """One decision with its signatures and notifications, judged against ``state_of`` as in
    ``list_decisions``."""
    with workspace.reading() as ctx:
        require(actor, "decision.read", ctx.policy)
        row = get_decision(ctx.session, decision_id)
        return status_of(
            workspace, ctx.session, row, state_of(ctx, row) if state_of else None, active=ctx.active
        )
