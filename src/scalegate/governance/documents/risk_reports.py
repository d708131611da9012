"""The Risk Report: drafted from the record, approved, shared with the governing bodies, then published.

Steps (RSP v3.x §3.4 and §3.5, as the active policy states them):

1. ``draft``: the contents are generated from the record as of the coverage date (models, checkpoints and
   their assessments, safeguards, open findings, roadmap progress including every missed goal not yet listed
   by a report, past reports, off-cycle analyses, competitor determinations). Their SHA-256 is what every
   approval is bound to, so a change to the contents after signing makes the approval stale.
2. ``submit``: opens the approval decision (the policy's approvers, CEO and RSO) and, when a marginal-risk
   argument plays a major role, the explicit approval of the bodies the policy names (Board and LTBT).
   Both are signed through ``governance.decisions.sign`` with each signer's own Ed25519 key.
3. ``share``: the approved report goes to the bodies the policy names (notices of the approval decision);
   its time starts the external review's clock.
4. ``publish``: refused unless approved (and, when required, approved by the Board and LTBT), shared, with a
   coverage date no more than the policy's limit before publication; every redaction of the public version
   carries a note; the disclosure tiers record who received which version.

Every row is written through ``Workspace.writing`` and named in the audit entry of its change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from scalegate.actor import Actor
from scalegate.canonical import digest
from scalegate.clock import check_instant
from scalegate.errors import ConflictError, InputError, NotFoundError
from scalegate.governance.decisions import decision_status, open_decision, status_of
from scalegate.governance.documents.contents import (
    DisclosureTier,
    ModelRecord,
    ModelStanding,
    ReportContents,
    RoadmapItemRecord,
    RoadmapRecord,
    TrackRecord,
)
from scalegate.governance.documents.reading import terms_of
from scalegate.governance.documents.terms import ReportTerms
from scalegate.governance.hooks import DecisionHooks
from scalegate.governance.notifications import notify_decision
from scalegate.governance.permissions import require
from scalegate.jsonable import to_jsonable
from scalegate.store.models.assessments import AssessmentRow, ComplianceFindingRow
from scalegate.store.models.documents import (
    OffCycleAnalysisRow,
    RiskReportRow,
    RoadmapItemRow,
)
from scalegate.store.models.governance import ComplianceEventRow, DecisionRow
from scalegate.store.models.registry import CheckpointRow, ModelRow
from scalegate.store.models.safeguards import SafeguardImplementationRow

if TYPE_CHECKING:
    from scalegate.context import Context
    from scalegate.governance.notifications import Notifier
    from scalegate.policy import Policy
    from scalegate.store.base import Base
    from scalegate.workspace import Workspace

__all__ = [
    "APPROVAL",
    "BOARD_APPROVAL",
    "HOOKS",
    "Redaction",
    "RedactionNote",
    "RiskReportView",
    "draft",
    "get_report",
    "latest_published",
    "list_reports",
    "publish",
    "report_terms",
    "share",
    "show",
    "submit",
]

APPROVAL: Final = "risk_report"
"""Decision type of the approvers' sign-off (CEO and RSO)."""
BOARD_APPROVAL: Final = "risk_report_board"
"""Decision type of the explicit approval the policy requires when a marginal-risk argument is major."""


@dataclass(frozen=True)
class Redaction:
    """One redaction of the public version, disclosed with its reason and note."""

    section: str
    reason: str
    justification: str = ""


class RedactionNote(TypedDict):
    """A redaction as recorded and disclosed: the section, the reason the policy lists, the note."""

    section: str
    reason: str
    note: str


@dataclass(frozen=True, kw_only=True)
class RiskReportView:
    """A Risk Report as the doors show it."""

    id: int
    title: str
    status: str
    obligation: str
    coverage_date: datetime
    models: list[str]
    contents_sha256: str
    marginal_risk_major: bool
    highly_capable: bool
    significantly_redacted_by: list[str]
    redactions: list[RedactionNote]
    disclosure: dict[str, Any]
    approval_decision_id: int | None
    approved: bool
    board_decision_id: int | None
    board_approved: bool | None
    """None: the policy does not require the Board and LTBT to approve this report."""
    drafted_at: datetime
    drafted_by: str
    shared_at: datetime | None
    published_at: datetime | None
    public_url: str | None
    contents: dict[str, Any]


