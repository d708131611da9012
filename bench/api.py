"""API benchmark: the gate endpoint and the overview page under load, against a bare endpoint, on SQLite and
PostgreSQL, as ratios from the same run.

Run: ``python -m bench api`` (or ``make bench``). Knobs: ``SCALEGATE_BENCH_API_RATE`` (requests/s of the gate
and bare latency runs, default 200), ``SCALEGATE_BENCH_API_OVERVIEW_RATE`` (of the overview page, a heavier
server-rendered page, default 20), ``SCALEGATE_BENCH_API_REQUESTS`` (requests per latency run, default 1000),
``SCALEGATE_BENCH_API_SECONDS`` (length of each throughput run, default 4), ``SCALEGATE_BENCH_API_BACKENDS``
(default ``sqlite,postgresql``).

Servers run in their own processes, the way production runs them: ``scalegate serve`` over a workspace holding
the dashboard scenario (one model paused until its determination is signed), and, as the baseline, a bare
FastAPI endpoint served by the same uvicorn configuration (a sync route returning a small JSON document, as
the gate route is a sync route returning a larger one). The load comes from this process over loopback, with
a small asyncio HTTP/1.1 client on keep-alive connections (its own cost is the same for every target):

* **Latency at a fixed rate (open loop).** Requests are scheduled every 1/rate seconds whatever the server
  does; a request's latency runs from its scheduled time to the end of its response, so a server that falls
  behind is charged for the queue it builds (no coordinated omission). Bounded by a request count and a time
  cap. Goals: gate p99 <= 20 ms at 200 req/s on SQLite, <= 30 ms on PostgreSQL.
* **Throughput (closed loop).** Eight connections, each sending its next request when the last one returns,
  for a fixed time. Goal: the gate's throughput >= 50% of the bare endpoint's.

**Server processes (PostgreSQL).** The gate on PostgreSQL is served by 1 and by 3 processes
(``scalegate serve --workers N``), each against the bare endpoint served by as many uvicorn workers, in the
same run: the gate's p99 at the fixed rate and its throughput as a ratio of the bare endpoint's, for each.
``SCALEGATE_BENCH_API_WORKERS`` lists the process counts (default ``1,3``; empty: skip).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RATE = float(os.environ.get("SCALEGATE_BENCH_API_RATE", "200"))
OVERVIEW_RATE = float(os.environ.get("SCALEGATE_BENCH_API_OVERVIEW_RATE", "20"))
REQUESTS = int(os.environ.get("SCALEGATE_BENCH_API_REQUESTS", "1000"))
SECONDS = float(os.environ.get("SCALEGATE_BENCH_API_SECONDS", "4"))
BACKENDS = os.environ.get("SCALEGATE_BENCH_API_BACKENDS", "sqlite,postgresql").split(",")
WORKERS = [int(n) for n in os.environ.get("SCALEGATE_BENCH_API_WORKERS", "1,3").split(",") if n.strip()]
CONNECTIONS = 8
FIRST_ERRORS: list[str] = []
"""The first non-200 answer of the run, printed so an error is never only a count."""
ROOT = Path(__file__).resolve().parent.parent
GATE = "/api/v1/gate?model=aurora-1&action=deploy-internal"
OVERVIEW = "/"
BARE = "/bare"


# -- the bare baseline ---------------------------------------------------------------------------------------


def bare_app() -> Any:
    """The baseline app: one sync route returning a small JSON document."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/bare")
    def bare() -> dict[str, Any]:
        return {"outcome": "allow", "ref": "aurora-1@step-40000", "action": "deploy-internal", "reasons": []}

    return app


def serve_bare(port: int, workers: int = 1) -> None:
    """Serve the baseline endpoint the way ``scalegate serve`` serves (with ``--workers``: uvicorn's
    supervisor over one socket, workers given as long to start)."""
    import uvicorn

    from scalegate.web.server import WORKER_START_SECONDS, uvicorn_config

    if workers == 1:
        uvicorn.Server(uvicorn_config(bare_app(), host="127.0.0.1", port=port, log_level="warning")).run()
        return
    uvicorn.run(
        "bench.api:bare_app",
        factory=True,
        host="127.0.0.1",
        port=port,
        workers=workers,
        log_level="warning",
        proxy_headers=False,
        timeout_worker_healthcheck=WORKER_START_SECONDS,
    )


