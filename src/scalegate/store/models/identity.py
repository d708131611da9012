"""Tables of people and their credentials: users, the roles they hold, their signing keys, API tokens and
browser sessions.

They are apart from the rest of governance (``scalegate.store.models.governance``) because every command
that acts as a user reads them, while the decisions and compliance records are read by far fewer: a command
such as ``evidence ingest`` then defines only the tables it uses. Rows are written only by
``scalegate.governance``; each write is recorded in the audit log with the row digests.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scalegate.store.base import Base

__all__ = ["ApiTokenRow", "SessionRow", "UserKeyRow", "UserRoleRow", "UserRow"]


class UserRow(Base):
    """A person who may act in the workspace. Passwords are argon2 hashes; OIDC users are linked by
    (issuer, sub)."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject", name="uq_users_oidc_identity"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320))
    password_hash: Mapped[str | None] = mapped_column(Text)
    oidc_issuer: Mapped[str | None] = mapped_column(String(500))
    oidc_subject: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))


class UserRoleRow(Base):
    """A role held by a user (a role id of the policy, or `admin`), kept after revocation as history: who held
    which role when is itself a governance record."""

    __tablename__ = "user_roles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(50))
    granted_at: Mapped[datetime]
    granted_by: Mapped[str] = mapped_column(String(200))
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(200))


class UserKeyRow(Base):
    """A user's Ed25519 signing key. The private key is stored only sealed (AES-256-GCM) under a key derived
    from the user's password with argon2id, whose parameters and salt are in ``kdf``. A key signs only once an
    admin's signed approval is in the audit log (``status`` approved) and until it is retired."""

    __tablename__ = "user_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    key_id: Mapped[str] = mapped_column(String(64), unique=True)
    """SHA-256 of the raw public key, hex."""
    public_key: Mapped[str] = mapped_column(String(64))
    """The raw 32-byte public key, hex."""
    sealed_private_key: Mapped[str] = mapped_column(Text)
    """Nonce and AES-GCM ciphertext of the raw private key, hex."""
    kdf: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(20))  # pending | approved | retired
    registered_at: Mapped[datetime]
    registered_by: Mapped[str] = mapped_column(String(200))
    approved_at: Mapped[datetime | None]
    approved_by: Mapped[str | None] = mapped_column(String(200))
    retired_at: Mapped[datetime | None]


class ApiTokenRow(Base):
    """An API token: only the SHA-256 of the secret is stored; scoped to actions and always expiring."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    secret_sha256: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[Any]]
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class SessionRow(Base):
    """A signed-in browser session, kept on the server: the cookie carries a random secret, of which only the
    SHA-256 is stored. A session ends at logout, on a password change or when it expires; an ended session is
    kept as history (who was signed in when is itself a record)."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(30))  # logout | password_changed