def report_terms(policy: Policy) -> ReportTerms:
    """The Risk Report obligation of ``policy``; ``ConflictError`` when it has none."""
    terms = terms_of(policy)
    if terms is None or terms.report is None:
        raise ConflictError(f"policy {policy.id} obliges no Risk Report", where="policy")
    return terms.report


def get_report(session: Session, report_id: int) -> RiskReportRow:
    """A Risk Report by id; ``NotFoundError`` otherwise."""
    row = session.get(RiskReportRow, report_id)
    if row is None:
        raise NotFoundError(f"no risk report {report_id}", where="risk_reports")
    return row


def latest_published(session: Session) -> RiskReportRow | None:
    """The most recently published Risk Report."""
    stmt = (
        select(RiskReportRow)
        .where(RiskReportRow.published_at.is_not(None))
        .order_by(RiskReportRow.published_at.desc(), RiskReportRow.id.desc())
        .limit(1)
    )
    return session.execute(stmt).scalar_one_or_none()


# -- drafting ------------------------------------------------------------------------------------------------


def _models(session: Session, wanted: list[str] | None, coverage: datetime) -> list[ModelRow]:
    rows = list(session.execute(select(ModelRow).order_by(ModelRow.name)).scalars())
    if wanted is None:
        return [m for m in rows if m.created_at <= coverage]
    known = {m.name: m for m in rows}
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise InputError(f"unknown model {unknown[0]!r}", where="models")
    return [known[name] for name in dict.fromkeys(wanted)]


def _model_record(session: Session, model: ModelRow, coverage: datetime) -> ModelRecord:
    checkpoints = session.execute(
        select(CheckpointRow)
        .where(CheckpointRow.model_id == model.id, CheckpointRow.recorded_at <= coverage)
        .order_by(CheckpointRow.step)
    ).scalars()
    assessments = session.execute(
        select(AssessmentRow)
        .where(AssessmentRow.model_id == model.id, AssessmentRow.triggered_at <= coverage)
        .order_by(AssessmentRow.id)
    ).scalars()
    return {
        "name": model.name,
        "family": model.family,
        "checkpoints": [
            {"name": c.name, "step": c.step, "stage": c.stage, "effective_compute": c.effective_compute}
            for c in checkpoints
        ],
        "assessments": [
            {
                "kind": a.kind,
                "trigger": a.trigger,
                "due_at": a.due_at,
                "completed_at": a.completed_at if a.completed_at and a.completed_at <= coverage else None,
            }
            for a in assessments
        ],
    }


def _roadmap_record(session: Session, coverage: datetime) -> RoadmapRecord:
    items = list(session.execute(select(RoadmapItemRow).order_by(RoadmapItemRow.id)).scalars())
    view: list[RoadmapItemRecord] = [
        {
            "id": i.id,
            "area": i.area,
            "title": i.title,
            "target_date": i.target_date,
            "status": _grade(i, coverage),
            "note": i.note,
        }
        for i in items
        if i.created_at <= coverage
    ]
    misses = [i.id for i in items if i.created_at <= coverage and _grade(i, coverage) == "missed"]
    misses = [m for m in misses if _unlisted(items, m)]
    return {"items": view, "misses_to_list": misses}


def _grade(item: RoadmapItemRow, coverage: datetime) -> str:
    """A goal past its target and not met counts as missed, whether or not anyone graded it."""
    if item.status in ("met", "dropped") and item.graded_at and item.graded_at <= coverage:
        return item.status
    return "missed" if item.target_date <= coverage or item.status == "missed" else "open"


def _unlisted(items: list[RoadmapItemRow], item_id: int) -> bool:
    return next(i for i in items if i.id == item_id).listed_in_report_id is None


StandingReader = Callable[["Context", str], ModelStanding]
"""How a draft reads a covered model's threshold findings, gate verdicts and whether the record makes it
highly capable."""

_STANDING: list[StandingReader] = []


