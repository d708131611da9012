"""Changing the policy itself: proposal with its diff, consultation, approval, publication, activation.

RSP v2.2 §7.1: changes are proposed by the CEO and the RSO, approved by the Board in consultation with the
LTBT, and the public version is updated before any change takes effect. scalegate follows the active policy's
``governance.change_control``:

1. ``propose``: a proposer role submits a new policy document with an effective date; it is stored as a
   `proposed` policy version, its diff against the active policy is computed, and a `policy_change` decision
   is opened bound to the proposal's content hash;
2. ``consult``: each consulted role (the LTBT) records its response; the approvers cannot sign before;
3. approval: the decision's sign-off roles sign (``decisions.sign``, or ``sign_change`` naming the change);
   this module's ``HOOKS`` refuse the approvers' signatures before consultation and carry the outcome over: a
   rejection rejects the proposal;
4. ``publish``: the approved text is published, strictly before the effective date when the policy says so;
5. ``activate``: on or after the effective date, the proposal becomes the active version and the old one is
   superseded. Every decision opened from then on records the new version; decisions opened under the old one
   become stale.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypedDict, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from scalegate.actor import Actor
from scalegate.audit.log import log_size
from scalegate.errors import ConflictError, InputError, NotFoundError, PermissionDenied
from scalegate.governance.decisions import open_decision, sign, status_of
from scalegate.governance.hooks import DecisionHooks
from scalegate.governance.permissions import require
from scalegate.governance.signing_keys import consultation_statement, sign_statement, unlock
from scalegate.policy import Policy, content_hash, diff_policies
from scalegate.store.models.audit import AuditEntryRow
from scalegate.store.models.governance import DecisionRow, PolicyChangeRow, PolicyConsultationRow
from scalegate.store.models.identity import UserRow
from scalegate.store.models.workspace import PolicyVersionRow

if TYPE_CHECKING:
    from scalegate.context import Context
    from scalegate.store.base import Base
    from scalegate.workspace import Workspace

__all__ = [
    "HOOKS",
    "IMPACT_EVENT",
    "ChangeView",
    "ConsultationView",
    "ImpactRecord",
    "activate",
    "check_ready_for_approval",
    "consult",
    "list_changes",
    "on_decision_closed",
    "propose",
    "publish",
    "record_impact",
    "recorded_impact",
    "show_change",
    "sign_change",
]


def _change(session: Session, change_id: int) -> PolicyChangeRow:
    row = session.get(PolicyChangeRow, change_id)
    if row is None:
        raise NotFoundError(f"no policy change {change_id}", where="policy_changes")
    return row


def _midnight(day: Any) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


ImpactRecord = TypedDict(
    "ImpactRecord",
    {
        "digest": str,
        "state_version": int,
        "computed_at": str,
        "from": str,
        "to": str,
        "headline": str,
        "verdicts": list[str],
        "stale_decisions": list[int],
    },
)
"""What a proposal records of its impact (``gate.impact.Impact.record()``): the digest, the log size and the
policies' content hashes it was computed on, the headline and the changed verdicts."""


