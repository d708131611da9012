"""Throttling password guesses: failed sign-ins counted per user name and per client address.

A key (a user name, or a client address) that has failed ``limit`` times within the last ``window`` seconds
is refused until its oldest counted failure leaves the window: the server answers 429 with ``Retry-After``
and does not check the password at all, so a throttled guess teaches nothing, not even a correct one. Names
are counted whether or not such a user exists (refusing only real names would tell which names are real). A
successful sign-in clears its name's failures, never its address's.

The failures are rows of the store (``login_failures``), so every server process and host of the workspace
counts the same failures: ``serve --workers 4`` or four hosts allow a name ``per_user`` guesses in the window,
not four times as many. A row keeps the SHA-256 of the name or address (not the name a guesser typed, which
may be a password typed in the wrong box), and the time. Rows leave when their failure leaves the window, and
at most ``max_rows`` rows per kind are kept (the oldest dropped first), so a flood of fresh names cannot grow
the table without bound; the per-address limit still holds such a flood.

The table is not part of the record and the audit log does not cover it (``scalegate.audit.coverage``: a
failed guess is not a state change, logging one would let anyone without a credential grow the tamper-evident
log and move the state version every cache depends on). Someone who can write the store could clear it, but
could as well read the password hashes and guess offline, faster than any throttle allows online. Counting
is done outside the writer lock (PostgreSQL: autocommit statements), so a sign-in never waits for a long
write; two guesses racing on two servers may both be counted past the limit, by one each.

A password typed to sign (a sign-off, a consultation response: it opens the signer's key) is a guess too:
``password_attempt`` counts a wrong one against the signer's name and the address exactly like a failed
sign-in, so a stolen session cannot be used to try passwords at leisure through the signing forms.

Time is the server's wall clock (Unix seconds: hosts sharing a store must agree on it, as NTP makes them),
never the workspace's clock (which tests and demos may fix). The methods do blocking I/O: call them from a
worker thread, not the event loop.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.exc import SQLAlchemyError

from scalegate.errors import StoreError, TooManyRequests
from scalegate.store.models.throttle import LoginFailureRow

if TYPE_CHECKING:
    from scalegate.workspace import Workspace


__all__ = ["LoginThrottle", "ThrottleSettings"]


@dataclass(frozen=True)
class ThrottleSettings:
    """How many failed sign-ins are tolerated, per what, over how long."""

    per_user: int = 5
    """Failures of one user name within ``window`` before that name is refused."""
    per_address: int = 20
    """Failures from one client address within ``window`` before that address is refused."""
    window: float = 15 * 60.0
    """Seconds a failure is counted."""
    max_rows: int = 100_000
    """Failures kept per kind (names, addresses); past it the oldest are dropped."""


_F = LoginFailureRow


class LoginThrottle:
    """The failure counters of a workspace, kept in its store; safe to share between threads."""

    def __init__(
        self,
        workspace: Workspace,
        settings: ThrottleSettings | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings or ThrottleSettings()
        self.workspace = workspace
        self._clock = clock
        engine: Engine = workspace.engine
        if engine.dialect.name == "postgresql":  # single statements, outside the writer lock
            engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._engine = engine
        self._reader = engine.execution_options(scalegate_read=True)

    def check(self, name: str, address: str) -> None:
        """Refuse (``TooManyRequests``, with the seconds to wait) while the name or address is throttled."""
        now, conf = self._clock(), self.settings
        by_name = self._wait("name", _digest("name", _name_key(name)), conf.per_user, now)
        by_address = self._wait("address", _digest("address", address), conf.per_address, now)
        wait = max(by_name, by_address)
        if wait > 0:
            which = "this user name" if by_name >= by_address else "this address"
            raise TooManyRequests(
                f"too many failed sign-ins for {which}; try again in {math.ceil(wait)} s",
                retry_after=math.ceil(wait),
                where="login",
            )

    def failed(self, name: str, address: str) -> None:
        """Count a failed sign-in against the name and the address (and drop what has left the window)."""
        now = self._clock()
        rows = [
            {"scope": "name", "key": _digest("name", _name_key(name)), "failed_at": now},
            {"scope": "address", "key": _digest("address", address), "failed_at": now},
        ]
        with self._store("count a failed sign-in"), self._engine.begin() as conn:
            conn.execute(insert(_F), rows)
            conn.execute(delete(_F).where(_F.failed_at <= now - self.settings.window))
            for scope in ("name", "address"):
                self._cap(conn, scope)

    def succeeded(self, name: str) -> None:
        """Forget the name's failures (the address's stay counted)."""
        key = _digest("name", _name_key(name))
        with self._store("clear failed sign-ins"), self._engine.begin() as conn:
            conn.execute(delete(_F).where(_F.scope == "name", _F.key == key))

    def sizes(self) -> tuple[int, int]:
        """Failures kept now, of names and of addresses (for tests of the bound)."""
        with self._store("count failed sign-ins"), self._reader.connect() as conn:
            rows = conn.execute(select(_F.scope, func.count()).group_by(_F.scope)).all()
        counts = {str(scope): int(count) for scope, count in rows}
        return counts.get("name", 0), counts.get("address", 0)

    def _wait(self, scope: str, key: str, limit: int, now: float) -> float:
        """Seconds until ``key`` may try again: the ``limit``-th latest failure's end of window (0: now)."""
        query = (
            select(_F.failed_at)
            .where(_F.scope == scope, _F.key == key, _F.failed_at > now - self.settings.window)
            .order_by(_F.failed_at.desc())
            .offset(limit - 1)
            .limit(1)
        )
        with self._store("read failed sign-ins"), self._reader.connect() as conn:
            oldest = conn.execute(query).scalar_one_or_none()
        return 0.0 if oldest is None else max(0.0, float(oldest) + self.settings.window - now)

    def _cap(self, conn: Any, scope: str) -> None:
        cap = self.settings.max_rows
        edge = conn.execute(
            select(_F.id).where(_F.scope == scope).order_by(_F.id.desc()).offset(cap).limit(1)
        ).scalar_one_or_none()
        if edge is not None:
            conn.execute(delete(_F).where(_F.scope == scope, _F.id <= edge))

    @contextmanager
    def _store(self, doing: str) -> Iterator[None]:
        """A store error while counting is a ``StoreError`` (503): fail closed, never sign in unthrottled."""
        try:
            yield
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot {doing}: {getattr(exc, 'orig', exc)}", where="login") from exc


def _name_key(name: str) -> str:
    """Names differing only in case or surrounding spaces count as one."""
    return name.strip().casefold()


def _digest(scope: str, value: str) -> str:
    return hashlib.sha256(f"scalegate login failure\x1f{scope}\x1f{value}".encode()).hexdigest()
