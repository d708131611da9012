"""Obligations: the documents, reviews, determinations and conditional outcomes a framework commits to.

Frameworks like RSP v3.x bind a lab less by "threshold -> required safeguard level" than by process: publish a
Risk Report every 3-6 months, have it approved, share it, have it reviewed externally under a condition, and
answer a determination with a dated analysis. This module states those commitments as data; the engine reads
them without knowing which framework wrote them. Every part is optional, so a policy without obligations
(the v2.2 shape) keeps its meaning and its content hash.

Python API (``policy.obligations`` is ``None`` when a policy states none)::

    ob = policy.obligations                      # Obligations | None
    ob.document("risk-report")                   # DocumentObligation by id (KeyError if absent)
    ob.documents_of("offcycle_analysis")         # every DocumentObligation of a DocumentKind
    ob.review("external-review")                 # ReviewObligation by id
    ob.determination("significantly_redacted")   # DeterminationRule by DeterminationKind, or None
    ob.term("highly_capable")                    # DefinedTerm by id, or None
    ob.obligation_ids()                          # ids of every document and review obligation

    doc.kind, doc.strength, doc.item_strength    # DocumentKind, CommitmentStrength (keeping it; its items)
    doc.cadence.min_months, .max_months          # Cadence | None: the window between publications
    doc.coverage.max_days_before_publication     # CoverageRule | None
    doc.trigger.determination, .deadline_days    # ObligationTrigger | None: an event that calls for it
    doc.approver_roles                           # roles that must all approve
    doc.notify                                   # [Notification(role, timing, source)] after approval
    doc.conditional_approvals                    # [ConditionalApproval(roles, when, source)]
    doc.disclosure                               # [DisclosureTier(audience, version, min_recipients,
                                                 #   redaction_notes, strength, source)]
    doc.contents                                 # [ContentItem(id, title, required_when, source)]
    doc.redaction_reasons                        # permitted reasons, as the text lists them

    rev.reviews                                  # id of the DocumentObligation it reviews
    rev.trigger.all_of, rev.trigger.requested_by # determinations that together require it; who may ask
    rev.deadlines                                # [Deadline(id, what, days, after, strength, source)]:
                                                 #   `after` is a ClockAnchor or the id of another deadline
    rev.selection.approver_roles, .consulted_roles, .criteria
    rev.split_allowed, rev.split_source

    ob.outcomes                                  # [OutcomeOption]: a determination kind (None: left to
                                                 #   judgment, never binding) + scenario id + the evidence
                                                 #   it needs -> delay | best_effort_no_delay | consider_pause
    policy.threshold(t).consequences             # [ThresholdConsequence(kind, obligation, strength, text)]
    policy.threshold(t).mitigations              # [MitigationTrack(track, strength, items, hedges)]
    policy.threshold(t).crossing                 # CrossingTest | None: branches combined any/all
    policy.threshold(t).basis                    # "capability" | "usage"
    action_rule.requires_obligations             # obligation ids the gate needs met for the action
    policy.governance.briefings                  # [Briefing(role, topics, interval_months, source)]
    policy.governance.noncompliance.recipient_options
    cadence.third_party                          # True for a review commissioned from a third party
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from scalegate.policy._base import PolicyModel, Source
from scalegate.policy.rules import Notification
from scalegate.vocabulary import Action

__all__ = [
    "Cadence",
    "ClockAnchor",
    "CommitmentStrength",
    "ConditionalApproval",
    "ContentItem",
    "CoverageRule",
    "Deadline",
    "DefinedTerm",
    "DeterminationKind",
    "DeterminationRule",
    "DisclosureAudience",
    "DisclosureTier",
    "DisclosureVersion",
    "DocumentKind",
    "DocumentObligation",
    "ObligationTrigger",
    "Obligations",
    "OutcomeKind",
    "OutcomeOption",
    "ReviewObligation",
    "ReviewTrigger",
    "ReviewerSelection",
    "empty",
]

CommitmentStrength = Literal["binding", "best_effort", "aim", "goal", "request", "recommendation"]
"""How firmly the text commits: `binding` ("we will"); `best_effort` ("we expect to ... although we cannot
make guarantees", "we will make a significant effort"); `aim` ("we will aim to", "we will strive"); `goal` (a
public goal that is "not a hard commitment", like a Roadmap item); `request` (the lab asks someone else, e.g.
reviewers for commentary); `recommendation` (what the text recommends industry-wide but does not commit to
unilaterally). Only `binding` obligations can block the gate."""

DocumentKind = Literal[
    "risk_report", "offcycle_analysis", "roadmap", "external_review_report", "compliance_review"
]
"""Kinds of document a framework obliges: a periodic Risk Report; an off-cycle analysis of one model; a
safety roadmap of goals; an external reviewer's report; a third-party compliance review."""

