"""Users' own signing keys: every sign-off, approval and consultation response is an Ed25519 signature.

A record that only says "rita signed" can be written by whoever can write the store. A signature made with a
key only rita can use cannot: someone who edits or inserts rows with SQL, or appends audit entries, cannot
produce one, and ``audit verify`` and the offline verifier check every one (``audit.signatures``).

- **The private key is never in the store in the clear.** It is sealed with AES-256-GCM under a key derived
  from the user's password by argon2id (``argon2.low_level.hash_secret_raw``, a random salt per key; the
  parameters are stored with the key, so they can be raised later). Signing therefore needs the signer's
  password at that moment, on every door, as an electronic signature under 21 CFR Part 11 §11.200 does.
  A password change re-seals the same key, so earlier signatures stay valid.
- **A key signs only once an admin approved it**, and the approval is itself signed by that admin's key and
  logged (``user_key.registered``, then ``user_key.approved``). The first key a workspace ever approves is its
  bootstrap admin's, self-approved; every other key's approval chains back to it, and checkpoints pin that
  first entry. An admin who creates a user with a password approves the user's first key in the same
  transaction; a user who registers or rotates a key waits for another admin's approval.
- **What is signed is a statement**: canonical JSON of what the act binds (a decision's id, type, subject,
  role, verdict, justification, the digest of the bound state and the policy hash), the signer, the signing
  key and the time. ``statement_bytes`` gives its exact bytes; ``audit.offline`` repeats the definition so a
  reviewer needs no scalegate to check it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from scalegate.actor import Actor
from scalegate.errors import (
    ConflictError,
    InputError,
    IntegrityError,
    NotFoundError,
    PermissionDenied,
    WrongPassword,
)
from scalegate.governance.permissions import require
from scalegate.permissions import ADMIN_ROLE
from scalegate.statements import (
    STATEMENT_FORMAT,
    acknowledgement_statement,
    consultation_statement,
    signoff_statement,
    statement_bytes,
    statement_time,
)
from scalegate.store.models.identity import UserKeyRow, UserRoleRow, UserRow

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from scalegate.workspace import Workspace

__all__ = [
    "KDF_PARAMETERS",
    "STATEMENT_FORMAT",
    "KdfParameters",
    "KeyView",
    "SealParameters",
    "Signed",
    "SigningStanding",
    "acknowledgement_statement",
    "approve_key",
    "consultation_statement",
    "has_usable_key",
    "issue_key",
    "list_keys",
    "register_key",
    "register_passphrase_key",
    "reseal",
    "retire_keys",
    "sign_statement",
    "signing_standing",
    "signoff_statement",
    "statement_bytes",
    "unlock",
]


class KdfParameters(TypedDict):
    """The argon2id parameters a key's sealing password is stretched with."""

    algorithm: str
    time_cost: int
    memory_cost: int
    parallelism: int
    hash_len: int


class SealParameters(KdfParameters):
    """What a sealed key stores beside its ciphertext: the KDF parameters, the salt (hex) and the cipher."""

    salt: str
    cipher: str


KDF_PARAMETERS: KdfParameters = {
    "algorithm": "argon2id",
    "time_cost": 2,
    "memory_cost": 19456,
    "parallelism": 1,
    "hash_len": 32,
}
"""argon2id at OWASP's recommended minimum (19 MiB, 2 passes): opening a key costs about a fifth of a
sign-in's password check (``python -m bench signing``: 0.16-0.18x, same run). Stored with
each key, so a stronger setting applies to keys sealed after it changes."""

_NONCE = 12
_SALT = 16


def _approval_statement(
    key: UserKeyRow, owner: UserRow, approver: UserRow, signing: str, at: datetime
) -> Any:
    return {
        "act": "key_approval",
        "approved_key_id": key.key_id,
        "public_key": key.public_key,
        "user": owner.name,
        "user_id": owner.id,
        "signer": approver.name,
        "signer_user_id": approver.id,
        "key_id": signing,
        "at": statement_time(at),
    }


