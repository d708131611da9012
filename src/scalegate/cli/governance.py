"""Governance commands: users, tokens, decisions and sign-offs, notifications, policy changes, noncompliance,
the compliance calendar, cadences and drills, and the permission matrix.

Every command parses, calls ``scalegate.governance`` and prints; no rule lives here.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any

import typer

from scalegate.cli._context import actor_of, workspace_of
from scalegate.cli._output import Said, command, console, table
from scalegate.cli._signing import known_password, signing_password
from scalegate.jsonable import to_jsonable

if TYPE_CHECKING:
    from scalegate.cli._documents import NoNotice, NotificationDocument
    from scalegate.governance.compliance import ComplianceStatus
    from scalegate.governance.decisions import DecisionStatus
    from scalegate.governance.noncompliance import ReportView
    from scalegate.governance.permissions import PermissionRule
    from scalegate.governance.policy_change import ChangeView
    from scalegate.governance.signing_keys import KeyView
    from scalegate.governance.users import TokenView, UserView

user_app = typer.Typer(help="Workspace users and their roles.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens: scoped, expiring, stored hashed.", no_args_is_help=True)
decision_app = typer.Typer(help="Decisions awaiting or holding sign-offs.", no_args_is_help=True)
notify_app = typer.Typer(help="Notices with proof of delivery (SMTP or webhook).", no_args_is_help=True)
change_app = typer.Typer(
    help="Change the active policy: propose, consult, approve, publish, activate.", no_args_is_help=True
)
nc_app = typer.Typer(
    help="Noncompliance reports: anonymous intake, handling, summaries.", no_args_is_help=True
)
cadence_app = typer.Typer(
    help="Recurring obligations of the policy (reviews, publications, drills).", no_args_is_help=True
)
drill_app = typer.Typer(help="Readiness drills.", no_args_is_help=True)

JSON = typer.Option(False, "--json", help="Print one JSON document.")


def _instant(value: str | None, option: str) -> datetime | None:
    from scalegate.clock import parse_instant

    return None if value is None else parse_instant(value, option)


# -- users and tokens ----------------------------------------------------------------------------------------


@user_app.command("add")
@command()
def user_add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="User name."),
    email: str = typer.Option(None, "--email", help="Email address (where notices go)."),
    display_name: str = typer.Option("", "--display-name", help="Full name."),
    role: list[str] = typer.Option([], "--role", help="Role id of the policy; repeat for several."),
    admin: bool = typer.Option(
        False, "--admin", help="User management rights (the first user must have them)."
    ),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read a password from standard input."
    ),
    json_out: bool = JSON,
) -> Any:
    """Add a user with roles."""
    from scalegate.governance.users import add_user

    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    actor = actor_of(ctx)
    # A new user's key is approved by the creating admin's signature, so an admin with a key signs for it.
    approver = known_password(ctx, actor) if password is not None and actor.user_id is not None else None
    user = add_user(
        workspace_of(ctx),
        actor,
        name,
        email=email,
        display_name=display_name,
        roles=role,
        admin=admin,
        password=password,
        approver_password=approver,
    )
    return Said(user, f"Added user {name} ({', '.join(user.roles) or 'no roles'})")


@user_app.command("list")
@command(render=lambda result: _print_users(result))
def user_list(ctx: typer.Context, json_out: bool = JSON) -> Any:
    """List users and their roles."""
    from scalegate.governance.users import list_users

    return list_users(workspace_of(ctx), actor_of(ctx))


def _print_users(users: list[UserView]) -> None:
    table(
        "Users",
        ["name", "roles", "email", "password", "oidc"],
        [[u.name, ", ".join(u.roles), u.email, "yes" if u.has_password else "no", u.oidc] for u in users],
    )


@user_app.command("grant")
@command()
def user_grant(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="User name."),
    role: str = typer.Argument(..., help="Role id."),
    json_out: bool = JSON,
) -> Any:
    """Grant a role to a user (admins only; never to themselves)."""
    from scalegate.governance.users import grant_role

    user = grant_role(workspace_of(ctx), actor_of(ctx), name, role)
    return Said(user, f"{name} now holds {', '.join(user.roles)}")


@user_app.command("revoke")
@command()
def user_revoke(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="User name."),
    role: str = typer.Argument(..., help="Role id."),
    json_out: bool = JSON,
) -> Any:
    """Take a role away from a user."""
    from scalegate.governance.users import revoke_role

    user = revoke_role(workspace_of(ctx), actor_of(ctx), name, role)
    return Said(user, f"{name} now holds {', '.join(user.roles) or 'no roles'}")


@user_app.command("passwd")
@command()
def user_passwd(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="User name."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input."
    ),
) -> Any:
    """Set a user's password (yourself, or anyone as admin)."""
    from scalegate.governance.users import set_password

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    actor = actor_of(ctx)
    # Your own signing key is re-sealed under the new password, which needs the current one.
    current = signing_password(ctx, actor, "current") if actor.name == name else None
    set_password(workspace_of(ctx), actor, name, password, current_password=current)
    return Said(None, f"Password of {name} set")


