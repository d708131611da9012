"""Exports verified offline: by `python -m scalegate.audit.offline`, and by the standalone copy of the
verifier run where scalegate cannot be imported, with nothing but the export and a public key."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scalegate.actor import SYSTEM, Actor
from scalegate.audit import export as export_module
from scalegate.audit import export_log, list_keys, offline, rotate_key, sign_tree_head
from scalegate.audit.tree_heads import tree_head_text
from scalegate.errors import ConflictError, PermissionDenied
from scalegate.governance import audit_access
from scalegate.workspace import Workspace
from tests.audit.conftest import append_events, record_new_row


def _export(workspace: Workspace, tmp_path: Path, name: str = "export") -> Path:
    target = tmp_path / name
    result = export_log(workspace, target)
    assert result.notes == [] and result.checkpoint is not None
    return target


def _public_key(workspace: Workspace, tmp_path: Path, index: int = -1) -> Path:
    """The public key a reviewer received out of band, in a file of its own."""
    path = tmp_path / f"trusted-{index}.pem"
    path.write_text(list_keys(workspace)[index].pem)
    return path


def _offline(export: Path, *keys: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "-m", "scalegate.audit.offline", str(export)]
    for key in keys:
        args += ["--public-key", str(key)]
    return subprocess.run([*args, "--json"], capture_output=True, text=True, cwd=cwd, timeout=60)


def _library_without_scalegate(tmp_path: Path) -> Path:
    """A directory holding only `cryptography` and what it imports: the reviewer's Python environment."""
    lib = tmp_path / "reviewer-lib"
    lib.mkdir()
    for name in ("cryptography", "cffi", "_cffi_backend", "pycparser"):
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            continue
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        (lib / source.name).symlink_to(source)
    return lib


@pytest.mark.slow
def test_an_export_verifies_with_the_module_verifier(workspace: Workspace, tmp_path: Path) -> None:
    append_events(workspace, 6)
    record_new_row(workspace, "policy_versions")
    export = _export(workspace, tmp_path)
    reviewer = tmp_path / "reviewer"
    reviewer.mkdir()
    shutil.copytree(export, reviewer / "export")
    key = _public_key(workspace, reviewer)
    done = _offline(reviewer / "export", key, cwd=reviewer)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] and report["entries"] == report["covered_by_checkpoints"] == 9  # 1 + 6 + 1 + the key
    manifest = json.loads((export / "manifest.json").read_text())
    assert report["root"] == manifest["root"]
    assert sorted(p.name for p in export.iterdir()) == [
        "checkpoints.json",
        "entries.jsonl",
        "keys.json",
        "manifest.json",
        "verify_offline.py",
    ]


