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
* every line of ``entries.jsonl`` is an entry in canonical JSON whose ``seq`` is its line number (from 0),
  or, for an entry sealed for whoever exported the log (``{"sealed":"<leaf hash hex>","seq":N}``), its leaf
  hash alone: such an entry counts in the tree and every root, but its contents (and time) cannot be checked
  here, only in the store by ``scalegate audit verify``;
* the RFC 6962 root of the leaf hashes ``SHA-256(0x00 || line)``, and the root of every prefix a checkpoint
  covers, which must equal that checkpoint's signed root;
* every checkpoint's Ed25519 signature, by a key that is *trusted*: given with ``--public-key``, or named by
  an ``audit.key_created`` / ``audit.key_rotated`` entry inside a prefix already covered by a verified
  checkpoint (so trusting the first key, or the newest, is enough to follow a rotation);
* that verified checkpoints cover the whole log: entries after the last one could have been appended by
  anyone;
* that entry times never decrease (an entry of a demo workspace may also carry ``"demo": true``);
* every user's signature (sign-offs, consultation responses, key approvals): made by a key the log
  registered and an admin approved with their own signature before it signed, not retired, owned by the
  signer the entry names, over a statement that says what the entry says was done.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

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
CHECKPOINT_FORMAT = "scalegate-audit-checkpoint/v3"  # signed once the times were checked in order
UNORDERED_CHECKPOINT_FORMAT = "scalegate-audit-checkpoint/v2"  # the same lines, times not checked
LEGACY_CHECKPOINT_FORMAT = "scalegate-audit-checkpoint/v1"  # no id and signer lines
ENTRY_KEYS = {"actor", "at", "data", "event", "seq", "subject"}
DEMO_KEYS = ENTRY_KEYS | {"demo"}
KEY_EVENTS = {"audit.key_created", "audit.key_rotated"}
SEALED_PREFIX = b'{"sealed":"'
"""How a line of an entry sealed for the exporter begins (its leaf hash stands in for the body)."""
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


class OfflineProblemDocument(TypedDict):
    """One problem of an offline verification, as JSON."""

    kind: str
    message: str
    seq: int | None
    checkpoint: int | None


class OfflineReportDocument(TypedDict):
    """An offline verification as JSON (``OfflineReport.to_dict``, ``--json``)."""

    ok: bool
    entries: int
    root: str
    covered_by_checkpoints: int
    checkpoints_verified: int
    trusted_keys: list[str]
    signatures_verified: int
    sealed_entries: int
    problems: list[OfflineProblemDocument]


@dataclass
class OfflineReport:
    """The verdict on an export."""

    entries: int = 0
    root: str = ""
    problems: list[OfflineProblem] = field(default_factory=list)
    checkpoints_verified: int = 0
    covered: int = 0
    trusted_keys: list[str] = field(default_factory=list)
    signatures_verified: int = 0
    """Users' signatures (sign-offs, consultation responses, key approvals) that verified."""
    sealed: int = 0
    """Entries given by their leaf hash only (sealed for the exporter): in the tree, contents unchecked."""

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> OfflineReportDocument:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "root": self.root,
            "covered_by_checkpoints": self.covered,
            "checkpoints_verified": self.checkpoints_verified,
            "trusted_keys": self.trusted_keys,
            "signatures_verified": self.signatures_verified,
            "sealed_entries": self.sealed,
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
    version = cp.get("format", LEGACY_CHECKPOINT_FORMAT)
    if version not in (CHECKPOINT_FORMAT, UNORDERED_CHECKPOINT_FORMAT, LEGACY_CHECKPOINT_FORMAT):
        raise ValueError(f"unknown checkpoint format {version!r}")
    lines = [
        version,
        f"origin {cp['origin']}",
        f"size {cp['size']}",
        f"root {cp['root']}",
        f"time {cp['time']}",
        f"key {cp['key_id']}",
    ]
    if version != LEGACY_CHECKPOINT_FORMAT:
        lines += [f"id {int(cp['id'])}", f"by {cp['created_by']}"]
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
    trust: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    """The entries users' signatures are checked from (``TRUST_EVENTS``)."""
    sealed: int = 0


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
    report.entries, report.root, report.sealed = entries.size, entries.root.hex(), entries.sealed
    trusted = {_key_id(k): k for k in public_keys}
    _check_checkpoints(checkpoints, entries, trusted, report)
    _check_keys(_read_json(base / "keys.json", report, []), trusted, report)
    _check_signatures(entries.trust, report)
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
        sealed = _sealed_leaf(seq, line, report) if line.startswith(SEALED_PREFIX) else None
        leaf = sealed if sealed is not None else _leaf(line)
        if seq == 0:
            out.first_leaf = leaf
        if sealed is None:
            _check_entry(seq, line, out, report)
        else:
            out.sealed += 1
        tree.push(leaf)
        if tree.size in marks:
            out.leaves_root[tree.size] = tree.root()
    out.size, out.root = tree.size, tree.root()
    return out


