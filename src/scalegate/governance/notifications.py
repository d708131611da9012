"""Notifications with proof of timing, through one seam: the ``Notifier``.

The policy says who must be told of a decision and when (``DecisionRule.notify``: the Board and the LTBT
before a model proceeds), and when a government entity must be told (``government_notice``). scalegate sends
each message through a notifier and records when it was sent, when the channel confirmed delivery, and the
channel's own proof: the SMTP server's final reply (with its queue id) and the Message-ID, or the webhook's
HTTP status and a digest of its response body. A delivery counts only once confirmed, so the record shows that
the notice preceded the step it had to precede.

Three notifiers: ``SMTPNotifier`` (a real mail server), ``WebhookNotifier`` (an HTTP endpoint), and
``InMemoryNotifier`` for unit tests. Messages are sent outside the database transaction (no lock is held while
a server answers) and recorded right after; a crash between the two leaves no record, so the notice is simply
sent again next time (fail closed: never counted as delivered without proof).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import select

from scalegate.actor import Actor
from scalegate.audit.entries import SEAL_KEY
from scalegate.errors import ConflictError, InputError, NotFoundError, PermissionDenied
from scalegate.governance.decisions import consulted_roles, decision_rule, get_decision, status_of
from scalegate.governance.permissions import require
from scalegate.governance.signing_keys import acknowledgement_statement, sign_statement, unlock
from scalegate.governance.users import role_holders, user_roles
from scalegate.registry.lookup import resolve_checkpoint
from scalegate.store.models.governance import NotificationRow
from scalegate.store.models.identity import UserRow
from scalegate.store.models.registry import CheckpointRow
from scalegate.store.models.workspace import SettingRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from scalegate.governance.sealing import Seal
    from scalegate.policy import Policy
    from scalegate.workspace import Workspace

__all__ = [
    "Delivery",
    "GovernmentNoticeStatus",
    "InMemoryNotifier",
    "Message",
    "Notifier",
    "SMTPNotifier",
    "WebhookNotifier",
    "acknowledge",
    "configure_notifier",
    "configured_notifier",
    "deliver",
    "government_notice_due",
    "government_notice_sent",
    "government_notice_status",
    "notify_decision",
    "notify_government",
    "notify_role",
]

SMTP_SETTING = "notify.smtp"
WEBHOOK_SETTING = "notify.webhook"
OUTBOX_SETTING = "notify.outbox"
GOVERNMENT_SETTING = "notify.government"


@dataclass(frozen=True)
class Message:
    """What a notifier sends."""

    subject: str
    body: str
    recipients: list[str]
    message_id: str = field(default_factory=lambda: f"<{uuid.uuid4().hex}@scalegate>")

    @property
    def body_sha256(self) -> str:
        return hashlib.sha256(self.body.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Delivery:
    """The channel's answer: delivered or not, and the proof it gave."""

    delivered: bool
    proof: dict[str, Any]
    error: str | None = None


class Notifier(Protocol):
    """A channel messages go through."""

    channel: str

    def send(self, message: Message) -> Delivery: ...


class InMemoryNotifier:
    """Keeps messages in a list (unit tests); ``fail=True`` makes every delivery fail."""

    channel = "memory"

    def __init__(self, *, fail: bool = False) -> None:
        self.messages: list[Message] = []
        self.fail = fail

    def send(self, message: Message) -> Delivery:
        if self.fail:
            return Delivery(False, {"index": None}, "in-memory notifier set to fail")
        self.messages.append(message)
        return Delivery(True, {"index": len(self.messages) - 1, "message_id": message.message_id})


