"""One unit of work: a session in one transaction, the active policy that session sees, the time, the actor.

Every service function that reads or changes the store runs inside a ``Context``, opened by
``Workspace.reading()`` (a deferred read transaction) or ``Workspace.writing(actor)`` (a write transaction
that commits on success and rolls back on any error). The context is the only way to the active policy:
it is read through the context's own session, validated, and checked against the content hash recorded when
it was activated, so a policy edited in the store fails closed, and a policy activated by another process
is seen by the next context rather than by none. Validating a policy costs milliseconds, so each workspace
keeps the last validated version and reuses it while the store still names the same version and hash.
Loading the policy schema to validate it costs far more (pydantic builds every model when imported), so a
stored document that is byte for byte the validated form its hash was computed from is checked by that hash
alone, and its model is built only when first used (``ActivePolicy``).

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
from scalegate.canonical import digest
from scalegate.errors import IntegrityError, InternalError, NotFoundError
from scalegate.store.models.workspace import PolicyVersionRow

if TYPE_CHECKING:
    from collections.abc import Sequence

    from scalegate.policy import Policy
    from scalegate.store.base import Base
    from scalegate.workspace import Workspace

__all__ = ["ActivePolicy", "Context", "PolicyLoader", "joined", "reading", "verified_policy"]


class ActivePolicy:
    """The active policy and the identity of its version (recorded in every decision).

    ``PolicyLoader.load`` makes it once the stored document has passed the hash check. When the document is
    exactly the validated form its recorded hash was computed from, the ``Policy`` model is built on first use
    of ``policy``: a unit of work that never reads the policy (an ingestion whose permission no policy can
    grant) does not load the pydantic schema, a quarter of a second of start-up. Building it validates the
    document against the schema as ``verified_policy`` does, and fails closed the same way.
    """

    __slots__ = ("_document", "_lock", "_policy", "content_hash", "version_id")

    def __init__(
        self,
        policy: Policy | None,
        version_id: int,
        content_hash: str,
        *,
        document: dict[str, Any] | None = None,
    ) -> None:
        if policy is None and document is None:
            raise InternalError("an active policy needs its model or its hash-checked document")
        self._policy = policy
        self._document = document
        self._lock = threading.Lock()
        self.version_id = version_id
        self.content_hash = content_hash

    @property
    def policy(self) -> Policy:
        """The validated policy (built from the hash-checked document on first use)."""
        if self._policy is None:
            with self._lock:
                if self._policy is None:
                    assert self._document is not None
                    self._policy = verified_policy(
                        self._document, self.content_hash, self.version_id, "active policy"
                    )
        return self._policy

    def __repr__(self) -> str:
        return f"ActivePolicy(version_id={self.version_id}, content_hash={self.content_hash[:12]!r})"


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
    """The stored active policy, checked against its recorded hash (fail closed: ``IntegrityError``).

    The recorded hash is the digest of the validated policy's canonical JSON (``policy.content_hash``), which
    is what activation stores. A document whose own canonical digest is that hash is therefore the validated
    form, byte for byte, and its model is built when first used (``ActivePolicy.policy``). Any other document
    is validated now and its model's hash compared, so an edited policy fails here, before any use.
    """
    try:
        same = digest(row.document) == row.content_hash
    except (TypeError, ValueError):  # not canonical JSON (NaN, a foreign type): the full check decides
        same = False
    if same:
        return ActivePolicy(None, row.id, row.content_hash, document=row.document)
    policy = verified_policy(row.document, row.content_hash, row.id, "active policy")
    return ActivePolicy(policy, row.id, row.content_hash)


def verified_policy(document: dict[str, Any], recorded_hash: str, version_id: int, what: str) -> Policy:
    """A stored policy document, validated and checked against the hash recorded with it (fail closed:
    ``IntegrityError`` naming the version when either check fails); ``what`` names it in the message."""
    # deferred: the policy schema (pydantic, ~85 modules, a quarter of a second) only when a policy is
    # validated, so a command that never reads the policy (``evidence ingest``) does not pay for it.
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


def joined(workspace: Workspace, session: Session) -> Context:
    """A reading context over a transaction the caller already holds (code handed a bare session): the
    policy as that session sees it, hash-checked, and the time now."""
    return Context(session, workspace.active_in(session), workspace.now(), workspace)
