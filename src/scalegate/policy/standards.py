"""Safeguard standards: the levels (ASL-n, RAND SLn, a framework's own names) of each kind, and criteria."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from scalegate.policy._base import PolicyModel, Source
from scalegate.vocabulary import Action

__all__ = [
    "Criterion",
    "SafeguardKind",
    "SafeguardLevel",
    "SafeguardRequirement",
    "SafeguardStandards",
]

SafeguardKind = Literal["deployment", "security"]
"""The two kinds of safeguard standard: deployment (misuse by users) and security (theft of model weights)."""


class Criterion(PolicyModel):
    """One criterion a safeguard standard requires; it needs approved, unexpired evidence to count as met."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
    """Identifier unique within the policy, e.g. `asl3-dep-threat-modeling`."""
    title: str = Field(min_length=1)
    """Short title of the criterion."""
    text: str = Field(min_length=1)
    """What the criterion requires, close to the published wording."""
    source: Source
    """Where the criterion is stated."""


class SafeguardLevel(PolicyModel):
    """One level of one kind of safeguard standard, e.g. the ASL-3 Security Standard."""

    id: str = Field(min_length=1)
    """Level name as the framework writes it, e.g. `ASL-3` or `SL3`."""
    kind: SafeguardKind
    """Which kind of standard this level belongs to."""
    rank: int = Field(ge=0)
    """Order within its kind: higher ranks are stronger. Levels are cumulative: each includes lower ranks."""
    title: str = Field(min_length=1)
    """Human title, e.g. `ASL-3 Deployment Standard`."""
    summary: str = ""
    """What the level aims to achieve."""
    criteria: list[Criterion] = Field(default_factory=list)
    """The criteria of this level alone (lower levels' criteria apply too, since levels are cumulative)."""
    criteria_published: bool = True
    """False when the framework has not published this level's criteria yet (e.g. ASL-4): it cannot be met."""
    threat_actors_in_scope: list[str] = Field(default_factory=list)
    """Attackers or misusers the level must withstand."""
    threat_actors_out_of_scope: list[str] = Field(default_factory=list)
    """Attackers or misusers the level explicitly does not address."""
    note: str | None = None
    """Explanation, e.g. why the criteria are null."""
    source: Source
    """Where the level is defined."""


class SafeguardRequirement(PolicyModel):
    """A (kind, level) pair: the standard a capability threshold requires."""

    kind: SafeguardKind
    """Kind of standard required."""
    level: str = Field(min_length=1)
    """Level id of that kind, e.g. `ASL-3`."""
    applies_to: list[Action] | None = Field(default=None, min_length=1)
    """Only in `thresholds[].required_safeguards`: the actions this requirement gates, whatever the action
    rules' `requires_kinds` say (e.g. misuse safeguards: `[deploy-external]`). Null: every action whose rule
    lists this kind."""


class SafeguardStandards(PolicyModel):
    """All safeguard levels of the framework and the baseline every model must meet."""

    levels: list[SafeguardLevel] = Field(min_length=1)
    """Every level of every kind."""
    baseline: list[SafeguardRequirement] = Field(min_length=1)
    """The level each kind needs when no threshold requires more (ASL-2 for RSP v2)."""
    cumulative: bool = True
    """Whether a level includes every criterion of the lower ranks of its kind."""
    reapproval_interval_months: int | None = Field(default=None, ge=1)
    """A safeguards determination older than this must be re-approved to count (12 months in RSP v2)."""
    reapproval_source: Source | None = None
    """Where the re-approval interval is stated."""
    source: Source
    """Where the standards are introduced."""
