"""The fault test of many writers: three `scalegate serve` processes on one real PostgreSQL, four client
processes mixing sign-offs, ingests, registry writes and gate calls for 15 seconds
(``SCALEGATE_FAULT_SECONDS`` sets it), and one server killed with SIGKILL a third of the way in. The whole
test, setup included, fits the 120 s a test may take on a two-core machine: the workspace holds only what the
clients need (three users, the demo family), and every loop is bounded by count and by time.

Afterwards nothing acknowledged is lost: every write a server answered with success is in the store; the
audit log's sequence has no gap and no duplicate; ``audit verify`` passes; and every request that got an
answer other than success got the one JSON error shape. A request whose server died under it gets no answer
at all (the connection drops); its client moves to the next server, and whether that write committed or not,
the log still verifies. A request unanswered after ``REQUEST_TIMEOUT`` (a live server on a saturated machine)
is counted apart and not retried. Everything runs on loopback, with bounded loops; the counts are printed.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from scalegate.actor import Actor
from scalegate.audit.verify import verify
from scalegate.clock import SystemClock
from scalegate.store.models.audit import AuditEntryRow, AuditHeadRow
from scalegate.store.models.evidence import EvidenceRow
from scalegate.store.models.gate import GateVerdictRow
from scalegate.store.models.governance import DecisionRow, SignatureRow
from scalegate.store.models.registry import ModelRow
from scalegate.web.server import free_port
from scalegate.workspace import init_workspace, open_workspace
from tests.support.templates import create_database

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

SERVERS = 3
CLIENTS = 4
SECONDS = float(os.environ.get("SCALEGATE_FAULT_SECONDS", "15"))
MAX_REQUESTS = 150
"""Per client: the loop is bounded by count as well as by time."""
REQUEST_TIMEOUT = 45.0
"""Seconds a client waits for an answer (longer than the writer lock's 30 s wait, which ends in a 503)."""
OPERATIONS = ("registry", "gate", "ingest", "gate", "signoff", "registry", "gate", "ingest")


# -- the servers ---------------------------------------------------------------------------------------------


def _start_server(url: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    exe = Path(sys.executable).with_name("scalegate")
    argv = [str(exe), "--db", url, "serve", "--port", str(port), "--log-level", "warning"]
    return subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_up(procs: list[subprocess.Popen[bytes]], ports: list[int], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    for proc, port in zip(procs, ports, strict=True):
        while True:
            assert proc.poll() is None, (proc.stderr.read() if proc.stderr else b"").decode()[-2000:]
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"server on {port} did not start"
            time.sleep(0.2)


# -- the clients ---------------------------------------------------------------------------------------------


def _is_clean_error(response: httpx.Response) -> bool:
    """The one JSON error shape: ``{"error": {"code", "message", "where"}}``."""
    try:
        body = response.json()
    except ValueError:
        return False
    error = body.get("error") if isinstance(body, dict) else None
    return (
        response.headers.get("content-type", "").startswith("application/json")
        and isinstance(error, dict)
        and isinstance(error.get("code"), str)
        and isinstance(error.get("message"), str)
        and "where" in error
    )


class _Client:
    """One client process's requests, over the live servers in turn; every outcome is written down."""

    def __init__(self, number: int, ports: list[int], tokens: dict[str, str], log: str, out: Path) -> None:
        self.number, self.ports, self.tokens, self.log, self.out = number, ports, tokens, log, out
        self.checkpoint = tokens["checkpoint"]
        self.turn = number
        self.http = httpx.Client(timeout=REQUEST_TIMEOUT)
        self.records: list[dict[str, Any]] = []

    def request(self, op: str, method: str, path: str, who: str, **kwargs: Any) -> httpx.Response | None:
        """Send to the next server; on a dropped connection, note it and try the next (each at most once)."""
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        for _ in range(len(self.ports)):
            port = self.ports[self.turn % len(self.ports)]
            self.turn += 1
            try:
                response = self.http.request(
                    method, f"http://127.0.0.1:{port}{path}", headers=headers, **kwargs
                )
            except httpx.TimeoutException:  # a live server, slow: the write may yet commit; not retried
                self.records.append({"op": op, "outcome": "timeout"})
                return None
            except httpx.TransportError as exc:  # the server is gone: the next one is asked
                self.records.append({"op": op, "outcome": "unanswered", "why": type(exc).__name__})
                continue
            if response.status_code >= 400:
                self.records.append(
                    {
                        "op": op,
                        "outcome": "error",
                        "status": response.status_code,
                        "clean": _is_clean_error(response),
                        "body": response.text[:300],
                    }
                )
                return None
            return response
        return None

    def acked(self, op: str, **what: Any) -> None:
        self.records.append({"op": op, "outcome": "acked", **what})

    def registry(self, n: int) -> None:
        name = f"fault-{self.number}-{n}"
        body = {"name": name, "family": "fault", "owner": "lab"}
        if self.request("registry", "POST", "/api/v1/models", "eve", json=body) is not None:
            self.acked("registry", model=name)

    def gate(self, n: int) -> None:
        response = self.request(
            "gate", "GET", "/api/v1/gate", "rita", params={"model": "aurora-1", "action": "deploy-internal"}
        )
        if response is not None:
            self.acked("gate", outcome_of_gate=response.json()["outcome"])

    def ingest(self, n: int) -> None:
        stamp = f"2025-05-01T00:{self.number:02d}:{n % 60:02d}.{n:06d}+00:00"
        data = self.log.replace("2025-05-01T00:00:00+00:00", stamp).encode()
        response = self.request(
            "ingest",
            "POST",
            "/api/v1/evidence",
            "eve",
            data={"checkpoint": self.checkpoint, "elicitation": "helpful_only,tool_use,scaffolding"},
            files={"file": (f"fault-{self.number}-{n}.json", data, "application/json")},
        )
        if response is not None:
            self.acked("ingest", evidence=[r["id"] for r in response.json()["records"]])

    def signoff(self, n: int) -> None:
        opened = self.request(
            "signoff", "POST", "/api/v1/determinations", "eve", json={"checkpoint": self.checkpoint}
        )
        if opened is None:
            return
        decision = opened.json()["decision_id"]
        self.acked("determination", decision=decision)
        body = {"role": "rso", "password": PASSWORD, "justification": "fault test"}
        path = f"/api/v1/decisions/{decision}/signatures"
        if self.request("signoff", "POST", path, "rita", json=body) is not None:
            self.acked("signoff", decision=decision, role="rso")

    def run(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        n = 0
        while time.monotonic() < deadline and n < MAX_REQUESTS:
            getattr(self, OPERATIONS[(self.number + n) % len(OPERATIONS)])(n)
            n += 1
        self.out.write_text("\n".join(json.dumps(r) for r in self.records) + "\n")


def _client_main(number: int, ports: list[int], tokens: dict[str, str], log: str, out: str) -> None:
    _Client(number, ports, tokens, log, Path(out)).run(SECONDS)


# -- the test ------------------------------------------------------------------------------------------------

PASSWORD = "correct horse battery staple"  # every user's; a module constant, so the clients need no import


@pytest.fixture
def scenario_url(postgres_url: str, postgres_template: str) -> Iterator[tuple[str, dict[str, str]]]:
    """A fresh PostgreSQL workspace under RSP v2.2 on the wall clock with what the clients write to: an admin,
    the RSO (rita, who signs) and an evaluator (eve, who ingests, registers and proposes), and the demo family
    (`aurora-1` and its checkpoints); tokens of eve and rita."""
    from scalegate.governance.identity import resolve_actor
    from scalegate.governance.users import add_user, create_token
    from scalegate.testing.demo_data import seed_demo_family

    url = create_database(postgres_url, postgres_template)
    workspace = init_workspace(url, "anthropic-rsp-2.2", clock=SystemClock())
    try:
        add_user(workspace, Actor(name="root"), "root", admin=True, password=PASSWORD)
        root = resolve_actor(workspace, "root")
        for name, role in (("rita", "rso"), ("eve", "evaluator")):
            add_user(workspace, root, name, roles=[role], password=PASSWORD, approver_password=PASSWORD)
        people = {name: resolve_actor(workspace, name) for name in ("rita", "eve")}
        checkpoints = seed_demo_family(workspace, people["eve"]).checkpoints
        tokens = {
            who: create_token(workspace, people[who], name="fault", scopes=["*"]).secret for who in people
        }
    finally:
        workspace.close()
    tokens["checkpoint"] = checkpoints[-1]  # passed to the clients with the tokens
    yield url, tokens


def _inspect_log(tmp: Path) -> str:
    from tests.web.inspect_logs import write_log

    path = write_log(
        tmp / "template.json", task="inspect_evals/wmdp_bio", model="lab/aurora-1", n=20, correct=7
    )
    return path.read_text()


def test_three_servers_one_killed_lose_no_acknowledged_write(
    scenario_url: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    url, tokens = scenario_url
    env = {
        **os.environ,
        "SCALEGATE_SESSION_SECRET": "fault-test-" + "s" * 40,
        "SCALEGATE_AUDIT_KEY_DIR": str(tmp_path / "keys"),
    }
    env.pop("SCALEGATE_NOW", None)
    ports = [free_port() for _ in range(SERVERS)]
    launched = time.monotonic()
    servers = [_start_server(url, port, env) for port in ports]
    try:
        _wait_up(servers, ports)
        up = time.monotonic() - launched
        log = _inspect_log(tmp_path)
        spawn = multiprocessing.get_context("spawn")
        outs = [tmp_path / f"client-{n}.jsonl" for n in range(CLIENTS)]
        clients = [
            spawn.Process(target=_client_main, args=(n, ports, tokens, log, str(outs[n])))
            for n in range(CLIENTS)
        ]
        started = time.monotonic()
        for client in clients:
            client.start()
        time.sleep(SECONDS / 3)
        servers[0].send_signal(signal.SIGKILL)
        killed_at = time.monotonic() - started
        for client in clients:
            client.join(timeout=SECONDS + 2 * REQUEST_TIMEOUT)
            assert client.exitcode == 0, f"client exited with {client.exitcode}"
        records = [json.loads(line) for out in outs for line in out.read_text().splitlines() if line]
    finally:
        for server in servers:
            if server.poll() is None:
                server.send_signal(signal.SIGTERM)
        for server in servers:
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
    assert servers[0].returncode == -signal.SIGKILL

    counts = Counter((r["op"], r["outcome"]) for r in records)
    statuses = Counter(r["status"] for r in records if r["outcome"] == "error")
    unclean = [r for r in records if r["outcome"] == "error" and not r["clean"]]
    ws = open_workspace(url)
    try:
        with ws.read() as session:
            models = set(session.execute(select(ModelRow.name)).scalars())
            evidence = set(session.execute(select(EvidenceRow.id)).scalars())
            decisions = set(session.execute(select(DecisionRow.id)).scalars())
            signed = {(d, r) for d, r in session.execute(select(SignatureRow.decision_id, SignatureRow.role))}
            seqs = list(session.execute(select(AuditEntryRow.seq).order_by(AuditEntryRow.seq)).scalars())
            head = session.execute(select(AuditHeadRow.size)).scalar_one()
            cached = session.execute(select(func.count()).select_from(GateVerdictRow)).scalar_one()
        lost = (
            [
                r
                for r in records
                if r["outcome"] == "acked" and r["op"] == "registry" and r["model"] not in models
            ]
            + [
                r
                for r in records
                if r["op"] == "ingest" and r["outcome"] == "acked" and set(r["evidence"]) - evidence
            ]
            + [r for r in records if r["op"] == "determination" and r["decision"] not in decisions]
            + [
                r
                for r in records
                if r["op"] == "signoff"
                and r["outcome"] == "acked"
                and (r["decision"], r["role"]) not in signed
            ]
        )
        report = verify(ws, checkpoint=False)
    finally:
        ws.close()

    print(
        f"\nfault test: {SERVERS} servers, {CLIENTS} clients, {SECONDS:g} s, "
        f"server 1 killed at {killed_at:.1f} s; the servers were up {up:.1f} s after launch"
    )
    for (op, outcome), count in sorted(counts.items()):
        print(f"  {op:<14} {outcome:<11} {count}")
    print(f"  error statuses: {dict(sorted(statuses.items()))}; not the JSON error shape: {len(unclean)}")
    for body, count in Counter(r["body"][:160] for r in records if r["outcome"] == "error").most_common(5):
        print(f"    {count} x {body}")
    print(
        f"  log: {len(seqs)} entries, head {head}; verify ok: {report.ok} ({len(report.problems)} problems)"
    )
    print(f"  acknowledged writes missing from the store: {len(lost)}")

    assert counts[("registry", "acked")] and counts[("ingest", "acked")] and counts[("signoff", "acked")]
    assert counts[("gate", "acked")]
    assert lost == []
    assert unclean == [], unclean[:3]
    assert seqs == list(range(head))
    assert cached == 0  # over PostgreSQL no server keeps a verdict another could serve stale
    assert report.ok, [p.line() for p in report.problems][:5]
