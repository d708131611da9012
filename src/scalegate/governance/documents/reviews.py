"""External review of a Risk Report: when it is required, who approves the reviewers, and its chained clocks.

RSP v3.x §3.6: a full external review is required whenever a report covers highly capable models and is
significantly redacted, which any one of the RSO, CEO, Board or LTBT may deem it; from v3.2 the LTBT may also
request one, of the report or sections of it, and approves the selection of reviewers (after consulting the
Board). The report goes to the reviewers within one week of its submission to the Board and LTBT, and each
reviewer is asked for public commentary within 30 days of receipt. From v3.4 the review may be split across
reviewers, every section going to at least one.

The selection is a decision (``reviewer_selection``) signed by the approving body with their own keys and
bound to the report's contents and the list of reviewers; the clocks are computed from the recorded times.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from sqlalchemy import select

from scalegate.canonical import digest
from scalegate.errors import ConflictError, InputError, NotFoundError, PermissionDenied
from scalegate.governance.decisions import open_decision
from scalegate.governance.documents.reading import terms_of
from scalegate.governance.documents.risk_reports import get_report, report_terms
from scalegate.governance.documents.terms import ReviewTerms
from scalegate.governance.hooks import DecisionHooks
from scalegate.governance.permissions import require
from scalegate.store.models.documents import ExternalReviewRow, ReviewerRow, RiskReportRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from scalegate.actor import Actor
    from scalegate.context import Context
    from scalegate.policy import Policy
    from scalegate.store.base import Base
    from scalegate.store.models.governance import DecisionRow
    from scalegate.workspace import Workspace

__all__ = [
    "HOOKS",
    "REPORT_SECTIONS",
    "SELECTION",
    "ReviewState",
    "ReviewView",
    "ReviewerView",
    "deem_significantly_redacted",
    "list_reviews",
    "record_commentary",
    "required",
    "review_terms",
    "send",
    "start",
]

SELECTION: Final = "reviewer_selection"
"""Decision type of the approval of the reviewers."""

REPORT_SECTIONS: tuple[str, ...] = (
    "models",
    "safeguards",
    "findings",
    "roadmap",
    "past_reports",
    "offcycle_analyses",
    "competitor_determinations",
    "compliance_events",
)
"""The sections of a drafted Risk Report (the keys of its contents); a split review covers all of them."""


@dataclass(frozen=True, kw_only=True)
class ReviewerView:
    """One reviewer, their sections and their clock."""

    id: int
    name: str
    sections: list[str]
    sent_at: datetime | None
    send_due_at: datetime | None
    commentary_at: datetime | None
    commentary_due_at: datetime | None
    commentary_url: str | None


@dataclass(frozen=True, kw_only=True)
class ReviewView:
    """An external review of a Risk Report."""

    id: int
    risk_report_id: int
    trigger: str
    triggered_at: datetime
    triggered_by: str
    public: bool
    sections: list[str]
    status: str
    selection_decision_id: int | None
    reviewers: list[ReviewerView] = field(default_factory=list)
    clause: str = ""


def review_terms(policy: Policy) -> ReviewTerms:
    """The external review obligation of ``policy``; ``ConflictError`` when it has none."""
    terms = terms_of(policy)
    if terms is None or terms.review is None:
        raise ConflictError(f"policy {policy.id} obliges no external review", where="policy")
    return terms.review


def required(report: RiskReportRow) -> bool:
    """A full external review is required: the report covers highly capable models and was deemed
    significantly redacted."""
    return report.highly_capable and bool(report.significantly_redacted_by)


def send_due(terms: ReviewTerms, report: RiskReportRow) -> datetime | None:
    """When the report is due at its reviewers (None until it went to the Board and LTBT)."""
    return report.shared_at + timedelta(days=terms.send_within_days) if report.shared_at else None


def commentary_due(terms: ReviewTerms, reviewer: ReviewerRow) -> datetime | None:
    """When a reviewer's public commentary is due (None until they received the report)."""
    return reviewer.sent_at + timedelta(days=terms.commentary_within_days) if reviewer.sent_at else None


def deem_significantly_redacted(workspace: Workspace, actor: Actor, report_id: int) -> ReviewView | None:
    """Record that the actor, in a role the policy lets judge it, deems the report significantly redacted;
    returns the review it now requires, if one was started."""
    with workspace.writing(actor) as ctx:
        report = get_report(ctx.session, report_id)
        deemers = report_terms(ctx.policy).redacted_deemers
        roles = sorted(set(actor.roles) & set(deemers))
        if not roles:
            raise PermissionDenied(
                f"{actor.label} holds none of the roles that may deem a report significantly redacted "
                f"({', '.join(deemers)})"
            )
        report.significantly_redacted_by = sorted({*report.significantly_redacted_by, *roles})
        ctx.record(
            "risk_report.deemed_redacted",
            f"risk-report:{report.id}",
            {"report_id": report.id, "roles": roles, "review_required": required(report)},
            rows=[report],
        )
    found = list_reviews(workspace, actor, report_id=report_id)
    return found[0] if found else None


