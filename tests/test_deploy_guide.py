"""The deployment guide's backup-and-restore section, run as written: its shell blocks, extracted from
docs/deploy.md, back up a workspace on a real PostgreSQL server (signed audit export, then ``pg_dump``) and
restore it into a new database that ``audit verify`` and the offline verifier check; a damaged dump is
refused. The deploy/ files the guide names are checked against it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from scalegate.actor import Actor
from scalegate.audit.verify import verify
from scalegate.governance.identity import resolve_actor
from scalegate.governance.users import add_user, create_token
from scalegate.workspace import init_workspace, open_workspace
from tests.support.postgres import PG_BIN_CANDIDATES
from tests.support.templates import create_database, drop_database

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "deploy.md"
PASSWORD = "a long enough password"


def section(title: str) -> str:
    """The text of the guide's ``## title`` section."""
    text = GUIDE.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def shell_blocks(text: str) -> list[str]:
    """The ```sh blocks of ``text``, in order (other fences are examples of files, not commands)."""
    return re.findall(r"```sh\n(.*?)```", text, flags=re.S)


def run(block: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", block], env=env, cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def test_the_backup_script_is_the_guide_s_block() -> None:
    backup, _ = shell_blocks(section("Backups and restore"))
    script = (ROOT / "deploy" / "backup.sh").read_text(encoding="utf-8")
    assert backup.strip() in script
    units = {p.name for p in (ROOT / "deploy").iterdir()}
    assert {
        "Containerfile",
        "scalegate.service",
        "scalegate-backup.service",
        "scalegate-backup.timer",
    } <= units
    assert "/opt/scalegate/backup.sh" in (ROOT / "deploy" / "scalegate-backup.service").read_text()


def test_backup_and_restore_as_written(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = tmp_path / "keys"
    monkeypatch.setenv("SCALEGATE_AUDIT_KEY_DIR", str(keys))
    url = create_database(postgres_url)
    restored_name = f"{make_url(url).database}_restored"
    workspace = init_workspace(url)  # the default policy, in a production workspace (the real clock)
    try:
        add_user(workspace, Actor(name="root"), "root", admin=True, password=PASSWORD)
        root = resolve_actor(workspace, "root")
        add_user(workspace, root, "backup", roles=["auditor"], password=PASSWORD, approver_password=PASSWORD)
        add_user(workspace, root, "rita", roles=["rso"], password=PASSWORD, approver_password=PASSWORD)
        token = create_token(workspace, resolve_actor(workspace, "backup"), name="backup", scopes=["audit.*"])
        assert verify(workspace).checkpoint is not None  # the first tree head makes the audit key
    finally:
        workspace.close()

    server = make_url(postgres_url)
    env = {
        **os.environ,
        "PATH": os.pathsep.join(
            [str(PG_BIN_CANDIDATES[0]), str(Path(sys.executable).parent), os.environ["PATH"]]
        ),
        "PGHOST": str(server.host),
        "PGPORT": str(server.port),
        "PGUSER": str(server.username),
        "PGDATABASE": str(make_url(url).database),
        "SCALEGATE_DATABASE_URL": f"postgresql://{server.username}@{server.host}:{server.port}/"
        f"{make_url(url).database}",
        "SCALEGATE_AUDIT_KEY_DIR": str(keys),
        "SCALEGATE_USER": "backup",
        "SCALEGATE_TOKEN": token.secret,
        "BACKUP_ROOT": str(tmp_path / "backups"),
    }
    public_key = tmp_path / "audit-public.pem"
    pinned = run("scalegate audit keys public", env, tmp_path)
    assert pinned.returncode == 0, pinned.stderr
    public_key.write_text(pinned.stdout)

    backup, restore = shell_blocks(section("Backups and restore"))
    taken = run(backup, env, tmp_path)
    assert taken.returncode == 0, taken.stdout + taken.stderr
    backup_dir = Path(taken.stdout.strip().splitlines()[-1])
    assert (backup_dir / "scalegate.dump").stat().st_size > 0
    assert (backup_dir / "audit" / "entries.jsonl").exists()

    restoring = {
        **env,
        "dir": str(backup_dir),
        "RESTORE_DB": restored_name,
        "AUDIT_PUBLIC_KEY": str(public_key),
    }
    try:
        done = run(restore, restoring, tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        assert re.search(r"^ok: \d+ entries", done.stdout, flags=re.M), done.stdout  # audit verify
        assert "restored log extends the signed export" in done.stdout
        restored = open_workspace(str(make_url(url).set(database=restored_name)))
        try:
            assert resolve_actor(restored, "rita").roles == {"rso"}
        finally:
            restored.close()

        damaged = backup_dir / "scalegate.dump"
        data = bytearray(damaged.read_bytes())
        data[len(data) // 2] ^= 0xFF
        damaged.write_bytes(bytes(data))
        again = run(restore, {**restoring, "RESTORE_DB": restored_name + "_2"}, tmp_path)
        assert again.returncode != 0 and "FAILED" in again.stdout + again.stderr
    finally:
        admin = postgres_url
        for name in (restored_name, restored_name + "_2", str(make_url(url).database)):
            drop_database(admin, str(make_url(url).set(database=name)))


def test_the_systemd_units_parse() -> None:
    """systemd's own checker accepts the units; only the executables, which exist after installation, are
    missing here."""
    units = [str(ROOT / "deploy" / n) for n in ("scalegate.service", "scalegate-backup.service")]
    units.append(str(ROOT / "deploy" / "scalegate-backup.timer"))
    checked = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *units],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    problems = [
        line
        for line in (checked.stdout + checked.stderr).splitlines()
        if line.strip() and "is not executable: No such file or directory" not in line
    ]
    assert problems == []