def _sealed_leaf(seq: int, line: bytes, report: OfflineReport) -> bytes | None:
    """The leaf hash a sealed line gives; None (and a problem) when the line is not exactly that form."""
    try:
        doc = json.loads(line)
        leaf = bytes.fromhex(doc["sealed"])
        if set(doc) != {"sealed", "seq"} or doc["seq"] != seq or len(leaf) != 32 or _canonical(doc) != line:
            raise ValueError(line[:60])
    except (ValueError, KeyError, TypeError):
        report.problems.append(OfflineProblem("malformed_entry", "not a sealed entry line", seq))
        return None
    return leaf


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
    if doc["event"] in TRUST_EVENTS:
        out.trust.append((seq, doc))
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


# -- users' signatures ---------------------------------------------------------------------------------------
#
# Sign-offs, policy-change approvals, consultation responses and key approvals are Ed25519 signatures by the
# acting user's own key over a *statement* (``scalegate.governance.signing_keys``). The log says which keys
# exist (``user_key.registered``), which an admin approved with their own signature (``user_key.approved``;
# the first approved key of a log approves itself, and must belong to an admin) and when a key retired.
# Replaying those entries in order gives the key every later signature must verify under.

STATEMENT_FORMAT = "scalegate-statement/v1"
TRUST_EVENTS = {
    "user.added",
    "user.role_granted",
    "user.role_revoked",
    "user_key.registered",
    "user_key.approved",
    "user_key.retired",
    "decision.signed",
    "policy.change_consulted",
    "notification.acknowledged",
}
"""The entries the signature check reads: roles (only admins approve keys), keys, and signed acts."""
ADMIN_ROLE = "admin"


def statement_bytes(statement: dict[str, Any]) -> bytes:
    """The bytes a user's signature covers (``scalegate.governance.signing_keys.statement_bytes``)."""
    return _canonical({**statement, "format": STATEMENT_FORMAT})


@dataclass
class SigningKey:
    """A user's key as the log establishes it: whose, and between which entries it may sign."""

    key_id: str
    public_key: bytes
    user: str
    user_id: int
    registered_seq: int
    approved_seq: int | None = None
    approved_at: datetime.datetime | None = None
    retired_seq: int | None = None
    retired_at: datetime.datetime | None = None

    def valid_at(self, seq: int | None, at: datetime.datetime) -> bool:
        """Approved before entry ``seq`` (None: judge by time alone) and time ``at``, and not retired then."""
        if self.approved_seq is None or (seq is not None and self.approved_seq >= seq):
            return False
        if self.approved_at is not None and at < self.approved_at:
            return False
        if seq is not None:  # the log's order decides (a fixed clock can give both one time)
            return self.retired_seq is None or self.retired_seq > seq
        return self.retired_at is None or at < self.retired_at


@dataclass
class SignatureTrail:
    """What replaying the trust entries found: the keys, the problems (seq, kind, message), the count of
    signatures that verified."""

    keys: dict[str, SigningKey] = field(default_factory=dict)
    problems: list[tuple[int | None, str, str]] = field(default_factory=list)
    verified: int = 0
    roles: dict[str, set[str]] = field(default_factory=dict)
    entry_of: dict[str, int] = field(default_factory=dict)
    """The seq of the entry that carries each signature (hex) of a signed act."""