def _check_reviewers(
    terms: ReviewTerms, reviewers: list[tuple[str, list[str]]], whole: bool
) -> list[tuple[str, list[str]]]:
    if not reviewers:
        raise InputError("name at least one external reviewer", where="reviewers")
    names = [n.strip() for n, _ in reviewers]
    if any(not n for n in names) or len(set(names)) != len(names):
        raise InputError("each reviewer needs a distinct, non-empty name", where="reviewers")
    unknown = sorted({s for _, secs in reviewers for s in secs} - set(REPORT_SECTIONS))
    if unknown:
        raise InputError(
            f"unknown section {unknown[0]!r}; sections: {', '.join(REPORT_SECTIONS)}", where="reviewers"
        )
    split = [secs for _, secs in reviewers if secs]
    if split and not terms.split_allowed:
        raise InputError(
            "the policy does not provide for splitting a review across reviewers", where="reviewers"
        )
    if whole and split and len(split) == len(reviewers):
        covered = {s for secs in split for s in secs}
        missing = [s for s in REPORT_SECTIONS if s not in covered]
        if missing:
            raise InputError(
                f"every section goes to at least one reviewer ({terms.timing_clause}); none has "
                f"{', '.join(missing)}",
                where="reviewers",
            )
    return [(n, list(secs)) for n, (_, secs) in zip(names, reviewers, strict=True)]


def start(
    workspace: Workspace,
    actor: Actor,
    report_id: int,
    *,
    reviewers: list[tuple[str, list[str]]],
    trigger: str = "required",
    sections: list[str] | None = None,
    public: bool = True,
) -> ReviewView:
    """Start a review of a report with proposed reviewers (each with the sections they receive; an empty
    list: the whole report), and open the selection decision for the approving body to sign."""
    if trigger not in ("required", "requested"):
        raise InputError(f"trigger must be required or requested, got {trigger!r}", where="trigger")
    with workspace.writing(actor) as ctx:
        terms = review_terms(ctx.policy)
        report = get_report(ctx.session, report_id)
        if trigger == "required" and not required(report):
            raise ConflictError(
                f"risk report {report_id} does not require an external review (it must cover highly capable "
                f"models and be deemed significantly redacted, {terms.trigger_clause})"
            )
        if trigger == "requested" and not set(actor.roles) & set(terms.requesters):
            raise PermissionDenied(f"only {', '.join(terms.requesters) or 'nobody'} may request a review")
        chosen = _check_reviewers(terms, reviewers, whole=trigger == "required" and not sections)
        row = ExternalReviewRow(
            obligation=terms.obligation,
            risk_report_id=report.id,
            trigger=trigger,
            triggered_at=ctx.now,
            triggered_by=actor.label,
            public=public,
            sections=list(sections or []),
            selection_decision_id=None,
            status="proposed",
        )
        ctx.session.add(row)
        ctx.session.flush()
        rows: list[Base] = [row]
        for name, secs in chosen:
            reviewer = ReviewerRow(
                review_id=row.id,
                name=name,
                sections=secs,
                sent_at=None,
                commentary_at=None,
                commentary_url=None,
            )
            ctx.session.add(reviewer)
            rows.append(reviewer)
        payload = {"review_id": row.id, "risk_report_id": report.id, "reviewers": [list(c) for c in chosen]}
        decision = open_decision(
            workspace,
            ctx.session,
            actor,
            decision_type=SELECTION,
            subject=f"external-review:{row.id}",
            payload=payload,
            bound_state={"report": report.contents_sha256, "reviewers": digest(payload["reviewers"])},
        )
        row.selection_decision_id = decision.id
        ctx.record(
            "external_review.started",
            f"external-review:{row.id}",
            {**payload, "trigger": trigger, "selection_decision_id": decision.id},
            rows=rows,
        )
        return _view(ctx.session, terms, row)


def _on_selection_closed(ctx: Context, decision: DecisionRow) -> list[Base]:
    row = ctx.session.get(ExternalReviewRow, int(decision.payload["review_id"]))
    if row is None or row.selection_decision_id != decision.id:
        return []
    row.status = "approved" if decision.status == "approved" else "rejected"
    return [row]


HOOKS = DecisionHooks(SELECTION, on_closed=_on_selection_closed)
"""The approving body's signature approves or rejects the selection of reviewers."""


def _reviewer(session: Session, review_id: int, name: str) -> tuple[ExternalReviewRow, ReviewerRow]:
    review = session.get(ExternalReviewRow, review_id)
    if review is None:
        raise NotFoundError(f"no external review {review_id}", where="external_reviews")
    stmt = select(ReviewerRow).where(ReviewerRow.review_id == review_id, ReviewerRow.name == name)
    reviewer = session.execute(stmt).scalar_one_or_none()
    if reviewer is None:
        raise NotFoundError(f"external review {review_id} has no reviewer {name!r}", where="reviewer")
    return review, reviewer