class SMTPNotifier:
    """Sends mail through an SMTP server; the proof is the server's reply to DATA and the Message-ID."""

    channel = "smtp"

    def __init__(
        self,
        host: str,
        port: int = 25,
        *,
        sender: str = "scalegate@localhost",
        timeout: float = 10.0,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self.host, self.port, self.sender, self.timeout = host, port, sender, timeout
        self.starttls, self.username, self.password = starttls, username, password

    def send(self, message: Message) -> Delivery:
        import smtplib

        proof: dict[str, Any] = {"server": f"{self.host}:{self.port}", "message_id": message.message_id}
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.ehlo()
                if self.starttls:
                    smtp.starttls()
                    smtp.ehlo()
                if self.username:
                    smtp.login(self.username, self.password or "")
                return self._transact(smtp, message, proof)
        except (OSError, smtplib.SMTPException) as exc:
            return Delivery(False, proof, f"SMTP {self.host}:{self.port}: {exc}")

    def _transact(self, smtp: Any, message: Message, proof: dict[str, Any]) -> Delivery:
        code, reply = smtp.mail(self.sender)
        if code != 250:
            return Delivery(False, proof, f"MAIL FROM refused: {code} {reply.decode(errors='replace')}")
        refused = {}
        for rcpt in message.recipients:
            code, reply = smtp.rcpt(rcpt)
            if code not in (250, 251):
                refused[rcpt] = f"{code} {reply.decode(errors='replace')}"
        proof["refused"] = refused
        if refused:
            smtp.rset()
            return Delivery(False, proof, f"recipients refused: {', '.join(sorted(refused))}")
        code, reply = smtp.data(self._mime(message).as_bytes())
        proof.update(
            {
                "reply_code": code,
                "reply": reply.decode(errors="replace"),
                "accepted": list(message.recipients),
            }
        )
        if code != 250:
            return Delivery(False, proof, f"DATA refused: {code} {proof['reply']}")
        return Delivery(True, proof)

    def _mime(self, message: Message) -> Any:
        from email.message import EmailMessage
        from email.utils import formatdate

        mime = EmailMessage()
        mime["From"], mime["To"] = self.sender, ", ".join(message.recipients)
        mime["Subject"], mime["Message-ID"], mime["Date"] = message.subject, message.message_id, formatdate()
        mime.set_content(message.body)
        return mime


class OutboxNotifier:
    """Writes each message as an RFC 5322 ``.eml`` file into a directory (a mail drop for air-gapped sites and
    the demo); the proof is the file's path, the SHA-256 of its bytes and the time it was written."""

    channel = "outbox"

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def send(self, message: Message) -> Delivery:
        from email.message import EmailMessage
        from email.utils import formatdate

        mail = EmailMessage()
        mail["From"] = "scalegate@localhost"
        mail["To"] = ", ".join(message.recipients)
        mail["Subject"] = message.subject
        mail["Message-ID"] = message.message_id
        mail["Date"] = formatdate(usegmt=True)
        mail.set_content(message.body)
        data = bytes(mail)
        name = hashlib.sha256(message.message_id.encode("utf-8")).hexdigest()[:16] + ".eml"
        path = self.directory / name
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # a notice may quote a report
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
        except OSError as exc:
            return Delivery(False, {"path": str(path)}, f"outbox {self.directory}: {exc.strerror or exc}")
        proof = {
            "path": str(path.resolve()),
            "sha256": hashlib.sha256(data).hexdigest(),
            "date": mail["Date"],
            "message_id": message.message_id,
        }
        return Delivery(True, proof)


class WebhookNotifier:
    """POSTs a JSON document to a URL; the proof is the HTTP status and the SHA-256 of the response body.

    With ``secret`` the request carries ``X-Scalegate-Signature: sha256=<HMAC of the body>`` so the receiver
    can check it came from this workspace.
    """

    channel = "webhook"

    def __init__(self, url: str, *, timeout: float = 10.0, secret: str | None = None) -> None:
        if not url.startswith(("http://", "https://")):
            raise InputError(f"webhook URL must be http(s): {url!r}", where="webhook")
        self.url, self.timeout, self.secret = url, timeout, secret

    def send(self, message: Message) -> Delivery:
        import httpx

        body = json.dumps(
            {
                "message_id": message.message_id,
                "subject": message.subject,
                "body": message.body,
                "recipients": message.recipients,
            },
            sort_keys=True,
        ).encode("utf-8")
        headers = {"content-type": "application/json"}
        if self.secret:
            digest = hmac.new(self.secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
            headers["x-scalegate-signature"] = f"sha256={digest}"
        proof: dict[str, Any] = {"url": self.url, "message_id": message.message_id}
        try:
            response = httpx.post(self.url, content=body, headers=headers, timeout=self.timeout)
        except httpx.HTTPError as exc:
            return Delivery(False, proof, f"webhook {self.url}: {exc}")
        proof.update(
            {
                "status": response.status_code,
                "response_sha256": hashlib.sha256(response.content).hexdigest(),
                "response_date": response.headers.get("date"),
            }
        )
        if not 200 <= response.status_code < 300:
            return Delivery(False, proof, f"webhook {self.url} answered {response.status_code}")
        return Delivery(True, proof)


# -- configuration -------------------------------------------------------------------------------------------


def configure_notifier(
    workspace: Workspace,
    actor: Actor,
    *,
    smtp: str | None = None,
    sender: str | None = None,
    webhook: str | None = None,
    government: str | None = None,
    outbox: str | None = None,
) -> dict[str, str]:
    """Store the workspace's notifier (SMTP ``host:port``, a webhook URL or an outbox directory) and the
    government address."""
    with workspace.writing(actor) as ctx:
        require(actor, "users.admin", ctx.policy)
        values: dict[str, str] = {}
        if smtp is not None:
            host, _, port = smtp.rpartition(":")
            if not host or not port.isdigit():
                raise InputError(f"SMTP server must be host:port, got {smtp!r}", where="smtp")
            values[SMTP_SETTING] = json.dumps(
                {"host": host, "port": int(port), "sender": sender or "scalegate@localhost"}
            )
        if webhook is not None:
            WebhookNotifier(webhook)
            values[WEBHOOK_SETTING] = webhook
        if government is not None:
            values[GOVERNMENT_SETTING] = government
        if outbox is not None:
            if not outbox.strip():
                raise InputError("outbox directory must not be empty", where="outbox")
            values[OUTBOX_SETTING] = str(Path(outbox).resolve())
        if not values:
            raise InputError(
                "nothing to configure: name an SMTP server, a webhook, an outbox directory or a government "
                "notice address"
            )
        rows = [ctx.session.merge(SettingRow(key=k, value=v)) for k, v in values.items()]
        ctx.record("notify.configured", "settings:notify", {"keys": sorted(values)}, rows=rows)
    return values


def _setting(session: Session, key: str) -> str | None:
    row = session.get(SettingRow, key)
    return row.value if row else None


def configured_notifier(workspace: Workspace) -> Notifier | None:
    """The notifier the workspace is configured with (SMTP first, then webhook, then outbox), or None."""
    with workspace.read() as session:
        smtp, webhook = _setting(session, SMTP_SETTING), _setting(session, WEBHOOK_SETTING)
        outbox = _setting(session, OUTBOX_SETTING)
    if smtp:
        cfg = json.loads(smtp)
        return SMTPNotifier(cfg["host"], cfg["port"], sender=cfg.get("sender", "scalegate@localhost"))
    if webhook:
        return WebhookNotifier(webhook)
    return OutboxNotifier(outbox) if outbox else None


def _notifier(workspace: Workspace, notifier: Notifier | None) -> Notifier:
    found = notifier or configured_notifier(workspace)
    if found is None:
        raise ConflictError(
            "no notifier configured: the workspace names no SMTP server, webhook or outbox to send notices "
            "through",
            where="notifier",
        )
    return found


# -- sending and recording -----------------------------------------------------------------------------------


def deliver(
    workspace: Workspace,
    actor: Actor,
    notifier: Notifier,
    message: Message,
    *,
    kind: str,
    subject: str,
    role: str | None = None,
    timing: str | None = None,
    decision_id: int | None = None,
    report_id: int | None = None,
    seal: Seal | None = None,
) -> NotificationRow:
    """Send one message and record it with its proof (delivered or failed) and an audit entry (sealed with
    ``seal`` when given)."""
    sent_at = workspace.now()
    delivery = notifier.send(message)
    with workspace.transaction() as session:
        row = NotificationRow(
            kind=kind,
            decision_id=decision_id,
            report_id=report_id,
            subject=subject,
            role=role,
            timing=timing,
            recipients=list(message.recipients),
            channel=notifier.channel,
            message_id=message.message_id,
            body_sha256=message.body_sha256,
            status="delivered" if delivery.delivered else "failed",
            sent_at=sent_at,
            delivered_at=workspace.now() if delivery.delivered else None,
            proof=delivery.proof,
            error=delivery.error,
            sent_by=actor.label,
        )
        session.add(row)
        session.flush()
        workspace.record(
            session,
            actor,
            f"notification.{row.status}",
            subject,
            {
                "notification_id": row.id,
                "kind": kind,
                "role": role,
                "channel": row.channel,
                "message_id": row.message_id,
                "body_sha256": row.body_sha256,
                "error": row.error,
                **({SEAL_KEY: seal} if seal is not None else {}),
            },
            rows=[row],
        )
        return row


def _addresses(session: Session, role: str) -> list[str]:
    return sorted({u.email for u in role_holders(session, role) if u.email})


def notify_role(
    workspace: Workspace,
    actor: Actor,
    role: str,
    *,
    kind: str,
    subject: str,
    title: str,
    body: str,
    notifier: Notifier | None = None,
    timing: str | None = None,
    decision_id: int | None = None,
    report_id: int | None = None,
    seal: Seal | None = None,
) -> NotificationRow:
    """Send a message to every user holding ``role`` (by their email addresses); ``seal`` seals its audit
    entry (``scalegate.governance.sealing``)."""
    channel = _notifier(workspace, notifier)
    with workspace.read() as session:
        recipients = _addresses(session, role)
    if not recipients:
        raise ConflictError(f"no active user holding role {role!r} has an email address to notify")
    return deliver(
        workspace,
        actor,
        channel,
        Message(title, body, recipients),
        kind=kind,
        subject=subject,
        role=role,
        timing=timing,
        decision_id=decision_id,
        report_id=report_id,
        seal=seal,
    )


# -- decisions -----------------------------------------------------------------------------------------------


def _decision_body(decision: Any, status: Any, policy: Policy, role: str) -> str:
    lines = [
        f"Decision #{decision.id}: {decision.decision_type.replace('_', ' ')} about {decision.subject}",
        f"Status: {decision.status}; policy {policy.id} (version {decision.policy_version_id}, "
        f"{decision.policy_hash[:12]})",
        f"Opened by {decision.opened_by} at {decision.created_at.isoformat()}",
        "Signatures:",
        *[
            f"  {s.role}: {s.signer} {'approved' if s.approve else 'rejected'} at {s.signed_at.isoformat()}"
            for s in status.signatures
        ],
        "Bound state (SHA-256):",
        *[f"  {k}: {v}" for k, v in sorted(decision.bound_state.items())],
        f"You receive this as holder of role {role}.",
    ]
    return "\n".join(lines) + "\n"


def _not_before_decision(decision: Any, now: datetime) -> None:
    """Refuse a notice dated before the decision it reports was opened or, once decided, was decided: a
    notice backdated before its decision could pass for one given "before proceeding"."""
    since = max(decision.created_at, decision.closed_at or decision.created_at)
    if now < since:
        what = "decided" if decision.closed_at and decision.closed_at > decision.created_at else "opened"
        raise InputError(
            f"a notice dated {now.isoformat()} would come before decision {decision.id} was {what} "
            f"({since.isoformat()}); notices cannot be backdated",
            where=f"decision:{decision.id}",
        )


def notify_decision(
    workspace: Workspace, actor: Actor, decision_id: int, notifier: Notifier | None = None
) -> list[NotificationRow]:
    """Send every notification the decision's rule requires that has not been delivered yet.

    Notices report a determination, so they go out once the decision is approved; roles consulted before
    approval (the LTBT on a policy change) are told while it is still open. Returns the rows written
    (delivered or failed).
    """
    channel = _notifier(workspace, notifier)
    with workspace.reading() as ctx:
        session, active = ctx.session, ctx.active
        require(actor, "notification.send", active.policy)
        decision = get_decision(session, decision_id)
        rule = decision_rule(active.policy, decision.decision_type)
        if rule is None:
            raise ConflictError(
                f"policy {active.policy.id} has no rule for {decision.decision_type} decisions"
            )
        status = status_of(workspace, session, decision)
        if decision.policy_hash != active.content_hash:
            raise ConflictError(f"decision {decision_id} was made under another policy version; it is stale")
        _not_before_decision(decision, workspace.now())
        early = consulted_roles(active.policy, decision.decision_type)
        delivered = {n.role for n in status.notifications if n.status == "delivered"}
        due = [n for n in rule.notify if n.role not in delivered]
        if decision.status == "open":
            due = [n for n in due if n.role in early]
            if not due:
                raise ConflictError(
                    f"decision {decision_id} is still open: notices report an approved "
                    "determination, so sign it first"
                )
        elif decision.status != "approved":
            raise ConflictError(f"decision {decision_id} is {decision.status}; there is nothing to notify")
        plans = [(n, _addresses(session, n.role)) for n in due]
        bodies = {n.role: _decision_body(decision, status, active.policy, n.role) for n in due}
        title = f"[scalegate] {decision.decision_type.replace('_', ' ')} #{decision.id}: {decision.subject}"
    unreachable = [n.role for n, addresses in plans if not addresses]
    if unreachable:
        raise ConflictError(
            f"no active user holding role {', '.join(unreachable)} has an email address to notify"
        )
    return [
        deliver(
            workspace,
            actor,
            channel,
            Message(title, bodies[n.role], addresses),
            kind="decision",
            subject=f"decision:{decision_id}",
            role=n.role,
            timing=n.timing,
            decision_id=decision_id,
        )
        for n, addresses in plans
    ]


# -- acknowledgement ---------------------------------------------------------------------------------------


def acknowledge(
    workspace: Workspace, actor: Actor, notification_id: int, *, password: str
) -> NotificationRow:
    """A holder of the notified role acknowledges a delivered notice, signing it with their own key.

    The signature covers the notice's id, subject, role and the SHA-256 of the body that was sent, and the
    time (``signing_keys.acknowledgement_statement``); the signer's ``password`` opens their key. A notice is
    acknowledged once.
    """
    with workspace.writing(actor) as ctx:
        require(actor, "decision.read", ctx.policy)
        session = ctx.session
        row = session.get(NotificationRow, notification_id)
        if row is None:
            raise NotFoundError(f"no notification {notification_id}", where="notifications")
        user = session.get(UserRow, actor.user_id) if actor.user_id is not None else None
        if (
            user is None
            or not user.active
            or row.role is None
            or row.role not in user_roles(session, user.id)
        ):
            raise PermissionDenied(
                f"{actor.label} does not hold the role {row.role!r} notification {notification_id} went to"
            )
        if row.status != "delivered":
            raise ConflictError(
                f"notification {notification_id} was not delivered; there is nothing to acknowledge"
            )
        if row.acknowledged_at is not None:
            raise ConflictError(f"notification {notification_id} was acknowledged by {row.acknowledged_by}")
        key, private = unlock(session, user, password)
        now = workspace.now()
        signed = sign_statement(
            private,
            key.key_id,
            acknowledgement_statement(
                notification_id=row.id,
                subject=row.subject,
                role=row.role,
                body_sha256=row.body_sha256,
                signer=user.name,
                user_id=user.id,
                key_id=key.key_id,
                at=now,
            ),
        )
        row.acknowledged_by, row.acknowledged_at = user.name, now
        row.ack_key_id, row.ack_signature = key.key_id, signed.signature
        workspace.record(
            session,
            actor,
            "notification.acknowledged",
            row.subject,
            {"notification_id": row.id, "role": row.role, "signature": signed.to_entry()},
            rows=[row],
        )
        return row


# -- government notice ---------------------------------------------------------------------------------------


def government_notice_due(policy: Policy, required_levels: dict[str, str]) -> list[str]:
    """Why a government notice is due for these required levels ({kind: level}); empty when it is not.

    A level the policy does not know counts as exceeding (fail closed).
    """
    notice = policy.government_notice
    if notice is None:
        return []
    reasons = []
    for req in notice.when_required_exceeds:
        level = required_levels.get(req.kind)
        if level is None:
            continue
        try:
            exceeds = policy.level(req.kind, level).rank > policy.level(req.kind, req.level).rank
        except KeyError:
            exceeds = True
        if exceeds:
            reasons.append(f"{req.kind} {level} exceeds {req.level}")
    return reasons


def _government_rows(session: Session, subject: str) -> list[NotificationRow]:
    stmt = select(NotificationRow).where(
        NotificationRow.kind == "government", NotificationRow.subject == subject
    )
    return list(session.execute(stmt.order_by(NotificationRow.id)).scalars())


def government_notice_sent(workspace: Workspace, session: Session, subject: str) -> NotificationRow | None:
    """The delivered government notice about ``subject`` (e.g. `checkpoint:12`), if any."""
    return next((r for r in _government_rows(session, subject) if r.status == "delivered"), None)


@dataclass(frozen=True)
class GovernmentNoticeStatus:
    """Whether the government notice about a subject is due, why, and whether it was delivered."""

    due: bool
    reasons: list[str]
    delivered: bool
    recipient: str | None
    notification_id: int | None
    delivered_at: datetime | None
    clause: str | None


def government_notice_status(
    workspace: Workspace, session: Session, subject: str, required_levels: dict[str, str]
) -> GovernmentNoticeStatus:
    """Whether a notice is due for ``subject`` and whether it was delivered (for the gate and reports)."""

    policy = workspace.active_in(session).policy
    reasons = government_notice_due(policy, required_levels)
    sent = government_notice_sent(workspace, session, subject)
    return GovernmentNoticeStatus(
        due=bool(reasons),
        reasons=reasons,
        delivered=sent is not None,
        recipient=policy.government_notice.recipient if policy.government_notice else None,
        notification_id=sent.id if sent else None,
        delivered_at=sent.delivered_at if sent else None,
        clause=policy.government_notice.source.cite() if policy.government_notice else None,
    )


def _check_levels(policy: Policy, required_levels: dict[str, str]) -> None:
    """Refuse a level the policy does not define: a notice about an undefined level says nothing a reader
    could act on, and the gate could take it for the notice a real requirement calls for."""
    for kind, level in required_levels.items():
        known = [lv.id for lv in policy.safeguards.levels if lv.kind == kind]
        if not known:
            kinds = sorted({lv.kind for lv in policy.safeguards.levels})
            raise InputError(
                f"policy {policy.id} has no safeguard kind {kind!r}; expected one of {', '.join(kinds)}",
                where="level",
            )
        if level not in known:
            raise InputError(
                f"policy {policy.id} defines no {kind} level {level!r}; expected one of {', '.join(known)}",
                where="level",
            )


def _notice_subject(session: Session, subject: str) -> str:
    """The ``checkpoint:ID`` a government notice is about, from that form or ``MODEL[@CHECKPOINT]``; a
    checkpoint that is not registered is refused (a notice about nothing must not pass for one sent)."""
    kind, _, ident = subject.partition(":")
    if kind == "checkpoint" and ident:
        if not ident.isdigit() or session.get(CheckpointRow, int(ident)) is None:
            raise NotFoundError(f"no checkpoint {ident!r} is registered (notice subject {subject!r})")
        return f"checkpoint:{int(ident)}"
    if ":" in subject:
        raise InputError(
            "a government notice is about a checkpoint: give checkpoint:ID or MODEL@CHECKPOINT, "
            f"not {subject!r}",
            where="subject",
        )
    return f"checkpoint:{resolve_checkpoint(session, subject).id}"


def notify_government(
    workspace: Workspace,
    actor: Actor,
    subject: str,
    required_levels: dict[str, str],
    notifier: Notifier | None = None,
    *,
    address: str | None = None,
) -> NotificationRow | None:
    """Send the government notice about ``subject`` when the required levels call for one; None when not due.

    Idempotent: a delivered notice for the subject is returned rather than sent again.
    """
    with workspace.reading() as ctx:
        session, policy = ctx.session, ctx.policy
        require(actor, "notification.send", policy)
        _check_levels(policy, required_levels)
        subject = _notice_subject(session, subject)
        reasons = government_notice_due(policy, required_levels)
        if not reasons or policy.government_notice is None:
            return None
        sent = government_notice_sent(workspace, session, subject)
        target = address or _setting(session, GOVERNMENT_SETTING)
    if sent is not None:
        return sent
    if not target:
        raise ConflictError(
            "no government notice address: the workspace names none and none was given", where="address"
        )
    notice = policy.government_notice
    body = (
        f"Notice to {notice.recipient} under {notice.source.cite()}.\n"
        f"Subject: {subject}\nRequired levels: "
        + ", ".join(f"{k} {v}" for k, v in sorted(required_levels.items()))
        + f"\nWhy: {'; '.join(reasons)}\n"
        + f"Policy: {policy.id} ({policy.framework.name} {policy.framework.version})\n"
    )
    message = Message(f"[scalegate] notice: {subject} requires more than the notice level", body, [target])
    return deliver(
        workspace,
        actor,
        _notifier(workspace, notifier),
        message,
        kind="government",
        subject=subject,
        timing="before_proceeding",
    )