class SignatureEntry(TypedDict):
    """A signature as the audit entry of the act records it: the statement signed, the key, the hex value."""

    statement: Mapping[str, object]
    key_id: str
    value: str


@dataclass(frozen=True)
class Signed:
    """A statement with its signature: what goes into the audit entry of the act."""

    statement: Mapping[str, object]
    key_id: str
    signature: str
    """Hex Ed25519 signature over ``statement_bytes(statement)``."""

    def to_entry(self) -> SignatureEntry:
        return {"statement": self.statement, "key_id": self.key_id, "value": self.signature}


def sign_statement(private_key: Ed25519PrivateKey, key_id: str, statement: Mapping[str, object]) -> Signed:
    """Sign a statement that names ``key_id`` as its signing key."""
    if statement.get("key_id") != key_id:
        raise ValueError("a statement must name the key that signs it")
    return Signed(statement, key_id, private_key.sign(statement_bytes(statement)).hex())


# -- sealing -------------------------------------------------------------------------------------------------


def _derive(password: str, kdf: dict[str, Any]) -> bytes:
    from argon2.low_level import Type, hash_secret_raw

    if kdf.get("algorithm") != "argon2id":
        raise IntegrityError(f"unsupported key derivation {kdf.get('algorithm')!r}")
    return hash_secret_raw(
        password.encode("utf-8"),
        bytes.fromhex(kdf["salt"]),
        time_cost=int(kdf["time_cost"]),
        memory_cost=int(kdf["memory_cost"]),
        parallelism=int(kdf["parallelism"]),
        hash_len=int(kdf["hash_len"]),
        type=Type.ID,
    )