def propose(
    workspace: Workspace,
    actor: Actor,
    new: Policy,
    *,
    effective_at: datetime | None = None,
    rationale: str = "",
    origin: str = "proposal",
    impact: ImpactRecord | None = None,
) -> ChangeView:
    """Propose ``new`` to replace the active policy from ``effective_at`` (default: its framework's effective
    date); opens the `policy_change` decision.

    ``impact`` is what the change does to the record (``gate.impact.Impact.record()``), recorded with the
    proposal so the approvers see it; it must have been computed on the state the proposal is made on (its
    ``state_version`` is the audit log's size then), else the proposal is refused and nothing is written."""
    digest = content_hash(new)
    with workspace.writing(actor) as ctx:
        session, active = ctx.session, ctx.active
        require(actor, "policy.propose", active.policy)
        if impact is not None:
            _check_impact(session, impact, active.content_hash, digest)
        if digest == active.content_hash:
            raise InputError("the proposed policy is identical to the active policy", where="policy")
        known = session.execute(
            select(PolicyVersionRow).where(PolicyVersionRow.content_hash == digest)
        ).scalar_one_or_none()
        if known is not None:
            raise ConflictError(f"this policy text is already known as version {known.id} ({known.status})")
        effective = effective_at or _midnight(new.framework.effective_date)
        now = workspace.now()
        cc = active.policy.governance.change_control
        if effective <= now:
            raise InputError(
                f"effective date {effective.isoformat()} is not after now ({now.isoformat()}): "
                f"{'it must be published first' if cc.publication_before_effect else 'pick a date'}",
                where="effective_at",
            )
        version = PolicyVersionRow(
            policy_id=new.id,
            version=new.framework.version,
            content_hash=digest,
            document=new.model_dump(mode="json"),
            origin=origin,
            status="proposed",
            created_at=now,
            activated_at=None,
            supersedes_id=active.version_id,
        )
        session.add(version)
        session.flush()
        changes = [c.to_dict() for c in diff_policies(active.policy, new)]
        decision = open_decision(
            workspace,
            session,
            actor,
            decision_type="policy_change",
            subject=f"policy-version:{version.id}",
            payload={
                "proposed_policy": new.id,
                "proposed_version": new.framework.version,
                "content_hash": digest,
                "base_version_id": active.version_id,
                "effective_at": effective.isoformat(),
                "rationale": rationale,
                "changes": len(changes),
                **({"impact_digest": impact["digest"]} if impact is not None else {}),
            },
            bound_state={"proposal": digest},
        )
        change = PolicyChangeRow(
            proposed_version_id=version.id,
            base_version_id=active.version_id,
            decision_id=decision.id,
            status="proposed",
            rationale=rationale,
            diff=changes,
            proposed_by=actor.label,
            proposed_at=now,
            effective_at=effective,
            approved_at=None,
            published_at=None,
            publication_url=None,
            activated_at=None,
        )
        session.add(change)
        session.flush()
        workspace.record(
            session,
            actor,
            "policy.change_proposed",
            f"policy-change:{change.id}",
            {
                "change_id": change.id,
                "decision_id": decision.id,
                "proposed_version_id": version.id,
                "content_hash": digest,
                "effective_at": effective.isoformat(),
                "changes": len(changes),
                **({"impact": impact} if impact is not None else {}),
            },
            rows=[version, change],
        )
        return _view(session, change)


def _check_impact(session: Session, impact: ImpactRecord, active_hash: str, proposed_hash: str) -> None:
    """Refuse an impact computed on another state, or between other policies, than the one at hand."""
    if (impact.get("from"), impact.get("to")) != (active_hash, proposed_hash):
        raise ConflictError("the impact was computed for other policies than this change; compute it again")
    if impact.get("state_version") != log_size(session):
        raise ConflictError(
            f"the record changed since the impact was computed (at log size {impact.get('state_version')}, "
            f"now {log_size(session)}); compute it again"
        )


IMPACT_EVENT = "policy.change_impact_recorded"
"""The event of an entry recording a policy change's impact again, after the record changed."""


def record_impact(workspace: Workspace, actor: Actor, change_id: int, impact: ImpactRecord) -> ChangeView:
    """Record ``impact`` (``Impact.record()``) as the current impact of a proposed change, for the approvers;
    computed on the state it is recorded on (else ``ConflictError``, nothing written)."""
    with workspace.writing(actor) as ctx:
        session, active = ctx.session, ctx.active
        require(actor, "policy.propose", active.policy)
        change = _change(session, change_id)
        if change.status != "proposed":
            raise ConflictError(
                f"policy change {change_id} is {change.status}; its impact is recorded before approval"
            )
        version = session.get(PolicyVersionRow, change.proposed_version_id)
        assert version is not None
        _check_impact(session, impact, active.content_hash, version.content_hash)
        workspace.record(
            session,
            actor,
            IMPACT_EVENT,
            f"policy-change:{change.id}",
            {"change_id": change.id, "impact": impact},
        )
        return _view(session, change)


