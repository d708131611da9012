"""``scalegate audit``: verify the log, read it, sign checkpoints, prove inclusion and consistency, export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from scalegate.cli._context import actor_of, workspace_of
from scalegate.cli._output import as_dict, as_dicts, command, console, table

if TYPE_CHECKING:
    from scalegate.cli._documents import AuditPage

audit_app = typer.Typer(
    help="The tamper-evident audit log: verify, read, checkpoints, proofs, export.", no_args_is_help=True
)
keys_app = typer.Typer(help="Checkpoint-signing keys.", no_args_is_help=True)
JSON = typer.Option(False, "--json", help="Print one JSON document.")
audit_app.add_typer(keys_app, name="keys")


def _print_verify(report: Any) -> None:
    for problem in report.problems:
        typer.echo(problem.line())
    for note in report.notes:
        typer.echo(f"note: {note}")
    for covered in report.coverage:
        typer.echo(f"  {covered.line()}")
    verdict = "ok" if report.ok else f"FAILED: {len(report.problems)} problems"
    signed = f"; signed checkpoint {report.checkpoint.id}" if report.checkpoint else ""
    typer.echo(
        f"{verdict}: {report.entries} entries, root {report.root}, {report.checkpoints_checked} "
        f"checkpoints, {report.rows_checked} rows in {len(report.tables)} tables{signed}"
    )


@audit_app.command("verify")
@command(render=_print_verify, to_json=as_dict, exit_code=lambda report: 0 if report.ok else 1)
def verify_cmd(
    ctx: typer.Context,
    json_out: bool = JSON,
    deep: bool = typer.Option(False, "--deep", help="Also parse every body (canonical form, columns)."),
    checkpoint: bool = typer.Option(
        True, "--checkpoint/--no-checkpoint", help="Sign a checkpoint when the log verifies and has grown."
    ),
    blobs: bool = typer.Option(
        True, "--blobs/--no-blobs", help="Re-hash every stored evidence file (--no-blobs skips it)."
    ),
) -> Any:
    """Replay the log and check checkpoints, every table and every stored file; exit 1 listing each problem.

    Each table is reported with its kind: covered by the log, or a derived cache.
    """
    from scalegate.audit.content import stored_bytes
    from scalegate.audit.verify import verify
    from scalegate.cli._progress import progress

    workspace = workspace_of(ctx)
    total = 0
    if blobs:
        with workspace.read() as session:
            total = stored_bytes(session)
    with progress("Re-hashing stored files", total, json_out=json_out) as advance:
        return verify(workspace, checkpoint=checkpoint, deep=deep, blobs=blobs, advance=advance)


def _print_log(entries: list[Any]) -> None:
    rows = [
        [e.seq, e.at, e.event, e.subject, e.actor, json.dumps(e.data, ensure_ascii=False)[:60]]
        for e in entries
    ]
    table("Audit log", ["seq", "at", "event", "subject", "actor", "data"], rows)


def _print_page(page: Any) -> None:
    _print_log(page.entries)
    if page.next_before is not None:
        typer.echo(
            f"note: {len(page.entries)} of {page.total} entries; next page: --before {page.next_before}",
            err=True,
        )


def _page_json(page: Any) -> AuditPage:
    return {"entries": as_dicts(page.entries), "total": page.total, "next_before": page.next_before}


@audit_app.command("log")
@command(render=_print_page, to_json=_page_json)
def log_cmd(
    ctx: typer.Context,
    json_out: bool = JSON,
    limit: int = typer.Option(20, "--limit", min=1, help="How many entries (newest first)."),
    subject: str | None = typer.Option(None, "--subject", help="Only entries about this subject."),
    event: str | None = typer.Option(None, "--event", help="Only entries of this event type."),
    before: int | None = typer.Option(
        None, "--before", min=1, help="Only entries older than this seq (the next page's, as noted)."
    ),
) -> Any:
    """List the newest entries (read from their canonical bodies), a page at a time: ``next_before`` in
    ``--json`` (a note on stderr otherwise) gives the next page's ``--before``."""
    from scalegate.governance.audit_access import entries_page

    return entries_page(
        workspace_of(ctx), actor_of(ctx), limit=limit, subject=subject, event=event, before=before
    )


def _print_tree_head(cp: Any) -> None:
    typer.echo(f"checkpoint {cp.id}: {cp.size} entries, root {cp.root.hex()}, key {cp.key_id[:16]}")
    typer.echo(cp.text.decode("utf-8"), nl=False)
    typer.echo(f"signature {cp.signature.hex()}")


def _print_adoption(adoption: Any) -> None:
    if adoption.seq is None:
        console().print("nothing to adopt: every row of a covered table is named by an entry")
        return
    tables = ", ".join(f"{name} {count}" for name, count in sorted(adoption.tables.items()))
    console().print(f"adopted {adoption.rows} unlogged rows in entry {adoption.seq} ({tables})")


@audit_app.command("adopt")
@command(render=_print_adoption, to_json=as_dict)
def adopt_cmd(ctx: typer.Context, json_out: bool = JSON) -> Any:
    """Adopt every row no entry names (written before the log covered its table) in one logged entry."""
    from scalegate.governance.adoption import adopt_unlogged

    return adopt_unlogged(workspace_of(ctx), actor_of(ctx))