def _seal(raw_private: bytes, password: str, key_id: str) -> tuple[str, SealParameters]:
    """Nonce || AES-GCM ciphertext of the raw private key (hex), and the KDF parameters with a fresh salt.

    The key id is the associated data: a sealed key copied onto another key's row does not open."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    kdf: SealParameters = {**KDF_PARAMETERS, "salt": os.urandom(_SALT).hex(), "cipher": "aes-256-gcm"}
    nonce = os.urandom(_NONCE)
    sealed = AESGCM(_derive(password, dict(kdf))).encrypt(nonce, raw_private, key_id.encode())
    return (nonce + sealed).hex(), kdf


def _open(row: UserKeyRow, password: str) -> Ed25519PrivateKey:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    blob = bytes.fromhex(row.sealed_private_key)
    try:
        raw = AESGCM(_derive(password, row.kdf)).decrypt(blob[:_NONCE], blob[_NONCE:], row.key_id.encode())
    except (InvalidTag, ValueError, KeyError):
        raise WrongPassword("wrong password: the signing key does not open with it") from None
    return Ed25519PrivateKey.from_private_bytes(raw)


def _new_key(
    user: UserRow, password: str, actor: Actor, now: datetime
) -> tuple[UserKeyRow, Ed25519PrivateKey]:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
        PublicFormat,
    )

    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    key_id = hashlib.sha256(public).hexdigest()
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    sealed, kdf = _seal(raw, password, key_id)
    row = UserKeyRow(
        user_id=user.id,
        key_id=key_id,
        public_key=public.hex(),
        sealed_private_key=sealed,
        kdf=dict(kdf),
        status="pending",
        registered_at=now,
        registered_by=actor.label,
        approved_at=None,
        approved_by=None,
        retired_at=None,
    )
    return row, private


# -- lookups -------------------------------------------------------------------------------------------------


def _keys_of(session: Session, user_id: int, status: str | None = None) -> list[UserKeyRow]:
    stmt = select(UserKeyRow).where(UserKeyRow.user_id == user_id)
    if status is not None:
        stmt = stmt.where(UserKeyRow.status == status)
    return list(session.execute(stmt.order_by(UserKeyRow.id)).scalars())


def _is_admin(session: Session, user_id: int) -> bool:
    stmt = select(UserRoleRow.id).where(
        UserRoleRow.user_id == user_id, UserRoleRow.role == ADMIN_ROLE, UserRoleRow.revoked_at.is_(None)
    )
    return session.execute(stmt).first() is not None


def _any_approved(session: Session) -> bool:
    stmt = select(UserKeyRow.id).where(UserKeyRow.approved_at.is_not(None)).limit(1)
    return session.execute(stmt).first() is not None


def unlock(session: Session, user: UserRow, password: str) -> tuple[UserKeyRow, Ed25519PrivateKey]:
    """The user's approved key, opened with their password: what every signature starts with.

    Refused (``PermissionDenied``) when the user has no approved key (none registered, or it awaits an admin's
    approval), and when the password does not open it.
    """
    approved = _keys_of(session, user.id, "approved")
    if not approved:
        pending = _keys_of(session, user.id, "pending")
        if pending:
            raise PermissionDenied(
                f"the signing key of {user.name} ({pending[-1].key_id[:12]}) awaits an admin's approval; "
                "it cannot sign yet"
            )
        raise PermissionDenied(
            f"{user.name} has no signing key: register one (`scalegate users key register`) and have an "
            "admin approve it"
        )
    if not password:
        raise InputError(f"signing needs {user.name}'s password at the moment of signing", where="password")
    return approved[-1], _open(approved[-1], password)


# -- registering, approving, retiring ------------------------------------------------------------------------


def _record_registered(
    workspace: Workspace, session: Session, actor: Actor, user: UserRow, key: UserKeyRow
) -> None:
    session.add(key)
    session.flush()
    workspace.record(
        session,
        actor,
        "user_key.registered",
        f"user:{user.name}",
        {"user": user.name, "user_id": user.id, "key_id": key.key_id, "public_key": key.public_key},
        rows=[key],
    )


def _approve(
    workspace: Workspace,
    session: Session,
    actor: Actor,
    key: UserKeyRow,
    owner: UserRow,
    approver: UserRow,
    approver_key: tuple[UserKeyRow, Ed25519PrivateKey] | None,
) -> None:
    """Approve ``key`` with the approver's signature (or, for the bootstrap key, its own) and log it; the
    owner's earlier approved keys retire in the same entry."""
    now = workspace.now()
    if approver_key is None:
        raise PermissionDenied("approving a key needs the approving admin's own signing key")
    signing_row, signing_private = approver_key
    statement = _approval_statement(key, owner, approver, signing_row.key_id, now)
    signed = sign_statement(signing_private, signing_row.key_id, statement)
    retired = [k for k in _keys_of(session, owner.id, "approved") if k.id != key.id]
    for old in retired:
        old.status, old.retired_at = "retired", now
    key.status, key.approved_at, key.approved_by = "approved", now, actor.label
    workspace.record(
        session,
        actor,
        "user_key.approved",
        f"user:{owner.name}",
        {
            "user": owner.name,
            "user_id": owner.id,
            "key_id": key.key_id,
            "retires": [k.key_id for k in retired],
            "signature": signed.to_entry(),
        },
        rows=[key, *retired],
    )


def issue_key(
    workspace: Workspace,
    session: Session,
    actor: Actor,
    user: UserRow,
    password: str,
    *,
    approver_password: str | None = None,
) -> UserKeyRow:
    """Give a user created with a password their first key, in the caller's transaction.

    The workspace's first key (its bootstrap admin's) approves itself. Any other is approved at once when the
    creating admin's password is given (their signature is the approval), and otherwise waits as pending.
    """
    key, private = _new_key(user, password, actor, workspace.now())
    _record_registered(workspace, session, actor, user, key)
    if not _any_approved(session) and _is_admin(session, user.id):
        _approve(workspace, session, actor, key, user, user, (key, private))
    elif approver_password is not None:
        approver = _approver(session, actor, user)
        _approve(workspace, session, actor, key, user, approver, unlock(session, approver, approver_password))
    return key