def recorded_impact(session: Session, change_id: int) -> ImpactRecord | None:
    """The impact last recorded for a change (with its proposal or after), read from the audit log's entry
    bodies; None when none was."""
    bodies = session.execute(
        select(AuditEntryRow.body)
        .where(
            AuditEntryRow.subject == f"policy-change:{change_id}",
            AuditEntryRow.event.in_(("policy.change_proposed", IMPACT_EVENT)),
        )
        .order_by(AuditEntryRow.seq.desc())
    ).scalars()
    for body in bodies:
        found = json.loads(body)["data"].get("impact")
        if isinstance(found, dict):
            # Written by ``propose`` or ``record_impact`` of this module, after ``_check_impact``.
            return cast(ImpactRecord, found)
    return None


def consult(
    workspace: Workspace,
    actor: Actor,
    change_id: int,
    response: str,
    *,
    password: str,
    role: str | None = None,
) -> ChangeView:
    """Record a consulted role's response to a proposal (before the approvers sign).

    The response acknowledges the notice of the proposal, so it is signed like a sign-off: the consultee's
    ``password`` opens their signing key, which signs the change id, role, response digest and time."""
    if not response.strip():
        raise InputError("a consultation needs a response", where="response")
    with workspace.writing(actor) as ctx:
        session, policy = ctx.session, ctx.policy
        require(actor, "policy.consult", policy)
        change = _change(session, change_id)
        consulted = set(policy.governance.change_control.consulted_roles)
        mine = sorted(consulted & actor.roles) if role is None else [role]
        if not mine or mine[0] not in consulted or mine[0] not in actor.roles:
            raise PermissionDenied(
                f"{actor.label} holds none of the consulted roles ({', '.join(sorted(consulted))})"
            )
        if len(mine) > 1:
            raise InputError(
                f"{actor.label} holds several consulted roles; name the one acting", where="role"
            )
        if change.status != "proposed":
            raise ConflictError(
                f"policy change {change_id} is {change.status}; consultation happens before approval"
            )
        user = session.get(UserRow, actor.user_id) if actor.user_id is not None else None
        if user is None or not user.active:
            raise PermissionDenied(
                f"{actor.label} is not an active workspace user and cannot sign a response"
            )
        key, private = unlock(session, user, password)
        now = workspace.now()
        signed = sign_statement(
            private,
            key.key_id,
            consultation_statement(
                change_id=change.id,
                role=mine[0],
                response=response,
                signer=user.name,
                user_id=user.id,
                key_id=key.key_id,
                at=now,
            ),
        )
        row = PolicyConsultationRow(
            change_id=change.id,
            role=mine[0],
            consultee=user.name,
            response=response,
            consulted_at=now,
            key_id=key.key_id,
            signature=signed.signature,
        )
        session.add(row)
        session.flush()
        workspace.record(
            session,
            actor,
            "policy.change_consulted",
            f"policy-change:{change.id}",
            {"change_id": change.id, "role": mine[0], "signature": signed.to_entry()},
            rows=[row],
        )
        return _view(session, change)


def check_ready_for_approval(ctx: Context, decision: DecisionRow) -> None:
    """Refuse approval of a policy change until every consulted role has responded (the ``on_ready`` hook)."""
    session, policy = ctx.session, ctx.policy
    change = session.execute(
        select(PolicyChangeRow).where(PolicyChangeRow.decision_id == decision.id)
    ).scalar_one_or_none()
    if change is None:
        return
    done = set(
        session.execute(
            select(PolicyConsultationRow.role).where(PolicyConsultationRow.change_id == change.id)
        ).scalars()
    )
    missing = [r for r in policy.governance.change_control.consulted_roles if r not in done]
    if missing:
        raise ConflictError(
            f"policy change {change.id} cannot be approved before {', '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} consulted "
            f"({policy.governance.change_control.source.cite()})"
        )


