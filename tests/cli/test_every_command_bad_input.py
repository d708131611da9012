"""Every CLI command, driven with generated arguments: out-of-range numbers, past and future dates, unknown
ids, wrong types, empty and huge strings.

Each case must end in a usage or input error (exit 2, one line for scalegate's own errors) or succeed, never
in a traceback; a refused call leaves the store exactly as it was (a digest of every table's rows). The
commands are enumerated from the Typer application itself, so a new command is driven without editing this
test.
Commands that serve, prompt, run evaluations or build a demo are left out, and listed in ``LEFT_OUT``.
"""

from __future__ import annotations

import os
import resource
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.main import get_command
from typer.testing import CliRunner

from scalegate.actor import Actor
from scalegate.cli.app import app
from scalegate.clock import FixedClock
from scalegate.governance.identity import resolve_actor
from scalegate.governance.users import add_user
from scalegate.registry.service import create_model, register_checkpoint
from scalegate.registry.specs import CheckpointSpec
from scalegate.workspace import init_workspace
from tests.conftest import FIXTURES, MINIMAL_POLICY
from tests.support.digest import store_digest
from tests.support.templates import SqliteTemplate

pytestmark = pytest.mark.slow  # hundreds of in-process command runs

LEFT_OUT = {
    "serve": "serves until interrupted",
    "demo": "builds a whole demo workspace (its own tests drive it)",
    "init": "creates a workspace in the current directory",
    "login": "prompts for a password and uses the OS keyring",
    "logout": "uses the OS keyring",
    "evals run": "runs evaluations",
    "user passwd": "prompts for a password",
}
EXAMPLES_PER_COMMAND = 6
DEEP = (FIXTURES / "fuzz" / "imports" / "deep.json").read_bytes()

NUMBERS = ["-1", "0", "1", "0.5", "7", "99999999999999999999999", "1e999", "nan", "-inf", "abc", ""]
DATES = ["2020-01-01", "2025-06-01", "9999-12-31", "0001-01-01", "2025-02-30", "yesterday", "0", ""]
WORDS = ["m1", "m1@c1", "nope", "m9@c9", "999999999", "-", "", "x" * 5000, "a/b@c", "é\u0000"]
PATHS = ["existing.json", "missing/file.json", "/dev/zero", ""]
INVALID_EVERYWHERE = {"nan", "-inf", "1e999", "99999999999999999999999", "2025-02-30", "é\u0000"}
"""Values no option or argument of any command may take: not a number a store can hold, not a calendar date, a
NUL in text. A case that passes one of them must be refused (exit 2), never succeed as if it were valid."""
"""Relative paths name files in the test's own directory (the current directory while a command runs)."""


def _leaves() -> dict[str, Any]:
    out: dict[str, Any] = {}

    def walk(command: Any, path: list[str]) -> None:
        children = getattr(command, "commands", None)
        if children:
            for name, child in children.items():
                walk(child, [*path, name])
        else:
            out[" ".join(path)] = command

    walk(get_command(app), [])
    return {name: command for name, command in out.items() if name not in LEFT_OUT}


COMMANDS = _leaves()


def _pool(param: Any) -> list[str]:
    descriptor = getattr(param, "type_descriptor", None)
    annotation = str(getattr(descriptor, "annotation", ""))
    name = (param.name or "").lower()
    if "int" in annotation or "float" in annotation:
        return NUMBERS
    if name.endswith(("_at", "date", "expires", "since", "until")) or name in ("at", "to", "from_", "end"):
        return DATES + WORDS[:4]
    if "path" in annotation.lower() or any(word in name for word in ("file", "path", "points", "out")):
        return PATHS
    return WORDS


