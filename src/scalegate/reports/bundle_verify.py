"""Verify a scalegate reviewer bundle with nothing but the bundle (and, for signatures, a trusted public key).

Usage (from inside the bundle, or naming it)::

    python verify_bundle.py [BUNDLE_DIR_OR_ZIP] [--public-key KEY.pem] [--json]

Exit status: 0 when everything verifies, 1 when a problem was found (one line each), 2 on unusable input.

Self-contained on purpose: the standard library only (the audit-log check uses the bundled
``audit/verify_offline.py``, which needs ``cryptography`` for Ed25519). Checks, in order:

1. ``MANIFEST.json`` lists every file of the bundle with its SHA-256 and size; each must match, and no file
may be missing or unlisted; 2. the audit-log slice in ``audit/`` verifies with ``verify_offline.py``: every
entry hashes into the signed checkpoints, which must cover the whole slice. The key used is ``--public-key``
(obtain it from the organisation, not from the bundle) or, failing that, the bundle's own ``public-key.pem``,
which only proves the bundle is internally consistent, and is reported as such; 3. every report, safety case
and evidence file is recorded in that verified log by its SHA-256 (reports by a ``report.generated`` entry,
safety cases by ``safety_case.built``, evidence files by the entry that ingested them), so a file replaced
together with its manifest line is still caught; 4. the bundle holds exactly the files its last
``bundle.contents`` entry lists (every file but the log slice and the convenience key, by path and SHA-256),
so a report removed together with its manifest line is caught too.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import sys
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

if TYPE_CHECKING:  # for the checker only: the script runs with the standard library alone
    from scalegate.jsonable import JsonObject, JsonValue

BUNDLE_FORMAT = "scalegate-reviewer-bundle/v1"
MANIFEST = "MANIFEST.json"
RECORDED_BY: dict[str, tuple[str, ...] | None] = {
    "report": ("report.generated",),
    "safety_case": ("safety_case.built",),
    "diagram": ("safety_case.rendered",),
    "evidence": None,  # any entry: the one that ingested or submitted the file
    "policy": None,  # canonical JSON: its SHA-256 is the content hash the log records
}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_files(root: Path, manifest: dict[str, Any], problems: list[str]) -> None:
    """Every listed file exists with its hash and size; nothing else is in the bundle."""
    listed = {f["path"] for f in manifest.get("files", [])}
    for entry in manifest.get("files", []):
        path = root / entry["path"]
        if not path.is_file():
            problems.append(f"{entry['path']}: listed in the manifest but missing")
        elif path.stat().st_size != entry["size"] or _sha256(path) != entry["sha256"]:
            problems.append(
                f"{entry['path']}: content does not match the manifest (sha256 {entry['sha256'][:16]})"
            )
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if rel != MANIFEST and rel not in listed and "__pycache__" not in rel:
            problems.append(f"{rel}: not listed in the manifest")


def check_audit(root: Path, keys: list[Path], problems: list[str], notes: list[str]) -> list[JsonObject]:
    """Run the bundled offline verifier on ``audit/``; return the entries (JSON as the log holds them) when
    the log verifies."""
    audit = root / "audit"
    verifier = audit / "verify_offline.py"
    if not (audit / "entries.jsonl").is_file() or not verifier.is_file():
        notes.append("no audit-log slice in this bundle: files were checked against the manifest only")
        return []
    if not keys:
        bundled = root / "public-key.pem"
        if not bundled.is_file():
            problems.append(
                "no public key given and none in the bundle: cannot check the audit log's signatures"
            )
            return []
        keys = [bundled]
        notes.append(
            "checked with the bundle's own public key: this proves internal consistency only; pass "
            "--public-key with the key obtained from the organisation to prove authenticity"
        )
    sys.dont_write_bytecode = True  # leave the bundle exactly as it was
    spec = importlib.util.spec_from_file_location("scalegate_bundle_verify_offline", verifier)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file executes
    try:
        spec.loader.exec_module(module)
        public = [module.load_public_key(k) for k in keys]
    except ImportError as exc:
        problems.append(f"cannot check signatures: {exc} (install the `cryptography` package)")
        return []
    except (OSError, ValueError) as exc:
        problems.append(f"cannot read public key: {exc}")
        return []
    report = module.verify_export(audit, public)
    problems += [f"audit log: {p.line()}" for p in report.problems]
    if not report.ok:
        return []
    notes.append(
        f"audit log verified: {report.entries} entries, root {report.root}, "
        f"{report.checkpoints_verified} checkpoints"
    )
    with (audit / "entries.jsonl").open("rb") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _data(entry: JsonObject) -> Mapping[str, JsonValue]:
    """An entry's data object (empty when it has none)."""
    data = entry.get("data")
    return data if isinstance(data, Mapping) else {}


