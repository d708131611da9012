"""The JSON documents the CLI composes itself (``--json``), typed key by key.

A command that passes a service's result through returns that typed result, and ``emit_json`` serialises it;
the documents here are the ones a command builds from what the service returned (a decision it opened, the
files it wrote). Their key order is the order ``--json`` prints. The commands import them only under
``TYPE_CHECKING``: a command's return annotation is for the type checker alone (``_output.command`` hides it
from Typer), so this module is never loaded when a command runs. Parts whose keys another package or the
data defines (an audit entry, a checkpoint's columns) are ``JsonObject``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from scalegate.jsonable import JsonObject
from scalegate.policy.service import PolicySummary
from scalegate.workspace_mode import WorkspaceMode

__all__ = [
    "AuditPage",
    "BuiltCase",
    "CheckpointImport",
    "CisoLibrary",
    "DueAssessments",
    "NoNotice",
    "NotificationDocument",
    "OpenedDecision",
    "OpenedStandardDetermination",
    "RenderedCase",
    "SignatureDocument",
    "SubmittedEvidence",
    "ValidPolicy",
    "ValidatedPolicy",
    "WorkspaceSummary",
    "WrittenFile",
    "WrittenReport",
]


class OpenedDecision(TypedDict):
    """A decision a command opened for sign-off (determination, affirmative case, interim measures)."""

    decision_id: int
    decision_type: str
    subject: str


class OpenedStandardDetermination(OpenedDecision):
    """A safeguards determination opened for a standard (``standard`` is printed, not in ``--json``)."""

    standard: str


class SignatureDocument(TypedDict):
    """A signature given (or a rejection) in one role on a decision."""

    decision_id: int
    role: str
    approve: bool
    signature_id: int | None


class AuditPage(TypedDict):
    """One page of the audit log, newest first, with where the next page starts (None: the last page)."""

    entries: list[JsonObject]
    total: int
    next_before: int | None


class NotificationDocument(TypedDict):
    """A notice sent (or attempted) to a role, with its delivery and proof."""

    id: int
    kind: str
    role: str | None
    recipients: list[str]
    channel: str
    status: str
    sent_at: datetime
    delivered_at: datetime | None
    message_id: str
    proof: JsonObject
    error: str | None


class NoNotice(TypedDict):
    """The answer when no government notice is due."""

    due: bool


class ValidPolicy(TypedDict):
    """A policy file found valid, as ``policy validate --json`` prints it."""

    valid: bool
    file: str
    id: str
    content_hash: str


class ValidatedPolicy(ValidPolicy):
    """A policy file found valid, with its framework (printed in the line, not in ``--json``)."""

    framework: str


class CheckpointImport(TypedDict):
    """The checkpoints a file imported, each as a registered checkpoint's document."""

    imported: int
    checkpoints: list[JsonObject]


class DueAssessments(TypedDict):
    """The assessments due or overdue as of a time (ISO-8601)."""

    as_of: str
    assessments: list[JsonObject]


class WrittenFile(TypedDict):
    """A file written, with the SHA-256 of its bytes."""

    path: str
    sha256: str


class WrittenReport(TypedDict):
    """A report built, written in each format and recorded: format -> file."""

    kind: str
    subject: str
    data_sha256: str
    files: dict[str, WrittenFile]


class BuiltCase(TypedDict):
    """A safety case written and recorded in the audit log, with its validation."""

    case: str
    path: str
    sha256: str
    audit_seq: int
    valid: bool
    errors: int


class RenderedCase(TypedDict):
    """A safety case drawn to a file, with its validation."""

    case: str
    path: str
    valid: bool
    errors: int


class CisoLibrary(TypedDict):
    """A policy's CISO Assistant library: file name -> path written."""

    policy: str
    files: dict[str, str]


class SubmittedEvidence(TypedDict):
    """Safeguard evidence submitted for review (``sha256`` of a document; None for a link or result)."""

    evidence_id: int
    criterion_id: str
    sha256: str | None
    status: str


class WorkspaceSummary(TypedDict):
    """A workspace: its store (without password), backend, mode and the active policy's summary."""

    store: str
    backend: str
    mode: WorkspaceMode
    policy: PolicySummary
