"""Notifications over a real SMTP server and a real webhook receiver, with proof of timing."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket

import pytest

from scalegate.actor import SYSTEM, Actor
from scalegate.errors import ConflictError
from scalegate.governance.decisions import decision_status, sign
from scalegate.governance.notifications import (
    InMemoryNotifier,
    SMTPNotifier,
    WebhookNotifier,
    government_notice_due,
    government_notice_sent,
    notify_decision,
    notify_government,
)
from scalegate.governance.users import revoke_role
from scalegate.workspace import Workspace
from tests.governance.conftest import SMTPSink, WebhookSink
from tests.governance.test_decisions import h, open_cd, status
from tests.support.policy import policy_of
from tests.support.signing import PASSWORD


def approved_decision(workspace: Workspace, people: dict[str, Actor]) -> int:
    decision_id = open_cd(workspace, SYSTEM)
    sign(workspace, people["rita"], decision_id, "rso", password=PASSWORD)
    sign(workspace, people["carl"], decision_id, "ceo", password=PASSWORD)
    return decision_id


def test_smtp_delivery_is_proved_by_the_server_reply(
    workspace: Workspace, people: dict[str, Actor], smtp_server: SMTPSink
) -> None:
    decision_id = approved_decision(workspace, people)
    rows = notify_decision(
        workspace, people["rita"], decision_id, SMTPNotifier(smtp_server.host, smtp_server.port)
    )
    assert len(rows) == 1 and len(smtp_server.messages) == 1
    row, received = rows[0], smtp_server.messages[0]
    assert row.status == "delivered" and row.role == "board" and row.channel == "smtp"
    assert received["to"] == ["bea@example.org"] and row.recipients == ["bea@example.org"]
    assert row.proof["reply_code"] == 250
    assert row.proof["reply"] == f"OK queued as {received['queue_id']}"
    assert f"Message-ID: {row.message_id}" in received["data"]
    assert f"Decision #{decision_id}" in received["data"] and h("f1") in received["data"]
    current = status(workspace)
    assert current is not None and current.notified and current.missing_notifications == []
    assert (
        current.signed_at is not None
        and row.delivered_at is not None
        and row.delivered_at >= current.signed_at
    )


def test_webhook_delivery_is_proved_by_status_and_body_digest(
    workspace: Workspace, people: dict[str, Actor], webhook_server: WebhookSink
) -> None:
    decision_id = approved_decision(workspace, people)
    notifier = WebhookNotifier(webhook_server.url, secret="s3cret")
    [row] = notify_decision(workspace, people["carl"], decision_id, notifier)
    [request] = webhook_server.requests
    assert row.status == "delivered" and row.proof["status"] == 200
    assert row.proof["response_sha256"] == hashlib.sha256(json.dumps({"received": 1}).encode()).hexdigest()
    assert request["body"]["message_id"] == row.message_id and request["body"]["recipients"] == [
        "bea@example.org"
    ]
    body = json.dumps(request["body"], sort_keys=True).encode()
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert request["headers"]["x-scalegate-signature"] == f"sha256={expected}"
    assert hashlib.sha256(request["body"]["body"].encode()).hexdigest() == row.body_sha256


def test_a_failed_delivery_is_recorded_and_does_not_count(
    workspace: Workspace, people: dict[str, Actor], webhook_server: WebhookSink
) -> None:
    decision_id = approved_decision(workspace, people)
    webhook_server.status = 500
    [failed] = notify_decision(workspace, people["rita"], decision_id, WebhookNotifier(webhook_server.url))
    assert failed.status == "failed" and failed.delivered_at is None and "500" in (failed.error or "")
    current = status(workspace)
    assert current is not None and not current.notified
    webhook_server.status = 200
    [retry] = notify_decision(workspace, people["rita"], decision_id, WebhookNotifier(webhook_server.url))
    assert retry.status == "delivered"
    again = status(workspace)
    assert again is not None and again.notified
    assert notify_decision(workspace, people["rita"], decision_id, WebhookNotifier(webhook_server.url)) == []


def test_unreachable_smtp_server_is_a_failed_delivery(workspace: Workspace, people: dict[str, Actor]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    decision_id = approved_decision(workspace, people)
    [row] = notify_decision(
        workspace, people["rita"], decision_id, SMTPNotifier("127.0.0.1", closed_port, timeout=2)
    )
    assert row.status == "failed" and "SMTP 127.0.0.1" in (row.error or "")


def test_notices_wait_for_the_determination(workspace: Workspace, people: dict[str, Actor]) -> None:
    notifier = InMemoryNotifier()
    decision_id = open_cd(workspace, SYSTEM)
    with pytest.raises(ConflictError, match="still open: notices report an approved determination"):
        notify_decision(workspace, people["rita"], decision_id, notifier)
    assert notifier.messages == []


def test_a_role_nobody_can_receive_is_refused_before_sending(
    workspace: Workspace, people: dict[str, Actor]
) -> None:
    decision_id = approved_decision(workspace, people)
    revoke_role(workspace, people["root"], "bea", "board")
    notifier = InMemoryNotifier()
    with pytest.raises(ConflictError, match="no active user holding role board"):
        notify_decision(workspace, people["rita"], decision_id, notifier)
    assert notifier.messages == []


def test_staff_cannot_send_notices(workspace: Workspace, people: dict[str, Actor]) -> None:
    from scalegate.errors import PermissionDenied

    decision_id = approved_decision(workspace, people)
    with pytest.raises(PermissionDenied, match=r"may not notification\.send"):
        notify_decision(workspace, people["sam"], decision_id, InMemoryNotifier())


def test_government_notice_when_a_required_level_exceeds(
    workspace: Workspace, people: dict[str, Actor], smtp_server: SMTPSink
) -> None:
    from scalegate.registry.service import create_model, register_checkpoint
    from scalegate.registry.specs import CheckpointSpec

    create_model(workspace, people["rita"], "m1", "fam", "research")
    register_checkpoint(
        workspace, people["rita"], "m1", CheckpointSpec(name="c1", step=1, training_flops=1e20)
    )
    policy = policy_of(workspace)
    assert government_notice_due(policy, {"security": "L2", "deployment": "L2"}) == []
    assert government_notice_due(policy, {"security": "L3"}) == ["security L3 exceeds L2"]
    assert government_notice_due(policy, {"deployment": "L9"}) == ["deployment L9 exceeds L2"]
    notifier = SMTPNotifier(smtp_server.host, smtp_server.port)
    assert (
        notify_government(
            workspace, people["rita"], "checkpoint:1", {"security": "L2"}, notifier, address="gov@example.gov"
        )
        is None
    )
    row = notify_government(
        workspace, people["rita"], "checkpoint:1", {"security": "L3"}, notifier, address="gov@example.gov"
    )
    assert row is not None and row.status == "delivered" and row.recipients == ["gov@example.gov"]
    assert smtp_server.messages[0]["to"] == ["gov@example.gov"]
    with workspace.read() as session:
        sent = government_notice_sent(workspace, session, "checkpoint:1")
        assert sent is not None and sent.id == row.id
        assert government_notice_sent(workspace, session, "checkpoint:2") is None
    again = notify_government(
        workspace, people["rita"], "checkpoint:1", {"security": "L3"}, notifier, address="gov@example.gov"
    )
    assert again is not None and again.id == row.id and len(smtp_server.messages) == 1


def test_decision_status_lists_notifications(workspace: Workspace, people: dict[str, Actor]) -> None:
    decision_id = approved_decision(workspace, people)
    notifier = InMemoryNotifier()
    notify_decision(workspace, people["rita"], decision_id, notifier)
    with workspace.read() as session:
        current = decision_status(workspace, session, "capability_determination", "checkpoint:1", {})
    assert current is not None and [n.role for n in current.notifications] == ["board"]
    assert notifier.messages[0].recipients == ["bea@example.org"]
