"""Assessing the record under a policy that is not active, writing nothing.

``reading_under(workspace, policy)`` opens a reading ``Context`` on the workspace's store whose policy is
``policy`` instead of the active one. Everything that reads the policy during an assessment and a gate
decision sees the candidate: the context (``ctx.policy``), and the code that asks the workspace for it
(trigger rules, safeguard standards, decision rules), because the context's workspace is a
``CandidateWorkspace``: a view of the same store whose policy loader always answers with the candidate and
whose write paths refuse to run. So ``assess(ctx, ref)`` and ``gate.decide(assessment, action, ctx)`` give
what the engine would conclude on the same evidence if ``policy`` governed the workspace.

What carries over from the record, and what does not:

* Evidence, checkpoints, safeguard implementations and their evidence are facts: they are read as they are,
  matched to the candidate's own indicators and criteria.
* Sign-offs do not transfer. Every decision is bound to the content hash of the policy it was opened under
  (``bound_state["policy"]``); under a candidate with another hash each one is stale (``decision.stale``,
  key ``policy``), so a framework that requires a determination asks for one made under it (fail closed).
  A candidate identical to the active policy (same hash) sees the decisions exactly as the gate does.
* The candidate counts as adopted when the active policy was (its version id is the active one's), so
  cadences measured from adoption (Risk Reports) run over the same history.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn

from sqlalchemy.orm import Session

from scalegate.context import ActivePolicy, Context, PolicyLoader
from scalegate.errors import InternalError
from scalegate.policy import Policy, content_hash
from scalegate.workspace import Workspace

if TYPE_CHECKING:
    from scalegate.actor import Actor

__all__ = ["CandidateWorkspace", "context_under", "reading_under"]


class _CandidateLoader(PolicyLoader):
    """A policy loader that answers with the candidate, labelled with the active version's id."""

    def __init__(self, policy: Policy, digest: str, active: PolicyLoader) -> None:
        super().__init__()
        self._candidate = policy
        self._digest = digest
        self._active = active

    def load(self, session: Session) -> ActivePolicy:
        active = self._active.load(session)  # the store must still have a valid active policy
        if active.content_hash == self._digest:
            return active
        return ActivePolicy(self._candidate, active.version_id, self._digest)


class CandidateWorkspace(Workspace):
    """The workspace's store seen under a candidate policy: reads only.

    Opening a write transaction, a writing context or appending an audit entry raises ``InternalError``, so
    no code path reached from an assessment under a candidate can change the store.
    """

    def __init__(self, base: Workspace, policy: Policy) -> None:
        super().__init__(base.engine, base.url, base.clock, base.mode)
        self.base = base
        self.candidate_hash = content_hash(policy)
        self._policies = _CandidateLoader(policy, self.candidate_hash, base._policies)

    def transaction(self) -> NoReturn:
        raise InternalError("an assessment under a candidate policy cannot change the store")

    def writing(self, actor: Actor) -> NoReturn:
        raise InternalError("an assessment under a candidate policy cannot change the store")

    def record(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise InternalError("an assessment under a candidate policy cannot change the store")


@contextmanager
def reading_under(workspace: Workspace, policy: Policy) -> Iterator[Context]:
    """A reading context on ``workspace``'s store in which ``policy`` stands for the active policy.

    Assess and decide in it as in any reading context; it writes nothing (see the module docstring for what
    carries over from the record).
    """
    base = workspace.base if isinstance(workspace, CandidateWorkspace) else workspace
    with CandidateWorkspace(base, policy).reading() as ctx:
        yield ctx


def context_under(ctx: Context, policy: Policy) -> Context:
    """The caller's unit of work (its session, snapshot and time) with ``policy`` standing for the active one.

    Several candidates judged in one reading context see exactly the same record. The context has no actor
    and its workspace refuses every write, so nothing decided in it can be recorded.
    """
    base = ctx.workspace.base if isinstance(ctx.workspace, CandidateWorkspace) else ctx.workspace
    candidate = CandidateWorkspace(base, policy)
    return Context(ctx.session, candidate.active_in(ctx.session), ctx.now, candidate)
