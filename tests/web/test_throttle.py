"""The login throttle's counting, window and bounds, on a clock the test moves (the HTTP behaviour is tested
over real uvicorn in ``test_sessions``)."""

from __future__ import annotations

import pytest

from scalegate.errors import TooManyRequests
from scalegate.web.throttle import LoginThrottle, ThrottleSettings


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _throttle(ticks: Ticks, *, max_keys: int = 50, per_address: int = 6) -> LoginThrottle:
    conf = ThrottleSettings(per_user=3, per_address=per_address, window=60.0, max_keys=max_keys)
    return LoginThrottle(conf, clock=ticks)


def test_the_limit_refuses_until_the_oldest_failure_leaves_the_window() -> None:
    ticks = Ticks()
    throttle = _throttle(ticks)
    for _ in range(3):
        throttle.check("ada", "10.0.0.1")
        throttle.failed("ada", "10.0.0.1")
        ticks.now += 10
    with pytest.raises(TooManyRequests) as refused:
        throttle.check("ada", "10.0.0.2")  # another address: the name itself is throttled
    assert refused.value.retry_after == 30  # first failure at 1000, window 60, now 1030
    assert refused.value.http_status == 429
    ticks.now = 1060.5
    throttle.check("ada", "10.0.0.2")  # the first failure has left the window


def test_success_clears_the_name_but_not_the_address() -> None:
    ticks = Ticks()
    throttle = _throttle(ticks)
    for i in range(5):
        throttle.failed(f"name-{i % 2}", "10.0.0.1")
    throttle.succeeded("name-0")
    throttle.check("name-0", "10.0.0.9")
    throttle.failed("name-0", "10.0.0.1")  # the sixth failure from this address
    with pytest.raises(TooManyRequests, match="this address"):
        throttle.check("someone-else", "10.0.0.1")


def test_memory_stays_bounded_under_a_flood_of_fresh_names() -> None:
    ticks = Ticks()
    throttle = _throttle(ticks, max_keys=50, per_address=10**9)
    for i in range(10_000):
        throttle.failed(f"name-{i}", f"10.0.{i // 256}.{i % 256}")
    assert throttle.sizes() == (50, 50)
    # the most recent names are the ones kept
    for _ in range(2):
        throttle.failed("name-9999", "10.0.39.15")
    with pytest.raises(TooManyRequests):
        throttle.check("name-9999", "192.0.2.1")
