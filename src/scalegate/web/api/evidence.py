"""Evidence: upload evaluation logs (Inspect ``.eval``/``.json``, lm-eval results with their samples files,
scalegate manual results) for a checkpoint, and read what was ingested.

Uploads are written to a private temporary directory under their own (sanitised) names, so that the readers
see the same file names as on disk (an lm-eval results file finds its ``samples_*.jsonl`` companions by name),
then ingested through the evidence service, which stores the bytes by SHA-256; the temporary copy is removed.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from fastapi import Depends, File, Form, Query, Request, Response, UploadFile
from starlette.concurrency import run_in_threadpool

from scalegate.actor import Actor
from scalegate.errors import InputError
from scalegate.evidence.service import evidence_page, get_evidence, ingest_file
from scalegate.evidence.types import EvidenceRecordDocument, IngestResultDocument
from scalegate.inputs import load_json
from scalegate.jsonable import JsonObject
from scalegate.web.api._common import Limit, RecordId, api_router, page_headers, workspace_of
from scalegate.web.auth import requires

__all__ = ["router", "safe_filename"]

router = api_router("evidence")
_UNSAFE = re.compile(r"[^A-Za-z0-9._\-]+")


def safe_filename(name: str | None, fallback: str) -> str:
    """The base name of an uploaded file, reduced to safe characters (never a path)."""
    base = Path((name or "").replace("\\", "/")).name
    cleaned = _UNSAFE.sub("_", base).lstrip(".")[:200]
    return cleaned or fallback


async def _save(upload: UploadFile, directory: Path, fallback: str) -> Path:
    target = directory / safe_filename(upload.filename, fallback)
    if target.exists():
        raise InputError(f"two uploaded files are named {target.name!r}", where="form.companions")
    with target.open("wb") as out:
        while chunk := await upload.read(1 << 20):
            out.write(chunk)
    return target


def _metadata(elicitation: str | None, metadata: str | None) -> JsonObject:
    extra: dict[str, Any] = {}
    if metadata:
        try:
            extra = load_json(metadata)
        except ValueError as exc:
            raise InputError(f"metadata is not JSON: {exc}", where="form.metadata") from exc
        if not isinstance(extra, dict):
            raise InputError("metadata must be a JSON object", where="form.metadata")
    if elicitation:
        extra["elicitation"] = elicitation
    return extra


@router.post(
    "/evidence",
    summary="Upload an evaluation log for a checkpoint",
    status_code=201,
    response_model=dict[str, Any],
)
async def upload(
    request: Request,
    checkpoint: str = Form(..., min_length=1, max_length=500, description="MODEL@CHECKPOINT it evaluates."),
    file: UploadFile = File(..., description="Inspect log, lm-eval results file or scalegate manual result."),
    companions: list[UploadFile] = File([], description="Files read with it (lm-eval samples_*.jsonl)."),
    elicitation: str | None = Form(None, max_length=1000, description="Elicitation used, comma-separated."),
    metadata: str | None = Form(
        None, max_length=20_000, description="Extra JSON object kept with the record."
    ),
    allow_status: bool = Form(False, description="Accept logs whose run did not end in success."),
    actor: Actor = Depends(requires("evidence.ingest")),
) -> IngestResultDocument:
    """Ingest the file; re-uploading the same bytes for the same checkpoint is idempotent (`created`
    false)."""
    extra = _metadata(elicitation, metadata)
    directory = Path(tempfile.mkdtemp(prefix="scalegate-upload-"))
    try:
        path = await _save(file, directory, "upload")
        for n, companion in enumerate(companions):
            await _save(companion, directory, f"companion-{n}")
        result = await run_in_threadpool(
            ingest_file,
            workspace_of(request),
            actor,
            path,
            checkpoint,
            allow_status=allow_status,
            metadata=extra,
        )
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return result.to_dict()


@router.get("/evidence", summary="Evidence records", response_model=list[dict[str, Any]])
def list_evidence(
    request: Request,
    response: Response,
    checkpoint: str | None = Query(
        None, max_length=500, description="Only this checkpoint (MODEL@CHECKPOINT)."
    ),
    current_only: bool = Query(False, description="Leave out records superseded by a later upload."),
    limit: Limit = 100,
    before: int | None = Query(
        None, ge=1, le=2**53, description="Only records older than this id (the `next` link sets it)."
    ),
    _: Actor = Depends(requires("evidence.read")),
) -> list[EvidenceRecordDocument]:
    """Ingested results, newest first, a page at a time: `X-Total-Count` says how many match, and a `Link`
    header with `rel="next"` reads the next (older) page (none on the last)."""
    found = evidence_page(
        workspace_of(request), checkpoint or None, current_only=current_only, limit=limit, before=before
    )
    page_headers(request, response, found.total, found.next_before)
    return [r.to_dict() for r in found.records]


@router.get("/evidence/{evidence_id}", summary="One evidence record", response_model=dict[str, Any])
def show_evidence(
    request: Request, evidence_id: RecordId, _: Actor = Depends(requires("evidence.read"))
) -> EvidenceRecordDocument:
    """One ingested result with its scorers, counts and elicitation."""
    return get_evidence(workspace_of(request), evidence_id).to_dict()