key_app = typer.Typer(
    help="Signing keys: each user's Ed25519 key, sealed under their password, approved by an admin.",
    no_args_is_help=True,
)
user_app.add_typer(key_app, name="key")


@key_app.command("list")
@command(render=lambda result: _print_keys(result))
def key_list(
    ctx: typer.Context,
    name: str = typer.Argument(None, help="Only this user's keys (default: everyone's)."),
    json_out: bool = JSON,
) -> Any:
    """List signing keys: owner, id, status, who approved them and when."""
    from scalegate.governance.signing_keys import list_keys

    return list_keys(workspace_of(ctx), actor_of(ctx), name)


def _print_keys(keys: list[KeyView]) -> None:
    table(
        "Signing keys",
        ["user", "key", "status", "approved by", "approved at", "retired at"],
        [[k.user, k.key_id[:16], k.status, k.approved_by, k.approved_at, k.retired_at] for k in keys],
    )


@key_app.command("register")
@command()
def key_register(ctx: typer.Context, json_out: bool = JSON) -> Any:
    """Register a new signing key for yourself (first key or rotation); an admin must approve it."""
    from scalegate.governance.signing_keys import register_key

    actor = actor_of(ctx)
    key = register_key(workspace_of(ctx), actor, signing_password(ctx, actor, "to seal the key"))
    return Said(key, f"Registered key {key.key_id[:16]} for {key.user}: awaiting an admin's approval")


@key_app.command("approve")
@command()
def key_approve(
    ctx: typer.Context,
    key_id: str = typer.Argument(..., help="Key id (at least 8 leading hex digits)."),
    json_out: bool = JSON,
) -> Any:
    """Approve another user's pending key, signing the approval with your own key (admins only)."""
    from scalegate.governance.signing_keys import approve_key

    actor = actor_of(ctx)
    key = approve_key(workspace_of(ctx), actor, key_id, signing_password(ctx, actor))
    return Said(key, f"Approved key {key.key_id[:16]} of {key.user}")


@token_app.command("create")
@command()
def token_create(
    ctx: typer.Context,
    name: str = typer.Option(..., "--name", help="What the token is for."),
    scope: list[str] = typer.Option(
        ..., "--scope", help="Action or pattern (gate.read, decision.*); repeatable."
    ),
    expires_days: int = typer.Option(90, "--expires-days", help="Days until it expires (1-365)."),
    user: str = typer.Option(None, "--user", help="Owner (admins only; default: yourself)."),
    json_out: bool = JSON,
) -> Any:
    """Create an API token; the secret is printed once."""
    from scalegate.governance.users import create_token

    issued = create_token(
        workspace_of(ctx), actor_of(ctx), name=name, scopes=scope, expires_in_days=expires_days, user=user
    )
    return Said(issued, f"Token #{issued.id} (expires {issued.expires_at}):\n{issued.secret}")


