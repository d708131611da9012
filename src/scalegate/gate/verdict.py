"""A gate verdict: the outcome, the reasons as a tree (each citing a policy clause), and the errors.

Like a Cedar or OPA decision, a verdict is never a bare boolean: it says what was decided, which rules decided
it, with which numbers, and what went wrong while deciding. Unlike Cedar, a rule that errors yields ``pause``.

Every reason carries a stable ``code`` (``ReasonCode``): programs and tests match on the code, people read the
text, and rewording a text changes no meaning a program relies on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, TypedDict, get_args

from scalegate.gate.seal import State
from scalegate.jsonable import JsonObject
from scalegate.vocabulary import ACTIONS, EXIT_CODES, Action, Outcome

__all__ = [
    "ACTIONS",
    "EXIT_CODES",
    "REASON_CODES",
    "Action",
    "Effect",
    "InterimRestriction",
    "Outcome",
    "Reason",
    "ReasonCode",
    "ReasonDocument",
    "Verdict",
    "VerdictDocument",
]

Effect = Literal["blocks", "restricts", "satisfied", "info"]
"""What a reason does to the outcome."""

ReasonCode = Literal[
    "gate.error",
    "store.unavailable",
    "record.unverified",
    "policy.no_action_rule",
    "trigger.overdue",
    "trigger.pending",
    "trigger.assessment_due",
    "finding",
    "finding.indicator",
    "determination.less_conservative",
    "standard.met",
    "standard.unmet",
    "standard.criterion_unmet",
    "standard.note",
    "training_pause",
    "training_pause.met",
    "training_pause.sufficient",
    "training_pause.comparable",
    "decision.missing",
    "decision.stale",
    "decision.rejected",
    "decision.unsigned",
    "decision.unnotified",
    "decision.complete",
    "affirmative_case.missing",
    "government_notice.due",
    "government_notice.sent",
    "interim_measures.apply",
    "risk_report.overdue",
    "risk_report.not_covered",
    "risk_report.board_approval_missing",
    "risk_report.current",
    "offcycle.overdue",
    "offcycle.pending",
    "external_review.overdue",
    "external_review.pending",
    "external_review.commentary_late",
    "competitor.delay",
    "competitor.best_effort",
    "competitor.unsigned",
    "threshold.consequence_binding",
]
"""The stable codes of a verdict's reasons; ``docs/gate.md`` explains each one (a test checks it does)."""

REASON_CODES: tuple[ReasonCode, ...] = get_args(ReasonCode)


class ReasonDocument(TypedDict):
    """A reason as JSON (``Reason.to_dict``); ``data`` holds the numbers its rule chose to show."""

    code: ReasonCode
    text: str
    clause: str | None
    effect: Effect
    data: JsonObject
    children: list[ReasonDocument]


class InterimRestriction(TypedDict):
    """Approved interim measures that turn a pause into a restriction: the decision, its scope and the
    actions it covers, until when, under which clause."""

    decision_id: int
    scope: str | None
    actions: list[str] | None
    expires_at: str | None
    clause: str


class VerdictDocument(TypedDict):
    """A verdict as JSON (``Verdict.to_dict``): what the CLI, the API and the verdict cache give out."""

    ref: str
    action: str
    outcome: Outcome
    exit_code: int
    decided_at: str
    policy: dict[str, str]
    required: dict[str, str]
    restrictions: list[InterimRestriction]
    reasons: list[ReasonDocument]
    errors: list[str]
    valid_until: str | None


@dataclass
class Reason:
    """One node of the explanation tree."""

    code: ReasonCode
    text: str
    clause: str | None = None
    effect: Effect = "info"
    data: dict[str, Any] = field(default_factory=dict)
    children: list[Reason] = field(default_factory=list)

    def to_dict(self) -> ReasonDocument:
        return {
            "code": self.code,
            "text": self.text,
            "clause": self.clause,
            "effect": self.effect,
            "data": self.data,
            "children": [c.to_dict() for c in self.children],
        }

    def walk(self) -> list[Reason]:
        """This reason and all below it, depth first."""
        return [self, *(r for c in self.children for r in c.walk())]


@dataclass
class Verdict:
    """The gate's answer for one action on one checkpoint."""

    ref: str
    action: str
    outcome: Outcome
    reasons: list[Reason]
    decided_at: datetime
    policy: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    restrictions: list[InterimRestriction] = field(default_factory=list)
    required: dict[str, str] = field(default_factory=dict)
    valid_until: datetime | None = None
    exit_code: int = 3
    state_version: int | None = None
    """The audit log's size in the snapshot the verdict was decided from; None when it could not be read."""
    sealed_state: State | None = None
    """The state (audit root, policy, blob store) of the snapshot the verdict was decided from, read in that
    snapshot when the caller asks for it (``evaluate_actions(..., sealed=True)``, for the verdict cache)."""

    def __post_init__(self) -> None:
        if self.exit_code == 3 and self.outcome != "pause":
            self.exit_code = EXIT_CODES[self.outcome]

    def codes(self, effect: Effect | None = None) -> list[ReasonCode]:
        """The codes of every reason in the tree (with ``effect``, only of those with that effect)."""
        return [r.code for top in self.reasons for r in top.walk() if effect is None or r.effect == effect]

    def to_dict(self) -> VerdictDocument:
        return {
            "ref": self.ref,
            "action": self.action,
            "outcome": self.outcome,
            "exit_code": self.exit_code,
            "decided_at": self.decided_at.isoformat(),
            "policy": self.policy,
            "required": self.required,
            "restrictions": self.restrictions,
            "reasons": [r.to_dict() for r in self.reasons],
            "errors": self.errors,
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
        }
