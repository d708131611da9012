"""Throttling password guesses: failed sign-ins counted per user name and per client address.

A key (a user name, or a client address) that has failed ``limit`` times within the last ``window`` seconds
is refused until its oldest counted failure leaves the window: the server answers 429 with ``Retry-After``
and does not check the password at all, so a throttled guess teaches nothing, not even a correct one. Names
are counted whether or not such a user exists (refusing only real names would tell which names are real). A
successful sign-in clears its name's failures, never its address's.

The counters live in the server process, in memory, bounded: at most ``max_keys`` keys per kind, the least
recently failed dropped first, each holding at most ``limit`` times. An attacker who fills the table with
fresh names evicts old ones, but the per-address limit still holds them. Several worker processes each
count on their own (the limit is then per process); the store holds no counters because a failed guess is
not a state change of the record.

A password typed to sign (a sign-off, a consultation response: it opens the signer's key) is a guess too:
``password_attempt`` counts a wrong one against the signer's name and the address exactly like a failed
sign-in, so a stolen session cannot be used to try passwords at leisure through the signing forms.

Time is the server's monotonic clock, never the workspace's clock (which tests and demos may fix).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from scalegate.errors import TooManyRequests, WrongPassword

__all__ = ["LoginThrottle", "ThrottleSettings", "client_address", "password_attempt"]


@dataclass(frozen=True)
class ThrottleSettings:
    """How many failed sign-ins are tolerated, per what, over how long."""

    per_user: int = 5
    """Failures of one user name within ``window`` before that name is refused."""
    per_address: int = 20
    """Failures from one client address within ``window`` before that address is refused."""
    window: float = 15 * 60.0
    """Seconds a failure is counted."""
    max_keys: int = 10_000
    """Names (and, separately, addresses) remembered at once."""


class _Counter:
    """Failure times per key, oldest key first, bounded in keys and in times per key."""

    def __init__(self, limit: int, window: float, max_keys: int) -> None:
        self.limit, self.window, self.max_keys = limit, window, max_keys
        self._times: OrderedDict[str, deque[float]] = OrderedDict()

    def wait(self, key: str, now: float) -> float:
        """Seconds until ``key`` may try again (0: now)."""
        times = self._times.get(key)
        if times is None:
            return 0.0
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._times[key]
            return 0.0
        return times[0] + self.window - now if len(times) >= self.limit else 0.0

    def fail(self, key: str, now: float) -> None:
        times = self._times.pop(key, None) or deque(maxlen=self.limit)
        times.append(now)
        self._times[key] = times  # most recently failed last
        while len(self._times) > self.max_keys:
            self._times.popitem(last=False)

    def clear(self, key: str) -> None:
        self._times.pop(key, None)

    def __len__(self) -> int:
        return len(self._times)


class LoginThrottle:
    """The failure counters of one server; thread-safe (sign-ins are checked in worker threads)."""

    def __init__(
        self, settings: ThrottleSettings | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.settings = conf = settings or ThrottleSettings()
        self._clock = clock
        self._lock = threading.Lock()
        self._users = _Counter(conf.per_user, conf.window, conf.max_keys)
        self._addresses = _Counter(conf.per_address, conf.window, conf.max_keys)

    def check(self, name: str, address: str) -> None:
        """Refuse (``TooManyRequests``, with the seconds to wait) while the name or address is throttled."""
        now = self._clock()
        with self._lock:
            by_name = self._users.wait(_name_key(name), now)
            by_address = self._addresses.wait(address, now)
        wait = max(by_name, by_address)
        if wait > 0:
            which = "this user name" if by_name >= by_address else "this address"
            raise TooManyRequests(
                f"too many failed sign-ins for {which}; try again in {math.ceil(wait)} s",
                retry_after=math.ceil(wait),
                where="login",
            )

    def failed(self, name: str, address: str) -> None:
        """Count a failed sign-in against the name and the address."""
        now = self._clock()
        with self._lock:
            self._users.fail(_name_key(name), now)
            self._addresses.fail(address, now)

    def succeeded(self, name: str) -> None:
        """Forget the name's failures (the address's stay counted)."""
        with self._lock:
            self._users.clear(_name_key(name))

    def sizes(self) -> tuple[int, int]:
        """Names and addresses remembered now (for tests of the bound)."""
        with self._lock:
            return len(self._users), len(self._addresses)


def client_address(request: Any) -> str:
    """The address a request came from (the peer: the server trusts no forwarding header)."""
    client = getattr(request, "client", None)
    return str(client.host) if client is not None else "unknown"


@contextmanager
def password_attempt(request: Any, name: str) -> Iterator[None]:
    """Around a service call that checks ``name``'s password: refused while throttled, and a wrong password
    (``WrongPassword``) counted as a failed sign-in."""
    throttle: LoginThrottle = request.app.state.throttle
    address = client_address(request)
    throttle.check(name, address)
    try:
        yield
    except WrongPassword:
        throttle.failed(name, address)
        raise


def _name_key(name: str) -> str:
    """Names differing only in case or surrounding spaces count as one."""
    return name.strip().casefold()
