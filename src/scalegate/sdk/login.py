"""A login session kept in the operating system's keyring, for the CLI and the local SDK.

``scalegate login NAME`` checks the user's password, opens a server-side session for them
(``scalegate.governance.sessions``: the store keeps only the secret's SHA-256, so the session can be ended
and an inserted or edited session row fails ``audit verify``) and keeps the secret in the OS keyring through
the ``keyring`` package, under the workspace's URL (without any database password). Later commands against
the same workspace present it, until ``scalegate logout`` ends the session and forgets the secret, or the
session expires, or the user's password changes.

On a machine without a desktop keyring (a headless server, CI) ``keyring`` has no usable backend; the
secret then goes to the file backend of ``keyrings.alt`` (a file in the user's data directory, made
readable by its owner only), which is no weaker than an SSH key on the same disk. There the file is used
directly: asking ``keyring`` to discover its backends costs seconds, and every command that names no user
would pay it; and when the file does not exist nothing is imported at all.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scalegate.errors import AuthenticationError, InputError

if TYPE_CHECKING:
    from scalegate.governance.sessions import StartedSession
    from scalegate.workspace import Workspace

__all__ = ["DEFAULT_HOURS", "forget_login", "login", "logout", "stored_login"]

SERVICE = "scalegate"
"""The keyring service name every entry is kept under; the entry's user name is the workspace URL."""

DEFAULT_HOURS = 12
"""How long a login lasts unless told otherwise: a working day."""


def _headless() -> bool:
    """A Linux machine with no desktop session bus and no backend chosen by ``PYTHON_KEYRING_BACKEND``: the
    OS offers no keyring, so the ``keyrings.alt`` file is the one."""
    return (
        sys.platform.startswith("linux")
        and not os.environ.get("DBUS_SESSION_BUS_ADDRESS")
        and not os.environ.get("PYTHON_KEYRING_BACKEND")
    )


def _file_path() -> Path:
    """Where the ``keyrings.alt`` file backend keeps its entries (``keyring``'s data root on Linux)."""
    root = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(root) / "python_keyring" / "keyring_pass.cfg"


def _keyring() -> Any:
    """The OS keyring, or the ``keyrings.alt`` file backend where the OS offers none."""
    if _headless():
        from keyrings.alt.file import PlaintextKeyring  # type: ignore[import-untyped]

        return PlaintextKeyring()
    import keyring
    from keyring.backends import chainer, fail

    chosen = keyring.get_keyring()
    if isinstance(chosen, fail.Keyring) or (
        isinstance(chosen, chainer.ChainerBackend) and not chosen.backends
    ):
        from keyrings.alt.file import PlaintextKeyring

        return PlaintextKeyring()
    return chosen


def _private(backend: Any) -> None:
    """Make a file backend's file readable by its owner only."""
    path = getattr(backend, "file_path", None)
    if isinstance(path, str) and Path(path).exists():
        os.chmod(path, 0o600)


def stored_login(workspace: Workspace) -> tuple[str, str] | None:
    """``(user, session secret)`` kept for this workspace, or None."""
    if _headless() and not _file_path().exists():
        return None
    try:
        text = _keyring().get_password(SERVICE, workspace.safe_url)
    except Exception:  # a broken keyring is no login, never a crash
        return None
    if not text:
        return None
    try:
        doc = json.loads(text)
        return str(doc["user"]), str(doc["session"])
    except (ValueError, KeyError, TypeError):
        return None


def login(workspace: Workspace, user: str, password: str, *, hours: int = DEFAULT_HOURS) -> StartedSession:
    """Check ``user``'s password, open a session of ``hours`` and keep its secret in the keyring."""
    # deferred: the local store (~270 modules, ~0.4 s): ``import scalegate.sdk`` stays light for a
    # remote client, which never logs in here
    from scalegate.governance.sessions import MAX_SESSION_SECONDS, start_session
    from scalegate.governance.users import authenticate_password

    if not 1 <= hours * 3600 <= MAX_SESSION_SECONDS:
        raise InputError(f"a login lasts 1..{MAX_SESSION_SECONDS // 3600} hours, not {hours}", where="hours")
    actor = authenticate_password(workspace, user, password)
    started = start_session(workspace, actor, lifetime_seconds=hours * 3600)
    backend = _keyring()
    try:
        backend.set_password(
            SERVICE, workspace.safe_url, json.dumps({"user": user, "session": started.secret})
        )
    except Exception as exc:
        # deferred: the local store (~270 modules), as in ``login``
        from scalegate.governance.sessions import end_session

        end_session(workspace, started.secret)
        raise AuthenticationError(f"cannot keep the login in the keyring: {exc}", where="keyring") from exc
    _private(backend)
    return started


def logout(workspace: Workspace) -> str | None:
    """End this workspace's login session and forget it; returns the user it was for (None: none kept)."""
    # deferred: the local store (~270 modules), as in ``login``
    from scalegate.governance.sessions import end_session

    kept = stored_login(workspace)
    if kept is None:
        return None
    end_session(workspace, kept[1])
    forget_login(workspace)
    return kept[0]


def forget_login(workspace: Workspace) -> None:
    """Remove this workspace's entry from the keyring (nothing to remove is fine)."""
    from keyring.errors import PasswordDeleteError

    with contextlib.suppress(PasswordDeleteError):
        _keyring().delete_password(SERVICE, workspace.safe_url)