@audit_app.command("checkpoint")
@command(render=_print_tree_head, to_json=as_dict)
def checkpoint_cmd(ctx: typer.Context, json_out: bool = JSON) -> Any:
    """Sign a checkpoint (tree head) of the current log with the active key."""
    from scalegate.governance.audit_access import sign_tree_head

    return sign_tree_head(workspace_of(ctx), actor_of(ctx))


@audit_app.command("proof")
@command(
    render=lambda proof: _print_proof(
        proof.to_dict(), "audit_path", f"entry {proof.seq} in tree of {proof.size}"
    ),
    to_json=as_dict,
)
def proof_cmd(
    ctx: typer.Context,
    seq: int = typer.Argument(..., help="Entry sequence number."),
    size: int | None = typer.Option(
        None, "--size", help="Tree size to prove against (default: the whole log)."
    ),
    json_out: bool = JSON,
) -> Any:
    """Inclusion proof (RFC 9162 audit path) of entry SEQ in the tree of the first --size entries (without
    the body when the entry is sealed for you)."""
    from scalegate.governance.audit_access import inclusion_proof

    return inclusion_proof(workspace_of(ctx), actor_of(ctx), seq, size)


@audit_app.command("consistency")
@command(
    render=lambda proof: _print_proof(
        proof.to_dict(), "consistency_path", f"tree {proof.old_size} -> tree {proof.new_size}"
    ),
    to_json=as_dict,
)
def consistency_cmd(
    ctx: typer.Context,
    old: int = typer.Argument(..., help="The older tree size."),
    new: int | None = typer.Argument(None, help="The newer tree size (default: the whole log)."),
    json_out: bool = JSON,
) -> Any:
    """Consistency proof that the tree of OLD entries is a prefix of the tree of NEW entries."""
    from scalegate.audit.proofs import consistency_proof

    return consistency_proof(workspace_of(ctx), old, new)


def _print_proof(doc: dict[str, Any], path_key: str, title: str) -> None:
    out = console()
    out.print(f"[bold]{title}[/bold]: {'verified' if doc['verified'] else 'DOES NOT VERIFY'}")
    for key, value in doc.items():
        if key == path_key:
            out.print(f"{key}:")
            for i, node in enumerate(value):
                out.print(f"  {i:3d} {node}")
        elif isinstance(value, dict):
            out.print(f"{key}: checkpoint {value['id']} signed by {value['key_id'][:16]}")
        elif key not in ("verified", "body"):
            out.print(f"{key}: {value}")


def _print_export(result: Any) -> None:
    for note in result.notes:
        typer.echo(f"note: {note}")
    typer.echo(f"exported {result.size} entries (root {result.root}) to {result.directory}")
    typer.echo(
        f"verify with: python {result.directory / 'verify_offline.py'} {result.directory} "
        "--public-key KEY.pem"
    )


@audit_app.command("export")
@command(render=_print_export, to_json=as_dict)
def export_cmd(
    ctx: typer.Context,
    directory: Path = typer.Argument(..., help="New or empty directory to write."),
    json_out: bool = JSON,
) -> Any:
    """Export entries, checkpoints and public keys, with the standalone offline verifier."""
    from scalegate.governance.audit_access import export_log

    return export_log(workspace_of(ctx), directory, actor_of(ctx))


def _print_rotation(rotation: Any) -> None:
    if rotation.retired:
        typer.echo(f"retired key {rotation.retired.key_id}")
    typer.echo(f"active key  {rotation.active.key_id}")
    if rotation.handover:
        typer.echo(f"handover checkpoint {rotation.handover.id} at size {rotation.handover.size}")
    if rotation.note:
        typer.echo(f"note: {rotation.note}")


@keys_app.command("rotate")
@command(render=_print_rotation, to_json=as_dict)
def keys_rotate_cmd(ctx: typer.Context, json_out: bool = JSON) -> Any:
    """Retire the active signing key and create a new one (the old key signs a handover checkpoint)."""
    from scalegate.governance.audit_access import rotate_key

    return rotate_key(workspace_of(ctx), actor_of(ctx))


def _print_keys(keys: list[Any]) -> None:
    table(
        "Signing keys",
        ["key id", "created", "retired"],
        [
            [k.key_id, k.created_at.isoformat(), k.retired_at.isoformat() if k.retired_at else "active"]
            for k in keys
        ],
    )


@keys_app.command("list")
@command(render=_print_keys, to_json=lambda keys: {"keys": as_dicts(keys)})
def keys_list_cmd(ctx: typer.Context, json_out: bool = JSON) -> list[Any]:
    """List signing keys (public halves) with their PEM."""
    from scalegate.audit.keys import list_keys

    return list_keys(workspace_of(ctx))


@keys_app.command("public")
@command(render=lambda key: typer.echo(key.pem, nl=False))
def keys_public_cmd(
    ctx: typer.Context,
    key_id: str | None = typer.Argument(None, help="Key id or prefix (default: the active key)."),
) -> Any:
    """Print a public key as PEM (what reviewers pass to the offline verifier)."""
    from scalegate.audit.keys import public_key_of

    return public_key_of(workspace_of(ctx), key_id)