def on_decision_closed(ctx: Context, decision: DecisionRow) -> list[Base]:
    """Carry the approval or rejection of a `policy_change` decision over to the change (the ``on_closed``
    hook); returns the rows changed, which the signature's audit entry records."""
    session = ctx.session
    change = session.execute(
        select(PolicyChangeRow).where(PolicyChangeRow.decision_id == decision.id)
    ).scalar_one_or_none()
    if change is None:
        return []
    if decision.status == "approved":
        change.status, change.approved_at = "approved", ctx.now
        return [change]
    version = session.get(PolicyVersionRow, change.proposed_version_id)
    assert version is not None
    change.status, version.status = "rejected", "rejected"
    return [change, version]


HOOKS = DecisionHooks("policy_change", on_ready=check_ready_for_approval, on_closed=on_decision_closed)
"""How a policy change's sign-off reaches the change itself; installed by ``scalegate.wiring``."""


def sign_change(
    workspace: Workspace,
    actor: Actor,
    change_id: int,
    *,
    password: str,
    role: str | None = None,
    approve: bool = True,
    justification: str | None = None,
) -> ChangeView:
    """Sign a change's decision (``decisions.sign``) and return the change. Without ``role``, the actor signs
    in the first change-control role they hold, approvers before proposers: approvers approve, proposers
    co-sign.

    The change and the role are read in one reading context; ``sign`` then checks the signature against the
    policy its own write transaction sees, so a policy activated in between cannot slip a role through."""
    with workspace.reading() as ctx:
        require(actor, "policy.read", ctx.policy)
        decision_id = _change(ctx.session, change_id).decision_id
        if role is None:
            cc = ctx.policy.governance.change_control
            mine = [r for r in [*cc.approver_roles, *cc.proposer_roles] if r in actor.roles]
            if not mine:
                raise InputError(
                    f"{actor.label} holds no approving or proposing role of change control; name a role",
                    where="role",
                )
            role = mine[0]
    sign(workspace, actor, decision_id, role, password=password, approve=approve, justification=justification)
    return show_change(workspace, actor, change_id)


def publish(workspace: Workspace, actor: Actor, change_id: int, *, url: str | None = None) -> ChangeView:
    """Record publication of an approved change; before its effective date when the policy requires it."""
    with workspace.writing(actor) as ctx:
        session, policy = ctx.session, ctx.policy
        require(actor, "policy.publish", policy)
        change = _change(session, change_id)
        if change.status != "approved":
            raise ConflictError(
                f"policy change {change_id} is {change.status}; only an approved change is published"
            )
        now = workspace.now()
        cc = policy.governance.change_control
        if cc.publication_before_effect and now >= change.effective_at:
            raise ConflictError(
                f"policy change {change_id} takes effect {change.effective_at.isoformat()}; it must "
                f"be published before that ({cc.source.cite()}): propose it again with a later date"
            )
        change.status, change.published_at, change.publication_url = "published", now, url
        workspace.record(
            session,
            actor,
            "policy.change_published",
            f"policy-change:{change.id}",
            {"change_id": change.id, "url": url},
            rows=[change],
        )
        return _view(session, change)


def activate(workspace: Workspace, actor: Actor, change_id: int) -> ChangeView:
    """Make the proposal the active policy on or after its effective date."""
    with workspace.writing(actor) as ctx:
        session, active = ctx.session, ctx.active
        policy = active.policy
        require(actor, "policy.activate", policy)
        change = _change(session, change_id)
        _check_activatable(workspace, policy, change, active.version_id)
        decision = session.get(DecisionRow, change.decision_id)
        assert decision is not None
        status = status_of(workspace, session, decision)
        if not status.approved:
            raise ConflictError(
                f"policy change {change_id} is not approved (missing {', '.join(status.missing_roles)})"
            )
        if not status.notified:
            raise ConflictError(
                f"policy change {change_id}: {', '.join(status.missing_notifications)} must be "
                "notified before it takes effect"
            )
        now = workspace.now()
        old = session.get(PolicyVersionRow, active.version_id)
        new = session.get(PolicyVersionRow, change.proposed_version_id)
        assert old is not None and new is not None
        old.status = "superseded"
        session.flush()
        new.status, new.activated_at, new.supersedes_id = "active", now, old.id
        change.status, change.activated_at = "active", now
        workspace.record(
            session,
            actor,
            "policy.activated",
            f"policy:{new.policy_id}",
            {
                "change_id": change.id,
                "policy_version_id": new.id,
                "content_hash": new.content_hash,
                "superseded_version_id": old.id,
            },
            rows=[old, new, change],
        )
        view = _view(session, change)
    workspace.forget_policy()
    return view