@token_app.command("list")
@command(render=lambda result: _print_tokens(result))
def token_list(
    ctx: typer.Context,
    user: str = typer.Option(None, "--user", help="Whose tokens (admins only; default: yours)."),
    json_out: bool = JSON,
) -> Any:
    """List API tokens (never their secrets)."""
    from scalegate.governance.users import list_tokens

    return list_tokens(workspace_of(ctx), actor_of(ctx), user)


def _print_tokens(tokens: list[TokenView]) -> None:
    table(
        "API tokens",
        ["id", "name", "user", "scopes", "expires", "valid"],
        [
            [
                t.id,
                t.name,
                t.user,
                ", ".join(t.scopes),
                t.expires_at.isoformat(),
                "yes" if t.valid else "no",
            ]
            for t in tokens
        ],
    )


@token_app.command("revoke")
@command()
def token_revoke(
    ctx: typer.Context, token_id: int = typer.Argument(..., help="Token id."), json_out: bool = JSON
) -> Any:
    """Revoke an API token."""
    from scalegate.governance.users import revoke_token

    revoke_token(workspace_of(ctx), actor_of(ctx), token_id)
    return Said({"id": token_id, "revoked": True}, f"Token #{token_id} revoked")


# -- decisions and sign-offs ---------------------------------------------------------------------------------


def _decision_line(d: DecisionStatus) -> list[Any]:
    state = "approved" if d.approved else d.status
    return [
        d.decision_id,
        d.decision_type,
        d.subject,
        state,
        ", ".join(d.missing_roles) or "-",
        ", ".join(d.missing_notifications) or "-",
        d.created_at.isoformat()[:19],
    ]


@decision_app.command("list")
@command(render=lambda result: _print_decisions(result))
def decision_list(
    ctx: typer.Context,
    decision_type: str = typer.Option(None, "--type", help="Only this decision type."),
    subject: str = typer.Option(None, "--subject", help="Only this subject (e.g. checkpoint:12)."),
    status: str = typer.Option(None, "--status", help="open | approved | rejected | superseded."),
    json_out: bool = JSON,
) -> Any:
    """List decisions, newest first."""
    from scalegate.assessment.standing import decisions

    return decisions(
        workspace_of(ctx), actor_of(ctx), decision_type=decision_type, subject=subject, status=status
    )


def _print_decisions(rows: list[DecisionStatus]) -> None:
    table(
        "Decisions",
        ["id", "type", "subject", "state", "awaiting", "to notify", "opened"],
        [_decision_line(d) for d in rows],
    )


@decision_app.command("show")
@command(render=lambda result: _print_decision(result))
def decision_show(
    ctx: typer.Context, decision_id: int = typer.Argument(..., help="Decision id."), json_out: bool = JSON
) -> Any:
    """Show a decision: what it is bound to, who signed, who was told."""
    from scalegate.assessment.standing import decision

    return decision(workspace_of(ctx), actor_of(ctx), decision_id)


def _print_decision(d: DecisionStatus) -> None:
    out = console()
    out.print(
        f"[bold]Decision #{d.decision_id}[/bold] {d.decision_type} about {d.subject}: {d.status}"
        f" (opened by {d.opened_by} {d.created_at.isoformat()}, policy version {d.policy_version_id})"
    )
    for key, value in sorted(d.bound_state.items()):
        out.print(f"  bound {key}: {value}")
    for s in d.signatures:
        verdict = "approved" if s.approve else "rejected"
        out.print(f"  {s.role}: {s.signer} {verdict} {s.signed_at.isoformat()}")
    if d.missing_roles:
        out.print(f"  awaiting: {', '.join(d.missing_roles)}")
    for n in d.notifications:
        delivered = n.delivered_at.isoformat() if n.delivered_at else ""
        out.print(f"  notice to {n.role} via {n.channel}: {n.status} {delivered}")


