"""Sealed audit entries: what the log records about a noncompliance report that concerns a role is shown only
to the roles the policy names for it.

RSP v2.2 §7.1 routes a report about the Responsible Scaling Officer to the Board instead of the RSO
(``governance.noncompliance.routing`` of the policy). The report itself is hidden from the RSO by
``scalegate.governance.noncompliance``; the audit log would otherwise still tell the RSO when such a report
arrived, who handled it and how far it has come. So every entry about such a report (received, each step,
each notice) carries a seal in its data::

    "seal": {"open_to": ["board", ...], "closed_to": "rso", "nonce": "<128 random bits, hex>"}

``open_to`` starts with the role the report was routed to, followed by the role told of material risk when
the report posed it. A reader may open the entry when they hold a role in ``open_to`` and either do not hold
``closed_to`` or hold the routed-to role itself (the rule of ``noncompliance._visible``). Anyone else sees the
sealed view: the entry's place in the log and its leaf hash. The leaf hash commits to the whole body, and the
nonce makes it hiding (without it, the few possible bodies of a low-entropy entry could be hashed and
compared). ``audit verify`` replays the full bodies, so the chain, the row digests and the seal itself stay
verified: a seal removed or altered by SQL changes the leaf hash.

The seal is fixed when the entry is written, from the policy then in force, so a later policy change does
not reopen what was sealed.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypedDict

from sqlalchemy import select

from scalegate.actor import Actor
from scalegate.audit.entries import Entry
from scalegate.store.models.governance import NoncomplianceReportRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from scalegate.policy import Policy

__all__ = ["Seal", "hidden_subjects", "may_open", "reader_view", "report_seal"]


def _open_to(policy: Policy, routed_to: str, material_risk: bool) -> list[str]:
    roles = [routed_to]
    escalation = policy.governance.noncompliance.material_risk_notify_role
    if material_risk and escalation is not None and escalation not in roles:
        roles.append(escalation)
    return roles


def _concerns_routed_role(policy: Policy, concerning_role: str | None) -> bool:
    """Whether a routing rule of the policy moved reports about this role away from their holder."""
    rules = policy.governance.noncompliance.routing
    return concerning_role is not None and any(r.concerning_role == concerning_role for r in rules)


class Seal(TypedDict):
    """What an entry's seal records: the roles that may open it (the first of them even when it holds the
    role the report concerns), the role it is closed to, and a nonce so equal bodies hash differently."""

    open_to: list[str]
    closed_to: str | None
    nonce: str


def report_seal(policy: Policy, row: NoncomplianceReportRow) -> Seal | None:
    """The seal for an entry about report ``row``; None when the report concerns no routed-away role."""
    if not _concerns_routed_role(policy, row.concerning_role):
        return None
    return {
        "open_to": _open_to(policy, row.routed_to, row.material_risk),
        "closed_to": row.concerning_role,
        "nonce": secrets.token_hex(16),
    }


def may_open(seal: dict[str, Any], roles: Iterable[str]) -> bool:
    """Whether a holder of ``roles`` may read an entry sealed with ``seal``."""
    held = set(roles)
    open_to = [str(r) for r in seal.get("open_to", [])]
    if not open_to or not held & set(open_to):
        return False
    return seal.get("closed_to") not in held or open_to[0] in held


def reader_view(entry: Entry, actor: Actor) -> Entry:
    """The entry as ``actor`` may see it: whole, or sealed."""
    seal = entry.seal
    if seal is None or may_open(seal, actor.roles):
        return entry
    return entry.sealed_view()


def hidden_subjects(session: Session, policy: Policy, actor: Actor) -> list[str]:
    """Subjects (``noncompliance:ID``) of the sealed reports ``actor`` may not open, for filters to skip."""
    routed = {r.concerning_role for r in policy.governance.noncompliance.routing}
    if not routed:
        return []
    rows = session.execute(
        select(NoncomplianceReportRow).where(NoncomplianceReportRow.concerning_role.in_(routed))
    ).scalars()
    hidden = []
    for row in rows:
        seal = {
            "open_to": _open_to(policy, row.routed_to, row.material_risk),
            "closed_to": row.concerning_role,
        }
        if not may_open(seal, actor.roles):
            hidden.append(f"noncompliance:{row.id}")
    return hidden
