"""The reviewer bundle verifies offline, in a fresh directory, with nothing else; tampering is caught."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from scalegate.errors import ConflictError, PermissionDenied
from scalegate.reports.bundle import export_bundle
from tests.reports.conftest import Build
from tests.reports.scenario import REF

pytestmark = pytest.mark.slow

SITE = sysconfig.get_paths()["purelib"]


def _isolated(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run Python with no site customisation (so no scalegate) and only site-packages for `cryptography`."""
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": SITE, "HOME": str(cwd), "LANG": "C.UTF-8"}
    return subprocess.run(
        [sys.executable, "-S", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One bundle of the whole scenario, exported once for this module's tests."""
    from datetime import UTC, datetime

    from scalegate.clock import FixedClock
    from scalegate.workspace import init_workspace
    from tests.reports.scenario import POLICY, build

    base = tmp_path_factory.mktemp("exported")
    clock = FixedClock(datetime(2025, 6, 1, 12, 0, tzinfo=UTC))
    workspace = init_workspace(f"sqlite:///{base / 'scalegate.db'}", str(POLICY), clock=clock)
    try:
        (base / "docs").mkdir()
        s = build(workspace, clock, base / "docs", "safeguarded")
        export_bundle(workspace, base / "bundle", actor=s.people["aud"], ref=REF)
    finally:
        workspace.close()
    return base / "bundle"


@pytest.fixture
def bundle(exported: Path, tmp_path: Path) -> Path:
    """A copy of the bundle in a fresh directory that holds nothing else."""
    fresh = tmp_path / "elsewhere" / "bundle"
    shutil.copytree(exported, fresh)
    return fresh


def test_the_verifier_environment_cannot_import_scalegate(tmp_path: Path) -> None:
    probe = _isolated(["-c", "import scalegate"], tmp_path)
    assert probe.returncode != 0 and "No module named 'scalegate'" in probe.stderr
    assert _isolated(["-c", "import cryptography"], tmp_path).returncode == 0


def test_a_bundle_verifies_offline_with_nothing_but_itself(bundle: Path) -> None:
    manifest = json.loads((bundle / "MANIFEST.json").read_text(encoding="utf-8"))
    roles = {f["role"] for f in manifest["files"]}
    assert {"report", "safety_case", "diagram", "evidence", "audit", "verifier", "key", "policy"} <= roles
    reports = {Path(f["path"]).name for f in manifest["files"] if f["role"] == "report"}
    assert {
        "capability-report-atlas-c3.pdf",
        "safeguards-report-deployment-L3-for-atlas-c3.html",
        "safeguards-report-security-L3-for-atlas-c3.html",
    } <= reports
    key = bundle.parent / "org-key.pem"
    shutil.copy(bundle / "public-key.pem", key)
    result = _isolated(["verify_bundle.py", ".", "--public-key", str(key), "--json"], bundle)
    assert result.returncode == 0, result.stdout + result.stderr
    verdict = json.loads(result.stdout)
    assert verdict["ok"] and verdict["files"] == len(manifest["files"])
    assert any("audit log verified" in n for n in verdict["notes"])
    assert not any(p.name == "__pycache__" for p in bundle.rglob("*"))  # verifying left the bundle untouched


def test_without_a_trusted_key_the_verifier_says_what_it_proved(bundle: Path) -> None:
    result = _isolated(["verify_bundle.py"], bundle)
    assert result.returncode == 0, result.stdout
    assert "internal consistency only" in result.stdout


def test_tampering_with_a_bundled_file_is_detected(bundle: Path) -> None:
    report = next((bundle / "reports").glob("capability-report-*.html"))
    report.write_text(report.read_text(encoding="utf-8").replace("ruled out", "RULED OUT"), encoding="utf-8")
    result = _isolated(["verify_bundle.py", "."], bundle)
    assert result.returncode == 1
    assert f"reports/{report.name}: content does not match the manifest" in result.stdout


def test_tampering_with_a_file_and_its_manifest_line_is_still_detected(bundle: Path) -> None:
    evidence = next((bundle / "evidence").iterdir())
    evidence.write_bytes(evidence.read_bytes() + b"forged\n")
    manifest_path = bundle / "MANIFEST.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    line = next(f for f in manifest["files"] if f["path"] == f"evidence/{evidence.name}")
    line["sha256"] = hashlib.sha256(evidence.read_bytes()).hexdigest()
    line["size"] = evidence.stat().st_size
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    result = _isolated(["verify_bundle.py", "."], bundle)
    assert result.returncode == 1
    assert f"evidence/{evidence.name}: its sha256 is not recorded in the verified audit log" in result.stdout


def test_removing_a_report_with_its_manifest_line_is_detected(bundle: Path) -> None:
    """The files are bound to the audit log (``bundle.contents``), not only to the manifest beside them."""
    removed = sorted((bundle / "reports").glob("*"))[:2]
    manifest_path = bundle / "MANIFEST.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    gone = {f"reports/{path.name}" for path in removed}
    manifest["files"] = [f for f in manifest["files"] if f["path"] not in gone]
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    for path in removed:
        path.unlink()
    result = _isolated(["verify_bundle.py", "."], bundle)
    assert result.returncode == 1
    for path in sorted(gone):
        expected = f"{path}: recorded in the audit log as part of this bundle, but missing from it"
        assert expected in result.stdout


def test_an_edited_audit_entry_or_an_extra_file_is_detected(bundle: Path) -> None:
    (bundle / "notes.txt").write_text("added later", encoding="utf-8")
    entries = bundle / "audit" / "entries.jsonl"
    lines = entries.read_bytes().splitlines(keepends=True)
    lines[3] = lines[3].replace(b'"seq":3', b'"seq":3 ')
    entries.write_bytes(b"".join(lines))
    result = _isolated(["verify_bundle.py", "."], bundle)
    assert result.returncode == 1
    assert "notes.txt: not listed in the manifest" in result.stdout
    assert "audit/entries.jsonl: content does not match the manifest" in result.stdout
    assert "audit log:" in result.stdout


def test_a_zip_bundle_verifies_and_a_public_bundle_withholds_what_redaction_hides(
    make_scenario: Build, tmp_path: Path
) -> None:
    s = make_scenario("determined")
    zipped = tmp_path / "review.zip"
    export_bundle(s.workspace, zipped, actor=s.people["aud"], ref=REF)
    with zipfile.ZipFile(zipped) as archive:
        names = archive.namelist()
        assert all(n.startswith("review/") for n in names) and "review/MANIFEST.json" in names
        archive.extract("review/verify_bundle.py", tmp_path / "tool")
    result = _isolated([str(tmp_path / "tool" / "review" / "verify_bundle.py"), str(zipped)], tmp_path)
    assert result.returncode == 0, result.stdout
    public = tmp_path / "public"
    out = export_bundle(s.workspace, public, actor=s.people["rita"], ref=REF, audience="public")
    manifest = json.loads((public / "MANIFEST.json").read_text(encoding="utf-8"))
    assert {f["role"] for f in manifest["files"]} == {"report", "verifier", "policy", "readme"}
    assert not (public / "evidence").exists() and not (public / "audit").exists()
    assert any("withheld" in n for n in out.notes)
    assert _isolated(["verify_bundle.py"], public).returncode == 0


def test_a_bundle_needs_the_export_permission_and_a_fresh_target(
    make_scenario: Build, tmp_path: Path
) -> None:
    s = make_scenario("registered")
    with pytest.raises(PermissionDenied):
        export_bundle(s.workspace, tmp_path / "b", actor=s.people["eve"])
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x", encoding="utf-8")
    with pytest.raises(ConflictError):
        export_bundle(s.workspace, tmp_path / "full", actor=s.people["aud"])
    assert not (tmp_path / "b").exists()


def test_the_bundle_export_is_itself_recorded(make_scenario: Build, tmp_path: Path) -> None:
    from sqlalchemy import select

    from scalegate.store.models.audit import AuditEntryRow

    s = make_scenario("registered")
    result = export_bundle(s.workspace, tmp_path / "b", actor=s.people["aud"])
    with s.workspace.read() as session:
        last = session.execute(select(AuditEntryRow).order_by(AuditEntryRow.seq.desc()).limit(1)).scalar_one()
    assert last.event == "bundle.exported"
    assert (
        json.loads(last.body)["data"]["manifest_sha256"]
        == hashlib.sha256((tmp_path / "b" / "MANIFEST.json").read_bytes()).hexdigest()
        == result.manifest_sha256
    )
    assert os.path.exists(tmp_path / "b" / "reports")
