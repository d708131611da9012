"""Capability thresholds, their indicators (evaluation bindings) and how indicators combine."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from scalegate.policy._base import PolicyModel, Source
from scalegate.policy.obligations import CommitmentStrength, empty
from scalegate.policy.standards import SafeguardRequirement

__all__ = [
    "AlertMeaning",
    "Combine",
    "ConsequenceKind",
    "CrossingBranch",
    "CrossingParameter",
    "CrossingTest",
    "Direction",
    "Elicitation",
    "EvalHarness",
    "Evaluation",
    "Indicator",
    "MitigationTrack",
    "Threshold",
    "ThresholdBasis",
    "ThresholdConsequence",
    "ThresholdStatus",
]

Direction = Literal["higher_is_more_capable", "lower_is_more_capable"]
"""Which way a metric moves as the model becomes more capable."""

ThresholdStatus = Literal["active", "checkpoint", "ongoing_assessment", "research_category", "obligation"]
"""`active` thresholds require safeguards; a `checkpoint` triggers work instead of safeguards (RSP v2's
autonomy checkpoint); `ongoing_assessment` and `research_category` capabilities are tracked and reported
but do not yet map to required safeguards; an `obligation` threshold requires no level either: crossing it
(or failing to rule it out) brings the obligations its `consequences` name, an analysis, an argument or a
disclosure (RSP v3.x)."""

ThresholdBasis = Literal["capability", "usage"]
"""What a threshold measures: what a model can do, or how it is used and relied on (RSP v3.x's misaligned AI
systems in high-stakes settings: "highly relied on and have extensive access to sensitive assets")."""

ConsequenceKind = Literal["analysis", "argument", "disclosure", "review", "mitigation"]
"""What reaching a threshold obliges: an analysis of the model's risks; an argument that risk is contained; a
disclosure (e.g. in a Risk Report); a review; a mitigation the lab maintains."""

AlertMeaning = Literal["cannot_rule_out", "comprehensive_assessment"]
"""What a result inside the safety buffer means: treat the threshold as not ruled out (the RSP's fail-closed
reading), or trigger a comprehensive assessment (GDM's alert thresholds)."""

EvalHarness = Literal["inspect", "lm_eval", "manual"]
"""Where an indicator's results come from."""

Elicitation = Literal[
    "best_of_n", "chain_of_thought", "helpful_only", "tool_use", "fine_tuning", "scaffolding"
]
"""Elicitation techniques a policy may require before a result can count."""


class Evaluation(PolicyModel):
    """The evaluation an indicator reads."""

    harness: EvalHarness
    """`inspect` (task registry name), `lm_eval` (task name) or `manual` (a human trial or expert grading)."""
    task: str = Field(min_length=1)
    """Task name: an Inspect registry name like `inspect_evals/wmdp_bio`, an lm-eval task, or a manual id."""
    task_version: str | None = None
    """The task version the threshold was calibrated on; results of another version are insufficient."""
    scorer: str | None = None
    """The scorer whose metric is read (Inspect); null takes the first scorer of the log."""


class Indicator(PolicyModel):
    """One measurable signal of a threshold: an evaluation metric compared with threshold and alert values."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
    """Identifier unique within the policy."""
    evaluation: Evaluation
    """Which evaluation produces the metric."""
    metric: str = Field(min_length=1)
    """Metric name, e.g. `accuracy` (Inspect) or `acc` (lm-eval)."""
    direction: Direction = "higher_is_more_capable"
    """Whether higher or lower values mean more capable."""
    threshold: float | None = None
    """Value at or past which the threshold counts as crossed; null when the framework publishes no number."""
    alert: float | None = None
    """Safety-buffer value: between alert and threshold the capability cannot be ruled out; null: unknown."""
    min_samples: int = Field(default=1, ge=1)
    """Fewest distinct samples a result needs to count."""
    min_epochs: int = Field(default=1, ge=1)
    """Fewest epochs per sample a result needs to count."""
    required_elicitation: list[Elicitation] = Field(default_factory=list)
    """Elicitation the result's metadata must declare, or the result counts as insufficient."""
    example: bool = False
    """True for an example binding to a public eval that a lab replaces with its own calibrated evaluation."""
    note: str | None = None
    """Explanation, e.g. why a value is null or where an example number comes from."""
    source: Source
    """Where the capability this indicator measures is stated."""

    @model_validator(mode="after")
    def _alert_on_safe_side(self) -> Indicator:
        if self.threshold is not None and self.alert is not None:
            if self.direction == "higher_is_more_capable" and self.alert > self.threshold:
                raise ValueError(
                    f"alert {self.alert} must not exceed threshold {self.threshold} "
                    "when higher is more capable"
                )
            if self.direction == "lower_is_more_capable" and self.alert < self.threshold:
                raise ValueError(
                    f"alert {self.alert} must not be below threshold {self.threshold} "
                    "when lower is more capable"
                )
        return self


class CrossingParameter(PolicyModel):
    """A number the text gives in a threshold's test, e.g. "within a factor of 5"."""

    name: str = Field(min_length=1, pattern=r"^[a-z][a-z0-9_]*$")
    """Identifier, e.g. `cost_factor`."""
    value: float
    """The number as the text gives it."""
    unit: str = Field(min_length=1)
    """What it counts, e.g. `times the cost of the staff replaced`."""


class CrossingBranch(PolicyModel):
    """One branch of a threshold's test: every clause of `requires` must hold."""

    id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9_\-]*$")
    """Identifier, e.g. `full-substitution`."""
    text: str = Field(min_length=1)
    """The branch, close to the published wording."""
    requires: list[str] = Field(default_factory=list)
    """Clauses that must all hold for the branch ("(a) ... and (b) ..."); empty: the text is one clause."""
    parameters: list[CrossingParameter] = Field(default_factory=list)
    """Numbers the branch states; none is invented where the text gives none."""
    source: Source
    """Where the branch is stated."""