def _time(text: Any) -> datetime.datetime:
    at = datetime.datetime.fromisoformat(str(text))
    if at.tzinfo is None:
        raise ValueError(f"time {text!r} has no zone")
    return at


def signature_problem(
    trail: SignatureTrail, seq: int | None, signature: Any, *, user_id: Any, at: datetime.datetime
) -> str | None:
    """Why ``signature`` ({statement, key_id, value}) of user ``user_id`` does not stand at entry ``seq`` and
    time ``at``: its key unknown, another user's, not approved then, or the bytes do not verify. None when it
    stands. (For a key approval, ``user_id`` is the approver's; ``seq`` None judges a stored row, by time.)"""
    try:
        statement, key_id, value = signature["statement"], str(signature["key_id"]), str(signature["value"])
        signed_at = _time(statement["at"])
    except (KeyError, TypeError, ValueError):
        return "malformed signature"
    key = trail.keys.get(key_id)
    if key is None:
        return f"signed with key {key_id[:16]}, which the log never registered"
    if statement.get("key_id") != key_id:
        return "the statement names another key than the one that signed it"
    if key.user_id != user_id:
        return f"signed with key {key_id[:16]} of {key.user}, not of the signer the record names"
    if signed_at > at:
        return f"signed at {statement['at']}, after the record's time"
    if not key.valid_at(seq, signed_at):
        return f"key {key_id[:16]} of {key.user} was not approved (or already retired) when it signed"
    if not _signature_ok(key.public_key, value, statement_bytes(statement)):
        return f"the signature does not verify under key {key_id[:16]} of {key.user}"
    return None


def trace_signatures(entries: Any) -> SignatureTrail:
    """Replay the trust entries ``(seq, entry document)`` in order; see the comment above."""
    trail = SignatureTrail()
    for seq, doc in entries:
        try:
            _trace(trail, seq, doc)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            trail.problems.append((seq, "malformed_entry", f"{doc.get('event')} entry: {exc!r:.80}"))
    return trail


def _trace(trail: SignatureTrail, seq: int, doc: dict[str, Any]) -> None:
    event, data, at = doc["event"], doc["data"], _time(doc["at"])
    if event == "user.added":
        trail.roles[str(data["name"])] = {str(r) for r in data.get("roles", [])}
    elif event == "user.role_granted":
        trail.roles.setdefault(str(data["name"]), set()).add(str(data["role"]))
    elif event == "user.role_revoked":
        trail.roles.setdefault(str(data["name"]), set()).discard(str(data["role"]))
    elif event == "user_key.registered":
        _registered(trail, seq, data)
    elif event == "user_key.approved":
        _approved(trail, seq, data, at)
    elif event == "user_key.retired":
        for key_id in data["key_ids"]:
            _retire(trail, str(key_id), seq, at)
    else:
        signature = data.get("signature")
        if signature is None:
            trail.problems.append((seq, "signature_missing", f"{event} carries no signature"))
            return
        statement = signature["statement"]
        trail.entry_of.setdefault(str(signature.get("value")), seq)
        why = _act_mismatch(event, data, statement)
        key = trail.keys.get(str(signature.get("key_id")))
        if why is None and key is not None and statement.get("signer") != key.user:
            why = f"the statement names signer {statement.get('signer')!r}, the key is {key.user}'s"
        why = why or signature_problem(trail, seq, signature, user_id=statement.get("user_id"), at=at)
        if why is None:
            trail.verified += 1
        else:
            trail.problems.append((seq, "signature_invalid", f"{event}: {why}"))