def register_model_standing(standing: StandingReader) -> None:
    """Install how a draft reads a model's findings and verdicts (``scalegate.gate.drafting``, from the
    composition root: the gate sits above governance and this module does not import it)."""
    _STANDING[:] = [standing]


def _model_standing(ctx: Context, model: str) -> ModelStanding:
    """Fail closed: without the gate's reading installed, no draft is generated from a partial record."""
    if not _STANDING:
        raise ConflictError("the gate's reading of a model is not installed; cannot draft a Risk Report")
    return _STANDING[0](ctx, model)


def _tracks(policy: Policy) -> list[TrackRecord]:
    """Each threshold's mitigation tracks with how firmly the policy commits to each."""
    return [
        {
            "threshold": t.id,
            "track": m.track,
            "strength": m.strength,
            "items": list(m.items),
            "hedges": list(m.hedges),
            "clause": m.source.cite(),
        }
        for t in policy.thresholds
        for m in t.mitigations
    ]


def _record(session: Session, models: list[ModelRow], coverage: datetime) -> ReportContents:
    safeguards = session.execute(
        select(SafeguardImplementationRow).order_by(SafeguardImplementationRow.criterion_id)
    ).scalars()
    findings = session.execute(select(ComplianceFindingRow).order_by(ComplianceFindingRow.id)).scalars()
    past = session.execute(
        select(RiskReportRow).where(RiskReportRow.published_at.is_not(None)).order_by(RiskReportRow.id)
    ).scalars()
    offcycle = session.execute(
        select(OffCycleAnalysisRow)
        .where(OffCycleAnalysisRow.determined_at <= coverage)
        .order_by(OffCycleAnalysisRow.id)
    ).scalars()
    competitor = session.execute(
        select(DecisionRow)
        .where(DecisionRow.decision_type == "competitor_scenario", DecisionRow.created_at <= coverage)
        .order_by(DecisionRow.id)
    ).scalars()
    reviews = session.execute(
        select(ComplianceEventRow)
        .where(ComplianceEventRow.completed_at <= coverage)
        .order_by(ComplianceEventRow.id)
    ).scalars()
    return {
        "models": [_model_record(session, m, coverage) for m in models],
        "safeguards": [
            {"criterion": s.criterion_id, "status": s.status, "owner": s.owner} for s in safeguards
        ],
        "findings": [
            {"kind": f.kind, "subject": f.subject, "clause": f.clause, "days_late": f.days_late}
            for f in findings
            if f.detected_at <= coverage
        ],
        "roadmap": _roadmap_record(session, coverage),
        "past_reports": [
            {"id": r.id, "title": r.title, "coverage_date": r.coverage_date, "published_at": r.published_at}
            for r in past
        ],
        "offcycle_analyses": [
            {
                "id": o.id,
                "model": o.model,
                "determined_at": o.determined_at,
                "published_at": o.published_at,
                "artifact": o.artifact,
            }
            for o in offcycle
        ],
        "competitor_determinations": [
            {"decision_id": d.id, "subject": d.subject, "status": d.status, **d.payload} for d in competitor
        ],
        "compliance_events": [{"cadence": e.cadence_id, "completed_at": e.completed_at} for e in reviews],
    }


