"""Files on disk: the store and the keys are readable by their owner only, and the demo never replaces an
existing workspace."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scalegate.actor import SYSTEM
from scalegate.audit.tree_heads import sign_tree_head
from scalegate.cli.app import app
from scalegate.store.engine import default_url
from scalegate.testing.demo import fresh_state
from scalegate.workspace import init_workspace
from tests.conftest import MINIMAL_POLICY


def _modes(directory: Path) -> dict[str, int]:
    return {
        str(p.relative_to(directory)): stat.S_IMODE(p.stat().st_mode)
        for p in [directory, *directory.rglob("*")]
    }


@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_a_new_workspace_is_readable_by_its_owner_only(tmp_path: Path, umask: int) -> None:
    """The database file, its WAL files, the workspace directory and the key files: no group or other bits,
    whatever the umask."""
    old = os.umask(umask)
    try:
        workspace = init_workspace(default_url(tmp_path), str(MINIMAL_POLICY))
        try:
            sign_tree_head(workspace, SYSTEM)  # writes a key file if none was written yet
            modes = _modes(tmp_path / ".scalegate")
        finally:
            workspace.close()
    finally:
        os.umask(old)
    assert "scalegate.db" in modes
    assert any(name.endswith(".pem") for name in modes), modes
    loose = {name: oct(mode) for name, mode in modes.items() if mode & 0o077}
    assert loose == {}
    assert modes["scalegate.db"] == 0o600


def test_an_existing_database_file_keeps_its_mode(tmp_path: Path) -> None:
    """Opening never changes the mode of a file someone set on purpose (only new files are created 0600)."""
    url = default_url(tmp_path)
    init_workspace(url, str(MINIMAL_POLICY)).close()
    db = tmp_path / ".scalegate" / "scalegate.db"
    db.chmod(0o640)
    from scalegate.workspace import open_workspace

    open_workspace(url).close()
    assert stat.S_IMODE(db.stat().st_mode) == 0o640


def _digest(directory: Path) -> dict[str, str]:
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def test_demo_refuses_a_directory_that_holds_a_workspace(tmp_path: Path) -> None:
    """`scalegate demo --dir .` on a real workspace: a one-line error, exit 2, and every file as it was."""
    init_workspace(default_url(tmp_path), str(MINIMAL_POLICY)).close()
    before = _digest(tmp_path / ".scalegate")
    result = CliRunner().invoke(app, ["demo", "--dir", str(tmp_path), "--no-serve"])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: --dir: ")
    assert "never replaces" in result.stderr
    assert result.stderr.count("\n") == 1
    assert _digest(tmp_path / ".scalegate") == before


def test_the_demo_scenario_refuses_too(tmp_path: Path) -> None:
    """The scenario itself (used by tests and the dashboard) refuses as the door does."""
    from scalegate.errors import ConflictError

    (tmp_path / ".scalegate").mkdir()
    (tmp_path / ".scalegate" / "keep.txt").write_text("record")
    with pytest.raises(ConflictError, match="never replaces"):
        fresh_state(tmp_path)
    assert (tmp_path / ".scalegate" / "keep.txt").read_text() == "record"


def test_outbox_notices_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    """A notice may quote a noncompliance report: the outbox keeps it from other local accounts."""
    from scalegate.governance.notifications import Message, OutboxNotifier

    old = os.umask(0o022)
    try:
        delivery = OutboxNotifier(tmp_path / "outbox").send(
            Message("[scalegate] report", "a report's text", ["board@example.org"])
        )
    finally:
        os.umask(old)
    assert delivery.delivered
    modes = _modes(tmp_path / "outbox")
    assert modes["."] == 0o700
    assert [mode for name, mode in modes.items() if name.endswith(".eml")] == [0o600]
