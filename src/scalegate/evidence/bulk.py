"""Ingesting many evaluation files at once: files and log directories, one transaction per file.

A lab's evaluation output is a directory: lm-eval's ``out/<model>/`` (``results_<timestamp>.json`` with its
``samples_<task>_<timestamp>.jsonl``), Inspect's log directory (``.eval`` and ``.json`` logs, and listings
such as ``logs.json``). ``find_logs`` turns the paths a user gives into the files to ingest and the ones it
skips, each with the reason; ``ingest_paths`` ingests each file in a transaction of its own through
``evidence.service.ingest_file``. So every file is content-addressed and idempotent as a single ingestion is,
a thousand logs never hold one long write lock, and a crash or a bad file leaves every earlier file ingested
and nothing of the bad one. Running the same command again after a failure finds what is in already
(``created`` false) and goes on.

Walking rules (documented in docs/cli/evidence.md):

- a file named explicitly is ingested whatever its name, and one that cannot be read is an error;
- a directory is walked in sorted order, into subdirectories unless ``recursive`` is False, without following
  symbolic links, leaving out hidden entries (names starting with ``.``);
- in a directory, ``.eval`` and ``.json`` files are ingested; a ``.json`` file that is no evaluation result
  (an Inspect ``logs.json`` listing, an ``eval-set.json``) is skipped with a note; ``samples_*.jsonl`` files
  are read with the lm-eval results file beside them and skipped with a note; any other file is skipped
  with a note.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from scalegate.actor import Actor
from scalegate.errors import EvidenceError
from scalegate.evidence.readers import NotAnEvaluationFile
from scalegate.evidence.service import AllowStatus, ingest_file, local_path
from scalegate.evidence.types import EvidenceRecordDocument, IngestResult
from scalegate.permissions import require
from scalegate.workspace import Workspace

__all__ = [
    "BulkIngest",
    "BulkIngestDocument",
    "Ingested",
    "IngestedDocument",
    "LogFile",
    "Skipped",
    "SkippedDocument",
    "find_logs",
    "ingest_paths",
]

LOG_SUFFIXES = (".eval", ".json")
"""Suffixes of the files a directory walk ingests."""


@dataclass(frozen=True)
class LogFile:
    """A file to ingest; ``named``: given by the user (a failure is an error) rather than found in a walk."""

    path: Path
    named: bool


@dataclass(frozen=True)
class Skipped:
    """A file a directory walk left out, and why."""

    path: Path
    reason: str

    def to_dict(self) -> SkippedDocument:
        return {"file": str(self.path), "reason": self.reason}


class SkippedDocument(TypedDict):
    """A skipped file as JSON."""

    file: str
    reason: str


class IngestedDocument(TypedDict):
    """An ingested file as JSON: its path, then the ingestion's result."""

    file: str
    created: bool
    records: list[EvidenceRecordDocument]


@dataclass(frozen=True)
class Ingested:
    """A file ingested (or found already ingested: ``result.created`` false)."""

    path: Path
    result: IngestResult

    def to_dict(self) -> IngestedDocument:
        return {"file": str(self.path), **self.result.to_dict()}


Outcome = Ingested | Skipped


class BulkIngestDocument(TypedDict):
    """What a bulk ingestion did, as JSON: counts, then each file."""

    files: int
    created: int
    unchanged: int
    ingested: list[IngestedDocument]
    skipped: list[SkippedDocument]


@dataclass
class BulkIngest:
    """What a bulk ingestion did, file by file."""

    ingested: list[Ingested]
    skipped: list[Skipped]

    @property
    def created(self) -> int:
        """Files whose records were written by this ingestion (the others were in already)."""
        return sum(1 for i in self.ingested if i.result.created)

    def to_dict(self) -> BulkIngestDocument:
        return {
            "files": len(self.ingested),
            "created": self.created,
            "unchanged": len(self.ingested) - self.created,
            "ingested": [i.to_dict() for i in self.ingested],
            "skipped": [s.to_dict() for s in self.skipped],
        }


def find_logs(paths: Iterable[str | Path], *, recursive: bool = True) -> tuple[list[LogFile], list[Skipped]]:
    """The files to ingest from ``paths`` (files and directories), in order, each once, and the files a walk
    skipped with the reason. A path that does not exist is an ``EvidenceError`` naming it."""
    found: list[LogFile] = []
    skipped: list[Skipped] = []
    seen: set[Path] = set()

    def keep(path: Path, named: bool) -> None:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            found.append(LogFile(path, named))

    for given in paths:
        path = local_path(given)
        if path.is_dir():
            for entry in _walk(path, recursive):
                reason = _not_a_log(entry)
                if reason is None:
                    keep(entry, named=False)
                else:
                    skipped.append(Skipped(entry, reason))
        elif path.exists():
            beside = _samples_beside_results(path)
            if beside is None:
                keep(path, named=True)
            else:
                skipped.append(Skipped(path, beside))
        else:
            raise EvidenceError("no such file or directory", where=str(path))
    return found, skipped


