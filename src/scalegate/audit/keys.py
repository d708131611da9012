"""The Ed25519 keys that sign tree heads: key ids and where the private halves live.

A key id is the hex SHA-256 of the raw 32-byte public key, so anyone holding a public key can compute its id
and no registry is needed to match a signature to its key. Public keys are rows of ``audit_keys`` (created and
rotated through the log like any state change, so a swapped public key is caught by ``audit verify``). Private
keys never enter the store: each is a PKCS#8 PEM file named ``<key id>.pem``, mode 0600, in the key directory:

1. ``SCALEGATE_AUDIT_KEY_DIR`` when set;
2. for a SQLite workspace, ``keys/`` beside the database file (``.scalegate/keys/`` by default);
3. otherwise (PostgreSQL without the variable) ``.scalegate/keys/`` in the current directory.

Rotation (``scalegate.audit.tree_heads.rotate_key``) lives with the tree heads, because its handover is a
signed tree head; keys know nothing of tree heads, so the two modules do not import each other.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from hashlib import sha256
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from scalegate.actor import Actor
from scalegate.errors import IntegrityError, NotFoundError
from scalegate.store.models.audit import AuditKeyRow

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from scalegate.workspace import Workspace

__all__ = [
    "ALGORITHM",
    "KEY_DIR_ENV",
    "KeyInfo",
    "active_key",
    "ensure_signing_key",
    "key_data",
    "key_dir",
    "key_id_of",
    "list_keys",
    "load_private_key",
    "new_key",
    "public_key_of",
    "public_key_pem",
]

ALGORITHM = "ed25519"
"""The only signature algorithm: Ed25519 (RFC 8032), via ``cryptography``."""

KEY_DIR_ENV = "SCALEGATE_AUDIT_KEY_DIR"
"""Environment variable naming the directory of private signing keys."""


class KeyDocument(TypedDict):
    """A public signing key as JSON (``KeyInfo.to_dict``): raw key in hex and as PEM."""

    key_id: str
    algorithm: str
    public_key: str
    public_key_pem: str
    created_at: str
    retired_at: str | None
    active: bool


class KeyEntryData(TypedDict):
    """The data of the audit entry that records a new signing key."""

    key_id: str
    algorithm: str
    public_key: str


@dataclass(frozen=True)
class KeyInfo:
    """A public signing key as stored: id, raw key, when it was created and (if so) retired."""

    key_id: str
    algorithm: str
    public_key: bytes
    created_at: datetime
    retired_at: datetime | None

    @classmethod
    def of(cls, row: AuditKeyRow) -> KeyInfo:
        return cls(row.key_id, row.algorithm, bytes(row.public_key), row.created_at, row.retired_at)

    @property
    def pem(self) -> str:
        return public_key_pem(self.public_key)

    def to_dict(self) -> KeyDocument:
        return {
            "key_id": self.key_id,
            "algorithm": self.algorithm,
            "public_key": self.public_key.hex(),
            "public_key_pem": self.pem,
            "created_at": self.created_at.isoformat(),
            "retired_at": self.retired_at.isoformat() if self.retired_at else None,
            "active": self.retired_at is None,
        }


def key_id_of(public_key: bytes) -> str:
    """The key id: hex SHA-256 of the raw 32-byte public key."""
    return sha256(public_key).hexdigest()


def public_key_pem(public_key: bytes) -> str:
    """A raw Ed25519 public key as a SubjectPublicKeyInfo PEM (what ``--public-key`` files hold)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    key = Ed25519PublicKey.from_public_bytes(public_key)
    return key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def key_dir(workspace: Workspace) -> Path:
    """Where this workspace's private signing keys live (see the module docstring)."""
    configured = os.environ.get(KEY_DIR_ENV)
    if configured:
        return Path(configured)
    url = make_url(workspace.url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent / "keys"
    return Path.cwd() / ".scalegate" / "keys"


def active_key(session: Session) -> AuditKeyRow | None:
    """The key that signs new checkpoints (the one not retired)."""
    return (
        session.execute(
            select(AuditKeyRow)
            .where(AuditKeyRow.retired_at.is_(None))
            .order_by(AuditKeyRow.created_at.desc())
        )
        .scalars()
        .first()
    )


def list_keys(workspace: Workspace) -> list[KeyInfo]:
    """Every signing key, oldest first."""
    with workspace.read() as session:
        rows = session.execute(
            select(AuditKeyRow).order_by(AuditKeyRow.created_at, AuditKeyRow.key_id)
        ).scalars()
        return [KeyInfo.of(row) for row in rows]


def load_private_key(workspace: Workspace, key_id: str) -> Ed25519PrivateKey:
    """The private half of ``key_id`` from the key directory; it must match the id (fail closed)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_private_key

    path = key_dir(workspace) / f"{key_id}.pem"
    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise NotFoundError(
            f"private signing key {key_id[:16]} not found; set {KEY_DIR_ENV} to its directory",
            where=str(path),
        ) from None
    except ValueError as exc:
        raise IntegrityError(f"unreadable private signing key: {exc}", where=str(path)) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise IntegrityError("private signing key is not Ed25519", where=str(path))
    if key_id_of(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)) != key_id:
        raise IntegrityError(f"private key file does not match key id {key_id[:16]}", where=str(path))
    return key


def _write_private_key(workspace: Workspace, key: Ed25519PrivateKey, key_id: str) -> Path:
    """Write a new private key file, readable by its owner only, never overwriting one."""
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    directory = key_dir(workspace)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / f"{key_id}.pem"
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
        handle.flush()
        os.fsync(handle.fileno())
    return path


def new_key(workspace: Workspace, session: Session) -> tuple[AuditKeyRow, Ed25519PrivateKey]:
    """Generate a key pair, write the private half, add the public row (not yet recorded)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    row = AuditKeyRow(
        key_id=key_id_of(public),
        algorithm=ALGORITHM,
        public_key=public,
        created_at=workspace.now(),
        retired_at=None,
    )
    _write_private_key(workspace, private, row.key_id)
    session.add(row)
    session.flush()
    return row, private


def key_data(row: AuditKeyRow) -> KeyEntryData:
    """What the entry recording a new key says of it (``audit.key_created``, ``audit.key_rotated``)."""
    return {"key_id": row.key_id, "algorithm": row.algorithm, "public_key": bytes(row.public_key).hex()}


def ensure_signing_key(
    workspace: Workspace, session: Session, actor: Actor
) -> tuple[AuditKeyRow, Ed25519PrivateKey]:
    """The active key and its private half, creating (and recording) the first key of a workspace."""
    row = active_key(session)
    if row is not None:
        return row, load_private_key(workspace, row.key_id)
    row, private = new_key(workspace, session)
    workspace.record(
        session, actor, "audit.key_created", f"audit-key:{row.key_id}", dict(key_data(row)), rows=[row]
    )
    return row, private


def public_key_of(workspace: Workspace, key_id: str | None = None) -> KeyInfo:
    """The key with this id (or unique id prefix), or the active key when no id is given."""
    keys = list_keys(workspace)
    if key_id is None:
        active = [k for k in keys if k.retired_at is None]
        if not active:
            raise NotFoundError(
                "the workspace has no signing key yet (one is made when the first checkpoint is signed)"
            )
        return active[-1]
    found = [k for k in keys if k.key_id.startswith(key_id.lower())]
    if len(found) != 1:
        raise NotFoundError(f"{len(found)} signing keys match {key_id!r}", where="key_id")
    return found[0]
