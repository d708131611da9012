"""The policy file: a whole frontier-safety framework as validated, versioned data.

The root model is ``Policy``. Structural validation comes from pydantic (unknown keys rejected, types,
ranges); the semantic checks that span sections (references resolve, ids are unique) live in
``Policy._check_references`` so that no invalid policy object can exist in memory.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, model_validator

from scalegate.policy._base import PolicyModel, Source
from scalegate.policy.coverage_notes import CoverageNotes
from scalegate.policy.governance import Governance
from scalegate.policy.obligations import Obligations, empty
from scalegate.policy.rules import (
    ActionRule,
    AssessmentTriggers,
    DecisionRule,
    GovernmentNotice,
    InterimMeasures,
    TrainingPause,
)
from scalegate.policy.standards import SafeguardLevel, SafeguardRequirement, SafeguardStandards
from scalegate.policy.thresholds import Indicator, Threshold

__all__ = [
    "SCHEMA_VERSION",
    "ChangelogEntry",
    "ElicitationQuality",
    "Framework",
    "Policy",
    "Redaction",
    "Statistics",
]

SCHEMA_VERSION = 1
"""The policy-file format version this code reads."""


class ChangelogEntry(PolicyModel):
    """One entry of the framework's own changelog."""

    version: str = Field(min_length=1)
    """Version the entry describes."""
    date: date
    """Date of that version."""
    summary: str = Field(min_length=1)
    """What changed."""


class Framework(PolicyModel):
    """Which framework and version the file encodes."""

    name: str = Field(min_length=1)
    """Framework name, e.g. `Responsible Scaling Policy`."""
    publisher: str = Field(min_length=1)
    """Who publishes it."""
    version: str = Field(min_length=1)
    """Version label, e.g. `2.2`."""
    effective_date: date
    """Date the version took effect."""
    published_date: date | None = None
    """Date the version was published, when different from the effective date."""
    document: str = Field(min_length=1)
    """Short name used in every `source.document` of this file."""
    url: str | None = None
    """Where the published text lives."""
    supersedes: str | None = None
    """Policy id of the version this one replaces."""
    changelog: list[ChangelogEntry] = Field(default_factory=list)
    """The framework's own changelog, newest last."""


class Statistics(PolicyModel):
    """How uncertainty is computed for decisions."""

    confidence_level: float = Field(default=0.95, gt=0.5, lt=1.0)
    """Two-sided confidence level of the intervals findings use."""
    binary_interval: Literal["wilson"] = "wilson"
    """Interval for binary (0/1) scores."""
    bootstrap_resamples: int = Field(default=2000, ge=100)
    """Resamples for the clustered bootstrap used for non-binary scores."""
    bootstrap_seed: int = 20240915
    """Seed of the bootstrap, so a decision is reproducible."""


class ElicitationQuality(PolicyModel):
    """Limits past which an evaluation result counts as insufficient evidence rather than reassurance."""

    max_error_rate: float = Field(default=0.05, ge=0, le=1)
    """Largest share of samples that may end in an error."""
    max_refusal_rate: float = Field(default=0.10, ge=0, le=1)
    """Largest share of samples the model may refuse."""
    max_limit_hit_rate: float = Field(default=0.10, ge=0, le=1)
    """Largest share of samples that may hit a token, time or message limit."""
    source: Source
    """Where the elicitation requirement is stated."""


class Redaction(PolicyModel):
    """What the public summary leaves out."""

    hide_indicator_values: bool = True
    """Omit estimates, intervals and threshold values of indicators."""
    hide_indicator_ids: list[str] = Field(default_factory=list)
    """Indicators omitted from public material altogether."""
    hide_evidence_files: bool = True
    """Omit evidence files from public material and reviewer bundles marked public."""
    source: Source | None = None
    """Where the publication commitment is stated."""


