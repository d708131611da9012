"""Governance: roles, how the policy itself changes, noncompliance handling, review cadences."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from scalegate.policy._base import PolicyModel, Source
from scalegate.policy.obligations import empty

__all__ = [
    "Briefing",
    "ChangeControl",
    "Governance",
    "NoncomplianceRules",
    "ReviewCadence",
    "Role",
    "Routing",
]


class Role(PolicyModel):
    """A role named by the framework (RSO, CEO, board member...)."""

    id: str = Field(min_length=1, pattern=r"^[a-z][a-z0-9_]*$")
    """Identifier used by rules, e.g. `rso`, `ceo`, `board`, `ltbt`."""
    title: str = Field(min_length=1)
    """Title as the framework writes it."""
    description: str = ""
    """What the role does under the policy."""
    source: Source | None = None
    """Where the role is named; null for roles scalegate adds for its own workflow (evaluator, auditor)."""


class ChangeControl(PolicyModel):
    """Who may change the policy, who approves and who is consulted."""

    proposer_roles: list[str] = Field(min_length=1)
    """Roles allowed to propose a change."""
    approver_roles: list[str] = Field(min_length=1)
    """Roles that must approve a change."""
    consulted_roles: list[str] = Field(default_factory=list)
    """Roles that must be consulted before approval."""
    publication_before_effect: bool = False
    """Whether a change must be published before it takes effect."""
    source: Source
    """Where change control is stated."""


class Routing(PolicyModel):
    """A routing rule for noncompliance reports."""

    concerning_role: str = Field(min_length=1)
    """Reports concerning a holder of this role..."""
    route_to: str = Field(min_length=1)
    """...go to this role instead of the default recipient."""
    source: Source
    """Where the routing is stated."""


class NoncomplianceRules(PolicyModel):
    """How potential noncompliance is reported and handled."""

    anonymous_intake: bool = True
    """Whether staff may report anonymously (no identity, address or session is stored)."""
    recipient_role: str = Field(min_length=1)
    """Role that receives reports by default (the RSO in RSP v2)."""
    routing: list[Routing] = Field(default_factory=list)
    """Exceptions to the default recipient."""
    material_risk_notify_role: str | None = None
    """Role promptly notified of noncompliance posing material risk (the board in RSP v2)."""
    summary_interval_months: int | None = Field(default=None, ge=1)
    """Other cases roll up into summaries at this interval (quarterly: 3)."""
    recipient_options: list[str] = Field(default_factory=list, exclude_if=empty)
    """Further roles a reporter may choose to send a report to instead of the default recipient (RSP v3.x: an
    executive who does not report to the RSO)."""
    source: Source
    """Where the noncompliance process is stated."""


class ReviewCadence(PolicyModel):
    """A recurring obligation: a review, a public update, a drill."""

    id: str = Field(min_length=1, pattern=r"^[a-z][a-z0-9_\-]*$")
    """Identifier, e.g. `procedural-review`."""
    title: str = Field(min_length=1)
    """What recurs."""
    interval_months: int = Field(ge=1)
    """Longest allowed gap between occurrences."""
    responsible_role: str = Field(min_length=1)
    """Role accountable for it."""
    kind: Literal["review", "publication", "drill", "summary", "reapproval"] = "review"
    """What sort of obligation it is."""
    third_party: bool = Field(default=False, exclude_if=empty)
    """Whether the review is commissioned from a third party (RSP v3.x's procedural compliance review)."""
    source: Source
    """Where the cadence is stated."""


class Briefing(PolicyModel):
    """A standing commitment to brief a body on a subject, with or without a stated interval."""

    role: str = Field(min_length=1)
    """Role briefed, e.g. `ltbt`."""
    topics: list[str] = Field(min_length=1)
    """What the briefings cover, as the text lists it."""
    interval_months: int | None = Field(default=None, ge=1)
    """Longest gap between briefings; null when the text says only "regularly"."""
    responsible_role: str = Field(min_length=1)
    """Role accountable for holding them."""
    source: Source
    """Where the briefings are required."""


class Governance(PolicyModel):
    """Everything about people and process that is not a capability rule."""

    roles: list[Role] = Field(min_length=1)
    """Every role the policy refers to."""
    change_control: ChangeControl
    """How the policy changes."""
    noncompliance: NoncomplianceRules
    """How noncompliance is reported and handled."""
    cadences: list[ReviewCadence] = Field(default_factory=list)
    """Recurring reviews, publications and drills."""
    briefings: list[Briefing] = Field(default_factory=list, exclude_if=empty)
    """Standing briefings of governing bodies."""
