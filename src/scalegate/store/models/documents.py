"""Tables of the documents a policy obliges: Risk Reports, off-cycle analyses, external reviews and the
reviewers who share them, and the goals of a safety roadmap.

Rows are written only by ``scalegate.governance.documents``; each write is recorded in the audit log with the
row digests. Approvals are decisions (``decisions``), so a Risk Report names the decisions that approved it
instead of holding signatures of its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from scalegate.store.base import Base
from scalegate.store.models import governance, workspace  # noqa: F401  (defines the tables its foreign keys name)

__all__ = [
    "ExternalReviewRow",
    "OffCycleAnalysisRow",
    "ReviewerRow",
    "RiskReportRow",
    "RoadmapItemRow",
]


class RiskReportRow(Base):
    """A Risk Report from draft to publication. ``contents`` is the draft generated from the record at
    ``coverage_date``; its SHA-256 (``contents_sha256``) is what the approving decisions are bound to."""

    __tablename__ = "risk_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    obligation: Mapped[str] = mapped_column(String(100))
    """Id of the policy's document obligation the report fulfils."""
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), index=True)
    """draft | submitted | approved | shared | published | rejected"""
    coverage_date: Mapped[datetime]
    models: Mapped[list[Any]]
    """Names of the in-scope models the report covers."""
    contents: Mapped[dict[str, Any]]
    contents_sha256: Mapped[str] = mapped_column(String(64))
    marginal_risk_major: Mapped[bool] = mapped_column(Boolean, default=False)
    """A marginal-risk argument plays a major role in a decision to move forward."""
    highly_capable: Mapped[bool] = mapped_column(Boolean, default=False)
    significantly_redacted_by: Mapped[list[Any]]
    """Roles that deemed the public version significantly redacted (any one suffices)."""
    redactions: Mapped[list[Any]]
    """Each redaction of the public version: section, reason, justification."""
    disclosure: Mapped[dict[str, Any]]
    """Who receives which version (public, unredacted, minimally redacted)."""
    approval_decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    board_decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    drafted_at: Mapped[datetime]
    drafted_by: Mapped[str] = mapped_column(String(200))
    policy_version_id: Mapped[int] = mapped_column(ForeignKey("policy_versions.id"))
    shared_at: Mapped[datetime | None]
    """When the report went to the bodies the policy names (the Board and the LTBT)."""
    published_at: Mapped[datetime | None]
    published_by: Mapped[str | None] = mapped_column(String(200))
    public_url: Mapped[str | None] = mapped_column(Text)


class OffCycleAnalysisRow(Base):
    """A determination that a model exceeds what was publicly analysed, and the analysis it calls for."""

    __tablename__ = "offcycle_analyses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    obligation: Mapped[str] = mapped_column(String(100))
    model: Mapped[str] = mapped_column(String(200), index=True)
    deployment: Mapped[str] = mapped_column(String(20))
    """internal | public"""
    determined_at: Mapped[datetime]
    determined_by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    published_by: Mapped[str | None] = mapped_column(String(200))
    artifact: Mapped[str | None] = mapped_column(Text)
    """Where the analysis was published (a Risk Report, a System Card, another public artifact)."""


class ExternalReviewRow(Base):
    """An external review of one Risk Report: why it was started and who approved the reviewers."""

    __tablename__ = "external_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    obligation: Mapped[str] = mapped_column(String(100))
    risk_report_id: Mapped[int] = mapped_column(ForeignKey("risk_reports.id"), index=True)
    trigger: Mapped[str] = mapped_column(String(30))
    """required (highly capable and significantly redacted) | requested (by the body that may request one)"""
    triggered_at: Mapped[datetime]
    triggered_by: Mapped[str] = mapped_column(String(200))
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    sections: Mapped[list[Any]]
    """Sections under review (empty: the whole report)."""
    selection_decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    status: Mapped[str] = mapped_column(String(20))
    """proposed | approved | completed | rejected"""


class ReviewerRow(Base):
    """One external reviewer of a review and the sections they receive (a review may be split)."""

    __tablename__ = "external_reviewers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("external_reviews.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    sections: Mapped[list[Any]]
    sent_at: Mapped[datetime | None]
    commentary_at: Mapped[datetime | None]
    """When the reviewer's public commentary arrived."""
    commentary_url: Mapped[str | None] = mapped_column(Text)


class RoadmapItemRow(Base):
    """A goal of the safety roadmap: not a hard commitment, but a miss must be listed by the next report."""

    __tablename__ = "roadmap_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(Text)
    target_date: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20))
    """open | met | missed | dropped"""
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))
    graded_at: Mapped[datetime | None]
    graded_by: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    listed_in_report_id: Mapped[int | None] = mapped_column(ForeignKey("risk_reports.id"))
    """The Risk Report that lists this item's grade (a miss must be listed by the next report)."""