def _approver(session: Session, actor: Actor, owner: UserRow) -> UserRow:
    approver = session.get(UserRow, actor.user_id) if actor.user_id is not None else None
    if approver is None or not approver.active or not _is_admin(session, approver.id):
        raise PermissionDenied(f"{actor.label} is not an active admin and cannot approve signing keys")
    if approver.id == owner.id:
        raise PermissionDenied(f"{actor.label} may not approve their own signing key; another admin must")
    return approver


def register_key(workspace: Workspace, actor: Actor, password: str) -> KeyView:
    """Register a new key for the acting user (a first key, or a rotation), sealed under their password.

    The password must be the user's own (checked against their password hash). The key waits for an admin's
    approval; until then the user's earlier key, if any, keeps signing. The one exception: an admin's key in a
    workspace where no key was ever approved (users made before signing keys) approves itself, as the first
    admin's does when the workspace is created.
    """
    with workspace.transaction() as session:
        user = session.get(UserRow, actor.user_id) if actor.user_id is not None else None
        if user is None or not user.active:
            raise PermissionDenied(f"{actor.label} is not an active workspace user and cannot hold a key")
        _check_password(user, password)
        if _keys_of(session, user.id, "pending"):
            raise ConflictError(f"{user.name} already has a key awaiting approval")
        key, private = _new_key(user, password, actor, workspace.now())
        _record_registered(workspace, session, actor, user, key)
        if not _any_approved(session) and _is_admin(session, user.id):
            # A workspace that had users before keys existed: its first admin to register is the bootstrap.
            _approve(workspace, session, actor, key, user, user, (key, private))
        return _view(key, user)


PASSPHRASE_MIN = 12
"""Fewest characters of a signing passphrase (it alone guards the key of a user without a password)."""


def register_passphrase_key(workspace: Workspace, actor: Actor, passphrase: str) -> KeyView:
    """Register a key for a user who signs in only through single sign-on, sealed under a signing passphrase
    they choose now (``governance.sso``).

    Such a user has no local password to seal under; the passphrase is known to them alone and stored
    nowhere, not even as a hash: only the sealed key proves it. Refused for users who have a password (their
    key is sealed under it) and while a key awaits approval; the key waits for an admin's approval.
    """
    if len(passphrase) < PASSPHRASE_MIN:
        raise InputError(
            f"a signing passphrase needs at least {PASSPHRASE_MIN} characters", where="passphrase"
        )
    with workspace.transaction() as session:
        user = session.get(UserRow, actor.user_id) if actor.user_id is not None else None
        if user is None or not user.active:
            raise PermissionDenied(f"{actor.label} is not an active workspace user and cannot hold a key")
        if user.password_hash is not None:
            raise ConflictError(
                f"{user.name} signs with their password; register keys with `scalegate user key register`"
            )
        if _keys_of(session, user.id, "pending"):
            raise ConflictError(f"{user.name} already has a key awaiting approval")
        key, _ = _new_key(user, passphrase, actor, workspace.now())
        _record_registered(workspace, session, actor, user, key)
        return _view(key, user)


def approve_key(workspace: Workspace, actor: Actor, key_id: str, password: str) -> KeyView:
    """An admin approves another user's pending key, signing the approval with their own key."""
    with workspace.transaction() as session:
        key = _find(session, key_id)
        owner = session.get(UserRow, key.user_id)
        assert owner is not None
        approver = _approver(session, actor, owner)
        if key.status != "pending":
            raise ConflictError(f"key {key.key_id[:12]} is {key.status}; only a pending key can be approved")
        _approve(workspace, session, actor, key, owner, approver, unlock(session, approver, password))
        return _view(key, owner)


