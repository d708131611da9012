"""The seal of a cached verdict: the state it was decided from, and an HMAC that binds the two.

A cached verdict may be served only in the exact state it was decided from. That state is read by one SQL
statement (``STATE_SQL``), so it is one snapshot whatever the backend's isolation:

- the audit root: the log's size and the leaf hash of its last entry (every recorded change moves it);
- the active policy: its version id, recorded content hash and the SHA-256 of the stored document (an edit
  of the stored policy, which makes the engine pause, also makes the seal miss);
- the blob store: counts and byte totals of the stored evidence files and of their chunks (a deleted or
  truncated file, which the log does not record, makes the engine flag the evidence missing).

The MAC is HMAC-SHA256 under a key derived from the workspace's gate key and the audit root, over every
column of the cached row. The gate key is 32 random bytes in a file (mode 0600) in the workspace's key
directory, never in the store: someone who can only write the database cannot make a row that verifies, and
a row sealed under one audit root does not verify under another.

This module imports only a few light modules of the standard library, because ``scalegate gate``'s fast path
uses it (no ``dataclasses``, no ``secrets``: each would cost the fast path more than its whole check).
"""

from __future__ import annotations

import contextlib
import os
from _operator import _compare_digest as compare_digest
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from hashlib import sha256
else:  # CPython's own SHA-256: importing hashlib loads OpenSSL, which costs the fast path 10-40 ms
    try:
        from _sha256 import sha256
    except ImportError:  # pragma: no cover - Python 3.12 renamed it; other interpreters take hashlib's
        try:
            from _sha2 import sha256
        except ImportError:
            from hashlib import sha256

__all__ = [
    "KEY_FILE",
    "STATE_SQL",
    "SealedRow",
    "State",
    "compare_digest",
    "ensure_key",
    "hmac_sha256",
    "key_path",
    "read_key",
    "seal",
    "state_of",
]

KEY_FILE = "gate-cache.key"
"""Name of the gate key file in the workspace's key directory (beside the audit signing keys)."""

_KEY_DIR_ENV = "SCALEGATE_AUDIT_KEY_DIR"  # scalegate.audit.keys.KEY_DIR_ENV, without importing it

_STATE_COLUMNS = """
  (SELECT size FROM audit_head WHERE id = 1) AS audit_size,
  (SELECT {hex} FROM audit_entries e WHERE e.seq = (SELECT size FROM audit_head WHERE id = 1) - 1)
    AS audit_leaf,
  (SELECT count(*) FROM policy_versions WHERE status = 'active') AS active_policies,
  (SELECT id FROM policy_versions WHERE status = 'active' ORDER BY id LIMIT 1) AS policy_version,
  (SELECT content_hash FROM policy_versions WHERE status = 'active' ORDER BY id LIMIT 1) AS policy_hash,
  (SELECT {document} FROM policy_versions WHERE status = 'active' ORDER BY id LIMIT 1) AS policy_document,
  (SELECT count(*) || ':' || coalesce(sum(size), 0) || ':' || coalesce(sum(chunks), 0)
     FROM evidence_blobs) AS blobs,
  (SELECT count(*) || ':' || coalesce(sum(length(data)), 0) FROM evidence_blob_chunks) AS chunks
"""

STATE_SQL = {
    "sqlite": "SELECT" + _STATE_COLUMNS.format(hex="lower(hex(e.leaf_hash))", document="document"),
    "postgresql": "SELECT"
    + _STATE_COLUMNS.format(hex="encode(e.leaf_hash, 'hex')", document="document::text"),
}
"""Per backend, the one statement that reads the state a verdict depends on (8 columns, see ``state_of``)."""


class State(NamedTuple):
    """The state a verdict was decided from (see the module docstring); ``None`` fields mean unknown."""

    audit_size: int
    audit_leaf: str
    policy_digest: str
    blob_state: str

    @property
    def cacheable(self) -> bool:
        """Whether a verdict decided in this state may be cached (exactly one active policy, a log)."""
        return self.policy_digest != "" and self.audit_size >= 0


