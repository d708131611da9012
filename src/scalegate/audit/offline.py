"""Verify an exported scalegate audit log offline, with nothing but the export and a trusted public key.

Usage::

    python -m scalegate.audit.offline EXPORT_DIR --public-key KEY.pem [--public-key OLD.pem] [--json]
    python verify_offline.py EXPORT_DIR --public-key KEY.pem        # the copy an export carries

Exit status: 0 when the log verifies, 1 when a problem was found (one line each), 2 on unusable input.

This file is self-contained on purpose: it needs only the Python standard library and ``cryptography`` (for
Ed25519), so a reviewer can read all of it and run it without installing scalegate. It therefore repeats the
few definitions it relies on (RFC 6962 hashing, the checkpoint text); scalegate's tests check that they agree
with ``scalegate.audit``. The byte-level format is documented in ``docs/audit.md``.

What it checks:

* ``manifest.json`` names the export format and the SHA-256 of every file, which must match;
* every line of ``entries.jsonl`` is an entry in canonical JSON whose ``seq`` is its line number (from 0);
* the RFC 6962 root of the leaf hashes ``SHA-256(0x00 || line)``, and the root of every prefix a checkpoint
  covers, which must equal that checkpoint's signed root;
* every checkpoint's Ed25519 signature, by a key that is *trusted*: given with ``--public-key``, or named by
  an ``audit.key_created`` / ``audit.key_rotated`` entry inside a prefix already covered by a verified
  checkpoint (so trusting the first key, or the newest, is enough to follow a rotation);
* that verified checkpoints cover the whole log: entries after the last one could have been appended by
  anyone;
* that entry times never decrease (an entry of a demo workspace may also carry ``"demo": true``).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "CHECKPOINT_FORMAT",
    "EXPORT_FORMAT",
    "OfflineProblem",
    "OfflineReport",
    "load_public_key",
    "main",
    "verify_export",
]

EXPORT_FORMAT = "scalegate-audit-export/v1"
CHECKPOINT_FORMAT = "scalegate-audit-checkpoint/v1"
ENTRY_KEYS = {"actor", "at", "data", "event", "seq", "subject"}
DEMO_KEYS = ENTRY_KEYS | {"demo"}
KEY_EVENTS = {"audit.key_created", "audit.key_rotated"}
FILES = ("entries.jsonl", "checkpoints.json", "keys.json")


@dataclass(frozen=True)
class OfflineProblem:
    """Something wrong with the export: a kind, where (entry seq or checkpoint index), and what."""

    kind: str
    message: str
    seq: int | None = None
    checkpoint: int | None = None

    def line(self) -> str:
        where = [f"entry {self.seq}"] if self.seq is not None else []
        where += [f"checkpoint {self.checkpoint}"] if self.checkpoint is not None else []
        return f"{', '.join(where) or 'export'}: {self.kind}: {self.message}"


@dataclass
class OfflineReport:
    """The verdict on an export."""

    entries: int = 0
    root: str = ""
    problems: list[OfflineProblem] = field(default_factory=list)
    checkpoints_verified: int = 0
    covered: int = 0
    trusted_keys: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "root": self.root,
            "covered_by_checkpoints": self.covered,
            "checkpoints_verified": self.checkpoints_verified,
            "trusted_keys": self.trusted_keys,
            "problems": [
                {"kind": p.kind, "message": p.message, "seq": p.seq, "checkpoint": p.checkpoint}
                for p in self.problems
            ],
        }


# -- RFC 6962 hashing ----------------------------------------------------------------------------------------


def _leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


class _Tree:
    """Roots of a growing tree: the stack of maximal perfect subtrees, folded right to left."""

    def __init__(self) -> None:
        self.stack: list[tuple[int, bytes]] = []
        self.size = 0

    def push(self, leaf: bytes) -> None:
        height, node = 0, leaf
        while self.stack and self.stack[-1][0] == height:
            node = _node(self.stack.pop()[1], node)
            height += 1
        self.stack.append((height, node))
        self.size += 1

    def root(self) -> bytes:
        if not self.stack:
            return hashlib.sha256(b"").digest()
        node = self.stack[-1][1]
        for _, left in reversed(self.stack[:-1]):
            node = _node(left, node)
        return node


def checkpoint_text(cp: dict[str, Any]) -> bytes:
    """The signed bytes of a checkpoint (see ``scalegate.audit.checkpoints``)."""
    lines = [
        CHECKPOINT_FORMAT,
        f"origin {cp['origin']}",
        f"size {cp['size']}",
        f"root {cp['root']}",
        f"time {cp['time']}",
        f"key {cp['key_id']}",
    ]
    return "".join(line + "\n" for line in lines).encode("utf-8")


def _canonical(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


# -- keys ----------------------------------------------------------------------------------------------------


def load_public_key(path: str | Path) -> bytes:
    """A raw Ed25519 public key from a PEM (SubjectPublicKeyInfo) file or a file holding 64 hex digits."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key

    data = Path(path).read_bytes()
    text = data.strip()
    if len(text) == 64 and all(c in b"0123456789abcdefABCDEF" for c in text):
        return bytes.fromhex(text.decode())
    key = load_pem_public_key(data)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path}: not an Ed25519 public key")
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _signature_ok(public_key: bytes, signature_hex: str, message: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(bytes.fromhex(signature_hex), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def _key_id(public_key: bytes) -> str:
    return hashlib.sha256(public_key).hexdigest()


# -- verification --------------------------------------------------------------------------------------------


@dataclass
class _Entries:
    leaves_root: dict[int, bytes] = field(default_factory=dict)
    key_claims: list[tuple[int, str, bytes]] = field(default_factory=list)
    first_leaf: bytes | None = None
    size: int = 0
    root: bytes = b""
    last_at: datetime.datetime | None = None


def verify_export(directory: str | Path, public_keys: list[bytes]) -> OfflineReport:
    """Verify the export in ``directory`` trusting ``public_keys`` (raw 32-byte Ed25519 keys)."""
    base = Path(directory)
    report = OfflineReport()
    manifest = _read_json(base / "manifest.json", report, {})
    if manifest.get("format") != EXPORT_FORMAT:
        report.problems.append(
            OfflineProblem(
                "format", f"manifest format is {manifest.get('format')!r}, expected {EXPORT_FORMAT!r}"
            )
        )
    _check_files(base, manifest, report)
    checkpoints = _read_json(base / "checkpoints.json", report, [])
    marks = {int(cp.get("size", -1)) for cp in checkpoints if isinstance(cp, dict)}
    entries = _replay(base / "entries.jsonl", marks, report)
    report.entries, report.root = entries.size, entries.root.hex()
    trusted = {_key_id(k): k for k in public_keys}
    _check_checkpoints(checkpoints, entries, trusted, report)
    _check_keys(_read_json(base / "keys.json", report, []), trusted, report)
    if manifest.get("size") not in (None, entries.size) or manifest.get("root") not in (None, report.root):
        report.problems.append(
            OfflineProblem("manifest", "the manifest's size/root disagree with the entries")
        )
    report.trusted_keys = sorted(trusted)
    return report


def _read_json(path: Path, report: OfflineReport, default: Any) -> Any:
    try:
        return json.loads(path.read_bytes())
    except FileNotFoundError:
        report.problems.append(OfflineProblem("missing_file", f"{path.name} is missing"))
    except ValueError as exc:
        report.problems.append(OfflineProblem("malformed_file", f"{path.name} is not JSON: {exc}"))
    return default


def _check_files(base: Path, manifest: dict[str, Any], report: OfflineReport) -> None:
    digests = manifest.get("files", {})
    for name in FILES:
        path = base / name
        if path.exists() and digests.get(name) != hashlib.sha256(path.read_bytes()).hexdigest():
            report.problems.append(
                OfflineProblem("file_digest", f"{name} does not match the manifest's SHA-256")
            )


def _replay(path: Path, marks: set[int], report: OfflineReport) -> _Entries:
    out, tree = _Entries(), _Tree()
    if 0 in marks:
        out.leaves_root[0] = tree.root()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        report.problems.append(OfflineProblem("missing_file", f"{path.name} is missing"))
        data = b""
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for seq, line in enumerate(lines):
        leaf = _leaf(line)
        if seq == 0:
            out.first_leaf = leaf
        _check_entry(seq, line, out, report)
        tree.push(leaf)
        if tree.size in marks:
            out.leaves_root[tree.size] = tree.root()
    out.size, out.root = tree.size, tree.root()
    return out


def _check_entry(seq: int, line: bytes, out: _Entries, report: OfflineReport) -> None:
    try:
        doc = json.loads(line)
    except ValueError:
        report.problems.append(OfflineProblem("malformed_entry", "not JSON", seq))
        return
    if not isinstance(doc, dict) or not (
        set(doc) == ENTRY_KEYS or (set(doc) == DEMO_KEYS and doc["demo"] is True)
    ):
        report.problems.append(OfflineProblem("malformed_entry", "not an entry (wrong keys)", seq))
        return
    if _canonical(doc) != line:
        report.problems.append(OfflineProblem("malformed_entry", "not canonical JSON", seq))
    if doc["seq"] != seq:
        report.problems.append(OfflineProblem("seq_mismatch", f"the entry says seq {doc['seq']!r}", seq))
    _check_time(seq, doc["at"], out, report)
    data = doc.get("data")
    if doc["event"] in KEY_EVENTS and isinstance(data, dict):
        try:
            out.key_claims.append((seq, str(data["key_id"]), bytes.fromhex(data["public_key"])))
        except (KeyError, TypeError, ValueError):
            report.problems.append(
                OfflineProblem("malformed_entry", "a key entry without key_id/public_key", seq)
            )


def _check_time(seq: int, text: Any, out: _Entries, report: OfflineReport) -> None:
    """An entry's time must parse and must not be earlier than the entry before it."""
    try:
        at = datetime.datetime.fromisoformat(text)
        if at.tzinfo is None:
            raise ValueError(text)
    except (TypeError, ValueError):
        report.problems.append(
            OfflineProblem("malformed_entry", f"time {text!r:.40} is not an ISO-8601 UTC time", seq)
        )
        return
    if out.last_at is not None and at < out.last_at:
        report.problems.append(
            OfflineProblem(
                "time_decreased", f"dated {text}, before the entry before it ({out.last_at.isoformat()})", seq
            )
        )
    out.last_at = at if out.last_at is None else max(at, out.last_at)


def _check_checkpoints(
    checkpoints: list[Any], entries: _Entries, trusted: dict[str, bytes], report: OfflineReport
) -> None:
    """Accept checkpoints signed by trusted keys, letting accepted prefixes vouch for further keys."""
    origin = f"scalegate/{entries.first_leaf.hex()[:32]}" if entries.first_leaf is not None else None
    pending = dict(enumerate(checkpoints))
    accepted: dict[int, int] = {}
    progress = True
    while progress:
        progress = False
        for index, cp in list(pending.items()):
            if not isinstance(cp, dict) or cp.get("key_id") not in trusted:
                continue
            del pending[index]
            progress = True
            problem = _checkpoint_problem(index, cp, trusted[cp["key_id"]], entries, origin)
            if problem is not None:
                report.problems.append(problem)
                continue
            accepted[index] = int(cp["size"])
            for seq, key_id, public_key in entries.key_claims:
                if seq < int(cp["size"]) and _key_id(public_key) == key_id:
                    trusted.setdefault(key_id, public_key)
    for index, cp in pending.items():
        key = cp.get("key_id") if isinstance(cp, dict) else None
        report.problems.append(
            OfflineProblem(
                "untrusted_key",
                f"signed by key {str(key)[:16]}, neither given nor established by a verified entry",
                checkpoint=index,
            )
        )
    report.checkpoints_verified = len(accepted)
    report.covered = max(accepted.values(), default=0)
    if report.covered < entries.size:
        report.problems.append(
            OfflineProblem(
                "uncovered",
                f"entries {report.covered}..{entries.size - 1} are not covered by a checkpoint signed by a "
                "trusted key",
            )
        )


def _checkpoint_problem(
    index: int, cp: dict[str, Any], public_key: bytes, entries: _Entries, origin: str | None
) -> OfflineProblem | None:
    try:
        size, text = int(cp["size"]), checkpoint_text(cp)
        signed = _signature_ok(public_key, str(cp["signature"]), text)
    except (KeyError, TypeError, ValueError):
        return OfflineProblem("malformed_checkpoint", "missing or malformed fields", checkpoint=index)
    if not signed:
        return OfflineProblem(
            "checkpoint_signature", f"signature does not verify under {cp['key_id'][:16]}", checkpoint=index
        )
    if origin is not None and cp["origin"] != origin:
        return OfflineProblem(
            "checkpoint_origin", f"names log {cp['origin']}, this log is {origin}", checkpoint=index
        )
    if size > entries.size:
        return OfflineProblem(
            "checkpoint_beyond_log",
            f"signs {size} entries; the export holds {entries.size}",
            checkpoint=index,
        )
    if entries.leaves_root.get(size, b"").hex() != cp["root"]:
        return OfflineProblem(
            "checkpoint_inconsistent",
            f"the first {size} entries do not hash to the signed root",
            checkpoint=index,
        )
    return None


def _check_keys(keys: list[Any], trusted: dict[str, bytes], report: OfflineReport) -> None:
    for key in keys:
        try:
            key_id, public_key = str(key["key_id"]), bytes.fromhex(key["public_key"])
        except (KeyError, TypeError, ValueError):
            report.problems.append(
                OfflineProblem("malformed_key", f"keys.json entry {key!r:.60} is malformed")
            )
            continue
        if _key_id(public_key) != key_id:
            report.problems.append(
                OfflineProblem("key_mismatch", f"key {key_id[:16]}: id is not SHA-256 of the key")
            )
        elif key_id in trusted and trusted[key_id] != public_key:
            report.problems.append(
                OfflineProblem("key_mismatch", f"key {key_id[:16]} differs from the trusted one")
            )


# -- command line --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="verify_offline", description="Verify an exported scalegate audit log with a trusted public key."
    )
    parser.add_argument("export_dir", help="directory written by `scalegate audit export`")
    parser.add_argument(
        "--public-key",
        action="append",
        required=True,
        metavar="FILE",
        help="trusted Ed25519 public key (PEM, or 64 hex digits); repeatable",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args(argv)
    try:
        keys = [load_public_key(path) for path in args.public_key]
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"error: cannot read public key: {exc}\n")
        return 2
    if not Path(args.export_dir).is_dir():
        sys.stderr.write(f"error: {args.export_dir}: not a directory\n")
        return 2
    report = verify_export(args.export_dir, keys)
    if args.json:
        sys.stdout.write(json.dumps(report.to_dict(), indent=2) + "\n")
    else:
        for problem in report.problems:
            sys.stdout.write(problem.line() + "\n")
        verdict = "ok" if report.ok else f"FAILED ({len(report.problems)} problems)"
        sys.stdout.write(
            f"{verdict}: {report.entries} entries, root {report.root}, "
            f"{report.checkpoints_verified} checkpoints verified, {report.covered} entries covered\n"
        )
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