def _check_activatable(workspace: Workspace, policy: Policy, change: PolicyChangeRow, active_id: int) -> None:
    needs_publication = policy.governance.change_control.publication_before_effect
    ready = {"published"} if needs_publication else {"approved", "published"}
    if change.status not in ready:
        what = "approved and published" if needs_publication else "approved"
        raise ConflictError(f"policy change {change.id} is {change.status}; it must be {what} first")
    if change.base_version_id != active_id:
        raise ConflictError(
            f"policy change {change.id} was proposed against version {change.base_version_id}, "
            f"but version {active_id} is active now: propose it again"
        )
    if workspace.now() < change.effective_at:
        raise ConflictError(
            f"policy change {change.id} takes effect {change.effective_at.isoformat()}, not before"
        )


@dataclass(frozen=True)
class ConsultationView:
    """A consulted role's response to a change."""

    role: str
    consultee: str
    response: str
    consulted_at: datetime


@dataclass(frozen=True)
class ChangeView:
    """A policy change as the doors show it: the proposed version, where it stands, its diff and
    consultations."""

    id: int
    status: str
    decision_id: int
    proposed_version_id: int
    base_version_id: int
    policy_id: str
    version: str
    content_hash: str
    rationale: str
    proposed_by: str
    proposed_at: datetime
    effective_at: datetime
    approved_at: datetime | None
    published_at: datetime | None
    publication_url: str | None
    activated_at: datetime | None
    diff: list[Any]
    """The changes against the base version (``PolicyDiff`` documents, as stored)."""
    consultations: list[ConsultationView]
    impact: ImpactRecord | None = None
    """What the change does to the record, as last recorded (``gate.impact``); None when none was."""


def _view(session: Session, change: PolicyChangeRow) -> ChangeView:
    version = session.get(PolicyVersionRow, change.proposed_version_id)
    assert version is not None
    consultations = session.execute(
        select(PolicyConsultationRow)
        .where(PolicyConsultationRow.change_id == change.id)
        .order_by(PolicyConsultationRow.id)
    ).scalars()
    return ChangeView(
        id=change.id,
        status=change.status,
        decision_id=change.decision_id,
        proposed_version_id=change.proposed_version_id,
        base_version_id=change.base_version_id,
        policy_id=version.policy_id,
        version=version.version,
        content_hash=version.content_hash,
        rationale=change.rationale,
        proposed_by=change.proposed_by,
        proposed_at=change.proposed_at,
        effective_at=change.effective_at,
        approved_at=change.approved_at,
        published_at=change.published_at,
        publication_url=change.publication_url,
        activated_at=change.activated_at,
        diff=change.diff,
        consultations=[
            ConsultationView(c.role, c.consultee, c.response, c.consulted_at) for c in consultations
        ],
        impact=recorded_impact(session, change.id),
    )


def list_changes(workspace: Workspace, actor: Actor) -> list[ChangeView]:
    """Every policy change, newest first."""
    with workspace.reading() as ctx:
        require(actor, "policy.read", ctx.policy)
        session = ctx.session
        rows = session.execute(select(PolicyChangeRow).order_by(PolicyChangeRow.id.desc())).scalars()
        return [_view(session, c) for c in rows]


def show_change(workspace: Workspace, actor: Actor, change_id: int) -> ChangeView:
    """One policy change with its diff and consultations."""
    with workspace.reading() as ctx:
        require(actor, "policy.read", ctx.policy)
        return _view(ctx.session, _change(ctx.session, change_id))