@command()
def signoff(
    ctx: typer.Context,
    decision_id: int = typer.Argument(..., help="Decision id."),
    role: str = typer.Option(..., "--role", help="Role you sign in (e.g. rso, ceo, board)."),
    reject: bool = typer.Option(False, "--reject", help="Reject instead of approving."),
    justification: str = typer.Option(None, "--justification", help="Why (required to reject)."),
    json_out: bool = JSON,
) -> Any:
    """Sign (approve or reject) a decision in one of your roles."""
    from scalegate.governance.decisions import sign

    ws, actor = workspace_of(ctx), actor_of(ctx)
    password = signing_password(ctx, actor)
    row = sign(
        ws, actor, decision_id, role, password=password, approve=not reject, justification=justification
    )
    result = {
        "decision_id": decision_id,
        "signature_id": row.id,
        "role": role,
        "approve": not reject,
        "signer": row.signer,
        "signed_at": row.signed_at,
        "bound_state": row.bound_state,
        "key_id": row.key_id,
        "signature": row.signature,
    }
    return Said(result, f"{'Rejected' if reject else 'Signed'} decision #{decision_id} as {role}")


# -- notifications -------------------------------------------------------------------------------------------


def _notifier(smtp: str | None, webhook: str | None) -> Any:
    from scalegate.errors import InputError
    from scalegate.governance.notifications import SMTPNotifier, WebhookNotifier

    if smtp and webhook:
        raise InputError("pass either --smtp or --webhook, not both")
    if smtp:
        host, _, port = smtp.rpartition(":")
        if not host or not port.isdigit():
            raise InputError(f"SMTP server must be host:port, got {smtp!r}", where="--smtp")
        return SMTPNotifier(host, int(port))
    return WebhookNotifier(webhook) if webhook else None


def _notification(row: Any) -> NotificationDocument:
    return {
        "id": row.id,
        "kind": row.kind,
        "role": row.role,
        "recipients": row.recipients,
        "channel": row.channel,
        "status": row.status,
        "sent_at": row.sent_at,
        "delivered_at": row.delivered_at,
        "message_id": row.message_id,
        "proof": row.proof,
        "error": row.error,
    }


SMTP = typer.Option(None, "--smtp", help="SMTP server host:port (default: the configured notifier).")
WEBHOOK = typer.Option(None, "--webhook", help="Webhook URL (default: the configured notifier).")


@notify_app.command("configure")
@command()
def notify_configure(
    ctx: typer.Context,
    smtp: str = typer.Option(None, "--smtp", help="SMTP server host:port."),
    sender: str = typer.Option(None, "--sender", help="From address of SMTP notices."),
    webhook: str = typer.Option(None, "--webhook", help="Webhook URL."),
    government: str = typer.Option(None, "--government", help="Where government notices go."),
    outbox: str = typer.Option(None, "--outbox", help="Directory that receives each notice as an .eml file."),
    json_out: bool = JSON,
) -> Any:
    """Configure the workspace's notifier (admins only)."""
    from scalegate.governance.notifications import configure_notifier

    values = configure_notifier(
        workspace_of(ctx),
        actor_of(ctx),
        smtp=smtp,
        sender=sender,
        webhook=webhook,
        government=government,
        outbox=outbox,
    )
    return Said(values, f"Configured {', '.join(sorted(values))}")


@notify_app.command("decision")
@command()
def notify_decision_command(
    ctx: typer.Context,
    decision_id: int = typer.Argument(..., help="Decision id."),
    smtp: str = SMTP,
    webhook: str = WEBHOOK,
    json_out: bool = JSON,
) -> Any:
    """Send the notices a decision requires (board, LTBT...) that were not delivered yet."""
    from scalegate.governance.notifications import notify_decision

    rows = notify_decision(workspace_of(ctx), actor_of(ctx), decision_id, _notifier(smtp, webhook))
    result = [_notification(r) for r in rows]
    return Said(
        result,
        "\n".join(f"{r['role']}: {r['status']} ({', '.join(r['recipients'])})" for r in result)
        or "Nothing left to notify",
    )


@notify_app.command("acknowledge")
@command()
def notify_acknowledge(
    ctx: typer.Context,
    notification_id: int = typer.Argument(..., help="Notification id (see `decision show`)."),
    json_out: bool = JSON,
) -> Any:
    """Acknowledge a notice sent to a role you hold, signing it with your key."""
    from scalegate.governance.notifications import acknowledge

    actor = actor_of(ctx)
    row = acknowledge(workspace_of(ctx), actor, notification_id, password=signing_password(ctx, actor))
    result = {
        "notification_id": row.id,
        "role": row.role,
        "acknowledged_by": row.acknowledged_by,
        "acknowledged_at": row.acknowledged_at,
        "key_id": row.ack_key_id,
        "signature": row.ack_signature,
    }
    return Said(result, f"Acknowledged notification #{row.id} as {row.role}")


