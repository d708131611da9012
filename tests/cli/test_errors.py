"""Service errors name fields; the command line names the flag the user typed, where the command has one."""

from __future__ import annotations

from typer.testing import CliRunner

from scalegate.cli._output import _message
from scalegate.cli.app import app
from scalegate.errors import InputError
from scalegate.workspace import Workspace


def test_a_field_is_shown_as_the_flag_of_the_running_command() -> None:
    error = InputError("period ends before it starts", where="to")
    assert _message(error, {"--to": "--to", "--from": "--from"}) == "--to: period ends before it starts"
    assert _message(error, None) == "--to: period ends before it starts"


def test_a_field_the_command_has_no_flag_for_keeps_its_name() -> None:
    assert _message(InputError("bad", where="to"), {"--json": "--json"}) == "to: bad"
    assert _message(InputError("bad", where="role"), {"--role": "--role"}) == "role: bad"
    assert _message(InputError("bad", where="--level"), None) == "--level: bad"


def test_the_first_user_without_admin_is_told_the_flag(workspace: Workspace) -> None:
    result = CliRunner().invoke(app, ["--db", workspace.url, "user", "add", "ada", "--role", "rso"])
    assert result.exit_code != 0
    assert result.stderr.startswith("error: --admin: the first user of a workspace must be an admin")
