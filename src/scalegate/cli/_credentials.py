"""Who runs a CLI command, proven: ``--as NAME`` with a credential, an API token, or a ``scalegate login``.

The CLI gathers what the caller presents and lets ``scalegate.governance.credentials`` decide:

- ``SCALEGATE_TOKEN``: an API token, standing for its user within its scopes;
- ``--as NAME`` with ``SCALEGATE_PASSWORD``: that user, if the password is theirs (for one command);
- the login session ``scalegate login`` kept in the OS keyring for this workspace;
- ``--as NAME`` alone: only in a demo workspace. In a production workspace a terminal is asked for NAME's
  password; without a terminal the command stops with one line saying how to authenticate.

The keyring is read only when nothing else settles the question, so a command given a token or a demo
name pays nothing for it.
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from typing import TYPE_CHECKING

from scalegate.actor import Actor
from scalegate.governance.credentials import (
    PASSWORD_ENV,
    TOKEN_ENV,
    CredentialRequired,
    Presented,
    authenticate,
)

if TYPE_CHECKING:
    from scalegate.workspace import Workspace

__all__ = ["cli_actor"]


def cli_actor(workspace: Workspace, user: str | None) -> Actor:
    """The authenticated actor of a command; the operating-system user with no roles when nobody is named
    and no credential is at hand (anything that needs a role is then refused)."""
    token = os.environ.get(TOKEN_ENV) or None
    password = os.environ.get(PASSWORD_ENV) or None
    presented = Presented(user=user or None, password=password, token=token)
    if not token and not (user and password) and not (user and workspace.demo):
        from scalegate.sdk.login import stored_login

        kept = stored_login(workspace)
        if kept is not None:
            presented = replace(presented, session_user=kept[0], session=kept[1])
    try:
        actor = authenticate(workspace, presented)
    except CredentialRequired:
        if not (user and sys.stdin.isatty()):
            raise
        from getpass import getpass

        actor = authenticate(workspace, replace(presented, password=getpass(f"Password of {user}: ")))
    return actor if actor is not None else Actor(name=os.environ.get("USER", "unknown"))