@pytest.mark.slow
def test_the_standalone_verifier_runs_without_scalegate(workspace: Workspace, tmp_path: Path) -> None:
    append_events(workspace, 3)
    export = _export(workspace, tmp_path)
    reviewer = tmp_path / "reviewer"
    reviewer.mkdir()
    shutil.copy(export / "verify_offline.py", reviewer / "verify_offline.py")
    for name in ("entries.jsonl", "checkpoints.json", "keys.json", "manifest.json"):
        shutil.copy(export / name, reviewer / name)
    key = _public_key(workspace, reviewer)
    env = {"PYTHONPATH": str(_library_without_scalegate(tmp_path)), "PATH": "/usr/bin:/bin"}
    isolated = [sys.executable, "-S"]  # no site-packages: only the standard library and the reviewer's lib
    probe = subprocess.run(
        [*isolated, "-c", "import scalegate"],
        capture_output=True,
        text=True,
        env=env,
        cwd=reviewer,
        timeout=60,
    )
    assert probe.returncode != 0 and "No module named 'scalegate'" in probe.stderr
    done = subprocess.run(
        [*isolated, "verify_offline.py", ".", "--public-key", str(key)],
        capture_output=True,
        text=True,
        env=env,
        cwd=reviewer,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("ok: 5 entries")
    (reviewer / "entries.jsonl").write_bytes(
        (reviewer / "entries.jsonl").read_bytes().replace(b"item:1", b"item:7")
    )
    tampered = subprocess.run(
        [*isolated, "verify_offline.py", ".", "--public-key", str(key)],
        capture_output=True,
        text=True,
        env=env,
        cwd=reviewer,
        timeout=60,
    )
    assert tampered.returncode == 1
    assert "file_digest" in tampered.stdout and "checkpoint_inconsistent" in tampered.stdout


def _tamper(export: Path, old: bytes, new: bytes, *, fix_manifest: bool) -> None:
    path = export / "entries.jsonl"
    data = path.read_bytes()
    assert old in data
    path.write_bytes(data.replace(old, new, 1))
    if fix_manifest:  # a careful forger also updates the unsigned manifest
        manifest = json.loads((export / "manifest.json").read_text())
        manifest["files"]["entries.jsonl"] = hashlib.sha256(path.read_bytes()).hexdigest()
        manifest.pop("root")
        (export / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize("fix_manifest", [False, True], ids=["plain", "manifest-updated"])
def test_a_tampered_export_is_detected(workspace: Workspace, tmp_path: Path, fix_manifest: bool) -> None:
    append_events(workspace, 5)
    export = _export(workspace, tmp_path)
    key = _public_key(workspace, tmp_path)
    _tamper(export, b'"subject":"item:2"', b'"subject":"item:X"', fix_manifest=fix_manifest)
    report = offline.verify_export(export, [offline.load_public_key(key)])
    found = {p.kind for p in report.problems}
    assert "checkpoint_inconsistent" in found
    assert ("file_digest" in found) is not fix_manifest


def test_a_truncated_export_is_detected(workspace: Workspace, tmp_path: Path) -> None:
    append_events(workspace, 5)
    export = _export(workspace, tmp_path)
    lines = (export / "entries.jsonl").read_bytes().split(b"\n")
    (export / "entries.jsonl").write_bytes(b"\n".join(lines[:-3]) + b"\n")
    report = offline.verify_export(export, [offline.load_public_key(_public_key(workspace, tmp_path))])
    assert "checkpoint_beyond_log" in {p.kind for p in report.problems}


@pytest.mark.slow
def test_an_export_checked_with_the_wrong_key_fails(workspace: Workspace, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    append_events(workspace, 2)
    export = _export(workspace, tmp_path)
    stranger = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    (tmp_path / "stranger.hex").write_text(stranger.hex())
    done = _offline(export, tmp_path / "stranger.hex", cwd=tmp_path)
    assert done.returncode == 1
    kinds = {p["kind"] for p in json.loads(done.stdout)["problems"]}
    assert kinds == {"untrusted_key", "uncovered"}


def test_after_rotation_either_key_establishes_the_other(workspace: Workspace, tmp_path: Path) -> None:
    append_events(workspace, 3)
    sign_tree_head(workspace)
    rotate_key(workspace, SYSTEM)
    append_events(workspace, 3)
    export = _export(workspace, tmp_path)
    old, new = _public_key(workspace, tmp_path, 0), _public_key(workspace, tmp_path, 1)
    for trusted in (old, new):
        report = offline.verify_export(export, [offline.load_public_key(trusted)])
        assert report.ok, [p.line() for p in report.problems]
        assert report.checkpoints_verified == 3 and len(report.trusted_keys) == 2


def test_entries_after_the_last_trusted_checkpoint_are_reported(workspace: Workspace, tmp_path: Path) -> None:
    append_events(workspace, 3)
    export = tmp_path / "export"
    sign_tree_head(workspace)
    append_events(workspace, 2)
    result = export_log(workspace, export, checkpoint=False)
    report = offline.verify_export(export, [offline.load_public_key(_public_key(workspace, tmp_path))])
    assert [p.kind for p in report.problems] == ["uncovered"]
    assert report.covered == result.size - 2


def test_export_refuses_a_non_empty_directory_and_unauthorised_actors(
    workspace: Workspace, tmp_path: Path
) -> None:
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "file").write_text("x")
    with pytest.raises(ConflictError, match="not empty"):
        export_log(workspace, tmp_path / "busy")
    with pytest.raises(PermissionDenied):
        audit_access.export_log(workspace, tmp_path / "new", Actor(name="mallory"))


def test_the_standalone_definitions_agree_with_the_package(workspace: Workspace) -> None:
    cp = sign_tree_head(workspace)
    assert (
        offline.checkpoint_text(cp.to_dict())
        == tree_head_text(
            cp.origin, cp.size, cp.root, cp.created_at, cp.key_id, number=cp.id, signer=cp.created_by
        )
        == cp.text
    )
    assert offline.EXPORT_FORMAT == export_module.EXPORT_FORMAT
    from scalegate.audit.tree_heads import TREE_HEAD_FORMAT

    assert offline.CHECKPOINT_FORMAT == TREE_HEAD_FORMAT
    source = Path(offline.__file__).read_text()
    imports = {
        line.split()[1].split(".")[0]
        for line in source.splitlines()
        if line.strip().startswith(("import ", "from ")) and not line.strip().startswith("from __future__")
    }
    assert imports <= {
        "argparse",
        "datetime",
        "hashlib",
        "json",
        "sys",
        "dataclasses",
        "pathlib",
        "typing",
        "cryptography",
    }
