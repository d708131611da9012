"""The safety-case model: claims, arguments and evidence in the Goal Structuring Notation (GSN).

A safety case is a graph of six element types (GSN Community Standard v3): goals (claims), strategies (how a
goal is argued), solutions (evidence), and contexts, assumptions and justifications that frame a goal or
strategy. Two relations connect them: ``supported_by`` (goal -> goal/strategy/solution, strategy -> goal) and
``in_context_of`` (goal/strategy -> context/assumption/justification).

scalegate adds one thing to plain GSN: every solution carries an ``EvidenceBinding`` -- the SHA-256 of the
ingested file (or stored record) it rests on and the sequence number of the audit-log entry that recorded it
-- so a reader can check that the evidence is exactly what the log says, and a later change makes the case
stale.

The file format is versioned (``schema_version``) and can be exported as gsn2x-compatible YAML.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from scalegate.canonical import digest
from scalegate.errors import InputError, NotFoundError
from scalegate.inputs import BoundsError, read_text

__all__ = [
    "CASE_SCHEMA_VERSION",
    "PREFIX",
    "CaseKind",
    "CasePurpose",
    "EvidenceBinding",
    "Node",
    "NodeKind",
    "SafetyCase",
    "load_case",
]

CASE_SCHEMA_VERSION = 1
"""Format version of safety-case files this code reads."""

NodeKind = Literal["goal", "strategy", "solution", "context", "assumption", "justification"]
"""The six core GSN element types."""

CaseKind = Literal["inability", "control", "custom"]
"""`inability`: the model cannot do what a capability threshold describes (built per threshold); `control`:
the
implemented safeguards meet a standard (built per standard); `custom`: written by hand."""

CasePurpose = Literal["deploy", "review"]
"""`deploy`: the case is relied on to proceed, so no goal may be left undeveloped; `review`: a working draft.
"""

PREFIX: dict[NodeKind, str] = {
    "goal": "G",
    "strategy": "S",
    "solution": "Sn",
    "context": "C",
    "assumption": "A",
    "justification": "J",
}
"""The conventional id prefix of each element type (gsn2x derives the type from it)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class EvidenceBinding(_Model):
    """What a solution rests on: a stored file or record, by hash, and the audit entry that recorded it."""

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    """SHA-256 of the ingested file (evidence, safeguard document) or of the canonical record (a decision)."""
    audit_seq: int = Field(ge=0)
    """Sequence number of the audit-log entry that recorded the file or record."""
    source: Literal["evaluation", "safeguard_evidence", "decision"]
    """What kind of record it is, so freshness is checked against the right domain."""
    ref: str = Field(min_length=1)
    """The record's id in its domain: the indicator id for an evaluation result, the criterion id for
    safeguard
    evidence, the decision id for a decision."""
    label: str = ""
    """Human label: file name, evidence title, decision type."""
    recorded_at: datetime | None = None
    """When the audit entry was written."""


class Node(_Model):
    """One GSN element."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z][A-Za-z0-9_.\-]*$")
    """Identifier unique in the case, conventionally prefixed by type (G1, S1, Sn1, C1, A1, J1)."""
    kind: NodeKind
    """Element type."""
    text: str = Field(min_length=1)
    """The claim, strategy, evidence description or context statement."""
    supported_by: list[str] = Field(default_factory=list)
    """Ids of the elements that support this one."""
    in_context_of: list[str] = Field(default_factory=list)
    """Ids of the contexts, assumptions and justifications this element is stated in."""
    undeveloped: bool = False
    """A goal or strategy deliberately left without support (a gap the case admits)."""
    url: str | None = None
    """Where to read more."""
    evidence: EvidenceBinding | None = None
    """For solutions: the stored file or record and its audit entry."""
    data: dict[str, Any] = Field(default_factory=dict)
    """Numbers the text cites (estimate, interval, threshold...), copied from the service objects."""


class SafetyCase(_Model):
    """A whole safety case: metadata and its elements."""

    schema_version: Literal[1] = 1
    """Format version; always 1 for now."""
    id: str = Field(min_length=1)
    """Case id, e.g. `inability:CBRN-3:frontier-next@ckpt-7`."""
    title: str = Field(min_length=1)
    """Human title."""
    kind: CaseKind
    """Which template built it."""
    purpose: CasePurpose = "review"
    """Whether it is relied on to proceed (`deploy`) or a draft (`review`)."""
    subject: str = ""
    """What it argues about: `MODEL@CHECKPOINT`, a standard `deployment:ASL-3`."""
    created_at: datetime | None = None
    """When it was built."""
    policy: dict[str, Any] = Field(default_factory=dict)
    """Policy id, version and content hash the case was built under."""
    nodes: list[Node] = Field(min_length=1)
    """Every element; the root is the one goal nothing else refers to."""

    def node(self, node_id: str) -> Node:
        """An element by id."""
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise NotFoundError(f"safety case {self.id} has no element {node_id!r}")

    def by_id(self) -> dict[str, Node]:
        """Elements by id (the last one wins on duplicates; validation reports those)."""
        return {n.id: n for n in self.nodes}

    def solutions(self) -> list[Node]:
        """The evidence leaves."""
        return [n for n in self.nodes if n.kind == "solution"]

    def digest(self) -> str:
        """SHA-256 of the case's canonical JSON: what the audit log records when the case is built."""
        return digest(self.model_dump(mode="json"))

    def to_json(self) -> str:
        """The case as indented JSON (the native file format)."""
        return json.dumps(self.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"

    def to_gsn_yaml(self) -> str:
        """The case in gsn2x's YAML syntax (ids as keys, camelCase relations), for use with that toolchain."""
        import yaml

        doc: dict[str, Any] = {
            "module": {"name": self.id, "brief": self.title},
        }
        for node in self.nodes:
            entry: dict[str, Any] = {"text": node.text}
            if not node.id.startswith(PREFIX[node.kind]) or _prefix_is_ambiguous(node):
                entry["nodeType"] = _GSN2X_TYPES[node.kind]
            if node.supported_by:
                entry["supportedBy"] = list(node.supported_by)
            if node.in_context_of:
                entry["inContextOf"] = list(node.in_context_of)
            if node.undeveloped:
                entry["undeveloped"] = True
            if node.url:
                entry["url"] = node.url
            doc[node.id] = entry
        return str(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=110))


_GSN2X_TYPES: dict[NodeKind, str] = {
    "goal": "Goal",
    "strategy": "Strategy",
    "solution": "Solution",
    "context": "Context",
    "assumption": "Assumption",
    "justification": "Justification",
}


def _prefix_is_ambiguous(node: Node) -> bool:
    # "S" is a prefix of "Sn": a strategy named "Sn..." would read as a solution.
    return node.kind == "strategy" and node.id.startswith("Sn")


def load_case(path: str | Path) -> SafetyCase:
    """Read a safety-case JSON file written by ``SafetyCase.to_json``."""
    p = Path(path)
    try:
        text = read_text(p)
    except (OSError, BoundsError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else str(exc)
        raise InputError(f"cannot read safety case: {reason}", where=str(p)) from exc
    try:
        return SafetyCase.model_validate_json(text)
    except ValueError as exc:
        first = str(exc).splitlines()
        detail = " ".join(first[1:3]).strip() if len(first) > 1 else str(exc)
        raise InputError(f"not a valid safety case: {detail}", where=str(p)) from exc
