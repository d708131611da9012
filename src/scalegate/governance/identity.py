"""Resolving a named user, or the user id a signed-in session holds, to an ``Actor`` with the roles recorded
in the workspace."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from scalegate.actor import Actor
from scalegate.governance.users import actor_for
from scalegate.store.models.identity import UserRow

if TYPE_CHECKING:
    from scalegate.workspace import Workspace

__all__ = ["resolve_actor", "session_actor"]


def resolve_actor(workspace: Workspace, name: str) -> Actor:
    """The actor for a user name, with the roles the user holds now.

    An unknown name, or a deactivated user, has no roles, so anything that needs a role is refused; it is not
    an error here because reading the policy or asking the gate needs no role.
    """
    with workspace.read() as session:
        user = session.execute(select(UserRow).where(UserRow.name == name)).scalar_one_or_none()
        if user is None:
            return Actor(name=name)
        return actor_for(session, user)


def session_actor(workspace: Workspace, user_id: int) -> Actor | None:
    """The actor of a signed-in user, with the roles held now; None when the user is gone or deactivated.

    A deactivated user is nobody: the session that signed them in ends, rather than continuing as a user
    without roles, so deactivating someone also signs them out everywhere.
    """
    with workspace.read() as session:
        user = session.get(UserRow, user_id)
        if user is None or not user.active:
            return None
        return actor_for(session, user)
