"""The sign-in throttle's table: failed sign-ins, shared by every server process of the workspace.

Not part of the record (``scalegate.audit.coverage`` declares it transient): a failed guess changes no state
the log describes, and rows older than the throttle's window are deleted
(``scalegate.governance.login_throttle``).
"""

from __future__ import annotations

from sqlalchemy import Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from scalegate.store.base import Base

__all__ = ["LoginFailureRow"]


class LoginFailureRow(Base):
    """One failed sign-in, counted against a user name or a client address (one row for each)."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_scope_key", "scope", "key", "failed_at"),
        Index("ix_login_failures_failed_at", "failed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(10))
    """What the failure is counted against: ``name`` or ``address``."""
    key: Mapped[str] = mapped_column(String(64))
    """Hex SHA-256 of the normalised user name or of the address (the store keeps neither in clear)."""
    failed_at: Mapped[float] = mapped_column(Float)
    """When, in Unix seconds of the server's clock (hosts sharing a store keep their clocks in sync)."""
