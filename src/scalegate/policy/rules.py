"""Rules of process: assessment triggers, decisions and sign-offs, notifications, the gate's action rules."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from scalegate.policy._base import PolicyModel, Source
from scalegate.policy.standards import SafeguardKind, SafeguardRequirement
from scalegate.vocabulary import Action

__all__ = [
    "ActionRule",
    "AssessmentTriggers",
    "CalendarTrigger",
    "ComputeTrigger",
    "DecisionRule",
    "DecisionType",
    "DiscretionaryTrigger",
    "EventTrigger",
    "GovernmentNotice",
    "InterimMeasures",
    "Notification",
    "NotificationTiming",
    "SafetyBuffer",
    "TrainingPause",
    "TriggerEvent",
]

DecisionType = Literal[
    "capability_determination",
    "safeguards_determination",
    "deployment",
    "interim_measures",
    "affirmative_case",
    "policy_change",
    "risk_report",
    "risk_report_board",
    "reviewer_selection",
    "competitor_scenario",
]
"""Kinds of human decision the policy sets sign-off rules for. The last four are implied by a policy's
obligations when it states no explicit rule (``scalegate.policy.implied``): a Risk Report's approval, the
explicit approval the Board and LTBT give when a marginal-risk argument is major, the approval of external
reviewers, and a signed competitor-scenario determination."""

NotificationTiming = Literal["before_proceeding", "after_decision", "promptly"]
"""When a notification must be delivered relative to the decision it reports."""

TriggerEvent = Literal[
    "before_deployment",
    "capability_increase",
    "deployment_change",
    "training_run_completed",
    "development_checkpoint",
]
"""Events after which a framework calls for an assessment: a planned deployment; meaningful new capabilities
or a material (or unexpected) increase in performance; a significant change of deployment conditions
(fine-tuning access, released weights); the end of a pre- or post-training run; a checkpoint chosen during
development."""


class ComputeTrigger(PolicyModel):
    """Comprehensive assessment due when effective compute grows by a ratio since the last one."""

    ratio: float = Field(gt=1.0)
    """Effective-compute multiple since the last comprehensively assessed checkpoint (4.0 in RSP v2)."""
    source: Source
    """Where the ratio is stated."""


class CalendarTrigger(PolicyModel):
    """Comprehensive assessment due when calendar time of post-training elicitation has accumulated."""

    months: int = Field(ge=1)
    """Months since the last comprehensive assessment (6 in RSP v2, 3 in v1.0)."""
    basis: Literal["since_last_assessment", "post_training_accumulated"] = "since_last_assessment"
    """What the months count: time since the last comprehensive assessment, or accumulated post-training."""
    source: Source
    """Where the interval is stated."""


class DiscretionaryTrigger(PolicyModel):
    """Who may call for a comprehensive assessment at their discretion."""

    roles: list[str] = Field(min_length=1)
    """Role ids allowed to request an assessment (the RSO in RSP v2)."""
    source: Source
    """Where the discretion is granted."""


class EventTrigger(PolicyModel):
    """An assessment the framework calls for when an event happens, not at a compute or calendar mark."""

    id: str = Field(min_length=1, pattern=r"^[a-z][a-z0-9_\-]*$")
    """Identifier, e.g. `first-external-deployment`."""
    event: TriggerEvent
    """Which kind of event triggers the assessment."""
    text: str = Field(min_length=1)
    """The condition, close to the published wording."""
    source: Source
    """Where the trigger is stated."""


class SafetyBuffer(PolicyModel):
    """A safety buffer stated as an effective-compute multiple (RSP v1.0's 6x)."""

    effective_compute_multiple: float = Field(gt=1.0)
    """Evaluations must show the threshold is not reached within this multiple of the tested model's effective
    compute; the assessment trigger ratio must stay below it."""
    source: Source
    """Where the buffer is stated."""


class AssessmentTriggers(PolicyModel):
    """When a comprehensive assessment is due and how long it may take."""

    effective_compute: ComputeTrigger | None = None
    """Trigger on effective-compute growth; null when the framework has none."""
    calendar: CalendarTrigger | None = None
    """Trigger on elapsed time; null when the framework has none."""
    discretionary: DiscretionaryTrigger | None = None
    """Discretionary trigger; null when the framework names none."""
    events: list[EventTrigger] = Field(default_factory=list)
    """Event-based triggers the text states (a planned deployment, a capability jump...); empty if none."""
    safety_buffer: SafetyBuffer | None = None
    """Safety buffer as a compute multiple; null when the framework expresses buffers per indicator only."""
    deadline_days: int | None = Field(default=None, ge=1)
    """Days after a trigger fires by which the assessment and decision should conclude (about a month: 30)."""
    deadline_source: Source | None = None
    """Where the deadline is stated."""


class Notification(PolicyModel):
    """Who must be notified of a decision, and when."""

    role: str = Field(min_length=1)
    """Role id notified, e.g. `board`, `ltbt`."""
    timing: NotificationTiming = "before_proceeding"
    """Whether proceeding waits for the notification."""
    source: Source
    """Where the notification is required."""


class DecisionRule(PolicyModel):
    """Who signs a type of decision, and who must be told."""

    decision: DecisionType
    """Which decision this rule governs."""
    signoff_roles: list[str] = Field(min_length=1)
    """Every role listed must sign, each by a different person."""
    notify: list[Notification] = Field(default_factory=list)
    """Notifications the decision requires."""
    source: Source
    """Where the rule is stated."""


class GovernmentNotice(PolicyModel):
    """A notice to a government entity when a model requires more than a given level."""

    recipient: str = Field(min_length=1)
    """Who receives it, e.g. `U.S. Government entity`."""
    when_required_exceeds: list[SafeguardRequirement] = Field(min_length=1)
    """The notice is due when a required level of any listed kind ranks above the listed level."""
    source: Source
    """Where the notice is required."""


class ActionRule(PolicyModel):
    """What the gate requires before an action may proceed."""

    action: Action
    """The action governed."""
    requires_kinds: list[SafeguardKind] = Field(default_factory=list)
    """Kinds whose required standard must be met."""
    requires_decisions: list[DecisionType] = Field(default_factory=list)
    """Decisions that must be signed and notified, bound to the current state."""
    requires_obligations: list[str] = Field(
        default_factory=list,
        exclude_if=lambda v: not v,  # absent from the dump when empty: hashes stay
    )
    """Ids of binding document or review obligations (`obligations`) that must be met for the model: a
    current Risk Report covering it, no overdue off-cycle analysis or review, every approval the rule asks."""
    source: Source
    """Where the rule is stated."""


class TrainingPause(PolicyModel):
    """The training-pause rule: no training at or above a multiple of the effective compute of a model whose
    required security (or other) standard is not met."""

    kind: SafeguardKind = "security"
    """The kind whose required standard must be met to keep training."""
    effective_compute_multiple: float = Field(default=1.0, gt=0)
    """Pause any run at or above this multiple of that model's effective compute (1x in RSP v2)."""
    sufficient_level: str | None = None
    """A level of that kind that suffices to continue training even if more is required (ASL-3 in RSP v2)."""
    source: Source
    """Where the rule is stated."""


class InterimMeasures(PolicyModel):
    """Interim measures that may turn a pause into a restricted continuation until safeguards are in place."""

    approver_roles: list[str] = Field(min_length=1)
    """Roles that must all approve interim measures."""
    notify: list[Notification] = Field(default_factory=list)
    """Who must be told of the interim plan."""
    actions: list[Action] = Field(min_length=1)
    """Actions interim measures may allow in restricted form."""
    max_duration_days: int | None = Field(default=None, ge=1)
    """Longest an interim measure may stand; null when the text sets no limit."""
    source: Source
    """Where interim measures are allowed."""