DeterminationKind = Literal[
    "internal_model_exceeds_analysis",
    "public_model_exceeds_analysis",
    "highly_capable",
    "significantly_redacted",
    "marginal_risk_argument",
    "marginal_risk_major_role",
    "competitor_scenario",
    "review_requested",
]
"""Determinations people record and sign, on which obligations and outcomes depend: an internally (or
publicly) deployed model exceeds what has been publicly analysed; a model is highly capable; a report's
public version is significantly redacted; a decision to move forward rests partly on a marginal-risk argument
(while industry-wide risk is high), or such an argument plays a major role in it; a competitor scenario
applies; a body asks for a review."""

ClockAnchor = Literal["determination", "governance_submission", "reviewer_receipt", "coverage_date"]
"""Events a deadline can count from: the recorded determination that triggered the obligation; submission of
the document to the governing bodies (the Board and LTBT); the reviewer's receipt of it; its coverage date.
A deadline may instead count from another deadline of the same obligation (a chained clock)."""

DisclosureAudience = Literal[
    "public", "employees", "regular_clearance_staff", "full_time_employees", "board", "ltbt"
]
"""Who receives a version of a document."""

DisclosureVersion = Literal["unredacted", "minimally_redacted", "redacted"]
"""Which version an audience receives."""

OutcomeKind = Literal["delay", "best_effort_no_delay", "consider_pause"]
"""What a conditional outcome commits to: delay development and deployment as needed; a significant effort
without necessarily delaying; strongly consider pausing."""


def empty(value: Any) -> bool:
    """True for a field value that says nothing (None, empty list, False): such fields are left out of a
    policy's dump, so adding them to the format does not change the content hash of policies without them."""
    return value is None or value == [] or value is False


class Cadence(PolicyModel):
    """A publication window: each publication falls between `min_months` and `max_months` after the last."""

    min_months: int | None = Field(default=None, ge=1)
    """Earliest month after the previous publication the text foresees (3 in "every 3-6 months")."""
    max_months: int = Field(ge=1)
    """Latest month after the previous publication: past it the document is overdue."""
    source: Source
    """Where the cadence is stated."""

    @model_validator(mode="after")
    def _window(self) -> Cadence:
        if self.min_months is not None and self.min_months > self.max_months:
            raise ValueError(f"min_months {self.min_months} exceeds max_months {self.max_months}")
        return self


class CoverageRule(PolicyModel):
    """How old the facts of a document may be when it is published."""

    max_days_before_publication: int = Field(ge=0)
    """The coverage date lies at most this many days before publication (30 in RSP v3.4)."""
    source: Source
    """Where the rule is stated."""


class ObligationTrigger(PolicyModel):
    """A recorded determination that calls for the document, and how long there is to deliver it."""

    determination: DeterminationKind
    """The determination that starts the obligation."""
    deadline_days: int | None = Field(default=None, ge=1)
    """Days from the determination to publication; null when the text sets no deadline."""
    text: str = Field(min_length=1)
    """The condition, close to the published wording."""
    source: Source
    """Where the trigger is stated."""


class ConditionalApproval(PolicyModel):
    """Roles whose explicit approval is needed only when a determination has been recorded."""

    roles: list[str] = Field(min_length=1)
    """Roles that must all approve (e.g. `board`, `ltbt`)."""
    when: DeterminationKind
    """The determination that makes their approval necessary (e.g. `marginal_risk_major_role`)."""
    source: Source
    """Where the rule is stated."""