@notify_app.command("government")
@command()
def notify_government_command(
    ctx: typer.Context,
    subject: str = typer.Argument(..., help="What the notice concerns, e.g. checkpoint:12."),
    level: list[str] = typer.Option(..., "--level", help="Required level as KIND=LEVEL; repeatable."),
    address: str = typer.Option(None, "--address", help="Recipient (default: the configured one)."),
    smtp: str = SMTP,
    webhook: str = WEBHOOK,
    json_out: bool = JSON,
) -> Any:
    """Send the government notice when a required level exceeds the policy's notice level."""
    from scalegate.errors import InputError
    from scalegate.governance.notifications import notify_government

    levels = dict(item.split("=", 1) for item in level if "=" in item)
    if len(levels) != len(level):
        raise InputError("--level must be KIND=LEVEL, e.g. security=ASL-3", where="--level")
    row = notify_government(
        workspace_of(ctx), actor_of(ctx), subject, levels, _notifier(smtp, webhook), address=address
    )
    result: NotificationDocument | NoNotice = _notification(row) if row else {"due": False}
    return Said(result, f"Government notice: {row.status}" if row else "No government notice is due")


# -- policy changes ------------------------------------------------------------------------------------------


def _change_text(c: ChangeView) -> str:
    return (
        f"Policy change #{c.id} ({c.policy_id} {c.version}): {c.status}, effective "
        f"{c.effective_at.isoformat()}, decision #{c.decision_id}"
    )


@change_app.command("propose")
@command(render=lambda result: _print_change_shown(result))
def change_propose(
    ctx: typer.Context,
    policy: str = typer.Argument(..., help="The new policy: a file or a built-in id."),
    effective: str = typer.Option(
        None, "--effective", help="When it takes effect (default: its effective date)."
    ),
    rationale: str = typer.Option("", "--rationale", help="Why the change."),
    json_out: bool = JSON,
) -> Any:
    """Propose a new policy version; prints its diff against the active one and its impact on the record.

    It is ``policy migrate`` without the impact printed in full: the impact is computed and recorded with the
    proposal, as the approval step refuses a change whose impact the approvers were not shown.
    """
    from scalegate.gate.migration import migrate
    from scalegate.policy import resolve_policy

    change = migrate(
        workspace_of(ctx),
        actor_of(ctx),
        resolve_policy(policy),
        dry_run=False,
        effective_at=_instant(effective, "--effective"),
        rationale=rationale,
        origin=policy,
    ).change
    assert change is not None  # not a dry run
    return change


def _print_change(change: ChangeView) -> None:
    console().print(_change_text(change))
    for item in change.diff:
        console().print(f"  {item['kind']}: {item['description']}")


@change_app.command("consult")
@command()
def change_consult(
    ctx: typer.Context,
    change_id: int = typer.Argument(..., help="Policy change id."),
    response: str = typer.Option(..., "--response", help="The consulted body's response."),
    role: str = typer.Option(None, "--role", help="Consulted role you answer for (if you hold several)."),
    json_out: bool = JSON,
) -> Any:
    """Record a consulted role's response (the LTBT under RSP v2.2)."""
    from scalegate.governance.policy_change import consult

    actor = actor_of(ctx)
    password = signing_password(ctx, actor)
    change = consult(workspace_of(ctx), actor, change_id, response, password=password, role=role)
    return Said(change, _change_text(change))


