"""The ``scalegate`` command line: a thin door that parses arguments, calls the service layer and prints.

The top level is listed in ``scalegate.cli.catalog`` (name, one-line help, defining module). The root group
below imports a group's module only when that group is invoked, so ``scalegate audit log`` does not pay for
the reports, the web server or the evaluation runner.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

import typer
from typer.core import TyperGroup
from typer.main import get_command, get_group

from scalegate import __version__
from scalegate.cli import catalog
from scalegate.cli._bounds import bound_numbers
from scalegate.cli._context import state

__all__ = ["app"]


def _click_command(name: str) -> Any:
    """Build the click command of top-level entry ``name`` (importing its module)."""
    found = catalog.entry(name)
    if found is None:
        return None
    target = found.load()
    if isinstance(target, typer.Typer):
        group = get_group(target)
        group.name = name
        return bound_numbers(group)
    assert callable(target), f"{found.module.__name__}: {found.attribute} is not a command"
    single = typer.Typer()
    single.command(name)(target)
    return bound_numbers(get_command(single))


class _LazyCommands(MutableMapping[str, Any]):
    """The root's sub-commands: every name is known up front, each command is built on first access."""

    def __init__(self) -> None:
        self._built: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            command = _click_command(name)
            if command is None:
                raise KeyError(name)
            self._built[name] = command
        return self._built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        del self._built[name]

    def __iter__(self) -> Iterator[str]:
        yield from (e.name for e in catalog.COMMANDS)
        yield from (n for n in self._built if catalog.entry(n) is None)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (catalog.entry(name) is not None or name in self._built)


class _LazyRoot(TyperGroup):
    """The root group: sub-commands from the catalogue, loaded lazily; help from the catalogue too, so that
    ``scalegate --help`` prints the same text with or without Typer (``scalegate.cli.fast``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands = _LazyCommands()

    def list_commands(self, ctx: Any) -> list[str]:
        return [e.name for e in catalog.COMMANDS]

    def format_help(self, ctx: Any, formatter: Any) -> None:
        formatter.write(catalog.root_help())

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        # No command: the help on stdout and exit status 2, as ``scalegate.cli.fast`` answers (Typer's own
        # handling prints only help it rendered with Rich itself).
        if not args and self.no_args_is_help and not ctx.resilient_parsing:
            typer.echo(catalog.root_help())
            ctx.exit(2)
        rest: list[str] = super().parse_args(ctx, args)
        return rest


app = typer.Typer(
    name="scalegate",
    cls=_LazyRoot,
    help=catalog.DESCRIPTION,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"scalegate {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    db: str | None = typer.Option(
        None, "--db", envvar="SCALEGATE_DATABASE_URL", help="Store URL (sqlite:///path or postgresql://...)."
    ),
    user: str | None = typer.Option(
        None,
        "--as",
        envvar="SCALEGATE_USER",
        help="Act as this workspace user (with a credential, except in a demo workspace).",
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """scalegate: policy-as-code for Responsible Scaling Policies."""
    st = state(ctx)
    st.db = db
    st.user = user
