"""Printing for the CLI: one JSON document with ``--json``, else Rich tables; one-line errors on stderr.

``command`` is the shape every command shares: the body parses its arguments and calls the service, returning
what it got; the decorator turns service errors into one-line messages with their exit codes, then prints the
result as JSON under ``--json`` or with the command's ``render`` otherwise.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from scalegate.errors import ScalegateError
from scalegate.jsonable import json_default, to_jsonable

__all__ = [
    "FIELD_FLAGS",
    "as_dict",
    "as_dicts",
    "command",
    "console",
    "emit_json",
    "fail",
    "guarded",
    "table",
]

F = TypeVar("F", bound=Callable[..., Any])

FIELD_FLAGS: Mapping[str, str] = {
    "action": "--action",
    "actions": "--action",
    "address": "--address",
    "admin": "--admin",
    "at": "--at",
    "audience": "--audience",
    "format": "--format",
    "formats": "--format",
    "indicator": "--indicator",
    "indicator_ids": "--indicator",
    "indicators": "--indicator",
    "justification": "--justification",
    "level": "--level",
    "levels": "--level",
    "outbox": "--outbox",
    "policies": "--policies",
    "ref": "--ref",
    "scope": "--scope",
    "smtp": "--smtp",
    "standard": "--standard",
    "threshold": "--threshold",
    "to": "--to",
    "end": "--to",
    "expires_at": "--expires",
}
"""Service fields that a command line sets with a flag of another name or form. Services name the field they
check (``where="action"``); the CLI says which flag the user typed (``--action``), when the command has it."""


def emit_json(document: Any) -> None:
    """Print one JSON document on stdout: a service's typed result, serialised by ``to_jsonable``."""
    sys.stdout.write(
        json.dumps(to_jsonable(document), indent=2, sort_keys=False, default=json_default, ensure_ascii=False)
        + "\n"
    )


def console() -> Any:
    """A Rich console (imported lazily: Rich is not needed on the JSON path)."""
    from rich.console import Console

    # Piped output (CI logs, `| less`) gets a readable width instead of Rich's 80-column fallback.
    return Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 150)


def table(title: str | None, columns: list[str], rows: list[list[Any]]) -> None:
    """Print a Rich table."""
    from rich.table import Table

    t = Table(title=title, show_lines=False, header_style="bold")
    for column in columns:
        t.add_column(column)
    for row in rows:
        t.add_row(*["" if v is None else str(v) for v in row])
    console().print(t)


def fail(message: str, code: int = 2) -> None:
    """Print a one-line error and exit."""
    sys.stderr.write(f"error: {message}\n")
    raise SystemExit(code)


def _message(exc: ScalegateError, flags: Mapping[str, str] | None) -> str:
    """The error's one-line message, naming the flag where the service named the field it sets."""
    text = str(exc)
    where = exc.where
    if where and not where.startswith("-") and text.startswith(f"{where}: "):
        flag = FIELD_FLAGS.get(where)
        if flag is not None and (flags is None or flag in flags):
            text = f"{flag}: {text[len(where) + 2 :]}"
    return text.replace("\n", " ")


@contextmanager
def guarded(flags: Mapping[str, str] | None = None) -> Iterator[None]:
    """Turn ``ScalegateError`` into a one-line message and its exit code. ``flags``: the running command's
    long options, when known, so that a field is rendered as a flag only where the command has that flag."""
    try:
        yield
    except ScalegateError as exc:
        fail(_message(exc, flags), exc.exit_code)
    except OSError as exc:  # a path the user gave: too long, a directory, not writable...
        fail(_os_message(exc), 2)


def _os_message(exc: OSError) -> str:
    """``file: reason`` for an error of the operating system on a path the user named."""
    name = str(exc.filename) if exc.filename is not None else ""
    shown = name if len(name) <= 80 else f"{name[:60]}... ({len(name)} characters)"
    reason = exc.strerror or type(exc).__name__
    return f"{shown}: {reason}" if shown else reason


def _flags_of(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, str] | None:
    """The long options of the command being run, from its Typer context argument if it takes one."""
    ctx = kwargs.get("ctx") or next((a for a in args if hasattr(a, "command")), None)
    command = getattr(ctx, "command", None)
    if command is None:
        return None
    options = (opt for param in command.params for opt in getattr(param, "opts", ()))
    return {opt: opt for opt in options if opt.startswith("--")}


class Said:
    """A result with the confirmation line to print instead of it without ``--json`` (``Said(row, "Added")``),
    for commands whose line names what the user typed rather than what the service returned."""

    __slots__ = ("document", "line")

    def __init__(self, document: Any, line: str) -> None:
        self.document = document
        self.line = line


def as_dict(result: Any) -> Any:
    """``to_json=`` for a typed result (``to_jsonable``; ``emit_json`` applies it anyway)."""
    return to_jsonable(result)


def as_dicts(results: Any) -> list[Any]:
    """``to_json=`` for a list of typed results."""
    return [to_jsonable(r) for r in results]


def command(
    render: Callable[[Any], None] | None = None,
    *,
    text: Callable[[Any], str] | None = None,
    to_json: Callable[[Any], Any] | None = None,
    exit_code: Callable[[Any], int] | None = None,
) -> Callable[[F], F]:
    """Decorate a command body that parses, calls the service and returns the result.

    Service errors raised by the body become a one-line message and the error's exit code. The result is
    then printed: under ``--json`` (a ``json_out`` parameter) as one JSON document, ``to_json(result)`` or
    the result itself; otherwise by ``render(result)``, or as the Rich-markup line ``text(result)``. Last,
    the command exits with ``exit_code(result)`` when that is not 0 (``audit verify`` exits 1 on a broken
    log). A body that returns None prints nothing; one that returns ``Said(document, line)`` prints the
    document under ``--json`` and the line otherwise. A command prints one JSON document, never several (a
    command that writes several things returns them as one list). Typer still sees the body's own signature
    (without its return annotation) and docstring.
    """

    def decorate(body: F) -> F:
        # Typer evaluates every annotation of a command (``inspect.signature(..., eval_str=True)``) and reads
        # only the parameters. The return annotation names the service's typed result for the type checker,
        # a class imported only under ``TYPE_CHECKING`` so that loading a command group does not load the
        # service layer; evaluated, it would be a NameError. So it is kept from what runs.
        body.__annotations__.pop("return", None)

        @functools.wraps(body)
        def run(*args: Any, **kwargs: Any) -> None:
            flags = _flags_of(args, kwargs)
            with guarded(flags):
                result = body(*args, **kwargs)
            if result is None:
                return
            with guarded(flags):  # a render that writes files (``--out``) fails the same way
                _print(result, bool(kwargs.get("json_out")))
            code = exit_code(result) if exit_code else 0
            if code:
                raise SystemExit(code)

        def _print(result: Any, json_out: bool) -> None:
            if isinstance(result, Said):
                if json_out:
                    emit_json(to_json(result.document) if to_json else result.document)
                else:
                    console().print(result.line)
                return
            if json_out:
                emit_json(to_json(result) if to_json else result)
            elif render is not None:
                render(result)
            elif text is not None:
                console().print(text(result))
            else:
                emit_json(to_json(result) if to_json else result)

        return run  # type: ignore[return-value]

    return decorate