class DisclosureTier(PolicyModel):
    """One audience of a document and the version it receives."""

    audience: DisclosureAudience
    """Who receives it."""
    version: DisclosureVersion
    """Which version: unredacted, minimally redacted or redacted."""
    min_recipients: int | None = Field(default=None, ge=1)
    """Fewest people who must receive it (200 unredacted copies in RSP v3.4); null: the whole audience."""
    redaction_notes: bool = False
    """Whether each redaction of this version must be disclosed, with a brief justification."""
    strength: CommitmentStrength = "binding"
    """How firmly the text commits to this tier."""
    source: Source
    """Where the tier is stated."""


class ContentItem(PolicyModel):
    """Something the document must contain."""

    id: str = Field(min_length=1, pattern=r"^[a-z][a-z0-9_\-]*$")
    """Identifier, e.g. `roadmap-changes`."""
    title: str = Field(min_length=1)
    """What the item is, close to the published wording."""
    required_when: DeterminationKind | None = None
    """The item is required only once this determination is recorded; null: always."""
    source: Source
    """Where the item is required."""


class DocumentObligation(PolicyModel):
    """A document the framework commits to produce: when, approved by whom, shown to whom."""

    id: str = Field(min_length=1, pattern=r"^[a-z][a-z0-9_\-]*$")
    """Identifier, e.g. `risk-report`."""
    kind: DocumentKind
    """What sort of document it is."""
    title: str = Field(min_length=1)
    """Name of the document as the text writes it."""
    strength: CommitmentStrength = "binding"
    """How firmly the text commits to producing it (keeping a Roadmap is binding, its goals are not)."""
    item_strength: CommitmentStrength | None = Field(default=None, exclude_if=empty)
    """How firmly the items the document sets are meant, when that differs (a Roadmap's goals: `goal`)."""
    scope: str | None = None
    """Which models it must cover, close to the published wording."""
    cadence: Cadence | None = None
    """Publication window for a periodic document; null for one called for by a trigger."""
    coverage: CoverageRule | None = None
    """How recent its coverage date must be; null when the text sets no rule."""
    trigger: ObligationTrigger | None = None
    """The determination that calls for it; null for a periodic document."""
    approver_roles: list[str] = Field(default_factory=list)
    """Roles that must all approve it before it is shared or published."""
    notify: list[Notification] = Field(default_factory=list)
    """Bodies told after approval (with the document and the decision)."""
    conditional_approvals: list[ConditionalApproval] = Field(default_factory=list)
    """Bodies whose explicit approval is needed when a determination is recorded."""
    disclosure: list[DisclosureTier] = Field(default_factory=list)
    """Audiences and the version each receives."""
    contents: list[ContentItem] = Field(default_factory=list)
    """What it must contain."""
    redaction_reasons: list[str] = Field(default_factory=list)
    """Reasons the text gives for redacting the public version (a list it says is not exhaustive)."""
    source: Source
    """Where the obligation is stated."""


class Deadline(PolicyModel):
    """One clock of a review: something must happen within `days` of an anchor or of another deadline."""

    id: str = Field(min_length=1, pattern=r"^[a-z][a-z0-9_\-]*$")
    """Identifier, e.g. `send`, `commentary`."""
    what: str = Field(min_length=1)
    """What must happen, e.g. `share the report with the reviewers`."""
    days: int = Field(ge=1)
    """Days allowed."""
    after: str = Field(min_length=1)
    """What the clock counts from: a `ClockAnchor`, or the id of another deadline of the same review (the
    clock then starts when that step is done)."""
    strength: CommitmentStrength = "binding"
    """`request` when the lab only asks someone else to meet it."""
    source: Source
    """Where the deadline is stated."""


class ReviewTrigger(PolicyModel):
    """When a review is required or may be asked for."""

    all_of: list[DeterminationKind] = Field(default_factory=list)
    """Determinations that together require the review (e.g. highly capable AND significantly redacted)."""
    requested_by: list[str] = Field(default_factory=list)
    """Roles any of whom may also ask for a review (the LTBT from RSP v3.2)."""
    source: Source
    """Where the trigger is stated."""


class ReviewerSelection(PolicyModel):
    """How reviewers are chosen."""

    approver_roles: list[str] = Field(default_factory=list)
    """Roles that must approve the selection (the LTBT from v3.2)."""
    consulted_roles: list[str] = Field(default_factory=list)
    """Roles consulted on the selection."""
    criteria: list[str] = Field(default_factory=list)
    """What a reviewer must satisfy (expertise, candour incentives, no conflict of interest)."""
    source: Source
    """Where selection is stated."""


