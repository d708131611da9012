"""The documents the SDK returns: the web API's answers, typed key by key.

Both transports return the same documents (the local one serialises the service's result as the API does),
so a caller's code reads the same keys whichever is in use. Each class names the keys ``docs/api.md``
promises for its route; the parts whose keys the data defines (a checkpoint's columns, a trigger's detail,
a decision's payload) are ``JsonObject``. ``checked`` is the one place a parsed answer becomes one of them:
it refuses an answer that lacks a key the document requires, so a caller never meets a ``KeyError`` later.

They repeat the service's document types rather than import them, so that the SDK loads no service module;
``tests/sdk/test_documents_mirror.py`` fails if one names a key its service counterpart does not write.
"""

# No ``from __future__ import annotations`` here: under it, Python 3.11's TypedDict cannot see
# ``NotRequired`` in the (then textual) annotations and counts every key as required, which ``checked`` reads.
from typing import NotRequired, TypedDict, TypeVar, cast

from scalegate.errors import StoreError
from scalegate.jsonable import JsonObject
from scalegate.vocabulary import Outcome

__all__ = [
    "BatchAssessment",
    "BatchCheckpoint",
    "CheckpointBatchDocument",
    "CheckpointReportDocument",
    "DecisionDocument",
    "EffectiveComputeDocument",
    "GateResultDocument",
    "IngestDocument",
    "IngestedFile",
    "ModelDocument",
    "OpenedAssessment",
    "SkippedFile",
    "TriggerDocument",
    "checked",
]

D = TypeVar("D")


class ModelDocument(TypedDict):
    """A registered model (``POST /api/v1/models``); the row's other columns come only over HTTP, and not
    when the model already existed."""

    name: str
    family: str
    owner: str
    id: NotRequired[int]
    description: NotRequired[str]
    created_at: NotRequired[str]


class EffectiveComputeDocument(TypedDict):
    """A checkpoint's effective compute, how it was obtained and its interval (``high`` None: unbounded)."""

    value: float
    low: float | None
    high: float | None
    method: str
    aggregate_loss: float | None
    extrapolated: bool
    note: str


class TriggerDocument(TypedDict):
    """One assessment trigger evaluated for a checkpoint: whether it fired, its numbers and deadline."""

    trigger: str
    kind: str
    fired: bool
    text: str
    clause: str | None
    value: float | None
    threshold: float | None
    unit: str
    triggered_at: str | None
    deadline: str | None
    deadline_clause: str | None
    detail: JsonObject


class OpenedAssessment(TypedDict):
    """An assessment a checkpoint's triggers opened, with its deadline and the clause that sets it."""

    id: int
    trigger: str
    due_at: str
    clause: str | None


class CheckpointReportDocument(TypedDict):
    """A registered checkpoint (``POST /api/v1/models/{name}/checkpoints``): the checkpoint's columns, its
    effective compute, the triggers evaluated and the assessments they opened."""

    checkpoint: JsonObject
    effective_compute: EffectiveComputeDocument | None
    triggers: list[TriggerDocument]
    assessments_opened: list[OpenedAssessment]


class BatchCheckpoint(TypedDict):
    """One checkpoint of a registered batch, compactly."""

    ref: str
    step: int
    recorded_at: str
    effective_compute: float | None
    method: str | None


class BatchAssessment(TypedDict):
    """An assessment a batch opened, naming the checkpoint that fired it."""

    id: int
    checkpoint: str
    trigger: str
    due_at: str
    clause: str | None


class CheckpointBatchDocument(TypedDict):
    """A registered batch of checkpoints (``POST /api/v1/models/{name}/checkpoints/batch``)."""

    model: str
    registered: int
    checkpoints: list[BatchCheckpoint]
    assessments_opened: list[BatchAssessment]


class IngestedFile(TypedDict):
    """A log ingested (``created`` false: it was in already), with its records; ``checkpoint`` from a
    manifest ingestion."""

    file: str
    created: bool
    records: list[JsonObject]
    checkpoint: NotRequired[str]


class SkippedFile(TypedDict):
    """A file passed over, with the reason."""

    file: str
    reason: str


class IngestDocument(TypedDict):
    """What an ingestion did (``POST /api/v1/evidence/batch`` and ``/evidence/manifest``): counts, then the
    files ingested and skipped, in order."""

    files: int
    created: int
    unchanged: int
    ingested: list[IngestedFile]
    skipped: list[SkippedFile]


class DecisionDocument(TypedDict):
    """A decision with its signatures, the state it is bound to and its notifications
    (``GET /api/v1/decisions/{decision_id}``, and the answer to a signature)."""

    decision_id: int
    decision_type: str
    subject: str
    status: str
    payload: JsonObject
    approved: bool
    missing_roles: list[str]
    rejected_by: list[str]
    stale: bool
    stale_keys: list[str]
    notified: bool
    missing_notifications: list[str]
    signatures: list[JsonObject]
    notifications: list[JsonObject]
    created_at: str
    signed_at: str | None
    policy_version_id: int | None
    bound_state: dict[str, str]
    opened_by: str


class GateResultDocument(TypedDict):
    """The gate's answer as ``GateResult.to_dict`` gives it: outcome, reasons, exit code, checkpoint."""

    outcome: Outcome
    reasons: list[JsonObject]
    exit_code: int
    checkpoint: str | None


def checked(kind: type[D], data: object, where: str) -> D:
    """``data`` as the document ``kind``, once it is an object holding every key ``kind`` requires; a
    ``StoreError`` naming ``where`` and the missing keys otherwise (an answer of another shape is not one)."""
    if not isinstance(data, dict):
        raise StoreError(f"answer is {type(data).__name__}, not a {kind.__name__}", where=where)
    required: frozenset[str] = getattr(kind, "__required_keys__", frozenset())
    missing = sorted(required - data.keys())
    if missing:
        raise StoreError(f"answer is not a {kind.__name__}: no {', '.join(missing)}", where=where)
    return cast(D, data)