def check_recorded(manifest: dict[str, Any], entries: list[JsonObject], problems: list[str]) -> None:
    """Each report, safety case and evidence file appears in the verified log by its SHA-256."""
    by_event: dict[str, set[str]] = {}
    anywhere: set[str] = set()
    for entry in entries:
        text = json.dumps(entry.get("data", {}), sort_keys=True)
        sha = _data(entry).get("sha256")
        if isinstance(sha, str):
            by_event.setdefault(str(entry.get("event", "")), set()).add(sha)
        anywhere.update(_hex_words(text))
    for item in manifest.get("files", []):
        role = item.get("role")
        if role not in RECORDED_BY:
            continue
        events = RECORDED_BY[role]
        found = (
            item["sha256"] in anywhere
            if events is None
            else any(item["sha256"] in by_event.get(e, set()) for e in events)
        )
        if not found:
            problems.append(f"{item['path']}: its sha256 is not recorded in the verified audit log")


CONTENTS_EVENT = "bundle.contents"
UNBOUND = ("audit/", "public-key.pem")  # the log slice cannot list itself; the key is a convenience copy


def check_contents(manifest: dict[str, Any], entries: list[JsonObject], problems: list[str]) -> None:
    """The manifest lists exactly the files of the last ``bundle.contents`` entry of the verified log."""
    logged = [e for e in entries if e.get("event") == CONTENTS_EVENT]
    if not logged:
        problems.append(
            f"the verified audit log holds no {CONTENTS_EVENT} entry: cannot prove that no file was removed"
        )
        return
    files = _data(logged[-1]).get("files")
    recorded = {
        str(f.get("path")): f.get("sha256")
        for f in (files if isinstance(files, list) else [])
        if isinstance(f, dict)
    }
    listed = {f["path"]: f["sha256"] for f in manifest.get("files", []) if not f["path"].startswith(UNBOUND)}
    for path in sorted(set(recorded) - set(listed)):
        problems.append(f"{path}: recorded in the audit log as part of this bundle, but missing from it")
    for path in sorted(set(listed) - set(recorded)):
        problems.append(f"{path}: in the bundle, but not among the files the audit log recorded for it")
    for path in sorted(set(listed) & set(recorded)):
        if listed[path] != recorded[path]:
            problems.append(f"{path}: its sha256 differs from the one the audit log recorded for this bundle")


def _hex_words(text: str) -> set[str]:
    out, word = set(), []
    for ch in text:
        if ch in "0123456789abcdef":
            word.append(ch)
            continue
        if len(word) == 64:
            out.add("".join(word))
        word = []
    if len(word) == 64:
        out.add("".join(word))
    return out


class BundleCheck(TypedDict):
    """What verifying a bundle found: whether every check passed, the problems, notes, and the manifest's
    file count."""

    ok: bool
    problems: list[str]
    notes: list[str]
    files: int


def verify_bundle(root: Path, keys: list[Path]) -> BundleCheck:
    """Every check; returns {ok, problems, notes, files}."""
    problems: list[str] = []
    notes: list[str] = []
    try:
        manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return {"ok": False, "problems": [f"{MANIFEST}: unreadable ({exc})"], "notes": notes, "files": 0}
    if manifest.get("format") != BUNDLE_FORMAT:
        problems.append(f"{MANIFEST}: format {manifest.get('format')!r} is not {BUNDLE_FORMAT}")
    check_files(root, manifest, problems)
    entries = check_audit(root, keys, problems, notes)
    if entries:
        check_recorded(manifest, entries, problems)
        check_contents(manifest, entries, problems)
        audit = manifest.get("audit") or {}
        if audit.get("size") is not None and audit.get("size") != len(entries):
            problems.append(
                f"{MANIFEST}: says the log slice has {audit.get('size')} entries, it has {len(entries)}"
            )
    return {"ok": not problems, "problems": problems, "notes": notes, "files": len(manifest.get("files", []))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="verify_bundle", description="Verify a scalegate reviewer bundle.")
    parser.add_argument(
        "bundle",
        nargs="?",
        default=str(Path(__file__).resolve().parent),
        help="bundle directory or .zip (default: the directory holding this script)",
    )
    parser.add_argument(
        "--public-key",
        action="append",
        default=[],
        metavar="FILE",
        help="trusted Ed25519 public key of the audit log (PEM or hex); repeatable",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args(argv)
    source = Path(args.bundle)
    keys = [Path(k) for k in args.public_key]
    with tempfile.TemporaryDirectory() as tmp:
        if source.is_file() and zipfile.is_zipfile(source):
            with zipfile.ZipFile(source) as archive:
                archive.extractall(tmp)
            inner = [p for p in Path(tmp).iterdir()]
            root = inner[0] if len(inner) == 1 and inner[0].is_dir() else Path(tmp)
        elif source.is_dir():
            root = source
        else:
            sys.stderr.write(f"error: {source}: not a bundle directory or zip file\n")
            return 2
        result = verify_bundle(root, keys)
    if args.json:
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
    else:
        for line in result["problems"]:
            sys.stdout.write(f"problem: {line}\n")
        for line in result["notes"]:
            sys.stdout.write(f"note: {line}\n")
        verdict = "ok" if result["ok"] else f"FAILED ({len(result['problems'])} problems)"
        sys.stdout.write(f"{verdict}: {result['files']} files checked\n")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