def _act_mismatch(event: str, data: dict[str, Any], statement: dict[str, Any]) -> str | None:
    """Whether the signed statement says what the entry says was done."""
    if event == "decision.signed":
        wanted = {"act": "signoff", "decision_id": data["decision_id"], "role": data["role"]}
        wanted |= {"approve": data["approve"]}
        state = hashlib.sha256(_canonical(data["bound_state"])).hexdigest()
        if statement.get("state") != state:
            return "the signed state digest differs from the bound state the entry records"
    elif event == "notification.acknowledged":
        wanted = {"act": "acknowledgement", "notification_id": data["notification_id"], "role": data["role"]}
    else:
        wanted = {"act": "consultation", "change_id": data["change_id"], "role": data["role"]}
    for name, value in wanted.items():
        if statement.get(name) != value:
            return f"the signed statement says {name}={statement.get(name)!r}, the entry {value!r}"
    return None


def _registered(trail: SignatureTrail, seq: int, data: dict[str, Any]) -> None:
    key_id, public_key = str(data["key_id"]), bytes.fromhex(str(data["public_key"]))
    if _key_id(public_key) != key_id or key_id in trail.keys:
        trail.problems.append((seq, "signature_key", f"key {key_id[:16]}: id mismatch or registered twice"))
        return
    trail.keys[key_id] = SigningKey(key_id, public_key, str(data["user"]), int(data["user_id"]), seq)


def _approved(trail: SignatureTrail, seq: int, data: dict[str, Any], at: datetime.datetime) -> None:
    key = trail.keys.get(str(data["key_id"]))
    signature = data["signature"]
    statement = signature["statement"]
    why = None
    if key is None or key.approved_seq is not None:
        why = "approves a key the log did not register, or approved already"
    elif (
        statement.get("act") != "key_approval"
        or statement.get("approved_key_id") != key.key_id
        or statement.get("public_key") != key.public_key.hex()
        or statement.get("user_id") != key.user_id
    ):
        why = "the signed approval names another key or user"
    else:
        why = _approver_problem(trail, seq, key, signature, at)
    if why is not None:
        trail.problems.append((seq, "signature_key", f"user_key.approved: {why}"))
        return
    assert key is not None
    key.approved_seq, key.approved_at = seq, _time(statement["at"])
    trail.verified += 1
    for old in data.get("retires", []):
        if old in trail.keys and trail.keys[old].user_id == key.user_id:
            _retire(trail, str(old), seq, at)


def _approver_problem(
    trail: SignatureTrail, seq: int, key: SigningKey, signature: dict[str, Any], at: datetime.datetime
) -> str | None:
    signer = trail.keys.get(str(signature.get("key_id")))
    if signer is key:
        # Self-approval: only the very first approved key of a log, and only an admin's (the bootstrap).
        if any(k.approved_seq is not None for k in trail.keys.values()):
            return f"key {key.key_id[:16]} approves itself, but the workspace already has approved keys"
        if ADMIN_ROLE not in trail.roles.get(key.user, set()):
            return f"key {key.key_id[:16]} approves itself, but {key.user} is no admin"
        if not _signature_ok(
            key.public_key, str(signature["value"]), statement_bytes(signature["statement"])
        ):
            return "the self-approval does not verify"
        return None
    if signer is None:
        return "signed by a key the log never registered"
    if signer.user_id == key.user_id:
        return f"{signer.user} approved their own key"
    if ADMIN_ROLE not in trail.roles.get(signer.user, set()):
        return f"approved by {signer.user}, who is no admin"
    statement = signature["statement"]
    if statement.get("signer_user_id") != signer.user_id or statement.get("signer") != signer.user:
        return "the approval names another approver than the key that signed it"
    return signature_problem(trail, seq, signature, user_id=signer.user_id, at=at)


def _retire(trail: SignatureTrail, key_id: str, seq: int, at: datetime.datetime) -> None:
    key = trail.keys.get(key_id)
    if key is not None and key.retired_seq is None:
        key.retired_seq, key.retired_at = seq, at


def _check_signatures(signed: list[tuple[int, dict[str, Any]]], report: OfflineReport) -> None:
    trail = trace_signatures(signed)
    report.signatures_verified = trail.verified
    for seq, kind, message in trail.problems:
        report.problems.append(OfflineProblem(kind, message, seq))


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
            f"{report.checkpoints_verified} checkpoints verified, {report.covered} entries covered, "
            f"{report.signatures_verified} signatures verified\n"
        )
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