@st.composite
def _argv(draw: st.DrawFn, command: Any) -> list[str]:
    argv: list[str] = []
    for param in command.params:
        if param.name in ("help", "json_out", "show_completion", "install_completion"):
            continue  # Typer's shell-completion options act on the user's shell, not on scalegate
        is_argument = type(param).__name__.endswith("Argument")
        if is_argument:
            argv.append(draw(st.sampled_from(_pool(param))))
            continue
        if not param.required and not draw(st.booleans()):
            continue
        flag = next((o for o in param.opts if o.startswith("--")), param.opts[0])
        if getattr(param, "is_flag", False):
            argv.append(flag)
            continue
        values = [draw(st.sampled_from(_pool(param))) for _ in range(max(param.nargs, 1))]
        argv += [flag, *values]
    return argv


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, sqlite_template: SqliteTemplate) -> Iterator[str]:
    """A demo workspace with model m1, checkpoint c1, and `ada`, who holds every role but admin."""
    url = sqlite_template.url_at(tmp_path_factory.mktemp("every-command") / "scalegate.db")
    workspace = init_workspace(url, str(MINIMAL_POLICY), clock=FixedClock(datetime(2025, 6, 1, tzinfo=UTC)))
    try:
        add_user(workspace, Actor("root"), "root", admin=True)
        roles = ["rso", "ceo", "evaluator", "safeguards_owner", "security", "board", "ltbt", "staff"]
        add_user(workspace, resolve_actor(workspace, "root"), "ada", roles=roles)
        ada = resolve_actor(workspace, "ada")
        create_model(workspace, ada, "m1", "fam", "evals team")
        register_checkpoint(workspace, ada, "m1", CheckpointSpec(name="c1", step=1, training_flops=1e20))
    finally:
        workspace.close()
    yield url


CASES = {"runs": 0, "refused": 0}

MEMORY_HEADROOM = 6 << 30
"""Address space the commands may add to this process: a command that reads without end (a device, a huge
count) fails its own case with ``MemoryError`` instead of exhausting the machine's memory for every test."""


@pytest.fixture(scope="module", autouse=True)
def bounded_memory() -> Iterator[None]:
    with open("/proc/self/status", encoding="ascii") as status:
        size = next(int(line.split()[1]) << 10 for line in status if line.startswith("VmSize:"))
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (size + MEMORY_HEADROOM, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_command_with_generated_arguments_refuses_in_one_line_or_succeeds(
    name: str, store: str, tmp_path: Path
) -> None:
    command = COMMANDS[name]
    runner = CliRunner()
    env = {"SCALEGATE_USER": "", "SCALEGATE_NOW": "2025-06-01T12:00:00Z", "COLUMNS": "200"}

    @settings(
        max_examples=EXAMPLES_PER_COMMAND,
        deadline=None,
        database=None,
        derandomize=True,  # the same cases on every run: CI fails only on a change, never by chance
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(argv=_argv(command))
    def run(argv: list[str]) -> None:
        before = store_digest(store)
        cwd = os.getcwd()
        os.chdir(tmp_path)  # a command reads and writes files here
        (tmp_path / "existing.json").write_bytes(DEEP)
        try:
            result = runner.invoke(app, ["--db", store, "--as", "ada", *name.split(), *argv], env=env)
        finally:
            os.chdir(cwd)
        CASES["runs"] += 1
        shown = f"{name} {argv!r}: exit {result.exit_code}\n{result.stderr}"
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"{shown}\n{type(result.exception).__name__}: {result.exception}")
        assert "Traceback" not in result.stderr + result.stdout, shown
        assert result.exit_code in (0, 2, 3, 4), shown  # 3 and 4: the gate's pause and restrict
        invalid = sorted(INVALID_EVERYWHERE.intersection(argv))
        assert not invalid or result.exit_code == 2, f"accepted {invalid}: {shown}"
        if result.exit_code == 2:
            CASES["refused"] += 1
            lines = result.stderr.strip().splitlines()
            errors = [line for line in lines if line.startswith("error: ")]
            assert len(errors) <= 1, shown
            if errors:  # scalegate's own error: one line, and at most the command's usage after it
                assert lines[0] == errors[0].strip(), shown
                assert all(line.startswith("usage:") for line in lines[1:]), shown
            assert store_digest(store) == before, f"store changed by a refused call: {shown}"

    run()


def test_the_commands_driven_are_counted() -> None:
    """Reported with ``-s``: how many commands were driven and with how many generated cases."""
    print(f"\n{len(COMMANDS)} commands driven, {len(LEFT_OUT)} left out, {CASES['runs']} cases run")
    assert len(COMMANDS) > 50
