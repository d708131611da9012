"""Tables of the safeguards domain: implementation records per criterion and their evidence."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from scalegate.store.base import Base
from scalegate.store.models import evidence  # noqa: F401  (defines the tables its foreign keys name)

__all__ = ["SafeguardEvidenceRow", "SafeguardImplementationRow"]


class SafeguardImplementationRow(Base):
    """How one criterion of a safeguard standard is implemented: owner and status."""

    __tablename__ = "safeguard_implementations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    criterion_id: Mapped[str] = mapped_column(String(200), unique=True)
    owner: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))  # planned | in_progress | implemented
    description: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(200))


class SafeguardEvidenceRow(Base):
    """A document, link or test result showing a criterion is met; counts only once approved and unexpired."""

    __tablename__ = "safeguard_evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    criterion_id: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # document | link | test_result
    title: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str | None] = mapped_column(ForeignKey("evidence_blobs.sha256"))
    uri: Mapped[str | None] = mapped_column(String(2000))
    result: Mapped[dict[str, Any] | None]
    submitted_by: Mapped[str] = mapped_column(String(200))
    submitted_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20))  # pending | approved | rejected
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[datetime | None]
    review_note: Mapped[str | None] = mapped_column(Text)