def retire_keys(workspace: Workspace, session: Session, actor: Actor, user: UserRow, why: str) -> None:
    """Retire every key of a user that is still usable (pending or approved), in the caller's transaction.

    Signatures made before stay valid; none can be made after."""
    usable = [k for k in _keys_of(session, user.id) if k.status in ("pending", "approved")]
    if not usable:
        return
    now = workspace.now()
    for key in usable:
        key.status, key.retired_at = "retired", now
    workspace.record(
        session,
        actor,
        "user_key.retired",
        f"user:{user.name}",
        {"user": user.name, "user_id": user.id, "key_ids": [k.key_id for k in usable], "why": why},
        rows=usable,
    )


def reseal(session: Session, user: UserRow, old_password: str, new_password: str) -> list[UserKeyRow]:
    """Seal the user's usable keys under a new password (the same keys: earlier signatures stay valid).

    ``PermissionDenied`` when the old password does not open them."""
    changed = []
    for key in _keys_of(session, user.id):
        if key.status not in ("pending", "approved"):
            continue
        from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

        raw = _open(key, old_password).private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        key.sealed_private_key, kdf = _seal(raw, new_password, key.key_id)
        key.kdf = dict(kdf)
        changed.append(key)
    return changed


def has_usable_key(session: Session, user_id: int) -> bool:
    """Whether the user holds a pending or approved key (a password change must re-seal it)."""
    return any(k.status in ("pending", "approved") for k in _keys_of(session, user_id))


@dataclass(frozen=True)
class SigningStanding:
    """How a user signs: with a key they hold (pending or approved), and whether they have a local password
    (a single sign-on user has none, so they choose a passphrase that seals their key)."""

    holds_key: bool
    local_password: bool

    @property
    def can_sign(self) -> bool:
        """A key is held, or one follows the password at the first signature."""
        return self.holds_key or self.local_password


def signing_standing(workspace: Workspace, user_id: int) -> SigningStanding | None:
    """The user's signing standing, read in a transaction of its own (None: no such user)."""
    with workspace.read() as session:
        user = session.get(UserRow, user_id)
        if user is None:
            return None
        return SigningStanding(has_usable_key(session, user.id), user.password_hash is not None)


def _check_password(user: UserRow, password: str) -> None:
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        PasswordHasher().verify(user.password_hash or "", password)
    except (VerificationError, InvalidHashError):
        raise WrongPassword(f"wrong password for {user.name}") from None


def _find(session: Session, key_id: str) -> UserKeyRow:
    matches = list(
        session.execute(select(UserKeyRow).where(UserKeyRow.key_id.startswith(key_id.lower()))).scalars()
    )
    if len(key_id) < 8 or len(matches) != 1:
        raise NotFoundError(f"no signing key {key_id!r} (give at least 8 hex digits of its id)", where="key")
    return matches[0]


# -- reading -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyView:
    """A signing key as the doors show it: never the sealed private key."""

    key_id: str
    user: str
    public_key: str
    status: str
    registered_at: datetime
    registered_by: str
    approved_at: datetime | None
    approved_by: str | None
    retired_at: datetime | None


def _view(key: UserKeyRow, owner: UserRow) -> KeyView:
    return KeyView(
        key_id=key.key_id,
        user=owner.name,
        public_key=key.public_key,
        status=key.status,
        registered_at=key.registered_at,
        registered_by=key.registered_by,
        approved_at=key.approved_at,
        approved_by=key.approved_by,
        retired_at=key.retired_at,
    )


def list_keys(workspace: Workspace, actor: Actor, user: str | None = None) -> list[KeyView]:
    """Signing keys of every user (or one), oldest first. Public keys are public: any user may read them."""
    stmt = select(UserKeyRow, UserRow).join(UserRow, UserRow.id == UserKeyRow.user_id).order_by(UserKeyRow.id)
    if user is not None:
        stmt = stmt.where(UserRow.name == user)
    with workspace.reading() as ctx:
        if user is None or user != actor.name:
            require(actor, "users.read", ctx.policy)
        return [_view(k, u) for k, u in ctx.session.execute(stmt)]
