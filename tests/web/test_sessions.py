"""Sign-in over real HTTP (uvicorn on loopback): sessions kept on the server end at logout, on a password
change and at expiry, even for a copy of the cookie; failed sign-ins are throttled per user name and per
client address with 429 and Retry-After."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from scalegate.actor import Actor
from scalegate.audit.verify import verify
from scalegate.clock import FixedClock
from scalegate.governance.identity import resolve_actor
from scalegate.governance.login_throttle import ThrottleSettings
from scalegate.governance.users import add_user, set_password
from scalegate.store.models.audit import AuditEntryRow
from scalegate.store.models.identity import SessionRow
from scalegate.web import WebSettings, create_app
from scalegate.web.app import SESSION_COOKIE
from scalegate.web.server import BackgroundServer
from scalegate.workspace import Workspace

PASSWORD = "correct horse battery staple"
SETTINGS = WebSettings(
    session_secret="session-test-" + "z" * 40,
    session_max_age=3600,
    login_throttle=ThrottleSettings(per_user=4, per_address=10, window=600),
)


@pytest.fixture
def people(minimal_ws: Workspace) -> dict[str, Actor]:
    add_user(minimal_ws, Actor(name="root"), "root", admin=True, password=PASSWORD)
    root = resolve_actor(minimal_ws, "root")
    add_user(minimal_ws, root, "rita", roles=["rso"], password=PASSWORD)
    return {"root": root, "rita": resolve_actor(minimal_ws, "rita")}


@pytest.fixture
def base(minimal_ws: Workspace, people: dict[str, Actor]) -> Iterator[str]:
    with BackgroundServer(create_app(minimal_ws, SETTINGS)) as server:
        yield server.url


def _csrf(client: httpx.Client) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert found is not None
    return found[1]


def _login(client: httpx.Client, name: str, password: str = PASSWORD) -> httpx.Response:
    data = {"username": name, "password": password, "csrf_token": _csrf(client)}
    return client.post("/login", data=data, follow_redirects=False)


def _signed_in(base: str, name: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    assert _login(client, name).status_code == 303
    return client


def _copy(base: str, client: httpx.Client) -> httpx.Client:
    """Another client holding a copy of the session cookie (what a thief would replay)."""
    cookie = client.cookies[SESSION_COOKIE]
    return httpx.Client(base_url=base, timeout=30, cookies={SESSION_COOKIE: cookie})


def _replaying(base: str, cookie: str) -> httpx.Client:
    """A fresh client sending a captured cookie value (a refused cookie is cleared in a client's jar)."""
    return httpx.Client(base_url=base, timeout=30, cookies={SESSION_COOKIE: cookie})


def _whoami(client: httpx.Client) -> str:
    response = client.get("/api/v1/users", headers={"Accept": "application/json"})
    return "signed in" if response.status_code == 200 else f"refused {response.status_code}"


def _events(workspace: Workspace) -> list[dict[str, object]]:
    with workspace.read() as session:
        bodies = session.execute(select(AuditEntryRow.body).order_by(AuditEntryRow.seq)).scalars()
        return [json.loads(b) for b in bodies]


def test_a_cookie_captured_before_logout_fails_afterwards(minimal_ws: Workspace, base: str) -> None:
    browser = _signed_in(base, "root")
    thief = _copy(base, browser)
    assert _whoami(thief) == "signed in"
    logout = browser.post("/logout", headers={"X-CSRF-Token": _cookie_csrf(browser)}, follow_redirects=False)
    assert logout.status_code == 303
    assert _whoami(thief) == "refused 401"
    assert _whoami(browser) == "refused 401"
    with minimal_ws.read() as session:
        row = session.execute(select(SessionRow)).scalar_one()
    assert (row.end_reason, row.ended_at is not None) == ("logout", True)
    # both ends of the session are in the log, with the digest of the session row
    recorded = [e for e in _events(minimal_ws) if str(e["event"]).startswith("session.")]
    assert [e["event"] for e in recorded] == ["session.started", "session.ended"]
    for entry in recorded:
        data = entry["data"]
        assert isinstance(data, dict)
        assert {"table": "sessions", "pk": row.id} == {k: data["rows"][0][k] for k in ("table", "pk")}
    assert verify(minimal_ws, checkpoint=False).ok


def _cookie_csrf(client: httpx.Client) -> str:
    """The CSRF token of a signed-in browser, read from a page as the dashboard's script does."""
    page = client.get("/login").text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found[1]


def test_a_password_change_ends_every_session_of_the_user(
    minimal_ws: Workspace, base: str, people: dict[str, Actor]
) -> None:
    first, second = _signed_in(base, "rita"), _signed_in(base, "rita")
    other = _signed_in(base, "root")
    assert [_page(c) for c in (first, second)] == [200, 200]
    set_password(minimal_ws, people["root"], "rita", "a brand new passphrase")  # an admin's reset
    assert [_page(c) for c in (first, second)] == [401, 401]
    assert _whoami(other) == "signed in"
    with minimal_ws.read() as session:
        reasons = sorted(
            (r.user_id, r.end_reason or "") for r in session.execute(select(SessionRow)).scalars()
        )
    rita, root = people["rita"].user_id, people["root"].user_id
    assert reasons == sorted([(rita, "password_changed"), (rita, "password_changed"), (root, "")])
    changed = next(e for e in _events(minimal_ws) if e["event"] == "user.password_set")
    data = changed["data"]
    assert isinstance(data, dict) and len(data["sessions_ended"]) == 2
    assert verify(minimal_ws, checkpoint=False).ok
    # the new password opens a new session
    assert _page(_signed_in_with(base, "rita", "a brand new passphrase")) == 200


def _page(client: httpx.Client) -> int:
    """The status of a page only a signed-in RSO may see (the noncompliance reports)."""
    return client.get("/api/v1/noncompliance/reports", headers={"Accept": "application/json"}).status_code


def _signed_in_with(base: str, name: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    assert _login(client, name, password).status_code == 303
    return client


def test_a_session_ends_on_the_server_when_it_expires(
    minimal_ws: Workspace, base: str, clock: FixedClock
) -> None:
    """The server's record decides, not the cookie's own timestamp (which is still fresh here)."""
    browser = _signed_in(base, "root")
    assert _whoami(browser) == "signed in"
    clock.advance(timedelta(seconds=SETTINGS.session_max_age + 1))
    assert _whoami(browser) == "refused 401"


def test_a_session_revived_with_sql_is_refused_and_fails_audit_verify(
    minimal_ws: Workspace, base: str
) -> None:
    """Reviving an ended session with SQL (to reuse a captured cookie) is a row the log does not vouch for:
    the server refuses it at once, and `audit verify` reports it."""
    browser = _signed_in(base, "root")
    captured = browser.cookies[SESSION_COOKIE]
    browser.post("/logout", headers={"X-CSRF-Token": _cookie_csrf(browser)}, follow_redirects=False)
    assert _whoami(_replaying(base, captured)) == "refused 401"
    with minimal_ws.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE sessions SET ended_at = NULL, end_reason = NULL")
    assert _whoami(_replaying(base, captured)) == "refused 401"  # the row is not the one the log recorded
    report = verify(minimal_ws, checkpoint=False)
    assert not report.ok
    assert any("sessions" in str(p) for p in report.problems)


# -- throttling ----------------------------------------------------------------------------------------------


def test_wrong_passwords_for_one_name_are_throttled_then_even_the_right_one_waits(base: str) -> None:
    client = httpx.Client(base_url=base, timeout=30)
    limit = SETTINGS.login_throttle.per_user
    statuses = [_login(client, "root", f"wrong guess {i}").status_code for i in range(limit)]
    assert statuses == [401] * limit
    refused = _login(client, "root")  # the right password, but too late
    assert refused.status_code == 429
    wait = int(refused.headers["Retry-After"])
    assert 0 < wait <= SETTINGS.login_throttle.window
    assert "Too many failed sign-ins" in refused.text
    assert SESSION_COOKIE not in client.cookies or _whoami(client) == "refused 401"
    # the same name in another case or with spaces is the same name
    assert _login(client, " ROOT ").status_code == 429
    # another user from the same address is not locked out by root's failures
    assert _login(client, "rita").status_code == 303


def test_an_unknown_name_is_throttled_like_a_known_one(base: str) -> None:
    """Refusing only real names would tell which names are real."""
    client = httpx.Client(base_url=base, timeout=30)
    limit = SETTINGS.login_throttle.per_user
    unknown = [_login(client, "nobody-here", "guess").status_code for _ in range(limit + 1)]
    known = [_login(client, "rita", "guess").status_code for _ in range(limit + 1)]
    assert unknown == known == [401] * limit + [429]


def test_one_address_guessing_many_names_is_throttled(base: str) -> None:
    client = httpx.Client(base_url=base, timeout=30)
    per_address = SETTINGS.login_throttle.per_address
    statuses = [_login(client, f"user-{i}", "guess").status_code for i in range(per_address)]
    assert statuses == [401] * per_address
    refused = _login(client, "rita")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
