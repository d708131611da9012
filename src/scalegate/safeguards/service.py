"""Safeguards: implementation records and evidence per criterion, and whether a standard is met.

A standard (kind, level) is met only when (RSP v2.2 §4, Appendix B):
* the policy publishes its criteria (ASL-4 criteria are not published, so ASL-4 can never be met yet);
* every criterion of it and of every lower level of its kind (standards are cumulative) has approved,
  unexpired evidence;
* the safeguards determination for that standard is signed by the roles the policy names, is not stale (its
  bound evidence set is unchanged) and was signed within the re-approval interval (12 months in RSP v2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NotRequired, TypedDict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scalegate.calendar_types import CalendarItem
from scalegate.canonical import digest
from scalegate.context import Context, reading
from scalegate.errors import ConflictError, InputError, NotFoundError
from scalegate.evidence.blobs import put_bytes
from scalegate.governance.calendar import deadline_item
from scalegate.governance.decisions import decision_status, open_decision
from scalegate.governance.hooks import CalendarSource
from scalegate.governance.permissions import require
from scalegate.inputs import MAX_DOCUMENT, BoundsError, read_regular
from scalegate.jsonable import JsonObject, to_jsonable
from scalegate.months import add_months
from scalegate.policy import Policy
from scalegate.policy.standards import SafeguardLevel
from scalegate.store.models.safeguards import SafeguardEvidenceRow, SafeguardImplementationRow

if TYPE_CHECKING:
    from scalegate.actor import Actor
    from scalegate.workspace import Workspace

__all__ = [
    "CALENDAR",
    "CriterionStatus",
    "CriterionStatusDocument",
    "Evidence",
    "EvidencePage",
    "SafeguardsDetermination",
    "StandardStatus",
    "StandardStatusDocument",
    "add_evidence",
    "calendar_items",
    "criteria_of",
    "evidence_page",
    "evidence_set_digest",
    "list_evidence",
    "propose_safeguards_determination",
    "record_implementation",
    "review_evidence",
    "standard_report",
    "standard_status",
    "standard_subject",
    "standards_matrix",
]

ImplementationStatus = Literal["planned", "in_progress", "implemented"]
EvidenceKind = Literal["document", "link", "test_result"]


class SafeguardsDetermination(TypedDict):
    """The safeguards determination of a standard as a standard's status carries it: the decision document
    (``DecisionStatus``'s fields as JSON) and, once signed under a re-approval interval, when it falls due."""

    decision_id: int
    decision_type: str
    subject: str
    status: str
    payload: JsonObject
    approved: bool
    missing_roles: list[str]
    rejected_by: list[str]
    stale: bool
    stale_keys: list[str]
    notified: bool
    missing_notifications: list[str]
    signatures: list[JsonObject]
    notifications: list[JsonObject]
    created_at: str
    signed_at: str | None
    policy_version_id: int | None
    bound_state: dict[str, str]
    opened_by: str
    reapproval_due: NotRequired[str]


class CriterionStatusDocument(TypedDict):
    """A ``CriterionStatus`` as JSON, its fields in declaration order."""

    criterion_id: str
    level: str
    title: str
    met: bool
    reason: str
    clause: str
    owner: str | None
    implementation: str | None
    evidence_ids: list[int]
    expires_at: str | None


class StandardStatusDocument(TypedDict):
    """A ``StandardStatus`` as JSON: whether the standard is met, every criterion, the gaps' ids, the reasons,
    the evidence digest, the determination and how long the status holds."""

    kind: str
    level: str
    met: bool
    criteria: list[CriterionStatusDocument]
    gaps: list[str]
    reasons: list[dict[str, str]]
    evidence_digest: str
    determination: SafeguardsDetermination | None
    valid_until: str | None


@dataclass(frozen=True)
class CriterionStatus:
    """Whether one criterion has approved, unexpired evidence."""

    criterion_id: str
    level: str
    title: str
    met: bool
    reason: str
    clause: str
    owner: str | None = None
    implementation: str | None = None
    evidence_ids: list[int] = field(default_factory=list)
    expires_at: datetime | None = None

    def to_dict(self) -> CriterionStatusDocument:
        return {
            "criterion_id": self.criterion_id,
            "level": self.level,
            "title": self.title,
            "met": self.met,
            "reason": self.reason,
            "clause": self.clause,
            "owner": self.owner,
            "implementation": self.implementation,
            "evidence_ids": self.evidence_ids,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
        }


@dataclass(frozen=True)
class StandardStatus:
    """Whether a standard (kind, level, cumulative) is met, with its gaps."""

    kind: str
    level: str
    met: bool
    criteria: list[CriterionStatus]
    reasons: list[dict[str, str]]
    evidence_digest: str
    determination: SafeguardsDetermination | None
    valid_until: datetime | None
    """Earliest time at which this status could change by itself (an expiry or a re-approval falling due)."""

    @property
    def gaps(self) -> list[CriterionStatus]:
        return [c for c in self.criteria if not c.met]

    def to_dict(self) -> StandardStatusDocument:
        return {
            "kind": self.kind,
            "level": self.level,
            "met": self.met,
            "criteria": [c.to_dict() for c in self.criteria],
            "gaps": [c.criterion_id for c in self.gaps],
            "reasons": self.reasons,
            "evidence_digest": self.evidence_digest,
            "determination": self.determination,
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
        }


def standard_subject(kind: str, level: str) -> str:
    """The decision subject of a safeguards determination for a standard."""
    return f"standard:{kind}:{level}"


def standard_level(policy: Policy, kind: str, level: str) -> SafeguardLevel:
    """The (kind, level) safeguard standard of ``policy``; an unknown one is ``NotFoundError`` naming the
    policy, for the reports and cases that a user asks for by kind and level."""
    try:
        return policy.level(kind, level)
    except KeyError:
        raise NotFoundError(f"policy {policy.id} has no {kind} level {level!r}", where="standard") from None


def criteria_of(policy: Policy, kind: str, level: str) -> list[tuple[str, Any]]:
    """(level id, criterion) pairs of a standard, including every lower level of its kind when cumulative."""
    target = policy.level(kind, level)
    levels = (
        [lv for lv in policy.levels_of(kind) if lv.rank <= target.rank]
        if policy.safeguards.cumulative
        else [target]
    )
    return [(lv.id, c) for lv in levels for c in lv.criteria]


def _criterion(policy: Policy, criterion_id: str) -> tuple[str, str, Any]:
    for lv in policy.safeguards.levels:
        for c in lv.criteria:
            if c.id == criterion_id:
                return lv.kind, lv.id, c
    raise NotFoundError(f"no safeguard criterion {criterion_id!r} in policy {policy.id}")


def record_implementation(
    workspace: Workspace,
    actor: Actor,
    criterion_id: str,
    *,
    owner: str,
    status: ImplementationStatus,
    description: str = "",
) -> SafeguardImplementationRow:
    """Create or update the implementation record of a criterion."""
    with workspace.writing(actor) as ctx:
        require(actor, "safeguards.record", ctx.policy)
        _criterion(ctx.policy, criterion_id)
        session = ctx.session
        row = session.execute(
            select(SafeguardImplementationRow).where(SafeguardImplementationRow.criterion_id == criterion_id)
        ).scalar_one_or_none()
        if row is None:
            row = SafeguardImplementationRow(criterion_id=criterion_id)
            session.add(row)
        row.owner, row.status, row.description = owner, status, description
        row.updated_at, row.updated_by = workspace.now(), actor.label
        session.flush()
        workspace.record(
            session,
            actor,
            "safeguards.implementation",
            f"criterion:{criterion_id}",
            {"owner": owner, "status": status},
            rows=[row],
        )
    return row


def add_evidence(
    workspace: Workspace,
    actor: Actor,
    criterion_id: str,
    *,
    title: str,
    kind: EvidenceKind,
    path: Path | None = None,
    uri: str | None = None,
    result: dict[str, Any] | None = None,
    expires_at: datetime | None = None,
) -> SafeguardEvidenceRow:
    """Submit evidence for a criterion (a document stored by hash, a link, a test result) to await review."""
    with workspace.writing(actor) as ctx:
        require(actor, "safeguards.record", ctx.policy)
        _criterion(ctx.policy, criterion_id)
        if kind == "document" and path is None:
            raise InputError("document evidence needs a file", where=f"criterion {criterion_id}")
        if kind == "link" and not uri:
            raise InputError("link evidence needs a URI", where=f"criterion {criterion_id}")
        if kind == "test_result" and result is None:
            raise InputError("test-result evidence needs a result", where=f"criterion {criterion_id}")
        data = None
        if path is not None:
            try:
                data = read_regular(Path(path), MAX_DOCUMENT)
            except (OSError, BoundsError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) else str(exc)
                raise InputError(f"cannot read evidence file: {reason}", where=str(path)) from exc
        if expires_at is not None and expires_at <= workspace.now():
            raise InputError(
                f"expiry {expires_at.isoformat()} is already past", where=f"criterion {criterion_id}"
            )
        session = ctx.session
        sha = put_bytes(session, data, workspace.now()) if data is not None else None
        row = SafeguardEvidenceRow(
            criterion_id=criterion_id,
            kind=kind,
            title=title,
            sha256=sha,
            uri=uri,
            result=result,
            submitted_by=actor.label,
            submitted_at=workspace.now(),
            expires_at=expires_at,
            status="pending",
        )
        session.add(row)
        session.flush()
        workspace.record(
            session,
            actor,
            "safeguards.evidence_added",
            f"criterion:{criterion_id}",
            {"evidence_id": row.id, "sha256": sha, "kind": kind},
            rows=[row],
        )
    return row


def review_evidence(
    workspace: Workspace, actor: Actor, evidence_id: int, *, approve: bool, note: str | None = None
) -> SafeguardEvidenceRow:
    """Approve or reject submitted evidence. Nobody approves what they submitted."""
    with workspace.writing(actor) as ctx:
        require(actor, "safeguards.approve", ctx.policy)
        session = ctx.session
        row = session.get(SafeguardEvidenceRow, evidence_id)
        if row is None:
            raise NotFoundError(f"no safeguard evidence {evidence_id}")
        if row.status != "pending":
            raise ConflictError(f"safeguard evidence {evidence_id} is already {row.status}")
        if row.submitted_by == actor.label:
            raise ConflictError(
                f"{actor.name} submitted evidence {evidence_id} and cannot review it (separation of duties)"
            )
        row.status = "approved" if approve else "rejected"
        row.reviewed_by, row.reviewed_at, row.review_note = actor.label, workspace.now(), note
        session.flush()
        workspace.record(
            session,
            actor,
            f"safeguards.evidence_{row.status}",
            f"criterion:{row.criterion_id}",
            {"evidence_id": row.id},
            rows=[row],
        )
    return row


@dataclass(frozen=True)
class Evidence:
    """One piece of safeguard evidence as submitted and reviewed: what a listing shows."""

    id: int
    criterion_id: str
    kind: str
    title: str
    sha256: str | None
    uri: str | None
    result: dict[str, Any] | None
    submitted_by: str
    submitted_at: datetime
    expires_at: datetime | None
    status: str
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_note: str | None

    @classmethod
    def of(cls, row: SafeguardEvidenceRow) -> Evidence:
        """The record of a stored row."""
        return cls(
            id=row.id,
            criterion_id=row.criterion_id,
            kind=row.kind,
            title=row.title,
            sha256=row.sha256,
            uri=row.uri,
            result=row.result,
            submitted_by=row.submitted_by,
            submitted_at=row.submitted_at,
            expires_at=row.expires_at,
            status=row.status,
            reviewed_by=row.reviewed_by,
            reviewed_at=row.reviewed_at,
            review_note=row.review_note,
        )


def list_evidence(
    workspace: Workspace,
    *,
    status: Literal["pending", "approved", "rejected"] | None = None,
    criterion: str | None = None,
    newest_first: bool = True,
) -> list[Evidence]:
    """Submitted safeguard evidence, optionally only that with ``status`` (``pending``: what awaits review) or
    for one criterion. Every door lists it the same way; permission to read is the caller's check."""
    order = SafeguardEvidenceRow.id.desc() if newest_first else SafeguardEvidenceRow.id
    query = select(SafeguardEvidenceRow).order_by(order)
    if status:
        query = query.where(SafeguardEvidenceRow.status == status)
    if criterion:
        query = query.where(SafeguardEvidenceRow.criterion_id == criterion)
    with workspace.read() as session:
        return [Evidence.of(row) for row in session.execute(query).scalars()]


@dataclass(frozen=True)
class EvidencePage:
    """A page of safeguard evidence in the list's order: how many match (``total``), and ``next_from``, the
    id that reads the next page (``past=``), None on the last."""

    evidence: list[Evidence]
    total: int
    next_from: int | None


def evidence_page(
    workspace: Workspace,
    *,
    status: Literal["pending", "approved", "rejected"] | None = None,
    criterion: str | None = None,
    newest_first: bool = True,
    limit: int = 50,
    past: int | None = None,
) -> EvidencePage:
    """Like ``list_evidence``, one page at a time: at most ``limit`` items after the one with id ``past`` in
    the list's order (keyset paging, so every page costs the same and none reads the whole list)."""
    where = []
    if status:
        where.append(SafeguardEvidenceRow.status == status)
    if criterion:
        where.append(SafeguardEvidenceRow.criterion_id == criterion)
    query = select(SafeguardEvidenceRow).where(*where)
    query = query.order_by(SafeguardEvidenceRow.id.desc() if newest_first else SafeguardEvidenceRow.id)
    if past is not None:
        query = query.where(
            SafeguardEvidenceRow.id < past if newest_first else SafeguardEvidenceRow.id > past
        )
    with workspace.read() as session:
        total = session.execute(
            select(func.count()).select_from(SafeguardEvidenceRow).where(*where)
        ).scalar_one()
        rows = list(session.execute(query.limit(limit + 1)).scalars())
        found = [Evidence.of(row) for row in rows[:limit]]
    return EvidencePage(found, total, found[-1].id if len(rows) > limit and found else None)


def _valid_evidence(rows: list[SafeguardEvidenceRow], now: datetime) -> list[SafeguardEvidenceRow]:
    return [r for r in rows if r.status == "approved" and (r.expires_at is None or r.expires_at > now)]


def evidence_set_digest(session: Session, policy: Policy, kind: str, level: str, now: datetime) -> str:
    """Digest of the approved, unexpired evidence of a standard: what a safeguards determination binds to."""
    return _digest_of(_evidence_rows(session, [c.id for _, c in criteria_of(policy, kind, level)]), now)


def _evidence_rows(session: Session, criterion_ids: list[str]) -> list[SafeguardEvidenceRow]:
    query = select(SafeguardEvidenceRow).where(SafeguardEvidenceRow.criterion_id.in_(criterion_ids))
    return list(session.execute(query).scalars())


def _digest_of(rows: list[SafeguardEvidenceRow], now: datetime) -> str:
    """Digest of the approved, unexpired rows among ``rows``."""
    valid = sorted(
        (r.criterion_id, r.id, r.sha256 or r.uri or digest(r.result)) for r in _valid_evidence(rows, now)
    )
    return digest(valid)


def standard_status(ctx: Context, kind: str, level: str) -> StandardStatus:
    """Whether the standard (kind, level) is met at ``ctx.now``, criterion by criterion, under the context's
    policy and in its snapshot (a verdict that reads several standards sees one state and one instant)."""
    session, policy, now = ctx.session, ctx.policy, ctx.now
    lv = policy.level(kind, level)
    pairs = criteria_of(policy, kind, level)
    ids = [c.id for _, c in pairs]
    evidence = _evidence_rows(session, ids)
    impls = {
        r.criterion_id: r
        for r in session.execute(
            select(SafeguardImplementationRow).where(SafeguardImplementationRow.criterion_id.in_(ids))
        ).scalars()
    }
    by_criterion: dict[str, list[SafeguardEvidenceRow]] = {}
    for row in evidence:
        by_criterion.setdefault(row.criterion_id, []).append(row)
    boundaries: list[datetime] = []
    statuses: list[CriterionStatus] = []
    for level_id, criterion in pairs:
        rows = by_criterion.get(criterion.id, [])
        valid = _valid_evidence(rows, now)
        impl = impls.get(criterion.id)
        expiries = [r.expires_at for r in valid if r.expires_at is not None]
        latest_expiry = max(expiries) if expiries and len(expiries) == len(valid) else None
        if latest_expiry:
            boundaries.append(latest_expiry)
        if valid:
            reason = f"{len(valid)} approved piece(s) of evidence" + (
                f", valid until {latest_expiry.date().isoformat()}" if latest_expiry else ""
            )
        elif any(r.status == "approved" for r in rows):
            reason = "all approved evidence has expired"
        elif any(r.status == "pending" for r in rows):
            reason = "evidence submitted but not yet approved"
        else:
            reason = "no evidence recorded"
        statuses.append(
            CriterionStatus(
                criterion.id,
                level_id,
                criterion.title,
                bool(valid),
                reason,
                criterion.source.cite(),
                impl.owner if impl else None,
                impl.status if impl else None,
                [r.id for r in valid],
                latest_expiry,
            )
        )
    reasons: list[dict[str, str]] = []
    clause = lv.source.cite()
    if not lv.criteria_published:
        reasons.append(
            {
                "text": f"{lv.title}: the policy does not publish its criteria, so it cannot be met",
                "clause": clause,
            }
        )
    gaps = [s for s in statuses if not s.met]
    if gaps:
        reasons.append(
            {
                "text": f"{len(gaps)} of {len(statuses)} criteria lack approved, unexpired evidence: "
                + ", ".join(g.criterion_id for g in gaps),
                "clause": clause,
            }
        )
    evidence_digest = _digest_of(evidence, now)
    determination = _determination(ctx, kind, level, evidence_digest, reasons, boundaries)
    met = lv.criteria_published and not gaps and not reasons
    return StandardStatus(
        kind,
        level,
        met,
        statuses,
        reasons,
        evidence_digest,
        determination,
        min(boundaries) if boundaries else None,
    )


def _determination(
    ctx: Context,
    kind: str,
    level: str,
    evidence_digest: str,
    reasons: list[dict[str, str]],
    boundaries: list[datetime],
) -> SafeguardsDetermination | None:
    """Check the safeguards determination for the standard: signed, current, within re-approval."""
    policy = ctx.policy
    rule = policy.decision_rule("safeguards_determination")
    if rule is None:
        return None
    clause = rule.source.cite()

    status = decision_status(
        ctx.workspace,
        ctx.session,
        "safeguards_determination",
        standard_subject(kind, level),
        {"evidence_set": evidence_digest},
        active=ctx.active,
    )
    if status is None:
        reasons.append(
            {
                "text": f"no safeguards determination for {kind} {level} "
                f"(needs {', '.join(rule.signoff_roles)})",
                "clause": clause,
            }
        )
        return None
    info: SafeguardsDetermination = to_jsonable(status)
    if status.stale:
        reasons.append(
            {
                "text": f"safeguards determination #{status.decision_id} is stale: "
                f"{', '.join(status.stale_keys)} changed since sign-off",
                "clause": clause,
            }
        )
    elif not status.approved:
        missing = ", ".join(status.missing_roles) or "approval"
        reasons.append(
            {
                "text": f"safeguards determination #{status.decision_id} awaits sign-off by {missing}",
                "clause": clause,
            }
        )
    elif status.signed_at is not None and policy.safeguards.reapproval_interval_months:
        months = policy.safeguards.reapproval_interval_months
        due = add_months(status.signed_at, months)
        info["reapproval_due"] = due.isoformat()
        if due <= ctx.now:
            src = policy.safeguards.reapproval_source or policy.safeguards.source
            reasons.append(
                {
                    "text": f"safeguards determination #{status.decision_id} "
                    f"signed {status.signed_at.date()} is older than the {months}-month re-approval interval "
                    f"(due {due.date()})",
                    "clause": src.cite(),
                }
            )
        else:
            boundaries.append(due)
    return info


def calendar_items(workspace: Workspace) -> list[CalendarItem]:
    """Re-approval deadlines of every safeguards determination on record."""
    with workspace.reading() as ctx:
        policy = ctx.policy
        months = policy.safeguards.reapproval_interval_months
        if not months:
            return []

        items: list[CalendarItem] = []
        now = workspace.now()
        src = policy.safeguards.reapproval_source or policy.safeguards.source
        session = ctx.session
        for lv in policy.safeguards.levels:
            evidence_digest = evidence_set_digest(session, policy, lv.kind, lv.id, now)
            status = decision_status(
                workspace,
                session,
                "safeguards_determination",
                standard_subject(lv.kind, lv.id),
                {"evidence_set": evidence_digest},
            )
            if status is None or not status.approved or status.signed_at is None:
                continue
            items.append(
                deadline_item(
                    now,
                    id=f"safeguards-reapproval:{lv.kind}:{lv.id}:{status.decision_id}",
                    kind="safeguards-reapproval",
                    title=f"Re-approve the {lv.title} determination",
                    due_at=add_months(status.signed_at, months),
                    clause=src.cite(),
                    subject=standard_subject(lv.kind, lv.id),
                )
            )
    return items


CALENDAR = CalendarSource("safeguards", calendar_items, cadence_kinds=frozenset({"reapproval"}))
"""Re-approval deadlines for the compliance calendar (they replace governance's `reapproval` cadences, counted
from each determination's signature rather than from the workspace's creation); installed by
``scalegate.wiring``."""


def propose_safeguards_determination(workspace: Workspace, actor: Actor, kind: str, level: str) -> Any:
    """Open the safeguards determination for a standard, bound to the evidence set it rests on."""
    with workspace.writing(actor) as ctx:
        try:
            ctx.policy.level(kind, level)
        except KeyError:
            raise NotFoundError(f"no {kind} level {level!r} in policy {ctx.policy.id}") from None
        status = standard_status(ctx, kind, level)
        return open_decision(
            workspace,
            ctx.session,
            actor,
            decision_type="safeguards_determination",
            subject=standard_subject(kind, level),
            payload={
                "kind": kind,
                "level": level,
                "met_criteria": [c.criterion_id for c in status.criteria if c.met],
                "gaps": [c.criterion_id for c in status.gaps],
            },
            bound_state={"evidence_set": status.evidence_digest},
        )


def standard_report(where: Workspace | Context, kind: str, level: str) -> StandardStatus:
    """Whether the standard (kind, level) of the active policy is met now, criterion by criterion, read in a
    transaction of its own: what the doors show. ``NotFoundError`` when the policy has no such level, so that
    a typo is not reported as a standard that is not met."""
    with reading(where) as ctx:
        try:
            ctx.policy.level(kind, level)
        except KeyError:
            raise NotFoundError(f"no {kind} level {level!r} in the active policy") from None
        return standard_status(ctx, kind, level)


def standards_matrix(where: Workspace | Context) -> list[StandardStatus]:
    """The status of every standard of the active policy (deployment, then security; weakest first within
    each kind), read in one snapshot at one instant."""
    with reading(where) as ctx:
        return [
            standard_status(ctx, kind, level.id)
            for kind in ("deployment", "security")
            for level in ctx.policy.levels_of(kind)
        ]
