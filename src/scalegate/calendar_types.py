"""The shape of a compliance-calendar item, shared by every domain that creates deadlines.

Each domain exposes ``calendar_items(workspace) -> list[CalendarItem]`` (assessments due from the registry,
safeguard re-approvals from safeguards, reviews and drills from governance); the compliance calendar merges
them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

__all__ = ["CalendarItem", "CalendarStatus"]

CalendarStatus = Literal["upcoming", "due", "overdue", "met", "missed"]
"""`met`/`missed`: completed on time or late; `overdue`: past its deadline and not done."""


@dataclass(frozen=True)
class CalendarItem:
    """One deadline the policy implies."""

    id: str
    """Stable id, e.g. `assessment:gpt-x@ckpt-12:effective_compute`."""
    kind: str
    """What sort of obligation: `assessment`, `safeguards-reapproval`, `procedural-review`, `drill`..."""
    title: str
    """Human description."""
    due_at: datetime
    """Deadline."""
    status: CalendarStatus
    """Where it stands at the time of asking."""
    clause: str
    """Policy citation the deadline comes from, e.g. `Anthropic RSP v2.2 §3.2`."""
    subject: str | None = None
    """What it concerns (a model, a checkpoint, a standard)."""
    completed_at: datetime | None = None
    """When it was done, if it was."""
    days_overdue: int = 0
    """Whole days past the deadline (for overdue or missed items)."""
    details: dict[str, Any] = field(default_factory=dict)
    """Anything else worth showing."""
