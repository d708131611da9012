"""What the active policy obliges, as the document workflows read it: one typed view of its obligations.

The policy file states document obligations (a Risk Report and its cadence, coverage date, approvers, the
bodies told or asked to approve, disclosure tiers), review obligations (an off-cycle analysis after a
determination, an external review with its chained clocks), roadmap goals and competitor-contingent
outcomes, each with its strength of commitment and its clause (``scalegate.policy.obligations``). The
workflows, the calendar and the gate read them through this module only, so that the engine holds no
framework's numbers: change the policy file, and the clocks follow.

``reading.terms_of`` reads them from a policy; a policy without such obligations (RSP v2.2 and the other
v2-style files) yields ``None``: nothing here applies to it, and the gate adds no reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "Audience",
    "CompetitorTerms",
    "DocumentTerms",
    "OffCycleTerms",
    "ReportTerms",
    "ReviewTerms",
    "RoadmapTerms",
    "Scenario",
]


@dataclass(frozen=True)
class Audience:
    """Who receives which version of a report."""

    id: str
    """`public`, `unredacted`, `minimally_redacted`..."""
    version: str
    """`redacted`, `unredacted` or `minimally_redacted`."""
    min_recipients: int | None
    """A count the policy names (at least 200 employees), or None."""
    redaction_notes: bool
    """Each redaction of this version is disclosed with a note."""
    clause: str


@dataclass(frozen=True)
class ReportTerms:
    """The periodic Risk Report."""

    obligation: str
    title: str
    min_interval_months: int
    max_interval_months: int
    coverage_max_days: int
    """The coverage date is at most this many days before publication."""
    approvers: tuple[str, ...]
    notify: tuple[str, ...]
    """Bodies the approved report is shared with."""
    approve_when_marginal_risk: tuple[str, ...]
    """Bodies whose explicit approval is needed when a marginal-risk argument plays a major role."""
    redacted_deemers: tuple[str, ...]
    """Roles any one of which may deem the public version significantly redacted."""
    audiences: tuple[Audience, ...]
    redaction_reasons: tuple[str, ...]
    binding: bool
    cadence_clause: str
    coverage_clause: str
    approval_clause: str
    notify_clause: str
    marginal_risk_clause: str
    publication_clause: str


@dataclass(frozen=True)
class OffCycleTerms:
    """The off-cycle analysis of one model after a determination."""

    obligation: str
    deadline_days: int | None
    """Days after the determination (None: no deadline is stated, as for a public deployment)."""
    deployment: str
    binding: bool
    clause: str


@dataclass(frozen=True)
class ReviewTerms:
    """The external review of a Risk Report."""

    obligation: str
    send_within_days: int
    """Days after the report goes to the bodies it is shared with."""
    commentary_within_days: int
    """Days after a reviewer receives the report."""
    selection_approvers: tuple[str, ...]
    selection_consulted: tuple[str, ...]
    requesters: tuple[str, ...]
    """Roles that may request a review beyond the required one."""
    split_allowed: bool
    binding: bool
    trigger_clause: str
    selection_clause: str
    timing_clause: str


@dataclass(frozen=True)
class RoadmapTerms:
    """The roadmap: goals, not hard commitments; misses are listed by the next report."""

    areas: tuple[str, ...]
    binding: bool
    clause: str
    misses_clause: str


@dataclass(frozen=True)
class Scenario:
    """One competitor scenario and the outcome a signed determination of it has."""

    id: str
    title: str
    outcome: str
    """`delay` or `best_effort`."""
    clause: str


@dataclass(frozen=True)
class CompetitorTerms:
    """Outcomes conditioned on a recorded determination about competitors."""

    signers: tuple[str, ...]
    scenarios: tuple[Scenario, ...]
    clause: str


@dataclass(frozen=True)
class DocumentTerms:
    """Everything of the policy the document workflows need."""

    policy_id: str
    report: ReportTerms | None = None
    offcycle: tuple[OffCycleTerms, ...] = ()
    review: ReviewTerms | None = None
    roadmap: RoadmapTerms | None = None
    competitors: CompetitorTerms | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def offcycle_for(self, deployment: str) -> OffCycleTerms | None:
        """The off-cycle obligation for a kind of deployment, if the policy has one."""
        return next((o for o in self.offcycle if o.deployment == deployment), None)
