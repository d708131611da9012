"""Batch doors: many checkpoints of a model in one request, many evaluation logs of a checkpoint in one
upload.

A batch of checkpoints is one transaction with one audit entry (``registry.service.register_checkpoints``):
all of it is registered or none of it. A batch of logs is ingested one transaction per file
(``evidence.bulk.ingest_paths``): the uploads are written under their own (sanitised) names into a private
temporary directory, so that an lm-eval results file finds the ``samples_*.jsonl`` uploaded with it, and
ingested as a directory is. A manifest upload (``evidence.manifest``) carries the logs of many checkpoints,
its ``manifest`` field mapping each uploaded file to its checkpoint. All are held to the body limits of
``scalegate.web.limits`` (the default ceiling for checkpoints, the upload ceiling under ``/api/v1/evidence``).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, File, Form, Request, UploadFile
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from scalegate.actor import Actor
from scalegate.errors import InputError
from scalegate.evidence.bulk import BulkIngest, BulkIngestDocument, Skipped, ingest_paths
from scalegate.evidence.manifest import ingest_manifest, parse_manifest, plan_manifest
from scalegate.inputs import load_json
from scalegate.jsonable import JsonObject
from scalegate.registry.service import BatchDocument, batch_document, register_checkpoints
from scalegate.registry.specs import CheckpointSpec
from scalegate.web.api._common import api_router, workspace_of
from scalegate.web.api.evidence import safe_filename
from scalegate.web.auth import requires

__all__ = ["MAX_CHECKPOINTS", "MAX_FILES", "MAX_MANIFEST", "router"]

router = api_router("batches")

MAX_CHECKPOINTS = 10_000
"""Most checkpoints one batch request may carry (the body limit usually binds first)."""

MAX_FILES = 2_000
"""Most files one evidence upload may carry."""

MAX_MANIFEST = 1 << 20
"""Longest manifest text (about 10,000 rows of ``path,checkpoint``)."""


class CheckpointBatch(BaseModel):
    """Checkpoints of one model, registered together."""

    model_config = ConfigDict(extra="forbid")

    checkpoints: list[CheckpointSpec] = Field(
        min_length=1, max_length=MAX_CHECKPOINTS, description="The checkpoints, in any order."
    )


@router.post(
    "/models/{name}/checkpoints/batch",
    summary="Register a batch of checkpoints",
    status_code=201,
    response_model=dict[str, Any],
)
def register_batch(
    request: Request, name: str, body: CheckpointBatch, actor: Actor = Depends(requires("registry.write"))
) -> BatchDocument:
    """Register every checkpoint of the body in one transaction with one audit entry, all or nothing, in
    order of recorded date then step; the triggers are evaluated once for the batch. A bad checkpoint (a name
    taken, an unknown run, a loss off the fitted curve) is a 4xx naming ``checkpoints[i]`` and writes
    nothing."""
    specs = [(f"checkpoints[{n}]", spec) for n, spec in enumerate(body.checkpoints)]
    return batch_document(name, register_checkpoints(workspace_of(request), actor, name, specs))


Uploads = Annotated[
    list[UploadFile],
    File(description="Inspect logs, lm-eval results files with their samples_*.jsonl, manual results."),
]
"""The ``files`` field of an evidence upload (batch or manifest)."""

AllowStatus = Annotated[
    str, Form(max_length=200, description="true, false, or the statuses accepted, comma-separated.")
]
"""The ``allow_status`` field of an evidence upload (read by ``_allow``); default ``"false"``."""

Metadata = Annotated[
    str | None, Form(max_length=20_000, description="Extra JSON object kept with each record.")
]
"""The ``metadata`` field of an evidence upload (read by ``_metadata``); default none."""


def _allow(value: str) -> bool | str:
    text = value.strip().lower()
    if text in ("", "false", "0", "no"):
        return False
    if text in ("true", "1", "yes"):
        return True
    return value


@router.post(
    "/evidence/batch",
    summary="Upload many evaluation logs for a checkpoint",
    status_code=201,
    response_model=dict[str, Any],
)
async def upload_batch(
    request: Request,
    checkpoint: Annotated[
        str, Form(min_length=1, max_length=500, description="MODEL@CHECKPOINT they evaluate.")
    ],
    files: Uploads,
    allow_status: AllowStatus = "false",
    metadata: Metadata = None,
    actor: Actor = Depends(requires("evidence.ingest")),
) -> BulkIngestDocument:
    """Ingest the uploaded files one transaction per file, as ``scalegate evidence ingest`` ingests a
    directory: files that are not logs are skipped with the reason, a file already ingested is not written
    again (``created`` false), and a bad file is a 400 naming it, the files before it staying ingested."""
    extra = _metadata(metadata)
    directory = Path(tempfile.mkdtemp(prefix="scalegate-batch-"))
    try:
        await _save_all(files, directory)
        done = await run_in_threadpool(
            ingest_paths,
            workspace_of(request),
            actor,
            [directory],
            checkpoint,
            allow_status=_allow(allow_status),
            metadata=extra,
        )
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return _named(done)


@router.post(
    "/evidence/manifest",
    summary="Upload the evaluation logs of many checkpoints",
    status_code=201,
    response_model=dict[str, Any],
)
async def upload_manifest(
    request: Request,
    manifest: Annotated[
        str,
        Form(
            min_length=1,
            max_length=MAX_MANIFEST,
            description=(
                "CSV with the header path,checkpoint: each uploaded file's name and MODEL@CHECKPOINT."
            ),
        ),
    ],
    files: Uploads,
    allow_status: AllowStatus = "false",
    metadata: Metadata = None,
    actor: Actor = Depends(requires("evidence.ingest")),
) -> BulkIngestDocument:
    """Ingest the uploaded files for the checkpoints the manifest maps them to, one transaction per file
    (``evidence.manifest``). The whole manifest is checked first (its columns, every path an uploaded file,
    every checkpoint registered): a bad row is a 400 naming ``manifest:LINE`` and writes nothing. Uploaded
    files the manifest does not name are skipped with a note (an lm-eval samples file is read with its
    results file)."""
    extra = _metadata(metadata)
    workspace = workspace_of(request)
    directory = Path(tempfile.mkdtemp(prefix="scalegate-manifest-"))
    try:
        names = await _save_all(files, directory)

        def admit(given: str) -> str | None:  # a name as the upload was stored (``safe_filename``)
            stored = safe_filename(given, "")
            return stored if stored in names else None

        entries = parse_manifest(manifest, "manifest", directory, admit=admit)
        planned = await run_in_threadpool(plan_manifest, workspace, actor, entries)
        done = await run_in_threadpool(
            ingest_manifest, workspace, actor, planned, allow_status=_allow(allow_status), metadata=extra
        )
        listed = {e.path.name for e in entries} | {s.path.name for s in done.skipped}
        done.skipped += [Skipped(directory / n, _unlisted(n)) for n in sorted(names - listed)]
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return _named(done)


def _unlisted(name: str) -> str:
    """Why an uploaded file the manifest does not name was not ingested on its own."""
    if name.startswith("samples_") and name.endswith(".jsonl"):
        return "lm-eval samples file: read with the results file it belongs to"
    return "not named in the manifest"


def _metadata(metadata: str | None) -> JsonObject | None:
    """The ``metadata`` form field: a JSON object, or None."""
    if not metadata:
        return None
    try:
        extra = load_json(metadata)
    except ValueError as exc:
        raise InputError(f"metadata is not JSON: {exc}", where="form.metadata") from exc
    if not isinstance(extra, dict):
        raise InputError("metadata must be a JSON object", where="form.metadata")
    return extra


async def _save_all(files: list[UploadFile], directory: Path) -> set[str]:
    """Write the uploads into ``directory`` under their sanitised names; the names written."""
    if len(files) > MAX_FILES:
        raise InputError(f"at most {MAX_FILES} files per upload, got {len(files)}", where="form.files")
    names: set[str] = set()
    for n, upload in enumerate(files):
        target = directory / safe_filename(upload.filename, f"upload-{n}")
        if target.exists():
            raise InputError(f"two uploaded files are named {target.name!r}", where="form.files")
        with target.open("wb") as out:
            while chunk := await upload.read(1 << 20):
                out.write(chunk)
        names.add(target.name)
    return names


def _named(done: BulkIngest) -> BulkIngestDocument:
    """The answer, each file named by its upload name (never the server's temporary path)."""
    document = done.to_dict()
    for entry in (*document["ingested"], *document["skipped"]):
        entry["file"] = Path(entry["file"]).name
    return document
