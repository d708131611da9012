"""Ingesting the logs of many checkpoints at once, from a manifest: a CSV of ``path,checkpoint`` rows.

A family of a thousand checkpoints has a thousand log directories; ingesting them one command at a time costs
a thousand process starts. A manifest names them all::

    path,checkpoint
    logs/step-1000,aurora-1@step-1000
    logs/step-2000/bio.eval,aurora-1@step-2000

Each ``path`` is relative to the manifest's own directory and is a log file or a directory of logs, walked
as ``evidence.bulk.find_logs`` walks one. The whole manifest is checked before anything is written (its
columns, every path present, every checkpoint registered, logs found under every path), and the first
problem is one line naming ``manifest.csv:LINE`` and the column. Then each row is ingested through
``evidence.bulk.ingest_paths``, so every file is one transaction of its own, idempotent for its checkpoint,
exactly as ``scalegate evidence ingest`` ingests it: a failure leaves every earlier file ingested and nothing
of the failing one, and running the manifest again goes on where it stopped.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scalegate.actor import Actor
from scalegate.errors import EvidenceError, InputError, NotFoundError
from scalegate.evidence.bulk import (
    BulkIngest,
    Ingested,
    IngestedDocument,
    LogFile,
    Outcome,
    Skipped,
    find_logs,
    ingest_paths,
)
from scalegate.evidence.service import AllowStatus
from scalegate.inputs import BoundsError, read_text
from scalegate.permissions import require
from scalegate.registry.lookup import resolve_checkpoint
from scalegate.workspace import Workspace

__all__ = [
    "COLUMNS",
    "ManifestEntry",
    "ManifestIngested",
    "ManifestIngestedDocument",
    "PlannedEntry",
    "ingest_manifest",
    "parse_manifest",
    "plan_manifest",
    "read_manifest",
]

COLUMNS = ("path", "checkpoint")
"""The manifest's columns, both required (in any order)."""


@dataclass(frozen=True)
class ManifestEntry:
    """A manifest row: the logs at ``path`` are evidence of ``checkpoint``; ``where``: its file:line."""

    where: str
    path: Path
    checkpoint: str


@dataclass(frozen=True)
class PlannedEntry:
    """A manifest row with the log files found under its path, ready to ingest."""

    entry: ManifestEntry
    files: list[LogFile]
    skipped: list[Skipped]


@dataclass(frozen=True)
class ManifestIngested(Ingested):
    """A file ingested for the checkpoint its manifest row names."""

    checkpoint: str = ""

    def to_dict(self) -> ManifestIngestedDocument:
        return {"file": str(self.path), "checkpoint": self.checkpoint, **self.result.to_dict()}


class ManifestIngestedDocument(IngestedDocument):
    """A file ingested through a manifest, as JSON: its path, the checkpoint, then the ingestion's result."""

    checkpoint: str


def read_manifest(path: str | Path) -> list[ManifestEntry]:
    """The rows of the manifest file ``path`` (UTF-8, a byte-order mark tolerated), paths resolved against
    its directory; ``InputError`` naming ``file:line`` for a malformed manifest or a path that is missing."""
    path = Path(path)
    try:
        text = read_text(path)
    except OSError as exc:
        raise InputError(f"cannot read manifest ({exc.strerror or exc})", where=str(path)) from exc
    except BoundsError as exc:
        raise InputError(f"cannot read manifest: {exc}", where=str(path)) from exc
    return parse_manifest(text, str(path), path.parent)


def parse_manifest(
    text: str, name: str, base: Path, *, admit: Callable[[str], str | None] | None = None
) -> list[ManifestEntry]:
    """The rows of manifest ``text`` (named ``name`` in errors), each path resolved against ``base`` and
    required to exist. ``admit``: when given, maps each path to the one used, None refusing it (the API
    admits only the names of the files uploaded with the manifest, as it stored them)."""
    entries: list[ManifestEntry] = []
    with io.StringIO(text.removeprefix("\ufeff"), newline="") as handle:
        reader = csv.DictReader(handle)
        header = [(h or "").strip() for h in reader.fieldnames or []]
        if not header:
            raise InputError("empty manifest: expected the header row 'path,checkpoint'", where=f"{name}:1")
        unknown = [h for h in header if h not in COLUMNS]
        if unknown:
            raise InputError(f"unknown column {unknown[0]!r} (columns: path,checkpoint)", where=f"{name}:1")
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise InputError(f"missing column {missing[0]!r}", where=f"{name}:1")
        reader.fieldnames = header
        try:
            for row in reader:
                where = f"{name}:{reader.line_num}"
                if None in row or any(v is None for v in row.values()):
                    raise InputError("row has a different number of cells than the header", where=where)
                cells = {k: (v or "").strip() for k, v in row.items()}
                if not any(cells.values()):
                    continue
                entries.append(_entry(cells, where, base, admit))
        except csv.Error as exc:
            raise InputError(f"malformed CSV: {exc}", where=f"{name}:{reader.line_num}") from exc
    if not entries:
        raise InputError("manifest has no rows", where=name)
    return entries


