"""Signing keys: ids, where private keys live and with which permissions, rotation and the handover
checkpoint."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest

from scalegate.actor import SYSTEM, Actor
from scalegate.audit import list_keys, list_tree_heads, rotate_key, sign_tree_head, verify
from scalegate.audit.keys import KEY_DIR_ENV, key_dir, load_private_key, public_key_of
from scalegate.audit.tree_heads import signature_valid, tree_head_text
from scalegate.errors import IntegrityError, NotFoundError, PermissionDenied
from scalegate.governance import audit_access
from scalegate.workspace import Workspace, init_workspace
from tests.audit.conftest import append_events
from tests.conftest import MINIMAL_POLICY


def test_the_first_checkpoint_creates_a_key_whose_id_is_the_hash_of_its_public_key(
    workspace: Workspace, key_dir: Path
) -> None:
    cp = sign_tree_head(workspace)
    [key] = list_keys(workspace)
    assert key.key_id == hashlib.sha256(key.public_key).hexdigest() == cp.key_id
    assert len(key.public_key) == 32 and key.retired_at is None
    path = key_dir / f"{key.key_id}.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_dir.stat().st_mode) == 0o700
    assert b"PRIVATE KEY" in path.read_bytes()
    assert signature_valid(cp, key.public_key)


def test_a_sqlite_workspace_keeps_its_keys_beside_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_DIR_ENV)
    ws = init_workspace(f"sqlite:///{tmp_path / '.scalegate' / 'scalegate.db'}", str(MINIMAL_POLICY))
    try:
        cp = sign_tree_head(ws)
        assert key_dir(ws) == tmp_path / ".scalegate" / "keys"
        assert (tmp_path / ".scalegate" / "keys" / f"{cp.key_id}.pem").exists()
    finally:
        ws.close()


def test_the_key_creation_is_itself_an_entry_covered_by_the_checkpoint(workspace: Workspace) -> None:
    cp = sign_tree_head(workspace)
    report = verify(workspace, checkpoint=False)
    assert report.ok and "audit_keys" in report.tables
    assert cp.size == 2 and report.entries == 2


def test_rotation_keeps_old_checkpoints_verifiable_and_hands_over(workspace: Workspace) -> None:
    append_events(workspace, 3)
    first = sign_tree_head(workspace)
    rotation = rotate_key(workspace, SYSTEM)
    assert rotation.retired is not None and rotation.retired.key_id == first.key_id
    assert rotation.active.key_id != first.key_id
    assert rotation.handover is not None and rotation.handover.key_id == first.key_id
    assert rotation.handover.size == first.size + 1  # covers the rotation entry naming the new key
    append_events(workspace, 2)
    after = sign_tree_head(workspace)
    assert after.key_id == rotation.active.key_id
    report = verify(workspace, checkpoint=False)
    assert report.ok, report.problems
    assert report.checkpoints_checked == 3
    keys = {k.key_id: k for k in list_keys(workspace)}
    assert keys[first.key_id].retired_at is not None and keys[after.key_id].retired_at is None
    assert all(signature_valid(c, keys[c.key_id].public_key) for c in list_tree_heads(workspace))


def test_rotation_without_the_old_private_key_still_rotates(workspace: Workspace, key_dir: Path) -> None:
    cp = sign_tree_head(workspace)
    (key_dir / f"{cp.key_id}.pem").unlink()
    rotation = rotate_key(workspace, SYSTEM)
    assert rotation.handover is None and rotation.note and "not found" in rotation.note
    assert verify(workspace).ok


def test_a_missing_private_key_fails_checkpoints_but_not_verification(
    workspace: Workspace, key_dir: Path
) -> None:
    cp = sign_tree_head(workspace)
    (key_dir / f"{cp.key_id}.pem").unlink()
    append_events(workspace, 1)
    with pytest.raises(NotFoundError, match="private signing key"):
        sign_tree_head(workspace)
    report = verify(workspace)
    assert report.ok and report.checkpoint is None
    assert report.notes and "no checkpoint signed" in report.notes[0]


def test_a_private_key_file_for_another_key_is_refused(workspace: Workspace, key_dir: Path) -> None:
    cp = sign_tree_head(workspace)
    rotation = rotate_key(workspace, SYSTEM)
    (key_dir / f"{rotation.active.key_id}.pem").write_bytes((key_dir / f"{cp.key_id}.pem").read_bytes())
    with pytest.raises(IntegrityError, match="does not match key id"):
        load_private_key(workspace, rotation.active.key_id)


def test_only_the_roles_the_policy_allows_sign_or_rotate(workspace: Workspace) -> None:
    nobody = Actor(name="mallory")
    with pytest.raises(PermissionDenied, match=r"audit\.checkpoint"):
        audit_access.sign_tree_head(workspace, nobody)
    with pytest.raises(PermissionDenied, match=r"audit\.checkpoint"):
        audit_access.rotate_key(workspace, nobody)
    rso = Actor(name="rita", roles=frozenset({"rso"}), user_id=1)
    assert audit_access.sign_tree_head(workspace, rso).created_by == "user:rita"


def test_public_key_lookup_by_prefix(workspace: Workspace) -> None:
    with pytest.raises(NotFoundError, match="no signing key yet"):
        public_key_of(workspace)
    cp = sign_tree_head(workspace)
    assert public_key_of(workspace).key_id == cp.key_id
    assert public_key_of(workspace, cp.key_id[:10]).key_id == cp.key_id
    assert "BEGIN PUBLIC KEY" in public_key_of(workspace).pem
    with pytest.raises(NotFoundError, match="0 signing keys"):
        public_key_of(workspace, "ffff" if not cp.key_id.startswith("ffff") else "0000")


def test_checkpoint_text_is_the_documented_format(workspace: Workspace) -> None:
    cp = sign_tree_head(workspace)
    lines = cp.text.decode().split("\n")
    assert lines == [
        "scalegate-audit-checkpoint/v3",
        f"origin {cp.origin}",
        f"size {cp.size}",
        f"root {cp.root.hex()}",
        "time 2025-06-01T12:00:00.000000Z",
        f"key {cp.key_id}",
        f"id {cp.id}",
        "by system",
        "",
    ]
    signed = tree_head_text(
        cp.origin, cp.size, cp.root, cp.created_at, cp.key_id, number=cp.id, signer="system"
    )
    assert signed == cp.text
