"""One unit of work: a session in one transaction, the active policy that session sees, the time, the actor.

Every service function that reads or changes the store runs inside a ``Context``, opened by
``Workspace.reading()`` (a deferred read transaction) or ``Workspace.writing(actor)`` (a write transaction
that commits on success and rolls back on any error). The context is the only way to the active policy:
it is read through the context's own session, validated, and checked against the content hash recorded when
it was activated, so a policy edited in the store fails closed, and a policy activated by another process
is seen by the next context rather than by none. Validating a policy costs milliseconds, so each workspace
keeps the last validated version and reuses it while the store still names the same version and hash.

Because the policy is read through the context's session, a service never opens a second transaction to learn
it (on SQLite a second session inside a write transaction would only see the state before it).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scalegate.actor import Actor
from scalegate.errors import IntegrityError, InternalError, NotFoundError
from scalegate.store.models.workspace import PolicyVersionRow

if TYPE_CHECKING:
    from scalegate.policy import Policy
    from collections.abc import Sequence

    from scalegate.store.base import Base
    from scalegate.workspace import Workspace

__all__ = ["ActivePolicy", "Context", "PolicyLoader", "reading", "verified_policy"]


@dataclass(frozen=True)
class ActivePolicy:
    """The active policy and the identity of its version (recorded in every decision)."""

    policy: Policy
    version_id: int
    content_hash: str


class PolicyLoader:
    """Reads the active policy through a session; keeps the last validated version of one workspace."""

    def __init__(self) -> None:
        self._kept: ActivePolicy | None = None
        self._lock = threading.Lock()

    def load(self, session: Session) -> ActivePolicy:
        """The active policy as ``session`` sees it, hash-checked (fails closed on a mismatch or bad file)."""
        found = session.execute(
            select(PolicyVersionRow.id, PolicyVersionRow.content_hash).where(
                PolicyVersionRow.status == "active"
            )
        ).first()
        if found is None:
            raise NotFoundError("workspace has no active policy", where="policy")
        version_id, recorded = int(found[0]), str(found[1])
        kept = self._kept
        if kept is not None and kept.version_id == version_id and kept.content_hash == recorded:
            return kept
        row = session.get(PolicyVersionRow, version_id)
        if row is None:  # pragma: no cover - the row was just read in this transaction
            raise NotFoundError("workspace has no active policy", where="policy")
        active = _validated(row)
        with self._lock:
            self._kept = active
        return active

    def forget(self) -> None:
        """Drop the kept version (the next load validates again)."""
        with self._lock:
            self._kept = None


def _validated(row: PolicyVersionRow) -> ActivePolicy:
    """Validate the stored active policy and check it against its recorded hash."""
    policy = verified_policy(row.document, row.content_hash, row.id, "active policy")
    return ActivePolicy(policy, row.id, row.content_hash)


def verified_policy(document: dict[str, Any], recorded_hash: str, version_id: int, what: str) -> Policy:
    """A stored policy document, validated and checked against the hash recorded with it (fail closed:
    ``IntegrityError`` naming the version when either check fails); ``what`` names it in the message."""
    # The schema (pydantic, a quarter of a second to import) is loaded only when a policy is validated, so
    # a command that never reads the policy (``evidence ingest``) does not pay for it.
    from pydantic import ValidationError

    from scalegate.policy import Policy, content_hash

    where = f"policy_versions[{version_id}]"
    try:
        policy = Policy.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "policy"
        raise IntegrityError(f"stored {what} is invalid: {field}: {first['msg']}", where=where) from exc
    if content_hash(policy) != recorded_hash:
        raise IntegrityError(
            f"stored {what} does not match its recorded hash {recorded_hash[:12]}", where=where
        )
    return policy


@dataclass(frozen=True, eq=False)
class Context:
    """A session in one transaction, with the hash-checked active policy, the time and the acting user.

    ``now`` is read once when the context opens, so every rule applied within one unit of work sees the same
    instant (a deadline cannot pass halfway through a verdict).
    """

    session: Session
    active: ActivePolicy
    now: datetime
    workspace: Workspace
    actor: Actor | None = None
    """Who acts; None in a reading context."""

    @property
    def policy(self) -> Policy:
        """The active policy."""
        return self.active.policy

    @property
    def writable(self) -> bool:
        """Whether this context may change the store (opened by ``Workspace.writing``)."""
        return self.actor is not None

    def record(self, event: str, subject: str, data: dict[str, Any], rows: Sequence[Base] = ()) -> int:
        """Append the audit entry of a change made in this context, in its transaction, by its actor."""
        if self.actor is None:
            raise InternalError(f"{event}: a reading context cannot record a change")
        return self.workspace.record(self.session, self.actor, event, subject, data, rows)


@contextmanager
def reading(where: Workspace | Context) -> Iterator[Context]:
    """The caller's context, or a new reading one on ``where``.

    A service that reads takes either a workspace (it opens and closes its own transaction) or a context (it
    joins the caller's unit of work, seeing the same snapshot, policy and time), so no service needs an
    ``_in_session`` twin.
    """
    if isinstance(where, Context):
        yield where
    else:
        with where.reading() as ctx:
            yield ctx