@change_app.command("approve")
@command()
def change_approve(
    ctx: typer.Context,
    change_id: int = typer.Argument(..., help="Policy change id."),
    role: str = typer.Option(None, "--role", help="Role you sign in (default: your approving role)."),
    reject: bool = typer.Option(False, "--reject", help="Reject the change."),
    justification: str = typer.Option(None, "--justification", help="Why (required to reject)."),
    json_out: bool = JSON,
) -> Any:
    """Sign the change's decision: approvers approve, proposers co-sign."""
    from scalegate.governance.policy_change import sign_change

    ws, actor = workspace_of(ctx), actor_of(ctx)
    password = signing_password(ctx, actor)
    change = sign_change(
        ws, actor, change_id, password=password, role=role, approve=not reject, justification=justification
    )
    return Said(change, _change_text(change))


@change_app.command("publish")
@command()
def change_publish(
    ctx: typer.Context,
    change_id: int = typer.Argument(..., help="Policy change id."),
    url: str = typer.Option(None, "--url", help="Where the public version is."),
    json_out: bool = JSON,
) -> Any:
    """Record publication of an approved change (before its effective date)."""
    from scalegate.governance.policy_change import publish

    change = publish(workspace_of(ctx), actor_of(ctx), change_id, url=url)
    return Said(change, _change_text(change))


@change_app.command("activate")
@command()
def change_activate(
    ctx: typer.Context, change_id: int = typer.Argument(..., help="Policy change id."), json_out: bool = JSON
) -> Any:
    """Make an approved, published change the active policy on its effective date."""
    from scalegate.governance.policy_change import activate

    change = activate(workspace_of(ctx), actor_of(ctx), change_id)
    return Said(change, _change_text(change))


@change_app.command("list")
@command(render=lambda result: _print_changes(result))
def change_list(ctx: typer.Context, json_out: bool = JSON) -> Any:
    """List policy changes, newest first."""
    from scalegate.governance.policy_change import list_changes

    return list_changes(workspace_of(ctx), actor_of(ctx))


def _print_changes(changes: list[ChangeView]) -> None:
    table(
        "Policy changes",
        ["id", "policy", "version", "status", "effective", "decision", "changes"],
        [
            [c.id, c.policy_id, c.version, c.status, c.effective_at.date(), c.decision_id, len(c.diff)]
            for c in changes
        ],
    )


@change_app.command("show")
@command(render=lambda result: _print_change_shown(result))
def change_show(
    ctx: typer.Context, change_id: int = typer.Argument(..., help="Policy change id."), json_out: bool = JSON
) -> Any:
    """Show a policy change with its diff and consultations."""
    from scalegate.governance.policy_change import show_change

    return show_change(workspace_of(ctx), actor_of(ctx), change_id)


def _print_change_shown(change: ChangeView) -> None:
    _print_change(change)
    for c in change.consultations:
        console().print(f"  consulted {c.role} ({c.consultee}): {c.response}")
    impact = change.impact
    if impact is None:
        console().print("  impact: none recorded (`scalegate policy-change impact ID --record` records it)")
        return
    console().print(
        f"  impact ({impact['digest'][:12]}, computed {impact['computed_at']}): {impact['headline']}"
    )
    for line in impact.get("verdicts", []):
        console().print(f"    verdict {line}", markup=False)


@change_app.command("impact")
@command(render=lambda result: _print_change_impact(result))
def change_impact(
    ctx: typer.Context,
    change_id: int = typer.Argument(..., help="Policy change id."),
    record: bool = typer.Option(
        False, "--record", help="Record the current impact for the approvers (a proposer's act)."
    ),
    json_out: bool = JSON,
) -> Any:
    """What a proposed change does to the record now, and whether the impact recorded with it still holds."""
    from scalegate.gate.migration import change_impact as current
    from scalegate.gate.migration import record_change_impact

    ws, actor = workspace_of(ctx), actor_of(ctx)
    return record_change_impact(ws, actor, change_id) if record else current(ws, actor, change_id)


def _print_change_impact(result: Any) -> None:
    from scalegate.cli.migration import print_change_impact

    print_change_impact(result)


# -- noncompliance -------------------------------------------------------------------------------------------