class CrossingTest(PolicyModel):
    """How the text operationalises crossing a threshold: branches combined either/or or all together."""

    mode: Literal["any", "all"] = "any"
    """`any`: one branch suffices (RSP v3.1+ automated R&D: substitution OR dramatic acceleration)."""
    branches: list[CrossingBranch] = Field(min_length=1)
    """The branches."""
    determined_by: list[str] = Field(default_factory=list)
    """Roles that conclude the threshold is crossed; empty when the text names none."""


class ThresholdConsequence(PolicyModel):
    """An obligation reaching the threshold brings, instead of (or besides) a required level."""

    kind: ConsequenceKind
    """What sort of obligation."""
    text: str = Field(min_length=1)
    """The obligation, close to the published wording."""
    obligation: str | None = None
    """Id of the document or review obligation that carries it out, if the policy states one; a binding one
    binds the model in the gate while the threshold is crossed or not ruled out."""
    strength: CommitmentStrength = "binding"
    """How firmly the text commits."""
    source: Source
    """Where the consequence is stated."""


class MitigationTrack(PolicyModel):
    """One column of mitigations for a threshold: the company's own plan, or an industry-wide
    recommendation."""

    track: Literal["company_plan", "industry_recommendation"]
    """Whose mitigations these are: what the lab plans regardless of others, or what it recommends to all."""
    strength: CommitmentStrength
    """How firmly the text commits to this track."""
    items: list[str] = Field(min_length=1)
    """The mitigations or arguments, close to the published wording."""
    hedges: list[str] = Field(default_factory=list)
    """Limits the text puts on the commitment, e.g. "we cannot make guarantees"."""
    actors: list[str] = Field(default_factory=list)
    """Attackers or misusers the mitigations must address, as the text names them."""
    source: Source
    """Where the track is stated."""


class Combine(PolicyModel):
    """How a threshold's indicator findings combine into the threshold's finding."""

    mode: Literal["any", "all", "k_of_n"] = "any"
    """`any`: one indicator not ruled out keeps the threshold not ruled out; `all`: every indicator must be;
    `k_of_n`: at least `k` must be."""
    k: int | None = Field(default=None, ge=1)
    """For `k_of_n`: how many indicators must be not ruled out."""

    @model_validator(mode="after")
    def _k_matches_mode(self) -> Combine:
        if self.mode == "k_of_n" and self.k is None:
            raise ValueError("combine mode k_of_n needs k")
        if self.mode != "k_of_n" and self.k is not None:
            raise ValueError(f"k is only meaningful with mode k_of_n, not {self.mode}")
        return self


class Threshold(PolicyModel):
    """A Capability Threshold (or checkpoint, or tracked category) and the safeguards it requires."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-& ]*$")
    """Identifier as the framework names it, e.g. `CBRN-3`, `AI R&D-4`."""
    domain: str = Field(min_length=1)
    """Risk domain, e.g. `CBRN`, `Autonomous AI R&D`, `Cyber`."""
    name: str = Field(min_length=1)
    """Short name."""
    definition: str = Field(min_length=1)
    """The capability, close to the published wording."""
    status: ThresholdStatus = "active"
    """Whether the threshold requires safeguards, triggers work, or is only tracked."""
    required_safeguards: list[SafeguardRequirement] = Field(default_factory=list)
    """Standards required when the threshold cannot be ruled out."""
    mapping: Literal["required", "expected"] = "required"
    """`expected` when the text only says the threshold is expected to need these safeguards (RSP CBRN-4)."""
    affirmative_case_required: bool = False
    """Whether proceeding also needs a signed affirmative case (RSP v2.2 AI R&D-4 and -5)."""
    indicators: list[Indicator] = Field(default_factory=list)
    """Evaluations that bear on the threshold. With no indicator, data can never rule the threshold out."""
    combine: Combine = Field(default_factory=Combine)
    """How indicators combine."""
    alert_means: AlertMeaning = "cannot_rule_out"
    """What a finding inside the safety buffer means."""
    rules_out: list[str] = Field(default_factory=list)
    """Thresholds that count as ruled out whenever this one is ruled out by evidence: an earlier checkpoint
    (RSP v2's autonomy checkpoint rules out AI R&D-4 and -5), or a lower threshold of an ordered domain
    (ruling out CBRN-3 rules out CBRN-4). Only a `ruled_out` finding propagates; anything else leaves the
    others to their own evidence."""
    on_reach: list[str] = Field(default_factory=list)
    """For a checkpoint, or a capability that is only tracked: the work or response reaching it triggers, as
    the text lists it."""
    basis: ThresholdBasis = Field(default="capability", exclude_if=lambda v: v == "capability")
    """Whether the threshold is about capability or about usage and reliance."""
    crossing: CrossingTest | None = Field(default=None, exclude_if=empty)
    """How crossing is operationalised, when the text states a test (either/or branches, numbers)."""
    consequences: list[ThresholdConsequence] = Field(default_factory=list, exclude_if=empty)
    """Obligations reaching the threshold brings (an analysis, an argument, a disclosure)."""
    mitigations: list[MitigationTrack] = Field(default_factory=list, exclude_if=empty)
    """Mitigation tracks (company plan, industry recommendation), each with its strength."""
    source: Source
    """Where the threshold is stated."""