# -- a minimal HTTP/1.1 client -------------------------------------------------------------------------------


class Connection:
    """One keep-alive connection; ``get`` returns the status code after reading the whole body."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, headers: bytes) -> None:
        self.reader, self.writer, self.headers = reader, writer, headers

    @classmethod
    async def open(cls, port: int, token: str | None) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        auth = f"Authorization: Bearer {token}\r\n" if token else ""
        return cls(reader, writer, f"Host: 127.0.0.1:{port}\r\n{auth}Accept: */*\r\n\r\n".encode())

    async def get(self, path: str) -> int:
        self.writer.write(f"GET {path} HTTP/1.1\r\n".encode() + self.headers)
        await self.writer.drain()
        status = int((await self.reader.readline()).split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        body = await self.reader.readexactly(length)
        if status != 200 and not FIRST_ERRORS:
            FIRST_ERRORS.append(f"{status} {path}: {body[:300].decode('utf-8', 'replace')}")
        return status

    def close(self) -> None:
        self.writer.close()


@dataclass
class Latency:
    """An open-loop run."""

    target: str
    sent: int = 0
    errors: int = 0
    unsent: int = 0
    latencies: list[float] = field(default_factory=list)

    def quantile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


async def open_loop(port: int, path: str, token: str | None, rate: float, count: int, cap: float) -> Latency:
    """``count`` requests at ``rate`` per second (stopping after ``cap`` seconds), latency from schedule."""
    result = Latency(path)
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(16):
        pool.put_nowait(await Connection.open(port, token))
    start = time.perf_counter()

    async def one(scheduled: float) -> None:
        conn = await pool.get()
        try:
            status = await conn.get(path)
        finally:
            pool.put_nowait(conn)
        result.latencies.append(time.perf_counter() - scheduled)
        result.errors += status != 200

    tasks = []
    for i in range(count):
        scheduled = start + i / rate
        if scheduled - start > cap:
            result.unsent = count - i
            break
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(scheduled)))
        result.sent += 1
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=cap + 60)
    while not pool.empty():
        pool.get_nowait().close()
    return result


async def closed_loop(port: int, path: str, token: str | None, seconds: float) -> tuple[float, int]:
    """Requests per second over ``CONNECTIONS`` busy connections, and the count of non-200 answers."""
    deadline = time.perf_counter() + seconds
    counts, errors = [0] * CONNECTIONS, [0] * CONNECTIONS

    async def worker(n: int) -> None:
        conn = await Connection.open(port, token)
        while time.perf_counter() < deadline:
            errors[n] += await conn.get(path) != 200
            counts[n] += 1
        conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in range(CONNECTIONS)))
    return sum(counts) / (time.perf_counter() - started), sum(errors)


# -- servers -------------------------------------------------------------------------------------------------


def _free_port() -> int:
    from scalegate.web.server import free_port

    return free_port()


def _wait_ready(port: int, proc: subprocess.Popen[bytes], path: str, token: str | None) -> None:
    deadline = time.monotonic() + 300  # a worker process starts slowly on a busy machine
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            said = (proc.stderr.read() if proc.stderr else b"").decode("utf-8", "replace")[-1500:]
            raise RuntimeError(f"server on port {port} exited with {proc.returncode}: {said}")
        try:
            status = asyncio.run(_probe(port, path, token))
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not answer {path}")


async def _probe(port: int, path: str, token: str | None) -> int:
    conn = await Connection.open(port, token)
    try:
        return await conn.get(path)
    finally:
        conn.close()


def _start(argv: list[str], port: int, path: str, token: str | None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SCALEGATE_NOW", None)
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_ready(port, proc, path, token)
    except Exception:
        proc.kill()
        raise
    return proc


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def _workspace(url: str, tmp: Path) -> str:
    """Build the dashboard scenario at ``url`` on the wall clock; returns an API token of the RSO."""
    from tests.web.scenario import build

    from scalegate import wiring
    from scalegate.clock import SystemClock
    from scalegate.governance.users import create_token

    wiring.install()  # the governance hooks, as every door installs them
    scenario = build(url, SystemClock(), tmp)  # type: ignore[arg-type]
    token = create_token(scenario.workspace, scenario.people["rita"], name="bench", scopes=["*"]).secret
    scenario.workspace.close()
    return token


# -- the run -------------------------------------------------------------------------------------------------


def _backend_url(backend: str, tmp: Path, stack: list[Any]) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp / 'scalegate.db'}"
    from sqlalchemy import create_engine, text
    from tests.support.postgres import PostgresServer

    server = PostgresServer()
    admin = server.start()
    stack.append(server)
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text('CREATE DATABASE "bench_api"'))
    engine.dispose()
    return admin.rsplit("/", 1)[0] + "/bench_api"


def _report_latency(label: str, run: Latency, rate: float = RATE) -> dict[str, Any]:
    mean = statistics.fmean(run.latencies) * 1000 if run.latencies else float("nan")
    print(
        f"  {label:<30} sent {run.sent:>5} at {rate:g}/s  p50 {run.quantile(0.5):7.2f} ms  "
        f"p99 {run.quantile(0.99):7.2f} ms  mean {mean:7.2f} ms  errors {run.errors}  unsent {run.unsent}"
    )
    return {
        "p50_ms": run.quantile(0.5),
        "p99_ms": run.quantile(0.99),
        "sent": run.sent,
        "errors": run.errors,
        "unsent": run.unsent,
    }


def bench_backend(backend: str) -> dict[str, Any]:
    """Every measurement on one backend."""
    stack: list[Any] = []
    tmp = Path(tempfile.mkdtemp(prefix=f"scalegate-bench-api-{backend}-"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        url = _backend_url(backend, tmp, stack)
        token = _workspace(url, tmp)
        app_port, bare_port = _free_port(), _free_port()
        scalegate = str(Path(sys.executable).with_name("scalegate"))
        procs.append(
            _start(
                [scalegate, "--db", url, "serve", "--port", str(app_port), "--log-level", "warning"],
                app_port,
                GATE,
                token,
            )
        )
        procs.append(
            _start(
                [sys.executable, "-c", f"from bench.api import serve_bare; serve_bare({bare_port})"],
                bare_port,
                BARE,
                None,
            )
        )
        for path in (GATE, OVERVIEW):  # warm up: the first call computes what later calls reuse
            asyncio.run(closed_loop(app_port, path, token, 0.5))
        asyncio.run(closed_loop(bare_port, BARE, None, 0.5))
        print(f"{backend}:")
        out: dict[str, Any] = {}
        cap = REQUESTS / RATE * 3
        out["bare_latency"] = _report_latency(
            "bare endpoint", asyncio.run(open_loop(bare_port, BARE, None, RATE, REQUESTS, cap))
        )
        out["gate_latency"] = _report_latency(
            "GET /api/v1/gate (token)", asyncio.run(open_loop(app_port, GATE, token, RATE, REQUESTS, cap))
        )
        out["gate_anonymous_latency"] = _report_latency(
            "GET /api/v1/gate (no token)", asyncio.run(open_loop(app_port, GATE, None, RATE, REQUESTS, cap))
        )
        count = int(min(REQUESTS, OVERVIEW_RATE * 10))
        out["overview_latency"] = _report_latency(
            "GET / overview (token)",
            asyncio.run(
                open_loop(app_port, OVERVIEW, token, OVERVIEW_RATE, count, count / OVERVIEW_RATE * 3)
            ),
            OVERVIEW_RATE,
        )
        bare_rps, bare_err = asyncio.run(closed_loop(bare_port, BARE, None, SECONDS))
        gate_rps, gate_err = asyncio.run(closed_loop(app_port, GATE, token, SECONDS))
        anon_rps, anon_err = asyncio.run(closed_loop(app_port, GATE, None, SECONDS))
        overview_rps, overview_err = asyncio.run(closed_loop(app_port, OVERVIEW, token, SECONDS))
        errors = bare_err + gate_err + anon_err + overview_err
        print(
            f"  throughput ({CONNECTIONS} connections, {SECONDS:g} s): bare {bare_rps:7.1f}/s  "
            f"gate {gate_rps:7.1f}/s  gate without token {anon_rps:7.1f}/s  "
            f"overview {overview_rps:6.1f}/s  (errors {errors})"
        )
        print(
            f"  ratio to bare: gate {gate_rps / bare_rps:.2f} (goal >= 0.50), gate without token "
            f"{anon_rps / bare_rps:.2f}, overview {overview_rps / bare_rps:.3f}"
        )
        goal = 20.0 if backend == "sqlite" else 30.0
        p99 = out["gate_latency"]["p99_ms"]
        if FIRST_ERRORS:
            print(f"  first error: {FIRST_ERRORS.pop()}")
        verdict = "met" if p99 <= goal else "NOT met"
        print(f"  gate p99 {p99:.2f} ms at {RATE:g} req/s (goal <= {goal:g} ms): {verdict}")
        out |= {
            "bare_rps": bare_rps,
            "gate_rps": gate_rps,
            "gate_anonymous_rps": anon_rps,
            "overview_rps": overview_rps,
            "gate_over_bare": gate_rps / bare_rps,
            "overview_over_bare": overview_rps / bare_rps,
        }
        return out
    finally:
        for proc in procs:
            _stop(proc)
        for item in stack:
            item.stop()


def bench_processes(workers: list[int]) -> dict[int, dict[str, Any]]:
    """The gate on PostgreSQL served by each number of processes, against the bare endpoint served alike."""
    stack: list[Any] = []
    tmp = Path(tempfile.mkdtemp(prefix="scalegate-bench-api-processes-"))
    out: dict[int, dict[str, Any]] = {}
    try:
        url = _backend_url("postgresql", tmp, stack)
        token = _workspace(url, tmp)
        print("postgresql, by server processes:")
        for count in workers:
            out[count] = _bench_processes(url, token, count)
        for count, row in out.items():
            print(
                f"  {count} process{'es' if count > 1 else ''}: gate p99 {row['gate_p99_ms']:.2f} ms "
                f"(bare {row['bare_p99_ms']:.2f} ms), throughput gate {row['gate_rps']:.1f}/s, "
                f"bare {row['bare_rps']:.1f}/s, ratio {row['gate_over_bare']:.2f}"
            )
        return out
    finally:
        for item in stack:
            item.stop()


def _bench_processes(url: str, token: str, count: int) -> dict[str, Any]:
    app_port, bare_port = _free_port(), _free_port()
    scalegate = str(Path(sys.executable).with_name("scalegate"))
    serve = [scalegate, "--db", url, "serve", "--port", str(app_port), "--log-level", "warning"]
    procs = [_start([*serve, "--workers", str(count)], app_port, GATE, token)]
    try:
        bare = f"from bench.api import serve_bare; serve_bare({bare_port}, {count})"
        procs.append(_start([sys.executable, "-c", bare], bare_port, BARE, None))
        asyncio.run(closed_loop(app_port, GATE, token, 1.0 * count))  # warm every worker's caches
        asyncio.run(closed_loop(bare_port, BARE, None, 0.5))
        cap = REQUESTS / RATE * 3
        label = f"{count} process{'es' if count > 1 else ''}"
        bare_run = _report_latency(
            f"bare, {label}", asyncio.run(open_loop(bare_port, BARE, None, RATE, REQUESTS, cap))
        )
        gate_run = _report_latency(
            f"gate (token), {label}", asyncio.run(open_loop(app_port, GATE, token, RATE, REQUESTS, cap))
        )
        bare_rps, bare_err = asyncio.run(closed_loop(bare_port, BARE, None, SECONDS))
        gate_rps, gate_err = asyncio.run(closed_loop(app_port, GATE, token, SECONDS))
        if FIRST_ERRORS:
            print(f"  first error: {FIRST_ERRORS.pop()}")
        return {
            "gate_p99_ms": gate_run["p99_ms"],
            "bare_p99_ms": bare_run["p99_ms"],
            "gate_rps": gate_rps,
            "bare_rps": bare_rps,
            "gate_over_bare": gate_rps / bare_rps,
            "errors": bare_err + gate_err + gate_run["errors"] + bare_run["errors"],
        }
    finally:
        for proc in procs:
            _stop(proc)


def main() -> None:
    """Run the API benchmark on every configured backend."""
    print(
        f"rate {RATE:g} req/s, {REQUESTS} requests per latency run, {SECONDS:g} s per throughput run, "
        f"{os.cpu_count()} CPUs shared by the servers and the load generator"
    )
    for backend in BACKENDS:
        bench_backend(backend.strip())
    if WORKERS and "postgresql" in [b.strip() for b in BACKENDS]:
        bench_processes(WORKERS)


if __name__ == "__main__":
    main()
