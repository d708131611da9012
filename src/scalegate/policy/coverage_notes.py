"""What a policy file says about its own coverage, where the rest of the schema cannot say it.

The coverage matrix (``scalegate.policy.coverage``) reads every concept from the ordinary rules of a policy:
thresholds, triggers, safeguard levels, decisions, notifications, governance. Two things do not fit there:

- what the framework calls its thresholds and the scale they sit on ("Critical Capability Levels", or the
  Low/Medium/High/Critical levels of a tracked category, of which only High and Critical are thresholds);
- that the text says nothing about a concept, or leaves it to the lab, although the file must still encode
  something to run (a draft that names no decision-maker still needs someone to sign a safeguards
  determination, so the file names a stand-in role). Without a note the matrix would report the stand-in as
  if the text had named it.

Both are data here, each with the clause it comes from where the text has one, so the matrix stays derived
from the file and a reader can check it against the text. Every part is optional and left out of the dump when
empty: a policy without coverage notes keeps its content hash.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from scalegate.policy._base import PolicyModel, Source

__all__ = [
    "CoverageConcept",
    "CoverageNote",
    "CoverageNotes",
    "CoverageStatus",
    "ThresholdScale",
]

CoverageConcept = Literal[
    "thresholds_cbrn",
    "thresholds_cyber",
    "thresholds_autonomy",
    "thresholds_other",
    "threshold_scale",
    "triggers",
    "safeguard_levels",
    "decision_makers",
    "notifications",
    "disclosure",
    "external_review",
    "noncompliance",
    "policy_change",
]
"""The rows of the coverage matrix: capability thresholds by domain (CBRN and biology; cyber; autonomy and AI
R&D; any other domain), what the thresholds are called and their scale, assessment triggers and cadences,
safeguard and security levels, who signs decisions, who is notified, public disclosure, external review,
noncompliance reporting, and how the policy itself changes."""

CoverageStatus = Literal["stated", "not_addressed", "left_to_lab"]
"""What the text does with a concept: states it; says nothing about it; or says it explicitly leaves it to the
lab (a number "to be set", a process the lab designs)."""


class ThresholdScale(PolicyModel):
    """What the framework calls its capability thresholds, and the levels of its scale."""

    term: str = Field(min_length=1)
    """The framework's own name, e.g. `Critical Capability Levels (CCLs)` or `Tracked Risk Categories`."""
    levels: list[str] = Field(default_factory=list)
    """The levels of the scale in increasing order, as the text names them (e.g. `Low`, `Medium`, `High`,
    `Critical`), including levels that are not thresholds; empty when the text has no ordered scale."""
    source: Source
    """Where the name (and the scale) is stated."""


class CoverageNote(PolicyModel):
    """What the text does with one concept of the coverage matrix, where the rules cannot show it."""

    concept: CoverageConcept
    """The row of the matrix the note is about."""
    status: CoverageStatus
    """`not_addressed` or `left_to_lab` replace what the rules would show (a stand-in the file needs to run);
    `stated` adds a commitment the rules have no place for (e.g. a notice to law enforcement)."""
    text: str = Field(min_length=1)
    """The matrix's short value, e.g. `names no decision-maker`."""
    source: Source | None = None
    """Where the text says it; required for `stated` and `left_to_lab`, null for `not_addressed` (the text
    says nothing, so there is nothing to cite)."""

    @model_validator(mode="after")
    def _cited_when_stated(self) -> CoverageNote:
        if self.status != "not_addressed" and self.source is None:
            raise ValueError(f"a {self.status} note on {self.concept} needs a source")
        return self


class CoverageNotes(PolicyModel):
    """The policy's notes on its own coverage: its threshold scale, and concepts the rules cannot show."""

    threshold_scale: ThresholdScale | None = None
    """What the thresholds are called and their scale; null: the matrix shows only how many there are."""
    notes: list[CoverageNote] = Field(default_factory=list)
    """Per-concept notes; several notes on one concept are shown together."""
