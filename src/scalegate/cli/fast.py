"""Commands run without Typer and Rich: ``scalegate --help``, ``--version``, ``scalegate policy list --json``
and ``scalegate evidence ingest``.

Importing Typer alone costs several times the interpreter's own start-up, so these answers are given from the
standard library: the root help from ``scalegate.cli.catalog`` (the Typer root prints the same text), the
built-in policies from the index stored next to them (``scalegate.policy.service.builtin_index``), used only
when every policy file still has the hash recorded there. ``evidence ingest``, which pipelines run after
every evaluation, is parsed here when its arguments are plainly well formed (known options, each value
present and not option-like, ``scalegate.cli.ingest.ingest_args``) and run by the body the Typer command
runs.
Anything else returns ``None`` and the caller runs the full CLI, which gives the same answers the slow way
and judges every malformed command line itself.
"""

from __future__ import annotations

import sys

__all__ = ["answer"]

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
        from scalegate.cli._index import builtin_summaries

        document = builtin_summaries()
        if document is None:
            return None
        sys.stdout.write(document)
        return 0
    if words[:2] == ["evidence", "ingest"]:
        # the store and the readers load only for this command (``--help`` above must not pay for them)
        from scalegate.cli.ingest import ingest_args, run_ingest

        parsed = ingest_args(args)
        return None if parsed is None else run_ingest(parsed)
    return None
