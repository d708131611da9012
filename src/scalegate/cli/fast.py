"""Commands run without Typer and Rich: ``scalegate --help``, ``--version``, ``scalegate policy list --json``
and ``scalegate evidence ingest``.

Importing Typer alone costs several times the interpreter's own start-up, so these answers are given from the
standard library: the root help from ``scalegate.cli.catalog`` (the Typer root prints the same text), the
built-in policies from the index stored next to them (``scalegate.policy.service.builtin_index``), used only
when every policy file still has the hash recorded there. ``evidence ingest``, which pipelines run after
every evaluation, is parsed here when its arguments are plainly well formed (known options, each value
present and not option-like) and run by the body the Typer command runs (``scalegate.cli.ingest``).
Anything else returns ``None`` and the caller runs the full CLI, which gives the same answers the slow way
and judges every malformed command line itself.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field

__all__ = ["IngestArgs", "answer", "builtin_summaries", "ingest_args"]

_GLOBAL_WITH_VALUE = ("--db", "--as")


def _command_words(args: list[str]) -> list[str] | None:
    """``args`` without the root options that do not change these answers, or None if something else is
    there (an option the full CLI must judge)."""
    out: list[str] = []
    it = iter(args)
    for arg in it:
        if arg in _GLOBAL_WITH_VALUE and not out:
            if next(it, None) is None:
                return None
        elif arg.startswith(tuple(f"{o}=" for o in _GLOBAL_WITH_VALUE)) and not out:
            continue
        else:
            out.append(arg)
    return out


def builtin_summaries() -> str | None:
    """``scalegate policy list --json`` from the index of the built-in policies, or None if the index is
    missing or any policy file differs from the one it was computed from (``policy.service.builtin_index``).
    """
    import hashlib

    directory = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "policy", "builtin")
    try:
        with open(os.path.join(directory, "index.txt"), encoding="utf-8") as fh:
            head, sep, document = fh.read().partition("\n\n")
        listed = [line.split(" ", 1) for line in head.splitlines() if not line.startswith("#")]
        if not sep or sorted(n for _, n in listed) != sorted(
            n for n in os.listdir(directory) if n.endswith(".yaml")
        ):
            return None
        for digest, name in listed:
            with open(os.path.join(directory, name), "rb") as fh:
                if hashlib.sha256(fh.read()).hexdigest() != digest:
                    return None
    except (OSError, ValueError):
        return None
    return document


def answer(args: list[str]) -> int | None:
    """Print the answer to ``args`` and return the exit code, or return None to run the full CLI."""
    words = _command_words(args)
    if words is None:
        return None
    if words in ([], ["--help"]):
        from scalegate.cli.catalog import root_help

        sys.stdout.write(root_help() + "\n")
        return 0 if words else 2  # no command: click's "no arguments is help" exit status
    if words == ["--version"]:
        from scalegate import __version__

        sys.stdout.write(f"scalegate {__version__}\n")
        return 0
    if words == ["policy", "list", "--json"]:
        document = builtin_summaries()
        if document is None:
            return None
        sys.stdout.write(document)
        return 0
    if words[:2] == ["evidence", "ingest"]:
        parsed = ingest_args(args)
        return None if parsed is None else _run_ingest(parsed)
    return None


@dataclass
class IngestArgs:
    """``scalegate [--db URL] [--as USER] evidence ingest PATH... --checkpoint REF [options]``, parsed as
    Typer parses it (the last of a repeated option wins; ``--elicitation`` accumulates)."""

    db: str | None = None
    user: str | None = None
    paths: list[str] = field(default_factory=list)
    checkpoint: str | None = None
    allow_status: str | None = None
    elicitation: list[str] = field(default_factory=list)
    recursive: bool = True
    json_out: bool = False


_ROOT_VALUES = {"--db": "db", "--as": "user"}
_INGEST_VALUES = {"--checkpoint": "checkpoint", "-c": "checkpoint", "--allow-status": "allow_status"}
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
    if words != ["evidence", "ingest"] or not parsed.paths or parsed.checkpoint is None:
        return None
    # Typer reads these two from the environment when the options are absent (an empty variable is absent)
    parsed.db = parsed.db if parsed.db is not None else os.environ.get("SCALEGATE_DATABASE_URL") or None
    parsed.user = parsed.user if parsed.user is not None else os.environ.get("SCALEGATE_USER") or None
    return parsed


def _run_ingest(parsed: IngestArgs) -> int:
    """Run ``evidence ingest`` through the body the Typer command runs; exit codes as the Typer root's."""
    from pathlib import Path

    from scalegate.cli._context import CliState
    from scalegate.cli.ingest import deliver

    assert parsed.checkpoint is not None
    try:
        deliver(
            CliState(db=parsed.db, user=parsed.user),
            [Path(p) for p in parsed.paths],
            parsed.checkpoint,
            allow_status=parsed.allow_status,
            elicitation=parsed.elicitation or None,
            recursive=parsed.recursive,
            json_out=parsed.json_out,
        )
    except (KeyboardInterrupt, EOFError):  # as click's standalone mode ends an interrupted command
        sys.stderr.write("\nAborted!\n")
        return 1
    return 0
