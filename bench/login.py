"""bench/login: a failed sign-in takes the same time whether or not the user name exists, measured in one run.

The baseline is a known user's failed sign-in (a wrong password: one argon2 verification against the user's
hash). Measured against it, in the same run and interleaved so that load affects both alike:

- an unknown name's failed sign-in (verified against the dummy hash), goal: ratio within 0.8-1.25x;
- a deactivated-or-passwordless name (also the dummy hash), same goal;

each first through the service (``authenticate_password``), then over HTTP (``POST /login`` on uvicorn on
loopback, throttling set out of reach so every attempt is checked). Before this measure an unknown name failed
about 25 times faster than a known one (0.03 s against 0.8 s), which told which names exist.

Run: ``python -m bench login`` (``BENCH_LOGIN_RUNS``, default 15 per case).
"""

from __future__ import annotations

import os
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

    from scalegate.workspace import Workspace

RUNS = int(os.environ.get("BENCH_LOGIN_RUNS", "15"))
LOW, HIGH = 0.8, 1.25
PASSWORD = "bench-login-password"


def _workspace(directory: Path) -> Workspace:
    from scalegate.actor import Actor
    from scalegate.governance.identity import resolve_actor
    from scalegate.governance.users import add_user
    from scalegate.store.engine import default_url
    from scalegate.workspace import init_workspace

    workspace = init_workspace(default_url(directory))
    add_user(workspace, Actor(name="bench"), "ada", admin=True, password=PASSWORD)
    add_user(workspace, resolve_actor(workspace, "ada"), "nopass", roles=["rso"])
    return workspace


def _interleaved(cases: dict[str, Callable[[], object]], runs: int) -> dict[str, float]:
    """Median seconds per case, the cases taking turns in every round."""
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, call in cases.items():
            start = time.perf_counter()
            call()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in samples.items()}


def _service_cases(workspace: Workspace) -> dict[str, Callable[[], object]]:
    from scalegate.errors import AuthenticationError
    from scalegate.governance.users import authenticate_password

    def fail(name: str) -> Callable[[], object]:
        def attempt() -> object:
            try:
                authenticate_password(workspace, name, "wrong password")
            except AuthenticationError:
                return None
            raise SystemExit(f"sign-in of {name} with a wrong password succeeded")

        return attempt

    return {"known": fail("ada"), "unknown": fail("nobody-by-this-name"), "no password": fail("nopass")}


def _http_cases(client: httpx.Client) -> dict[str, Callable[[], object]]:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert found is not None, "no login form"
    csrf = found[1]

    def fail(name: str) -> Callable[[], object]:
        def attempt() -> object:
            data = {"username": name, "password": "wrong password", "csrf_token": csrf}
            status = client.post("/login", data=data, follow_redirects=False).status_code
            if status != 401:
                raise SystemExit(f"POST /login as {name} answered {status}, expected 401")
            return None

        return attempt

    return {"known": fail("ada"), "unknown": fail("nobody-by-this-name"), "no password": fail("nopass")}


def _report(label: str, times: dict[str, float]) -> bool:
    baseline = times["known"]
    met = True
    for name, seconds in times.items():
        if name == "known":
            print(f"{label:<8} {name:<12} median {seconds * 1000:7.1f} ms  (baseline)")
            continue
        ratio = seconds / baseline
        ok = LOW <= ratio <= HIGH
        met &= ok
        print(
            f"{label:<8} {name:<12} median {seconds * 1000:7.1f} ms  ratio {ratio:5.2f}x  "
            f"goal {LOW}-{HIGH}x  {'MET' if ok else 'NOT MET'}"
        )
    return met


def main() -> None:
    import httpx

    from scalegate.governance.login_throttle import ThrottleSettings
    from scalegate.web import WebSettings, create_app
    from scalegate.web.server import BackgroundServer

    with tempfile.TemporaryDirectory() as tmp:
        workspace = _workspace(Path(tmp))
        service = _service_cases(workspace)
        for call in service.values():
            call()  # warm up: imports, the dummy hash, the connection pool
        print(f"{RUNS} failed sign-ins per case, interleaved, median; load average {os.getloadavg()[0]:.2f}")
        met = _report("service", _interleaved(service, RUNS))
        far = ThrottleSettings(per_user=10**9, per_address=10**9)
        settings = WebSettings(session_secret="bench-login-" + "b" * 40, login_throttle=far)
        with (
            BackgroundServer(create_app(workspace, settings)) as server,
            httpx.Client(base_url=server.url, timeout=60) as client,
        ):
            http = _http_cases(client)
            for call in http.values():
                call()
            met &= _report("http", _interleaved(http, RUNS))
        workspace.close()
    print(f"goal {'MET' if met else 'NOT MET'}: an unknown name fails as slowly as a known one")


if __name__ == "__main__":
    main()