@nc_app.command("report")
@command()
def nc_report(
    ctx: typer.Context,
    description: str = typer.Option(..., "--description", help="What happened."),
    concerning: str = typer.Option(None, "--concerning", help="Role whose conduct it concerns (e.g. rso)."),
    material_risk: bool = typer.Option(
        False, "--material-risk", help="It poses material risk (notify promptly)."
    ),
    named: bool = typer.Option(False, "--named", help="Report under your name (default: anonymous)."),
    json_out: bool = JSON,
) -> Any:
    """Report potential noncompliance, anonymously unless --named (no identity is read or stored)."""
    from scalegate.governance.noncompliance import report

    workspace = workspace_of(ctx)
    reporter = actor_of(ctx) if named else None
    receipt = report(
        workspace,
        description=description,
        concerning_role=concerning,
        material_risk=material_risk,
        reporter=reporter,
    )
    return Said(receipt, f"Report #{receipt.id} received; routed to {receipt.routed_to}")


@nc_app.command("list")
@command(render=lambda result: _print_reports(result))
def nc_list(ctx: typer.Context, json_out: bool = JSON) -> Any:
    """List the reports routed to your roles."""
    from scalegate.governance.noncompliance import list_reports

    return list_reports(workspace_of(ctx), actor_of(ctx))


def _print_reports(reports: list[ReportView]) -> None:
    table(
        "Noncompliance reports",
        ["id", "received", "status", "routed to", "concerning", "material risk"],
        [
            [
                r.id,
                r.received_at.date(),
                r.status,
                r.routed_to,
                r.concerning_role or "-",
                "yes" if r.material_risk else "no",
            ]
            for r in reports
        ],
    )


@nc_app.command("show")
@command(render=lambda result: _print_report(result))
def nc_show(
    ctx: typer.Context, report_id: int = typer.Argument(..., help="Report id."), json_out: bool = JSON
) -> Any:
    """Show one report and its history."""
    from scalegate.governance.noncompliance import show_report

    return show_report(workspace_of(ctx), actor_of(ctx), report_id)


def _print_report(r: ReportView) -> None:
    console().print(
        f"[bold]Report #{r.id}[/bold] {r.status} (routed to {r.routed_to}; next: "
        f"{', '.join(r.next) or '-'})\n{r.description}"
    )
    for e in r.events:
        console().print(f"  {e.at.isoformat()} {e.from_status} -> {e.to} by {e.handler}: {e.note}")


@nc_app.command("transition")
@command()
def nc_transition(
    ctx: typer.Context,
    report_id: int = typer.Argument(..., help="Report id."),
    status: str = typer.Argument(
        ..., help="investigating | substantiated | unsubstantiated | corrective_action | closed."
    ),
    note: str = typer.Option("", "--note", help="What was done or found."),
    material_risk: bool = typer.Option(
        None, "--material-risk/--no-material-risk", help="Flag material risk (notifies the board promptly)."
    ),
    json_out: bool = JSON,
) -> Any:
    """Move a report along its lifecycle."""
    from scalegate.governance.noncompliance import transition

    r = transition(
        workspace_of(ctx), actor_of(ctx), report_id, status, note=note, material_risk=material_risk
    )
    return Said(r, f"Report #{report_id} is {r.status}")


@nc_app.command("summary")
@command()
def nc_summary(
    ctx: typer.Context,
    public: bool = typer.Option(False, "--public", help="Only aggregate counts for public disclosure."),
    json_out: bool = JSON,
) -> Any:
    """Record the periodic summary of minimal-risk reports, or print public aggregate counts."""
    from scalegate.governance.noncompliance import disclosure, summarize
    from scalegate.governance.notifications import configured_notifier

    ws, actor = workspace_of(ctx), actor_of(ctx)
    result: Any = disclosure(ws, actor) if public else summarize(ws, actor, notifier=configured_notifier(ws))
    counts = result if public else result.counts
    return Said(
        result,
        f"{counts.total} reports; substantiated {counts.substantiated}; "
        + ", ".join(f"{k} {v}" for k, v in counts.by_status.items()),
    )


# -- compliance ----------------------------------------------------------------------------------------------