class ReviewObligation(PolicyModel):
    """A review of a document by outside parties: its trigger, chained deadlines and who picks reviewers."""

    id: str = Field(min_length=1, pattern=r"^[a-z][a-z0-9_\-]*$")
    """Identifier, e.g. `external-review`."""
    title: str = Field(min_length=1)
    """Name of the review."""
    reviews: str = Field(min_length=1)
    """Id of the document obligation reviewed."""
    strength: CommitmentStrength = "binding"
    """How firmly the text commits to the review once triggered."""
    trigger: ReviewTrigger
    """When the review is required or may be requested."""
    deadlines: list[Deadline] = Field(default_factory=list)
    """The review's clocks, possibly chained."""
    selection: ReviewerSelection | None = None
    """How reviewers are chosen; null when the text says nothing."""
    split_allowed: bool = False
    """Whether the review may be split across reviewers, every section going to at least one."""
    split_source: Source | None = None
    """Where splitting is allowed."""
    source: Source
    """Where the review is stated."""

    @model_validator(mode="after")
    def _chained_deadlines(self) -> ReviewObligation:
        ids = [d.id for d in self.deadlines]
        anchors = set(ClockAnchor.__args__)  # type: ignore[attr-defined]
        for d in self.deadlines:
            if d.after not in anchors and d.after not in ids:
                raise ValueError(
                    f"deadline {d.id!r}: after {d.after!r} is neither an anchor"
                    f" ({', '.join(sorted(anchors))}) nor a deadline of this review"
                )
            if d.after == d.id:
                raise ValueError(f"deadline {d.id!r} cannot count from itself")
        if self.split_allowed and self.split_source is None:
            raise ValueError("split_allowed needs split_source")
        return self


class DeterminationRule(PolicyModel):
    """Who may record a determination, and whether one of them suffices."""

    kind: DeterminationKind
    """The determination."""
    roles: list[str] = Field(min_length=1)
    """Roles that may make it."""
    mode: Literal["any", "all"] = "all"
    """`any`: one role's judgment suffices (any of RSO, CEO, Board or LTBT deems a report significantly
    redacted); `all`: every role must sign."""
    text: str = Field(min_length=1)
    """What is determined, close to the published wording."""
    source: Source
    """Where the determination is described."""


class DefinedTerm(PolicyModel):
    """A term the text defines by a threshold, e.g. "highly capable": crosses the automated R&D threshold."""

    id: str = Field(min_length=1, pattern=r"^[a-z][a-z0-9_]*$")
    """Identifier, e.g. `highly_capable`."""
    text: str = Field(min_length=1)
    """The definition, close to the published wording."""
    threshold: str | None = None
    """Id of the threshold whose crossing makes the term apply; null when defined otherwise."""
    source: Source
    """Where the term is defined."""


class OutcomeOption(PolicyModel):
    """An outcome that applies once a determination is recorded (Appendix A's competitor scenarios)."""

    id: str = Field(min_length=1, pattern=r"^[a-z][a-z0-9_\-]*$")
    """Identifier of the scenario, e.g. `anthropic-in-the-lead`."""
    title: str = Field(min_length=1)
    """Scenario name as the text writes it."""
    determination: DeterminationKind | None = None
    """The determination that must be recorded (and signed) for this outcome to apply; null for an outcome
    left to judgment with no determination named (it cannot then be binding)."""
    condition: str = Field(min_length=1)
    """The scenario, close to the published wording."""
    evidence: list[str] = Field(default_factory=list)
    """Evidence the determination needs, as the text states it."""
    outcome: OutcomeKind
    """What the lab commits to in the scenario."""
    commitment: str = Field(min_length=1)
    """The commitment, close to the published wording."""
    strength: CommitmentStrength = "binding"
    """How firmly the text commits."""
    applies_to: list[Action] = Field(default_factory=list)
    """Actions the outcome bears on (a delay holds training and deployment)."""
    source: Source
    """Where the scenario is stated."""

    @model_validator(mode="after")
    def _binding_needs_determination(self) -> OutcomeOption:
        if self.determination is None and self.strength == "binding":
            raise ValueError(f"outcome {self.id!r}: a binding outcome needs the determination it rests on")
        return self


