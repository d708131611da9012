"""The catalogue of top-level commands agrees with the commands themselves, and the fast answers agree with
the full CLI's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from scalegate.cli import catalog
from scalegate.cli.app import app

SCALEGATE = str(Path(sys.executable).with_name("scalegate"))


def test_each_entry_names_its_command_and_repeats_its_help() -> None:
    root = get_command(app)
    for entry in catalog.COMMANDS:
        command = root.commands[entry.name]  # type: ignore[attr-defined]
        assert command.name == entry.name
        first_line = (command.help or "").strip().split("\n")[0]
        assert first_line == entry.help, entry.name


def test_root_options_are_listed_with_their_help() -> None:
    text = catalog.root_help()
    for param in get_command(app).params:
        assert getattr(param, "help", None) in text, param.name


def test_root_help_is_the_same_with_or_without_typer() -> None:
    typer_help = CliRunner().invoke(app, ["--help"])
    fast_help = subprocess.run([SCALEGATE, "--help"], capture_output=True, text=True, check=False)
    assert typer_help.exit_code == fast_help.returncode == 0
    assert typer_help.stdout == fast_help.stdout == catalog.root_help() + "\n"


def test_no_command_prints_the_help_and_exits_2_with_or_without_typer() -> None:
    typer_help = CliRunner().invoke(app, [])
    fast_help = subprocess.run([SCALEGATE], capture_output=True, text=True, check=False)
    assert typer_help.exit_code == fast_help.returncode == 2
    assert typer_help.stdout == fast_help.stdout == catalog.root_help() + "\n"


def test_policy_list_json_is_the_same_with_or_without_typer() -> None:
    typer_out = CliRunner().invoke(app, ["policy", "list", "--json"])
    fast_out = subprocess.run(
        [SCALEGATE, "policy", "list", "--json"], capture_output=True, text=True, check=False
    )
    assert typer_out.exit_code == fast_out.returncode == 0
    assert typer_out.stdout == fast_out.stdout


@pytest.mark.slow
def test_invoking_a_group_imports_only_its_module() -> None:
    probe = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from scalegate.cli.app import app\n"
        "r = CliRunner().invoke(app, ['policy', '--help'])\n"
        "assert r.exit_code == 0, r.output\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('scalegate.cli.'))\n"
        "print(' '.join(loaded))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.split() == [
        "scalegate.cli._bounds",
        "scalegate.cli._context",
        "scalegate.cli._output",
        "scalegate.cli.app",
        "scalegate.cli.catalog",
        "scalegate.cli.policy",
    ]