def send(workspace: Workspace, actor: Actor, review_id: int, reviewer: str) -> ReviewView:
    """Record that the report went to a reviewer (their commentary clock starts)."""
    with workspace.writing(actor) as ctx:
        terms = review_terms(ctx.policy)
        require(actor, "report.export", ctx.policy)
        review, row = _reviewer(ctx.session, review_id, reviewer)
        if review.status != "approved":
            raise ConflictError(
                f"external review {review_id} is {review.status}: {', '.join(terms.selection_approvers)} "
                f"must approve the reviewers first ({terms.selection_clause})"
            )
        if row.sent_at is not None:
            raise ConflictError(f"the report went to {reviewer} on {row.sent_at.date()}")
        row.sent_at = ctx.now
        ctx.record(
            "external_review.sent",
            f"external-review:{review.id}",
            {"review_id": review.id, "reviewer": reviewer},
            rows=[row],
        )
        return _view(ctx.session, terms, review)


def record_commentary(
    workspace: Workspace, actor: Actor, review_id: int, reviewer: str, *, url: str
) -> ReviewView:
    """Record a reviewer's public commentary; the review completes when every reviewer's is in."""
    if not url.strip():
        raise InputError("give where the commentary is published", where="url")
    with workspace.writing(actor) as ctx:
        terms = review_terms(ctx.policy)
        require(actor, "compliance.record", ctx.policy)
        review, row = _reviewer(ctx.session, review_id, reviewer)
        if row.sent_at is None:
            raise ConflictError(f"{reviewer} never received the report")
        row.commentary_at, row.commentary_url = ctx.now, url.strip()
        ctx.session.flush()
        others = ctx.session.execute(select(ReviewerRow).where(ReviewerRow.review_id == review.id)).scalars()
        changed: list[Base] = [row]
        if all(r.commentary_at is not None for r in others):
            review.status = "completed"
            changed.append(review)
        ctx.record(
            "external_review.commentary",
            f"external-review:{review.id}",
            {"review_id": review.id, "reviewer": reviewer, "url": row.commentary_url},
            rows=changed,
        )
        return _view(ctx.session, terms, review)


def _view(session: Session, terms: ReviewTerms, row: ExternalReviewRow) -> ReviewView:
    report = get_report(session, row.risk_report_id)
    due = send_due(terms, report)
    reviewers = session.execute(
        select(ReviewerRow).where(ReviewerRow.review_id == row.id).order_by(ReviewerRow.id)
    ).scalars()
    return ReviewView(
        id=row.id,
        risk_report_id=row.risk_report_id,
        trigger=row.trigger,
        triggered_at=row.triggered_at,
        triggered_by=row.triggered_by,
        public=row.public,
        sections=list(row.sections),
        status=row.status,
        selection_decision_id=row.selection_decision_id,
        reviewers=[
            ReviewerView(
                id=r.id,
                name=r.name,
                sections=list(r.sections),
                sent_at=r.sent_at,
                send_due_at=due,
                commentary_at=r.commentary_at,
                commentary_due_at=commentary_due(terms, r),
                commentary_url=r.commentary_url,
            )
            for r in reviewers
        ],
        clause=terms.timing_clause,
    )


def list_reviews(workspace: Workspace, actor: Actor, *, report_id: int | None = None) -> list[ReviewView]:
    """External reviews, newest first."""
    with workspace.reading() as ctx:
        require(actor, "report.read", ctx.policy)
        terms = review_terms(ctx.policy)
        stmt = select(ExternalReviewRow).order_by(ExternalReviewRow.id.desc())
        if report_id is not None:
            stmt = stmt.where(ExternalReviewRow.risk_report_id == report_id)
        return [_view(ctx.session, terms, r) for r in ctx.session.execute(stmt).scalars()]


@dataclass(frozen=True)
class ReviewState:
    """Where the external review of a report stands: whether one is required, the reviews not rejected,
    their reviewers, and when the report is due at them (None until it went to the Board and LTBT)."""

    required: bool
    reviews: list[ExternalReviewRow]
    reviewers: list[ReviewerRow]
    send_due: datetime | None


def review_state(session: Session, terms: ReviewTerms, report: RiskReportRow) -> ReviewState:
    """Where the external review of ``report`` stands, for the gate and the calendar."""
    reviews = list(
        session.execute(
            select(ExternalReviewRow)
            .where(ExternalReviewRow.risk_report_id == report.id, ExternalReviewRow.status != "rejected")
            .order_by(ExternalReviewRow.id)
        ).scalars()
    )
    reviewers = [
        r
        for review in reviews
        for r in session.execute(select(ReviewerRow).where(ReviewerRow.review_id == review.id)).scalars()
    ]
    return ReviewState(required(report), reviews, reviewers, send_due(terms, report))
