"""The login throttle's counting, window and bounds, kept in the store, on a clock the test moves (the HTTP
behaviour is tested over real uvicorn in ``test_sessions``; across server processes in
``test_many_servers``)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from scalegate.audit.verify import verify
from scalegate.errors import TooManyRequests
from scalegate.governance.login_throttle import LoginThrottle, ThrottleSettings
from scalegate.store.models.throttle import LoginFailureRow
from scalegate.workspace import Workspace


class Ticks:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _throttle(ws: Workspace, ticks: Ticks, *, max_rows: int = 50, per_address: int = 6) -> LoginThrottle:
    conf = ThrottleSettings(per_user=3, per_address=per_address, window=60.0, max_rows=max_rows)
    return LoginThrottle(ws, conf, clock=ticks)


def test_the_limit_refuses_until_the_oldest_failure_leaves_the_window(workspace: Workspace) -> None:
    ticks = Ticks()
    throttle = _throttle(workspace, ticks)
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


def test_two_servers_count_the_same_failures(workspace: Workspace) -> None:
    """Two throttles over one store (two server processes): failures counted by one refuse at the other."""
    ticks = Ticks()
    first, second = _throttle(workspace, ticks), _throttle(workspace, ticks)
    first.failed("ada", "10.0.0.1")
    second.failed(" ADA ", "10.0.0.2")
    first.check("ada", "10.0.0.3")
    second.failed("ada", "10.0.0.3")
    with pytest.raises(TooManyRequests, match="this user name"):
        first.check("ada", "10.0.0.4")
    second.succeeded("ada")
    first.check("ada", "10.0.0.4")


def test_success_clears_the_name_but_not_the_address(workspace: Workspace) -> None:
    ticks = Ticks()
    throttle = _throttle(workspace, ticks)
    for i in range(5):
        throttle.failed(f"name-{i % 2}", "10.0.0.1")
    throttle.succeeded("name-0")
    throttle.check("name-0", "10.0.0.9")
    throttle.failed("name-0", "10.0.0.1")  # the sixth failure from this address
    with pytest.raises(TooManyRequests, match="this address"):
        throttle.check("someone-else", "10.0.0.1")


def test_the_table_stays_bounded_and_keeps_no_name_in_clear(workspace: Workspace) -> None:
    ticks = Ticks()
    throttle = _throttle(workspace, ticks, max_rows=50, per_address=10**9)
    for i in range(120):
        throttle.failed(f"name-{i}", f"10.0.0.{i}")
        ticks.now += 0.01
    assert throttle.sizes() == (50, 50)
    # the most recent names are the ones kept
    for _ in range(2):
        throttle.failed("name-119", "10.0.0.119")
    with pytest.raises(TooManyRequests):
        throttle.check("name-119", "192.0.2.1")
    with workspace.read() as session:
        keys = list(session.execute(select(LoginFailureRow.key)).scalars())
    assert not [k for k in keys if "name-" in k or "10.0." in k]
    ticks.now += 61  # everything leaves with the window at the next failure
    throttle.failed("late", "192.0.2.2")
    assert throttle.sizes() == (1, 1)


def test_failures_are_not_the_record(workspace: Workspace) -> None:
    """Counting failures appends nothing to the log and verify passes whatever the table holds."""
    with workspace.read() as session:
        before = session.execute(select(LoginFailureRow).limit(1)).first()
    assert before is None
    size = verify(workspace, checkpoint=False).entries
    throttle = _throttle(workspace, Ticks())
    throttle.failed("ada", "10.0.0.1")
    report = verify(workspace, checkpoint=False)
    assert report.ok, [p.line() for p in report.problems]
    assert report.entries == size
    assert [t.kind for t in report.coverage if t.table == "login_failures"] == ["transient"]
