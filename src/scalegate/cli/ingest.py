"""``scalegate evidence ingest``: the command's body and its printing, with no Typer in them.

Pipelines run this command after every evaluation, so it has two doors onto the same code. The Typer command
(``scalegate.cli.evidence``) parses its options with Typer; the fast path (``scalegate.cli.fast``) parses the
same options with the standard library when they are plainly well formed, and leaves anything else (help, a
misspelt option, a missing value) to Typer. Both then call ``ingest`` here, which resolves the workspace and
the actor through ``scalegate.cli._context`` and ingests through ``evidence.bulk.ingest_paths``, and print
the result through ``deliver``, with ``guarded`` turning service errors into the same one-line messages and
exit codes.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scalegate.cli._context import CliState, actor_of, close_workspace, workspace_of
from scalegate.cli._output import emit_json, guarded

if TYPE_CHECKING:
    from scalegate.evidence.bulk import BulkIngest, IngestedDocument

__all__ = [
    "FLAGS",
    "IngestArgs",
    "deliver",
    "ingest",
    "ingest_args",
    "ingest_json",
    "render_ingest",
    "run_ingest",
]

FLAGS: Mapping[str, str] = {
    flag: flag
    for flag in ("--checkpoint", "--manifest", "--allow-status", "--elicitation", "--recursive", "--json")
}
"""The command's long options, as the Typer command's context lists them (a service error about a field is
shown as the flag that sets it only when the command has that flag; a test keeps the two lists equal)."""


@contextmanager
def _long_lived_frozen() -> Iterator[None]:
    """Load what ingesting needs with the cyclic garbage collector paused, and keep it out of every
    collection until the command is done.

    SQLAlchemy, the table classes and the readers are a few hundred thousand objects that outlive the
    command, and each full collection that reading a log or running the transaction triggers would walk them
    all again (about a sixth of the command's CPU time for a 5,000-sample log). Frozen (``gc.freeze``) they
    are not scanned; the ingestion's own garbage is collected as before. They are unfrozen at the end, so a
    process that runs the command and goes on (a test, a notebook) collects as it did; a caller that froze
    objects itself is left to manage its collector.
    """
    if gc.get_freeze_count():
        yield
        return
    enabled = gc.isenabled()
    gc.disable()
    try:
        # deferred: the store, SQLAlchemy and the readers, loaded here to be frozen (``ingest`` imports them)
        import scalegate.cli._credentials
        import scalegate.evidence.bulk  # noqa: F401

        gc.freeze()
    finally:
        if enabled:
            gc.enable()
    try:
        yield
    finally:
        gc.unfreeze()


@_long_lived_frozen()
def ingest(
    st: CliState,
    paths: Sequence[Path] | None,
    checkpoint: str | None,
    *,
    allow_status: str | None,
    elicitation: Sequence[str] | None,
    recursive: bool,
    json_out: bool,
    manifest: Path | None = None,
) -> BulkIngest:
    """Ingest ``paths`` for ``checkpoint``, or every row of ``manifest``, as the workspace and the actor of
    ``st`` (``--db``, ``--as``), what it loads kept out of the collector's way (``_long_lived_frozen``)."""
    # The store, the readers and SQLAlchemy load only when a command ingests (``evidence --help`` and the
    # other evidence commands' start-up do not pay for them); Rich only when a progress bar is drawn.
    from scalegate.cli._progress import progress
    from scalegate.errors import InputError
    from scalegate.evidence.bulk import find_logs, ingest_paths

    metadata = {"elicitation": list(elicitation)} if elicitation else None
    if manifest is not None:
        if paths or checkpoint:
            raise InputError(
                "give either --manifest or PATHS with --checkpoint, not both", where="--manifest"
            )
        return _ingest_manifest(
            st, manifest, allow_status=allow_status, metadata=metadata, recursive=recursive, json_out=json_out
        )
    if not paths:
        raise InputError("give PATHS with --checkpoint, or --manifest FILE.csv", where="PATHS")
    if not checkpoint:
        raise InputError(
            "missing option: PATHS are ingested for one --checkpoint MODEL@CKPT", where="--checkpoint"
        )
    files, skipped = find_logs(paths, recursive=recursive)
    # the bar counts the files found; one of them that turns out to be no log (a ``logs.json`` listing) is
    # skipped when read and still advances it, so the bar ends full; the notes of the walk do not
    counted = {f.path for f in files}
    with progress("ingesting", len(files), json_out=json_out) as advance:
        return ingest_paths(
            workspace_of(st),
            actor_of(st),
            files,
            checkpoint,
            allow_status=allow_status or False,
            metadata=metadata,
            on_file=lambda outcome: advance(1 if outcome.path in counted else 0),
            skipped=skipped,
        )


def _ingest_manifest(
    st: CliState,
    manifest: Path,
    *,
    allow_status: str | None,
    metadata: dict[str, Any] | None,
    recursive: bool,
    json_out: bool,
) -> BulkIngest:
    """Every row of a manifest, checked whole first, then one transaction per file under one bar."""
    from scalegate.cli._progress import progress
    from scalegate.evidence.manifest import ingest_manifest, plan_manifest, read_manifest

    workspace, actor = workspace_of(st), actor_of(st)
    planned = plan_manifest(workspace, actor, read_manifest(manifest), recursive=recursive)
    counted = {f.path for p in planned for f in p.files}
    with progress("ingesting", sum(len(p.files) for p in planned), json_out=json_out) as advance:
        return ingest_manifest(
            workspace,
            actor,
            planned,
            allow_status=allow_status or False,
            metadata=metadata,
            on_file=lambda outcome: advance(1 if outcome.path in counted else 0),
        )


def render_ingest(done: BulkIngest) -> None:
    """Plain lines (no Rich: importing it would be a noticeable share of an ingestion's run time), after the
    skipped files are noted on stderr."""
    _note_skipped(done)
    lines: list[str] = []
    for item in done.ingested:
        for record in item.result.records:
            verb = "ingested" if item.result.created else "already ingested"
            replaces = (
                f", supersedes {record.supersedes_id}" if record.supersedes_id and item.result.created else ""
            )
            assigned = getattr(item, "checkpoint", "")  # a manifest's files name their checkpoint
            target = f" for {assigned}" if assigned else ""
            lines.append(
                f"{verb} {item.path.name}{target}: evidence {record.id} ({record.harness} {record.task}, "
                f"sha256 {record.sha256[:12]}{replaces})"
            )
    if len(done.ingested) > 1 or done.skipped:
        lines.append(
            f"{len(done.ingested)} file(s): {done.created} ingested, "
            f"{len(done.ingested) - done.created} already in; {len(done.skipped)} skipped"
        )
    sys.stdout.write("".join(f"{line}\n" for line in lines))


def ingest_json(done: BulkIngest) -> list[IngestedDocument]:
    """One document per file ingested, each naming its file (skipped files are noted on stderr)."""
    _note_skipped(done)
    return [i.to_dict() for i in done.ingested]


def _note_skipped(done: BulkIngest) -> None:
    """Skipped files are noted on stderr, so that stdout stays the command's one document."""
    for note in done.skipped:
        sys.stderr.write(f"note: skipped {note.path}: {note.reason}\n")


def deliver(
    st: CliState,
    paths: Sequence[Path] | None,
    checkpoint: str | None,
    *,
    allow_status: str | None,
    elicitation: Sequence[str] | None,
    recursive: bool,
    json_out: bool,
    manifest: Path | None = None,
) -> None:
    """Run the command and print its result as ``scalegate.cli._output.command`` prints the Typer command's:
    a service error exits with its one-line message and code (``SystemExit``), else the result is printed."""
    with guarded(FLAGS):
        done = ingest(
            st,
            paths,
            checkpoint,
            allow_status=allow_status,
            elicitation=elicitation,
            recursive=recursive,
            json_out=json_out,
            manifest=manifest,
        )
    if json_out:
        emit_json(ingest_json(done))
    else:
        render_ingest(done)


# -- the fast path's parsing (scalegate.cli.fast) ------------------------------------------------------------


@dataclass
class IngestArgs:
    """``scalegate [--db URL] [--as USER] evidence ingest (PATH... --checkpoint REF | --manifest FILE)
    [options]``, parsed as Typer parses it (the last of a repeated option wins; ``--elicitation``
    accumulates)."""

    db: str | None = None
    user: str | None = None
    paths: list[str] = field(default_factory=list)
    checkpoint: str | None = None
    allow_status: str | None = None
    elicitation: list[str] = field(default_factory=list)
    recursive: bool = True
    json_out: bool = False
    manifest: str | None = None


_ROOT_VALUES = {"--db": "db", "--as": "user"}
_INGEST_VALUES = {
    "--checkpoint": "checkpoint",
    "-c": "checkpoint",
    "--allow-status": "allow_status",
    "--manifest": "manifest",
}
_INGEST_FLAGS: dict[str, tuple[str, bool]] = {
    "--recursive": ("recursive", True),
    "--no-recursive": ("recursive", False),
    "--json": ("json_out", True),
}


def ingest_args(args: list[str]) -> IngestArgs | None:
    """The arguments of an ``evidence ingest`` command line, or None when it is not one this parser is sure
    to read as Typer does (help, an unknown or malformed option, an option-like value, a missing path or
    checkpoint): Typer then parses it, with its own messages and exit codes."""
    parsed = IngestArgs()
    it = iter(args)
    words: list[str] = []
    for arg in it:
        name, eq, inline = arg.partition("=")
        if len(words) < 2 and name in _ROOT_VALUES and not words:
            value = inline if eq else next(it, None)
            if value is None or (not eq and value.startswith("-")):
                return None
            setattr(parsed, _ROOT_VALUES[name], value)
        elif len(words) < 2:
            if arg.startswith("-"):
                return None
            words.append(arg)
        elif name in _INGEST_VALUES or name == "--elicitation":
            if eq and name == "-c":
                return None
            value = inline if eq else next(it, None)
            if value is None or (not eq and value.startswith("-")):
                return None
            if name == "--elicitation":
                parsed.elicitation.append(value)
            else:
                setattr(parsed, _INGEST_VALUES[name], value)
        elif arg in _INGEST_FLAGS:
            attribute, flag = _INGEST_FLAGS[arg]
            setattr(parsed, attribute, flag)
        elif arg.startswith("-"):
            return None
        else:
            parsed.paths.append(arg)
    if words != ["evidence", "ingest"]:
        return None
    # either PATH... with --checkpoint or --manifest alone; any other mix is left to Typer to refuse
    by_paths = bool(parsed.paths) and parsed.checkpoint is not None and parsed.manifest is None
    by_manifest = parsed.manifest is not None and not parsed.paths and parsed.checkpoint is None
    if not (by_paths or by_manifest):
        return None
    # Typer reads these two from the environment when the options are absent (an empty variable is absent)
    parsed.db = parsed.db if parsed.db is not None else os.environ.get("SCALEGATE_DATABASE_URL") or None
    parsed.user = parsed.user if parsed.user is not None else os.environ.get("SCALEGATE_USER") or None
    return parsed


def run_ingest(parsed: IngestArgs) -> int:
    """Run a parsed command line through the body the Typer command runs; exit codes as the Typer root's."""
    st = CliState(db=parsed.db, user=parsed.user)
    try:
        deliver(
            st,
            [Path(p) for p in parsed.paths],
            parsed.checkpoint,
            allow_status=parsed.allow_status,
            elicitation=parsed.elicitation or None,
            recursive=parsed.recursive,
            json_out=parsed.json_out,
            manifest=None if parsed.manifest is None else Path(parsed.manifest),
        )
    except (KeyboardInterrupt, EOFError):  # as click's standalone mode ends an interrupted command
        sys.stderr.write("\nAborted!\n")
        return 1
    finally:
        # closed here rather than by the interpreter's last collection, which ``scalegate.cli.entry`` spares
        close_workspace(st)
    return 0
