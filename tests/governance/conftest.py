"""Fixtures of the governance tests: people holding each role, a real SMTP server and a real webhook
receiver on loopback."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import func, select

from scalegate.actor import Actor
from scalegate.clock import FixedClock
from scalegate.governance.identity import resolve_actor
from scalegate.governance.users import add_user
from scalegate.registry import service
from scalegate.registry.specs import CheckpointSpec
from scalegate.store.models.registry import CheckpointRow
from scalegate.workspace import Workspace, init_workspace
from tests.support.signing import PASSWORD

REGISTRAR = Actor(name="rita", roles=frozenset({"rso"}))
"""Registers the checkpoints decisions are about (``registry.write``)."""


def make_people(workspace: Workspace, people: dict[str, list[str]]) -> dict[str, Actor]:
    """Create an admin (`root`) and the given users with their roles, emails and signing keys (password
    ``PASSWORD``, keys approved by root's signature); returns their actors."""
    root = Actor(name="root")
    add_user(workspace, root, "root", admin=True, email="root@example.org", password=PASSWORD)
    admin = resolve_actor(workspace, "root")
    for name, roles in people.items():
        add_user(
            workspace,
            admin,
            name,
            roles=roles,
            email=f"{name}@example.org",
            password=PASSWORD,
            approver_password=PASSWORD,
        )
    return {"root": admin, **{name: resolve_actor(workspace, name) for name in people}}


def document_lab(workspace: Workspace) -> dict[str, Actor]:
    """The people of a v3.x documents scenario (RSO, CEO, Board, LTBT, evaluator) and the model ``m`` with its
    checkpoint ``c1`` at 1e24 FLOP, registered by the RSO; returns their actors."""
    people = make_people(
        workspace,
        {"rita": ["rso"], "carl": ["ceo"], "bea": ["board"], "lou": ["ltbt"], "eve": ["evaluator"]},
    )
    service.create_model(workspace, people["rita"], "m", "fam", "team")
    service.register_checkpoint(
        workspace, people["rita"], "m", CheckpointSpec(name="c1", step=1, training_flops=1e24)
    )
    return people


def checkpoint(workspace: Workspace, number: int | None = None) -> str:
    """The decision subject of a checkpoint the registry knows: ``checkpoint:<number>``, registering
    checkpoints of model `m` up to that id if need be (None: a new one).

    An approved capability determination completes its checkpoint's assessment (the hook of
    ``assessment.completion``), and is refused when its subject names no checkpoint, so the determinations
    these tests sign name real ones.
    """
    with workspace.read() as session:
        top = session.execute(select(func.max(CheckpointRow.id))).scalar_one() or 0
    if top == 0:
        service.create_model(workspace, REGISTRAR, "m", "fam", "team")
    wanted = top + 1 if number is None else number
    for n in range(top + 1, wanted + 1):
        spec = CheckpointSpec(name=f"c{n}", step=n, training_flops=1e20)
        assert service.register_checkpoint(workspace, REGISTRAR, "m", spec).checkpoint.id == n
    return f"checkpoint:{wanted}"


@pytest.fixture
def rsp(db_url: str, clock: FixedClock) -> Iterator[Workspace]:
    """A workspace running Anthropic RSP v2.2."""
    ws = init_workspace(db_url, "anthropic-rsp-2.2", clock=clock)
    try:
        yield ws
    finally:
        ws.close()


@pytest.fixture
def people(workspace: Workspace) -> dict[str, Actor]:
    """One person per role of the minimal policy, a second RSO, and a board member without email."""
    return make_people(
        workspace,
        {
            "rita": ["rso"],
            "carl": ["ceo"],
            "bea": ["board"],
            "sam": ["staff"],
            "otto": ["rso"],
        },
    )


@dataclass
class SMTPSink:
    """Messages a real aiosmtpd server accepted."""

    host: str
    port: int
    messages: list[dict[str, Any]] = field(default_factory=list)


class _Handler:
    def __init__(self, sink: SMTPSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        queue_id = hashlib.sha256(envelope.content).hexdigest()[:12]
        self.sink.messages.append(
            {
                "from": envelope.mail_from,
                "to": list(envelope.rcpt_tos),
                "data": envelope.content.decode("utf-8", "replace"),
                "queue_id": queue_id,
            }
        )
        return f"250 OK queued as {queue_id}"


@pytest.fixture
def smtp_server() -> Iterator[SMTPSink]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    sink = SMTPSink("127.0.0.1", port)
    controller = Controller(_Handler(sink), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@dataclass
class WebhookSink:
    """Requests a real HTTP server received."""

    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200


@pytest.fixture
def webhook_server() -> Iterator[WebhookSink]:
    """A real HTTP receiver on 127.0.0.1 that answers every POST with `status`."""
    sink = WebhookSink("")

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            sink.requests.append({"body": json.loads(body), "headers": dict(self.headers)})
            reply = json.dumps({"received": len(sink.requests)}).encode()
            self.send_response(sink.status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    sink.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()