def _entry(
    cells: dict[str, str], where: str, base: Path, admit: Callable[[str], str | None] | None
) -> ManifestEntry:
    for column in COLUMNS:
        if not cells[column]:
            raise InputError(f"missing value in column {column!r}", where=where)
    given = cells["path"]
    used = given if admit is None else admit(given)
    if used is None:
        raise InputError(f"column 'path': {given!r} is not among the uploaded files", where=where)
    path = base / used
    if not path.exists():
        raise InputError(f"column 'path': no such file or directory {given!r}", where=where)
    return ManifestEntry(where, path, cells["checkpoint"])


def plan_manifest(
    workspace: Workspace, actor: Actor, entries: Sequence[ManifestEntry], *, recursive: bool = True
) -> list[PlannedEntry]:
    """Check every row before anything is written: its checkpoint is registered (one read transaction for
    the whole manifest) and its path holds logs. ``InputError`` naming the row's ``file:line`` otherwise.
    Only an actor who may ingest learns which checkpoints exist this way."""
    with workspace.reading() as ctx:
        require(actor, "evidence.ingest", ctx.active)
        session = ctx.session
        known: set[str] = set()
        for entry in entries:
            if entry.checkpoint in known:
                continue
            try:
                resolve_checkpoint(session, entry.checkpoint)
            except NotFoundError as exc:
                raise InputError(f"column 'checkpoint': {exc.message}", where=entry.where) from exc
            known.add(entry.checkpoint)
    planned: list[PlannedEntry] = []
    for entry in entries:
        try:
            files, skipped = find_logs([entry.path], recursive=recursive)
        except EvidenceError as exc:
            raise InputError(f"column 'path': {exc.message}", where=entry.where) from exc
        if not files:
            raise InputError(
                f"column 'path': no evaluation logs found ({len(skipped)} file(s) skipped)", where=entry.where
            )
        planned.append(PlannedEntry(entry, files, skipped))
    return planned


def ingest_manifest(
    workspace: Workspace,
    actor: Actor,
    manifest: str | Path | Sequence[ManifestEntry] | Sequence[PlannedEntry],
    *,
    allow_status: AllowStatus = False,
    metadata: dict[str, Any] | None = None,
    recursive: bool = True,
    on_file: Callable[[Outcome], None] | None = None,
) -> BulkIngest:
    """Ingest every row of ``manifest`` (a manifest file, its rows, or the plan ``plan_manifest`` made of
    them), one transaction per file through ``ingest_paths``. Every file ingested names its checkpoint
    (``ManifestIngested``). A file that cannot be ingested raises its ``EvidenceError``, naming the manifest
    row too; the files before it stay ingested."""
    # No policy can grant ingestion (``POLICY_ACTIONS``), so this needs none; each file's ingestion checks
    # again in its own transaction.
    require(actor, "evidence.ingest")
    if isinstance(manifest, str | Path):
        manifest = read_manifest(manifest)
    if manifest and all(isinstance(p, PlannedEntry) for p in manifest):
        planned = [p for p in manifest if isinstance(p, PlannedEntry)]
    else:
        rows = [e for e in manifest if isinstance(e, ManifestEntry)]
        planned = plan_manifest(workspace, actor, rows, recursive=recursive)
    total = BulkIngest([], [])
    for plan in planned:
        try:
            done = ingest_paths(
                workspace,
                actor,
                plan.files,
                plan.entry.checkpoint,
                allow_status=allow_status,
                metadata=metadata,
                on_file=on_file,
                skipped=plan.skipped,
            )
        except EvidenceError as exc:
            before = f"; {len(total.ingested)} file(s) of earlier rows ingested" if total.ingested else ""
            raise type(exc)(f"{exc.message} (row {plan.entry.where}{before})", where=exc.where) from exc
        total.ingested += [ManifestIngested(i.path, i.result, plan.entry.checkpoint) for i in done.ingested]
        total.skipped += done.skipped
    return total