class Policy(PolicyModel):
    """A whole framework version. Every rule carries a `source` citation."""

    schema_version: Literal[1]
    """Format version of this file; always 1 for now."""
    id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9.\-]*$")
    """Policy id, e.g. `anthropic-rsp-2.2`."""
    title: str = Field(min_length=1)
    """Human title."""
    framework: Framework
    """Which framework and version."""
    safeguards: SafeguardStandards
    """Safeguard standards and their criteria."""
    thresholds: list[Threshold] = Field(min_length=1)
    """Capability thresholds, checkpoints and tracked categories."""
    triggers: AssessmentTriggers
    """When comprehensive assessments are due."""
    decisions: list[DecisionRule] = Field(default_factory=list)
    """Who signs what, and who is told."""
    government_notice: GovernmentNotice | None = None
    """Government notice rule, if any."""
    actions: list[ActionRule] = Field(min_length=1)
    """What the gate requires before each action."""
    training_pause: TrainingPause | None = None
    """The training-pause rule, if any."""
    interim_measures: InterimMeasures | None = None
    """Interim measures, if the framework allows them."""
    governance: Governance
    """Roles, change control, noncompliance, cadences."""
    statistics: Statistics = Field(default_factory=Statistics)
    """How uncertainty is computed."""
    elicitation: ElicitationQuality
    """Elicitation-quality limits."""
    redaction: Redaction = Field(default_factory=Redaction)
    """What the public summary leaves out."""
    obligations: Obligations | None = Field(default=None, exclude_if=empty)
    """Documents, reviews, determinations, defined terms and conditional outcomes the framework commits to
    (RSP v3.x); null for a framework that binds only through thresholds and safeguards."""
    coverage: CoverageNotes | None = Field(default=None, exclude_if=empty)
    """What the thresholds are called, and concepts the text leaves unaddressed or to the lab although the
    file must encode something for them (`scalegate policy coverage`); null when the rules say it all."""
    notes: list[str] = Field(default_factory=list)
    """Free-text notes on how the framework was encoded and what it leaves open."""

    # -- lookups used by the engine --------------------------------------------------------------------------

    def level(self, kind: str, level_id: str) -> SafeguardLevel:
        """The level of a kind by id; raises KeyError if absent."""
        for level in self.safeguards.levels:
            if level.kind == kind and level.id == level_id:
                return level
        raise KeyError(f"{kind} level {level_id}")

    def levels_of(self, kind: str) -> list[SafeguardLevel]:
        """The levels of a kind, weakest first."""
        return sorted((lv for lv in self.safeguards.levels if lv.kind == kind), key=lambda lv: lv.rank)

    def threshold(self, threshold_id: str) -> Threshold:
        """A threshold by id; raises KeyError if absent."""
        for threshold in self.thresholds:
            if threshold.id == threshold_id:
                return threshold
        raise KeyError(threshold_id)

    def indicators(self) -> list[tuple[Threshold, Indicator]]:
        """Every (threshold, indicator) pair."""
        return [(t, i) for t in self.thresholds for i in t.indicators]

    def decision_rule(self, decision: str) -> DecisionRule | None:
        """The rule for a decision type, if the policy has one."""
        return next((d for d in self.decisions if d.decision == decision), None)

    def role_ids(self) -> set[str]:
        """Every role id the policy defines."""
        return {r.id for r in self.governance.roles}

    # -- semantic checks -------------------------------------------------------------------------------------

    @model_validator(mode="after")
    def _check_references(self) -> Policy:
        problems: list[str] = []
        problems += _duplicates("safeguards.levels", [f"{lv.kind}:{lv.id}" for lv in self.safeguards.levels])
        problems += _duplicates("criterion id", [c.id for lv in self.safeguards.levels for c in lv.criteria])
        problems += _duplicates("threshold id", [t.id for t in self.thresholds])
        problems += _duplicates("indicator id", [i.id for _, i in self.indicators()])
        problems += _duplicates("role id", [r.id for r in self.governance.roles])
        problems += _duplicates("decision rule", [d.decision for d in self.decisions])
        problems += _duplicates("action rule", [a.action for a in self.actions])
        problems += _duplicates("trigger event id", [e.id for e in self.triggers.events])
        for kind in ("deployment", "security"):
            ranks = [lv.rank for lv in self.safeguards.levels if lv.kind == kind]
            problems += _duplicates(f"{kind} level rank", [str(r) for r in ranks])
        level_keys = {(lv.kind, lv.id) for lv in self.safeguards.levels}

        def check_req(where: str, req: SafeguardRequirement) -> None:
            if (req.kind, req.level) not in level_keys:
                problems.append(f"{where}: no {req.kind} level {req.level!r} in safeguards.levels")

        for n, req in enumerate(self.safeguards.baseline):
            check_req(f"safeguards.baseline[{n}]", req)
            if req.applies_to is not None:
                problems.append(f"safeguards.baseline[{n}].applies_to is only meaningful in thresholds")
        threshold_ids = {t.id for t in self.thresholds}
        for t in self.thresholds:
            for n, req in enumerate(t.required_safeguards):
                check_req(f"thresholds[{t.id}].required_safeguards[{n}]", req)
            for ref in t.rules_out:
                if ref not in threshold_ids:
                    problems.append(f"thresholds[{t.id}].rules_out: no threshold {ref!r}")
            if t.combine.k is not None and t.combine.k > len(t.indicators):
                problems.append(
                    f"thresholds[{t.id}].combine.k={t.combine.k} exceeds its {len(t.indicators)} indicators"
                )
            if t.id in t.rules_out:
                problems.append(f"thresholds[{t.id}].rules_out: a threshold cannot rule out itself")
        if self.government_notice:
            for n, req in enumerate(self.government_notice.when_required_exceeds):
                check_req(f"government_notice.when_required_exceeds[{n}]", req)
                if req.applies_to is not None:
                    problems.append(
                        f"government_notice.when_required_exceeds[{n}].applies_to is only meaningful in"
                        " thresholds"
                    )
        if self.training_pause and self.training_pause.sufficient_level:
            check_req(
                "training_pause.sufficient_level",
                SafeguardRequirement(
                    kind=self.training_pause.kind, level=self.training_pause.sufficient_level
                ),
            )
        problems += self._obligation_problems(threshold_ids)
        roles = self.role_ids()
        for where, role in self._role_references():
            if role not in roles:
                problems.append(f"{where}: unknown role {role!r} (define it in governance.roles)")
        if problems:
            more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
            raise ValueError(problems[0] + more)
        return self

    def _obligation_problems(self, threshold_ids: set[str]) -> list[str]:
        problems = self.obligations.problems(threshold_ids) if self.obligations else []
        binding = {
            o.id
            for o in (self.obligations.documents + self.obligations.reviews if self.obligations else [])
            if o.strength == "binding"
        }
        known = self.obligations.obligation_ids() if self.obligations else set()
        for a in self.actions:
            for ref in a.requires_obligations:
                if ref not in known:
                    problems.append(f"actions[{a.action}].requires_obligations: no obligation {ref!r}")
                elif ref not in binding:
                    problems.append(
                        f"actions[{a.action}].requires_obligations: obligation {ref!r} is not binding,"
                        " so it cannot block an action"
                    )
        for t in self.thresholds:
            for c in t.consequences:
                if c.obligation is not None and c.obligation not in known:
                    problems.append(f"thresholds[{t.id}].consequences: no obligation {c.obligation!r}")
        return problems

    def _role_references(self) -> list[tuple[str, str]]:
        refs: list[tuple[str, str]] = []
        if self.obligations:
            refs += self.obligations.role_references()
        for t in self.thresholds:
            if t.crossing:
                refs += [(f"thresholds[{t.id}].crossing.determined_by", r) for r in t.crossing.determined_by]
        refs += [(f"governance.briefings[{b.role}].role", b.role) for b in self.governance.briefings]
        refs += [
            (f"governance.briefings[{b.role}].responsible_role", b.responsible_role)
            for b in self.governance.briefings
        ]
        if self.triggers.discretionary:
            refs += [("triggers.discretionary.roles", r) for r in self.triggers.discretionary.roles]
        for d in self.decisions:
            refs += [(f"decisions[{d.decision}].signoff_roles", r) for r in d.signoff_roles]
            refs += [(f"decisions[{d.decision}].notify", n.role) for n in d.notify]
        if self.interim_measures:
            refs += [("interim_measures.approver_roles", r) for r in self.interim_measures.approver_roles]
            refs += [("interim_measures.notify", n.role) for n in self.interim_measures.notify]
        cc = self.governance.change_control
        for field, roles in (
            ("proposer_roles", cc.proposer_roles),
            ("approver_roles", cc.approver_roles),
            ("consulted_roles", cc.consulted_roles),
        ):
            refs += [(f"governance.change_control.{field}", r) for r in roles]
        nc = self.governance.noncompliance
        refs.append(("governance.noncompliance.recipient_role", nc.recipient_role))
        refs += [("governance.noncompliance.recipient_options", r) for r in nc.recipient_options]
        if nc.material_risk_notify_role:
            refs.append(("governance.noncompliance.material_risk_notify_role", nc.material_risk_notify_role))
        for r in nc.routing:
            refs += [
                ("governance.noncompliance.routing", r.concerning_role),
                ("governance.noncompliance.routing", r.route_to),
            ]
        refs += [
            (f"governance.cadences[{c.id}].responsible_role", c.responsible_role)
            for c in self.governance.cadences
        ]
        return refs


def _duplicates(what: str, values: list[str]) -> list[str]:
    seen: set[str] = set()
    dups = sorted({v for v in values if v in seen or seen.add(v)})  # type: ignore[func-returns-value]
    return [f"duplicate {what} {d!r}" for d in dups]


# Re-exported so `Source` is importable from the schema module that documents the format.
__all__ += ["Source"]