class Obligations(PolicyModel):
    """Every document, review, determination and defined term of a framework that binds by process."""

    documents: list[DocumentObligation] = Field(default_factory=list)
    """Documents the framework obliges."""
    reviews: list[ReviewObligation] = Field(default_factory=list)
    """Reviews of those documents."""
    determinations: list[DeterminationRule] = Field(default_factory=list)
    """Who records each determination the obligations depend on."""
    terms: list[DefinedTerm] = Field(default_factory=list)
    """Terms defined by thresholds."""
    outcomes: list[OutcomeOption] = Field(default_factory=list)
    """Outcomes that apply once a determination is recorded (e.g. competitor scenarios)."""

    def document(self, obligation_id: str) -> DocumentObligation:
        """A document obligation by id; raises KeyError if absent."""
        for doc in self.documents:
            if doc.id == obligation_id:
                return doc
        raise KeyError(obligation_id)

    def documents_of(self, kind: DocumentKind) -> list[DocumentObligation]:
        """Every document obligation of a kind."""
        return [d for d in self.documents if d.kind == kind]

    def review(self, obligation_id: str) -> ReviewObligation:
        """A review obligation by id; raises KeyError if absent."""
        for rev in self.reviews:
            if rev.id == obligation_id:
                return rev
        raise KeyError(obligation_id)

    def determination(self, kind: DeterminationKind) -> DeterminationRule | None:
        """The rule for a determination kind, if the policy has one."""
        return next((d for d in self.determinations if d.kind == kind), None)

    def term(self, term_id: str) -> DefinedTerm | None:
        """A defined term by id, if the policy has it."""
        return next((t for t in self.terms if t.id == term_id), None)

    def obligation_ids(self) -> set[str]:
        """Ids of every document and review obligation."""
        return {d.id for d in self.documents} | {r.id for r in self.reviews}

    def role_references(self) -> list[tuple[str, str]]:
        """Every (where, role) pair the obligations name, for the policy's role check."""
        refs: list[tuple[str, str]] = []
        for d in self.documents:
            refs += [(f"obligations.documents[{d.id}].approver_roles", r) for r in d.approver_roles]
            refs += [(f"obligations.documents[{d.id}].notify", n.role) for n in d.notify]
            for c in d.conditional_approvals:
                refs += [(f"obligations.documents[{d.id}].conditional_approvals", r) for r in c.roles]
        for rv in self.reviews:
            refs += [
                (f"obligations.reviews[{rv.id}].trigger.requested_by", r) for r in rv.trigger.requested_by
            ]
            if rv.selection:
                for field, roles in (
                    ("approver_roles", rv.selection.approver_roles),
                    ("consulted_roles", rv.selection.consulted_roles),
                ):
                    refs += [(f"obligations.reviews[{rv.id}].selection.{field}", r) for r in roles]
        for det in self.determinations:
            refs += [(f"obligations.determinations[{det.kind}].roles", r) for r in det.roles]
        return refs

    def problems(self, threshold_ids: set[str]) -> list[str]:
        """Cross-reference problems within the obligations (the policy reports the first)."""
        out: list[str] = []
        ids = [d.id for d in self.documents] + [r.id for r in self.reviews]
        outcome_ids = [o.id for o in self.outcomes]
        out += [
            f"duplicate outcome id {i!r}"
            for i in sorted({i for i in outcome_ids if outcome_ids.count(i) > 1})
        ]
        out += [f"duplicate obligation id {i!r}" for i in sorted({i for i in ids if ids.count(i) > 1})]
        kinds = [d.kind for d in self.determinations]
        out += [
            f"duplicate determination rule {k!r}" for k in sorted({k for k in kinds if kinds.count(k) > 1})
        ]
        documents = {d.id for d in self.documents}
        for rv in self.reviews:
            if rv.reviews not in documents:
                out.append(f"obligations.reviews[{rv.id}].reviews: no document obligation {rv.reviews!r}")
        for term in self.terms:
            if term.threshold is not None and term.threshold not in threshold_ids:
                out.append(f"obligations.terms[{term.id}].threshold: no threshold {term.threshold!r}")
        return out