@command(render=lambda result: _print_compliance(result))
def compliance(ctx: typer.Context, json_out: bool = JSON) -> Any:
    """The compliance calendar; overdue items are recorded as compliance findings."""
    from scalegate.governance.compliance import compliance_status

    return compliance_status(workspace_of(ctx), actor_of(ctx))


def _print_compliance(result: ComplianceStatus) -> None:
    c = result.counts
    console().print(
        f"[bold]Compliance[/bold] as of {result.as_of.isoformat()}: {c['overdue']} overdue, "
        f"{c['due']} due, {c['upcoming']} upcoming; {len(result.findings)} findings"
    )
    table(
        None,
        ["due", "status", "what", "clause"],
        [
            [
                i.due_at.date().isoformat(),
                i.status + (f" ({i.days_overdue}d)" if i.days_overdue else ""),
                i.title,
                i.clause,
            ]
            for i in result.items
        ],
    )


@cadence_app.command("list")
@command(render=lambda result: _print_cadences(result))
def cadence_list(ctx: typer.Context, json_out: bool = JSON) -> Any:
    """List the policy's recurring obligations with their next deadline."""
    from scalegate.governance.calendar import calendar_items
    from scalegate.governance.permissions import require

    ws, actor = workspace_of(ctx), actor_of(ctx)
    with ws.reading() as unit:
        require(actor, "compliance.read", unit.policy)
        return [to_jsonable(i) for i in calendar_items(unit) if i.id.startswith("cadence:")]


def _print_cadences(items: list[dict[str, Any]]) -> None:
    table(
        "Cadences",
        ["cadence", "kind", "due", "status", "responsible", "last done"],
        [
            [
                i["details"]["cadence"],
                i["kind"],
                i["due_at"][:10],
                i["status"],
                i["details"]["responsible_role"],
                (i["details"]["last_completed_at"] or "never")[:10],
            ]
            for i in items
        ],
    )


def _record(
    ctx: typer.Context,
    cadence: str,
    at: str | None,
    note: str,
    evidence: str | None,
    kind: str | None,
) -> Said:
    from scalegate.governance.compliance import record_completion

    done = record_completion(
        workspace_of(ctx),
        actor_of(ctx),
        cadence,
        at=_instant(at, "--at"),
        note=note,
        evidence_uri=evidence,
        kind=kind,
    )
    late = f", {done.days_late} days late" if done.days_late else ", on time"
    return Said(done, f"Recorded {cadence} at {done.completed_at.isoformat()}{late}")


AT = typer.Option(None, "--at", help="When it was done (default: now).")
NOTE = typer.Option("", "--note", help="What was done.")
EVIDENCE = typer.Option(None, "--evidence", help="Link to the record (report, minutes).")


@cadence_app.command("record")
@command()
def cadence_record(
    ctx: typer.Context,
    cadence: str = typer.Argument(..., help="Cadence id, e.g. procedural-review."),
    at: str = AT,
    note: str = NOTE,
    evidence: str = EVIDENCE,
    json_out: bool = JSON,
) -> Any:
    """Record that a recurring obligation was carried out."""
    return _record(ctx, cadence, at, note, evidence, None)


@drill_app.command("record")
@command()
def drill_record(
    ctx: typer.Context,
    drill: str = typer.Argument(..., help="Drill id, e.g. drill-training-pause."),
    at: str = AT,
    note: str = NOTE,
    evidence: str = EVIDENCE,
    json_out: bool = JSON,
) -> Any:
    """Record that a readiness drill was run."""
    return _record(ctx, drill, at, note, evidence, "drill")


@command(render=lambda result: _print_permissions(result))
def permissions(ctx: typer.Context, json_out: bool = JSON) -> Any:
    """The permission matrix of the active policy: who may do what, and why."""
    from scalegate.governance.permissions import rules_for

    with workspace_of(ctx).reading() as unit:
        return rules_for(unit.policy)


def _print_permissions(result: dict[str, list[PermissionRule]]) -> None:
    table(
        "Permissions",
        ["action", "roles", "reason", "source"],
        [[a, ", ".join(sorted(r.roles)), r.reason, r.source] for a, rs in result.items() for r in rs],
    )