def draft(
    workspace: Workspace,
    actor: Actor,
    *,
    title: str,
    coverage_date: datetime,
    models: list[str] | None = None,
    marginal_risk_major: bool = False,
    highly_capable: bool = False,
) -> RiskReportView:
    """Draft a Risk Report from the record as of ``coverage_date`` (None ``models``: every model registered
    by then). ``highly_capable`` records the conclusion that a covered model crosses the threshold that
    defines it; the record draws it too (``_model_standing``), and the drafter can add it, never remove it;
    ``marginal_risk_major`` that a marginal-risk argument plays a major role in moving forward."""
    if not title.strip():
        raise InputError("a risk report needs a title", where="title")
    with workspace.writing(actor) as ctx:
        terms = report_terms(ctx.policy)
        require(actor, "report.generate", ctx.policy)
        coverage_date = check_instant(coverage_date, "coverage_date")
        if coverage_date > ctx.now:
            raise InputError(
                f"coverage date {coverage_date.date()} is in the future; a report covers the record as of a "
                "past date",
                where="coverage_date",
            )
        chosen = _models(ctx.session, models, coverage_date)
        record = _record(ctx.session, chosen, coverage_date)
        standing = [_model_standing(ctx, m.name) for m in chosen]
        record["models"] = [
            {**entry, **found} for entry, found in zip(record["models"], standing, strict=True)
        ]
        record["tracks"] = _tracks(ctx.policy)
        derived = sorted(m["name"] for m in record["models"] if m.get("highly_capable"))
        record["highly_capable"] = {"derived_for": derived, "marked": highly_capable}
        # Fail closed: the record can make a report highly capable; the drafter can add, never remove, that.
        highly_capable = highly_capable or bool(derived)
        contents = to_jsonable(record)
        row = RiskReportRow(
            obligation=terms.obligation,
            title=title.strip(),
            status="draft",
            coverage_date=coverage_date,
            models=[m.name for m in chosen],
            contents=contents,
            contents_sha256=digest(contents),
            marginal_risk_major=marginal_risk_major,
            highly_capable=highly_capable,
            significantly_redacted_by=[],
            redactions=[],
            disclosure={},
            approval_decision_id=None,
            board_decision_id=None,
            drafted_at=ctx.now,
            drafted_by=actor.label,
            policy_version_id=ctx.active.version_id,
            shared_at=None,
            published_at=None,
            published_by=None,
            public_url=None,
        )
        ctx.session.add(row)
        ctx.session.flush()
        ctx.record(
            "risk_report.drafted",
            f"risk-report:{row.id}",
            {
                "report_id": row.id,
                "coverage_date": coverage_date.isoformat(),
                "models": row.models,
                "contents_sha256": row.contents_sha256,
                "marginal_risk_major": marginal_risk_major,
                "highly_capable": highly_capable,
            },
            rows=[row],
        )
        return _view(ctx, row)


# -- approval ------------------------------------------------------------------------------------------------


def submit(workspace: Workspace, actor: Actor, report_id: int) -> RiskReportView:
    """Send a draft to its approvers: opens the approval decision and, when the policy requires it for this
    report, the Board and LTBT's; both are bound to the contents' digest."""
    with workspace.writing(actor) as ctx:
        report_terms(ctx.policy)
        row = get_report(ctx.session, report_id)
        if row.status not in ("draft", "rejected"):
            raise ConflictError(f"risk report {report_id} is {row.status}; only a draft can be submitted")
        payload = {
            "report_id": row.id,
            "title": row.title,
            "coverage_date": row.coverage_date.isoformat(),
            "models": list(row.models),
            "marginal_risk_major": row.marginal_risk_major,
        }
        bound = {"report": row.contents_sha256}
        subject = f"risk-report:{row.id}"
        approval = open_decision(
            workspace,
            ctx.session,
            actor,
            decision_type=APPROVAL,
            subject=subject,
            payload=payload,
            bound_state=bound,
        )
        row.approval_decision_id = approval.id
        if row.marginal_risk_major:
            board = open_decision(
                workspace,
                ctx.session,
                actor,
                decision_type=BOARD_APPROVAL,
                subject=subject,
                payload=payload,
                bound_state=bound,
            )
            row.board_decision_id = board.id
        row.status = "submitted"
        ctx.record(
            "risk_report.submitted",
            subject,
            {
                "report_id": row.id,
                "approval_decision_id": row.approval_decision_id,
                "board_decision_id": row.board_decision_id,
            },
            rows=[row],
        )
        return _view(ctx, row)


def _on_approval_closed(ctx: Context, decision: DecisionRow) -> list[Base]:
    """The approvers' decision closed: the report is approved, or back to draft status `rejected`."""
    row = get_report(ctx.session, int(decision.payload["report_id"]))
    if row.approval_decision_id != decision.id:
        return []
    row.status = "approved" if decision.status == "approved" else "rejected"
    return [row]


HOOKS = DecisionHooks(APPROVAL, on_closed=_on_approval_closed)
"""What the approvers' signature sets off: the report's status follows its decision."""


# -- sharing and publication ---------------------------------------------------------------------------------