def state_of(row: tuple[object, ...]) -> State:
    """The ``State`` from a row of ``STATE_SQL`` (the same bytes on the writer's and the reader's side)."""
    size, leaf, active, version, content_hash, document, blobs, chunks = row[:8]
    policy = ""
    if active == 1 and document is not None:
        text = document if isinstance(document, str) else str(document)
        policy = f"{version}:{content_hash}:{sha256(text.encode()).hexdigest()}"
    return State(
        int(size) if size is not None else -1,  # type: ignore[call-overload]
        str(leaf or ""),
        policy,
        f"{blobs}/{chunks}",
    )


class SealedRow(NamedTuple):
    """What a cached verdict's MAC covers: every column of its row, times as Unix seconds."""

    ref: str
    action: str
    outcome: str
    exit_code: int
    document: str
    text: str
    computed_epoch: float
    valid_until_epoch: float | None
    state: State

    def message(self) -> bytes:
        """The canonical bytes the MAC is computed over (fields separated by the unit separator)."""
        fields = [
            "scalegate gate cache v1",
            self.ref,
            self.action,
            self.outcome,
            str(int(self.exit_code)),
            repr(float(self.computed_epoch)),
            "" if self.valid_until_epoch is None else repr(float(self.valid_until_epoch)),
            str(self.state.audit_size),
            self.state.audit_leaf,
            self.state.policy_digest,
            self.state.blob_state,
            sha256(self.document.encode()).hexdigest(),
            sha256(self.text.encode()).hexdigest(),
        ]
        return "\x1f".join(fields).encode()


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    """HMAC-SHA256 (RFC 2104) over the light SHA-256 above; equal to ``hmac.new(key, message, sha256)``."""
    if len(key) > 64:
        key = sha256(key).digest()
    key = key.ljust(64, b"\0")
    inner = sha256(bytes(b ^ 0x36 for b in key) + message).digest()
    return sha256(bytes(b ^ 0x5C for b in key) + inner).digest()


def seal(key: bytes, row: SealedRow) -> str:
    """Hex HMAC-SHA256 of ``row`` under ``key`` bound to the row's audit root."""
    root = f"{row.state.audit_size}\x1f{row.state.audit_leaf}".encode()
    bound = hmac_sha256(key, b"scalegate gate key bound to audit root\x1f" + root)
    return hmac_sha256(bound, row.message()).hex()


def key_path(sqlite_file: str | None) -> str:
    """Where the gate key lives: the audit key directory (``SCALEGATE_AUDIT_KEY_DIR``, else ``keys/`` beside a
    SQLite file, else ``.scalegate/keys`` in the current directory), as ``scalegate.audit.keys.key_dir``."""
    configured = os.environ.get(_KEY_DIR_ENV)
    if configured:
        directory = configured
    elif sqlite_file:
        directory = os.path.join(os.path.dirname(os.path.abspath(sqlite_file)), "keys")
    else:
        directory = os.path.join(os.getcwd(), ".scalegate", "keys")
    return os.path.join(directory, KEY_FILE)


def read_key(path: str) -> bytes | None:
    """The gate key, or None when it is missing or malformed (then nothing cached can be trusted)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(100)
    except OSError:
        return None
    try:
        key = bytes.fromhex(data.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        return None
    return key if len(key) == 32 else None


def ensure_key(path: str) -> bytes:
    """The gate key, created (32 random bytes, hex, mode 0600, in a 0700 directory) when there is none.

    The new key is written to a private temporary file and linked into place, so a concurrent reader never
    sees half a key and two creators agree on one (the second link fails and it reads the first).
    """
    found = read_key(path)
    if found is not None:
        return found
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    key = os.urandom(32)  # the OS's CSPRNG, as ``secrets`` uses (whose import the fast path cannot afford)
    temporary = f"{path}.{os.getpid()}.{os.urandom(4).hex()}"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(key.hex() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process created it first: use theirs
            os.link(temporary, path)
    finally:
        os.unlink(temporary)
    found = read_key(path)
    if found is None:
        raise OSError(f"gate key {path} is unreadable or malformed")
    return found