def _walk(root: Path, recursive: bool) -> list[Path]:
    """Every non-hidden file under ``root`` in sorted order (symbolic links to directories not followed)."""
    files: list[Path] = []
    for directory, subdirs, names in os.walk(root, followlinks=False):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith(".")) if recursive else []
        files += [Path(directory) / n for n in sorted(names) if not n.startswith(".")]
    return sorted(files)


def _not_a_log(path: Path) -> str | None:
    """Why a file found in a directory is not ingested (None: it is)."""
    if path.suffix.lower() in LOG_SUFFIXES:
        return None
    if path.name.startswith("samples_") and path.suffix.lower() == ".jsonl":
        return _samples_beside_results(path) or (
            "lm-eval samples file with no results file of its timestamp beside it: not ingested"
        )
    return f"not an evaluation log (ingested: {', '.join(LOG_SUFFIXES)})"


_SAMPLES_STAMP = re.compile(r"^samples_.+_(?P<ts>\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d(?:\.\d+)?)\.jsonl$")


def _samples_beside_results(path: Path) -> str | None:
    """The note for an lm-eval samples file whose results file (``results_<ts>.json`` or, for
    ``--output_path NAME.json``, ``NAME_<ts>.json``) lies beside it: it is read with that file, so a shell
    glob over lm-eval's output folder (``out/<model>/*``) ingests the results once and skips the rest."""
    match = _SAMPLES_STAMP.match(path.name)
    if match is None:
        return None
    results = sorted(p for p in path.parent.glob(f"*_{match.group('ts')}.json") if p.is_file())
    if not results:
        return None
    return f"lm-eval samples file: read with the results file beside it ({results[0].name})"


def ingest_paths(
    workspace: Workspace,
    actor: Actor,
    paths: Sequence[str | Path] | Sequence[LogFile],
    checkpoint_ref: str,
    *,
    allow_status: AllowStatus = False,
    metadata: dict[str, Any] | None = None,
    recursive: bool = True,
    on_file: Callable[[Outcome], None] | None = None,
    skipped: Sequence[Skipped] = (),
) -> BulkIngest:
    """Ingest files and log directories for a checkpoint (``MODEL@CKPT``), one transaction per file.

    ``paths`` may be the ``LogFile`` list ``find_logs`` returned (a door that shows progress finds the files
    first to know how many there are), with ``skipped``, the files that walk left out. ``on_file`` is told
    of each file as it is done. A file that cannot be
    ingested raises an ``EvidenceError`` naming it and saying how many files before it were ingested; nothing
    of that file is written, and the files before it stay ingested.
    """
    # No policy can grant ingestion (``POLICY_ACTIONS``), so this needs none; each file's ingestion checks
    # again in its own transaction.
    require(actor, "evidence.ingest")
    notes = list(skipped)
    if paths and all(isinstance(p, LogFile) for p in paths):
        files = [p for p in paths if isinstance(p, LogFile)]
    else:
        files, found = find_logs([p for p in paths if not isinstance(p, LogFile)], recursive=recursive)
        notes += found
    if on_file is not None:
        for note in notes:
            on_file(note)
    done = BulkIngest([], notes)
    for log in files:
        outcome: Outcome
        try:
            result = ingest_file(
                workspace, actor, log.path, checkpoint_ref, allow_status=allow_status, metadata=metadata
            )
            outcome = Ingested(log.path, result)
            done.ingested.append(outcome)
        except NotAnEvaluationFile as exc:
            if log.named:
                raise _stopped(exc, log.path, done) from exc
            outcome = Skipped(log.path, exc.message)
            done.skipped.append(outcome)
        except EvidenceError as exc:
            raise _stopped(exc, log.path, done) from exc
        if on_file is not None:
            on_file(outcome)
    if not done.ingested:
        raise EvidenceError(
            "no evaluation logs found" + (f" ({len(done.skipped)} file(s) skipped)" if done.skipped else ""),
            where=", ".join(str(p) for p in paths if not isinstance(p, LogFile)) or "paths",
        )
    return done


def _stopped(exc: EvidenceError, path: Path, done: BulkIngest) -> EvidenceError:
    """The error of the file that stopped a bulk ingestion, saying what was ingested before it."""
    before = len(done.ingested)
    tail = f" ({before} file(s) before it ingested; running again skips them)" if before else ""
    return type(exc)(f"{exc.message}{tail}", where=exc.where or str(path))