def share(
    workspace: Workspace, actor: Actor, report_id: int, *, notifier: Notifier | None = None
) -> RiskReportView:
    """Share an approved report with the bodies the policy names (the notices of its approval decision).

    The time of sharing is the submission to the Board and LTBT from which the external review's clock runs.
    """
    with workspace.reading() as ctx:
        row = get_report(ctx.session, report_id)
        if row.status != "approved" or row.approval_decision_id is None:
            raise ConflictError(f"risk report {report_id} is {row.status}; approve it before sharing it")
        approval_id = row.approval_decision_id
    sent = notify_decision(workspace, actor, approval_id, notifier)
    failed = [n.role for n in sent if n.status != "delivered"]
    if failed:
        raise ConflictError(f"the report could not be delivered to {', '.join(str(r) for r in failed)}")
    with workspace.writing(actor) as ctx:
        row = get_report(ctx.session, report_id)
        if row.status != "approved":
            raise ConflictError(f"risk report {report_id} is {row.status}; it cannot be shared")
        row.status, row.shared_at = "shared", ctx.now
        ctx.record(
            "risk_report.shared",
            f"risk-report:{row.id}",
            {"report_id": row.id, "notifications": [n.id for n in sent], "shared_at": ctx.now.isoformat()},
            rows=[row],
        )
        return _view(ctx, row)


def _redactions(terms: ReportTerms, redactions: list[Redaction]) -> list[RedactionNote]:
    out: list[RedactionNote] = []
    for n, r in enumerate(redactions):
        if not r.section.strip():
            raise InputError(f"redaction {n + 1} names no section", where=f"redactions[{n}].section")
        if not r.reason.strip():
            raise InputError(
                f"redaction {n + 1} ({r.section}) gives no reason; the policy lists "
                f"{', '.join(terms.redaction_reasons) or 'none'}",
                where=f"redactions[{n}].reason",
            )
        out.append(
            {"section": r.section.strip(), "reason": r.reason.strip(), "note": r.justification.strip()}
        )
    return out


def _disclosure(terms: ReportTerms, recipients: dict[str, int]) -> dict[str, DisclosureTier]:
    unknown = sorted(set(recipients) - {a.id for a in terms.audiences})
    if unknown:
        known = ", ".join(a.id for a in terms.audiences)
        raise InputError(f"unknown audience {unknown[0]!r}; audiences: {known}", where="recipients")
    tiers: dict[str, DisclosureTier] = {}
    for audience in terms.audiences:
        count = recipients.get(audience.id)
        if audience.min_recipients is not None and (count is None or count < audience.min_recipients):
            raise ConflictError(
                f"the {audience.version} version must reach at least {audience.min_recipients} recipients "
                f"({audience.id}, {audience.clause}); recorded: {count if count is not None else 'none'}"
            )
        tiers[audience.id] = {
            "version": audience.version,
            "recipients": count,
            "min_recipients": audience.min_recipients,
            "clause": audience.clause,
        }
    return tiers


def _check_publishable(ctx: Context, terms: ReportTerms, row: RiskReportRow, at: datetime) -> None:
    if row.status != "shared":
        raise ConflictError(
            f"risk report {row.id} is {row.status}; it is published once approved and shared with "
            f"{', '.join(terms.notify) or 'the bodies the policy names'}"
        )
    state = {"report": row.contents_sha256}
    if row.approval_decision_id is not None:
        decision = ctx.session.get(DecisionRow, row.approval_decision_id)
        approval = (
            status_of(ctx.workspace, ctx.session, decision, state, active=ctx.active) if decision else None
        )
        if approval is None or not approval.approved or approval.stale:
            raise ConflictError(
                f"risk report {row.id}: its approval #{row.approval_decision_id} does not hold (unsigned, "
                "rejected or stale)"
            )
    if row.marginal_risk_major:
        board = _board_status(ctx, row)
        if board is None or not board.approved or board.stale:
            raise ConflictError(
                f"risk report {row.id} relies on a marginal-risk argument: "
                f"{', '.join(terms.approve_when_marginal_risk)} must approve it explicitly "
                f"({terms.marginal_risk_clause})"
            )
    lag = at - row.coverage_date
    if lag > timedelta(days=terms.coverage_max_days):
        raise ConflictError(
            f"risk report {row.id}: coverage date {row.coverage_date.date()} is {lag.days} days before "
            f"publication; at most {terms.coverage_max_days} are allowed ({terms.coverage_clause}): draft "
            "it again with a later coverage date"
        )


