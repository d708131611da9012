"""Reactions other domains register with governance: what happens when a decision is signed, and where the
compliance calendar's deadlines come from.

The sign-off engine (``governance.decisions``) is generic: it knows roles, separation of duties and bound
state, not what a policy change or a capability determination means. The domains that know say so here, as
typed values, instead of the engine importing them (which made a cycle) or a door choosing which sign function
to call (which made the rule depend on the door):

- ``DecisionHooks(decision_type, on_ready=..., on_closed=...)``. ``on_ready`` runs before an approving
  signature of that type is recorded and may refuse it by raising (a policy change cannot be approved before
  the consulted roles have answered). ``on_closed`` runs when a signature closes the decision (approved or
  rejected), in the same transaction as that signature, and returns the rows it changed; they go into the
  signature's audit entry. If a handler raises, the signature is rolled back with everything else, so "the
  determination is approved" and "the assessment is complete" commit together or not at all.
- ``CalendarSource(name, items, ...)``: a callable returning calendar items, merged by
  ``governance.calendar.compliance_calendar``.

The set in force is installed once per process by ``scalegate.wiring`` (the list of every plugin, in the
manner of datasette's ``DEFAULT_PLUGINS``), which every door calls when it opens a workspace.
``decisions.sign`` and the calendar ask ``installed()`` and refuse with an ``InternalError`` when nothing was
installed: a door that forgot the wiring fails closed instead of approving a determination without completing
its assessment, or showing a calendar that silently lost a source.

This module imports no domain: handlers import it, never the other way round.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from scalegate.errors import InternalError

if TYPE_CHECKING:
    from scalegate.calendar_types import CalendarItem
    from scalegate.context import Context
    from scalegate.policy.rules import DecisionType
    from scalegate.store.base import Base
    from scalegate.store.models.governance import DecisionRow
    from scalegate.workspace import Workspace

__all__ = [
    "CalendarSource",
    "ClosedHandler",
    "DecisionHooks",
    "Hooks",
    "Plugin",
    "ReadyCheck",
    "defer",
    "install",
    "installed",
    "installed_as",
]


class ReadyCheck(Protocol):
    """Called before an approving signature is recorded; raises (e.g. ``ConflictError``) to refuse it."""

    def __call__(self, ctx: Context, decision: DecisionRow, /) -> None: ...


class ClosedHandler(Protocol):
    """Called in the signing transaction once ``decision.status`` is `approved` or `rejected`; returns the
    rows it changed, whose digests go into the signature's audit entry (rows it records in an audit entry of
    its own need not be returned)."""

    def __call__(self, ctx: Context, decision: DecisionRow, /) -> Sequence[Base]: ...


@dataclass(frozen=True)
class DecisionHooks:
    """What one domain does around the sign-off of one decision type."""

    decision_type: DecisionType
    on_ready: ReadyCheck | None = None
    on_closed: ClosedHandler | None = None


@dataclass(frozen=True)
class CalendarSource:
    """One domain's deadlines for the compliance calendar."""

    name: str
    """Shown when the source fails (its error becomes an overdue item) and in the compliance check."""
    items: Callable[[Workspace], Sequence[CalendarItem]]
    """The source's deadlines at the workspace's current time."""
    cadence_kinds: frozenset[str] = field(default_factory=frozenset)
    """Kinds of policy cadence whose deadlines this source computes itself (safeguards knows when each
    determination was signed, so it owns `reapproval`); governance leaves those cadences out."""
    record_findings: Callable[[Workspace], Sequence[object]] | None = None
    """The source records findings for its overdue items itself (under its own finding kind); None: the
    compliance check records one finding per overdue item."""


Plugin = DecisionHooks | CalendarSource
"""Anything ``install`` accepts."""


@dataclass(frozen=True)
class Hooks:
    """An installed set of plugins, looked up by the engine and the calendar."""

    decisions: tuple[DecisionHooks, ...] = ()
    calendar: tuple[CalendarSource, ...] = ()

    @classmethod
    def of(cls, *plugins: Plugin) -> Hooks:
        """The set of ``plugins``, kept in order; a calendar source name may appear once."""
        decisions = tuple(p for p in plugins if isinstance(p, DecisionHooks))
        calendar = tuple(p for p in plugins if isinstance(p, CalendarSource))
        names = [s.name for s in calendar]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise InternalError(f"calendar sources installed twice: {', '.join(repeated)}")
        return cls(decisions, calendar)

    def ready_checks(self, decision_type: str) -> list[ReadyCheck]:
        """The ``on_ready`` checks of a decision type, in installation order."""
        return [h.on_ready for h in self.decisions if h.decision_type == decision_type and h.on_ready]

    def closed_handlers(self, decision_type: str) -> list[ClosedHandler]:
        """The ``on_closed`` handlers of a decision type, in installation order."""
        return [h.on_closed for h in self.decisions if h.decision_type == decision_type and h.on_closed]

    def cadence_kinds(self) -> frozenset[str]:
        """Cadence kinds some calendar source computes itself."""
        return frozenset().union(*(s.cadence_kinds for s in self.calendar))


_installed: Hooks | None = None
_deferred: Callable[[], Hooks] | None = None


def install(*plugins: Plugin) -> Hooks:
    """Install ``plugins`` as this process's hooks, replacing any installed before; returns the set."""
    global _installed
    _installed = Hooks.of(*plugins)
    return _installed


def defer(loader: Callable[[], Hooks]) -> None:
    """Have ``installed()`` call ``loader`` (``scalegate.wiring.install``) the first time hooks are needed.

    For a door that starts a process per command, most of which never sign or read the calendar: importing
    every plugin's domain costs such a command (``scalegate evidence ingest``) a large share of its run time.
    It still fails closed: with neither ``install`` nor ``defer``, ``installed()`` refuses.
    """
    global _deferred
    _deferred = loader


def installed() -> Hooks:
    """The installed hooks; ``InternalError`` if none were (the door never called ``scalegate.wiring``)."""
    if _installed is None and _deferred is not None:
        _deferred()
    if _installed is None:
        raise InternalError(
            "governance hooks are not installed: call scalegate.wiring.install() when opening a workspace "
            "(without them a signature could close a decision without what must happen with it)"
        )
    return _installed


@contextmanager
def installed_as(hooks: Hooks | None) -> Iterator[Hooks | None]:
    """Run a block with ``hooks`` installed (None: none), then put back what was there (for tests)."""
    global _installed, _deferred
    before, deferred = _installed, _deferred
    _installed, _deferred = hooks, None
    try:
        yield hooks
    finally:
        _installed, _deferred = before, deferred