def _board_status(ctx: Context, row: RiskReportRow) -> Any:
    return decision_status(
        ctx.workspace,
        ctx.session,
        BOARD_APPROVAL,
        f"risk-report:{row.id}",
        {"report": row.contents_sha256},
        active=ctx.active,
    )


def publish(
    workspace: Workspace,
    actor: Actor,
    report_id: int,
    *,
    redactions: list[Redaction],
    recipients: dict[str, int],
    url: str | None = None,
) -> RiskReportView:
    """Publish a shared report: every redaction with its reason and note, every disclosure tier with its
    recipients; missed roadmap goals the report lists are marked as listed by it."""
    with workspace.writing(actor) as ctx:
        terms = report_terms(ctx.policy)
        require(actor, "report.generate", ctx.policy)
        row = get_report(ctx.session, report_id)
        _check_publishable(ctx, terms, row, ctx.now)
        row.redactions = _redactions(terms, redactions)
        row.disclosure = _disclosure(terms, recipients)
        row.status, row.published_at, row.published_by = "published", ctx.now, actor.label
        row.public_url = url
        listed: list[Base] = []
        for item_id in row.contents.get("roadmap", {}).get("misses_to_list", []):
            item = ctx.session.get(RoadmapItemRow, item_id)
            if item is not None and item.listed_in_report_id is None:
                item.listed_in_report_id = row.id
                listed.append(item)
        ctx.record(
            "risk_report.published",
            f"risk-report:{row.id}",
            {
                "report_id": row.id,
                "redactions": row.redactions,
                "disclosure": row.disclosure,
                "roadmap_misses_listed": [getattr(i, "id", None) for i in listed],
            },
            rows=[row, *listed],
        )
        return _view(ctx, row)


# -- reading -------------------------------------------------------------------------------------------------


def _view(ctx: Context, row: RiskReportRow) -> RiskReportView:
    state = {"report": row.contents_sha256}
    approved = False
    if row.approval_decision_id is not None:
        decision = ctx.session.get(DecisionRow, row.approval_decision_id)
        if decision is not None:
            status = status_of(ctx.workspace, ctx.session, decision, state, active=ctx.active)
            approved = status.approved and not status.stale
    board_approved: bool | None = None
    if row.marginal_risk_major:
        board = _board_status(ctx, row) if row.board_decision_id is not None else None
        board_approved = bool(board and board.approved and not board.stale)
    return RiskReportView(
        id=row.id,
        title=row.title,
        status=row.status,
        obligation=row.obligation,
        coverage_date=row.coverage_date,
        models=list(row.models),
        contents_sha256=row.contents_sha256,
        marginal_risk_major=row.marginal_risk_major,
        highly_capable=row.highly_capable,
        significantly_redacted_by=list(row.significantly_redacted_by),
        redactions=list(row.redactions),
        disclosure=dict(row.disclosure),
        approval_decision_id=row.approval_decision_id,
        approved=approved,
        board_decision_id=row.board_decision_id,
        board_approved=board_approved,
        drafted_at=row.drafted_at,
        drafted_by=row.drafted_by,
        shared_at=row.shared_at,
        published_at=row.published_at,
        public_url=row.public_url,
        contents=dict(row.contents),
    )


def show(workspace: Workspace, actor: Actor, report_id: int) -> RiskReportView:
    """One Risk Report with its approvals and contents."""
    with workspace.reading() as ctx:
        require(actor, "report.read", ctx.policy)
        return _view(ctx, get_report(ctx.session, report_id))


def list_reports(workspace: Workspace, actor: Actor) -> list[RiskReportView]:
    """Every Risk Report, newest first."""
    with workspace.reading() as ctx:
        require(actor, "report.read", ctx.policy)
        rows = ctx.session.execute(select(RiskReportRow).order_by(RiskReportRow.id.desc())).scalars()
        return [_view(ctx, r) for r in rows]
