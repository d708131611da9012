"""``audit verify``: prove the log and the rows it covers are exactly what was recorded.

Three layers, each reported entry by entry rather than stopping at the first problem:

1. **The log.** Every body is re-hashed and compared with its stored leaf hash; sequence numbers must run
   0..n-1 with no gap and agree with the head row and with the ``seq`` inside each body; the root is rebuilt.
2. **The checkpoints.** Each stored checkpoint's signature is checked against its key (whose id must be the
   SHA-256 of the public key, and which must not have been retired before it signed), its origin must name
   this log, and the root of the log's first ``size`` entries must equal the signed root. That is the same
   fact a consistency proof from the checkpoint to the current tree proves, checked here directly from the
   bodies: a deleted, reordered or rewritten entry, or a truncated log extended with other entries, cannot
   match it.
3. **The rows.** Entries carry ``{"table", "pk", "digest"}`` references to the rows their change wrote. The
   current row of every referenced (table, pk) must have the digest named by the *latest* entry mentioning it
   (``digest: null`` there means the change deleted the row), and every table any entry references is
   *covered*: a row in it that no entry mentions was written behind the log's back.

When everything holds and the log has grown since the last checkpoint, a new checkpoint is signed (if the
workspace's signing key is at hand), so the next verification pins today's state too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from scalegate.actor import SYSTEM
from scalegate.audit.keys import key_id_of
from scalegate.audit.log import log_size
from scalegate.audit.replay import Problem, Replay, RowClaim, replay
from scalegate.audit.signatures import check_signatures
from scalegate.audit.times import check_times
from scalegate.audit.tree_heads import TreeHead, _all, log_origin, sign_tree_head, signature_valid
from scalegate.canonical import canonical_json
from scalegate.errors import ScalegateError
from scalegate.jsonable import to_jsonable
from scalegate.store.base import Base, row_digest
from scalegate.store.models.audit import AuditKeyRow

if TYPE_CHECKING:
    from scalegate.workspace import Workspace

__all__ = ["Problem", "VerifyReport", "check_rows", "verify"]


@dataclass
class VerifyReport:
    """What ``verify`` found: ``ok`` only when ``problems`` is empty."""

    ok: bool
    entries: int
    root: str
    problems: list[Problem]
    bytes_hashed: int
    checkpoints_checked: int = 0
    rows_checked: int = 0
    tables: list[str] = field(default_factory=list)
    checkpoint: TreeHead | None = None
    """The checkpoint this run signed, if it signed one."""
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "root": self.root,
            "bytes_hashed": self.bytes_hashed,
            "checkpoints_checked": self.checkpoints_checked,
            "rows_checked": self.rows_checked,
            "tables": self.tables,
            "problems": [to_jsonable(p) for p in self.problems],
            "checkpoint": self.checkpoint.to_dict() if self.checkpoint else None,
            "notes": self.notes,
            "seconds": round(self.seconds, 6),
        }


def verify(
    workspace: Workspace, *, checkpoint: bool = True, rows: bool = True, deep: bool = False
) -> VerifyReport:
    """Replay the log, check every checkpoint and (with ``rows``) every covered row; see the module docstring.

    ``deep`` also parses every body (canonical form, entry keys, agreement with the indexed columns).
    ``checkpoint=False`` never writes; otherwise a clean, grown log gets a new checkpoint signed by SYSTEM.
    """
    started = time.perf_counter()
    with workspace.read() as session:
        _snapshot(session)
        head = log_size(session)
        checkpoints = _all(session)
        keys = {row.key_id: row for row in session.execute(select(AuditKeyRow)).scalars()}
        marks = [c.size for c in checkpoints]
        pinned = 0 if deep else max((m for m in marks if m <= head), default=0)
        state = replay(session, head=head, marks=marks, rows=rows, deep=deep, seq_checks_from=pinned)
        problems = _check_keys(keys) + _check_checkpoints(checkpoints, keys, state)
        if (problems or state.problems) and not deep:
            # Something is wrong: replay again checking every entry in full, to say exactly which ones.
            state = replay(session, head=head, marks=marks, rows=rows, deep=True)
            problems = _check_keys(keys) + _check_checkpoints(checkpoints, keys, state)
        problems = state.problems + problems + check_times(session)
        rows_checked, tables = 0, list[str]()
        if rows:
            row_problems, rows_checked, tables = check_rows(session, state.claims)
            problems += row_problems
            problems += check_signatures(session)[0]
    report = VerifyReport(
        ok=not problems,
        entries=state.size,
        root=state.builder.root().hex(),
        problems=problems,
        bytes_hashed=state.bytes_hashed,
        checkpoints_checked=len(checkpoints),
        rows_checked=rows_checked,
        tables=tables,
    )
    if checkpoint and report.ok and state.size and not _covered(checkpoints, state.size):
        _sign(workspace, state, report)
    report.seconds = time.perf_counter() - started
    return report


def _snapshot(session: Session) -> None:
    """On PostgreSQL, read log and rows from one snapshot, so concurrent writers cause no false alarm."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def _covered(checkpoints: list[TreeHead], size: int) -> bool:
    return any(c.size == size for c in checkpoints)


def _sign(workspace: Workspace, state: Replay, report: VerifyReport) -> None:
    try:
        report.checkpoint = sign_tree_head(workspace, SYSTEM, verified=state)
    except ScalegateError as exc:
        report.notes.append(f"no checkpoint signed: {exc}")


def _check_keys(keys: dict[str, AuditKeyRow]) -> list[Problem]:
    return [
        Problem(
            "key_mismatch",
            f"key {key_id[:16]}: its id is not the SHA-256 of its public key",
            table="audit_keys",
            pk=key_id,
        )
        for key_id, row in keys.items()
        if key_id_of(bytes(row.public_key)) != key_id
    ]


def _check_checkpoints(
    checkpoints: list[TreeHead], keys: dict[str, AuditKeyRow], state: Replay
) -> list[Problem]:
    origin = log_origin(state.first_leaf) if state.first_leaf is not None else None
    problems: list[Problem] = []
    for cp in checkpoints:
        problems += _check_checkpoint(cp, keys.get(cp.key_id), state, origin)
    return problems


def _check_checkpoint(
    cp: TreeHead, key: AuditKeyRow | None, state: Replay, origin: str | None
) -> list[Problem]:
    def problem(kind: Any, message: str) -> Problem:
        return Problem(kind, message, checkpoint=cp.id)

    found: list[Problem] = []
    if key is None:
        found.append(
            problem("checkpoint_key", f"signed by key {cp.key_id[:16]}, which the store does not hold")
        )
    elif not signature_valid(cp, bytes(key.public_key)):
        found.append(
            problem("checkpoint_signature", f"the signature does not verify under key {cp.key_id[:16]}")
        )
    elif key.retired_at is not None and cp.created_at > key.retired_at:
        found.append(problem("checkpoint_key", f"signed after key {cp.key_id[:16]} was retired"))
    if origin is not None and cp.origin != origin:
        found.append(problem("checkpoint_origin", f"names log {cp.origin}, but this log is {origin}"))
    if cp.size > state.size:
        found.append(
            problem(
                "checkpoint_beyond_log",
                f"signed a log of {cp.size} entries but the log now holds {state.size}: entries were removed",
            )
        )
    elif state.prefix_roots.get(cp.size) != cp.root:
        found.append(
            problem(
                "checkpoint_inconsistent",
                f"the first {cp.size} entries no longer hash to the signed root "
                f"{cp.root.hex()[:16]}: an entry before {cp.size} was changed, removed or reordered",
            )
        )
    return found


def check_rows(
    session: Session, claims: dict[tuple[str, str], RowClaim]
) -> tuple[list[Problem], int, list[str]]:
    """Compare current rows of covered tables with the latest claims: (problems, rows checked, tables)."""
    by_table: dict[str, dict[str, RowClaim]] = {}
    for (table, pk), claim in claims.items():
        by_table.setdefault(table, {})[pk] = claim
    problems: list[Problem] = []
    checked = 0
    for name in sorted(by_table):
        defined = Base.metadata.tables.get(name)
        wanted = by_table[name]
        if defined is None:
            latest = max(c.seq for c in wanted.values())
            problems.append(
                Problem(
                    "unknown_table",
                    "entries reference a table the store does not define",
                    seq=latest,
                    table=name,
                )
            )
            continue
        current = _current_digests(session, defined)
        checked += len(current)
        problems += _compare(name, wanted, current)
    return problems, checked, sorted(by_table)


def _current_digests(session: Session, table: Table) -> dict[str, str]:
    """``{canonical JSON of pk: row digest}`` for every row, computed exactly as ``row_digest`` does."""
    keys = [c.key for c in table.columns]
    pk_keys = [c.key for c in table.primary_key.columns]
    out: dict[str, str] = {}
    for values in session.execute(select(table)).mappings():
        row = SimpleNamespace(__table__=table, **{k: values[table.c[k]] for k in keys})
        pk = [getattr(row, k) for k in pk_keys]
        key = canonical_json(pk[0] if len(pk) == 1 else pk).decode()
        out[key] = row_digest(row)  # type: ignore[arg-type]  # duck-typed: row_values reads __table__ and attributes
    return out


def _compare(table: str, wanted: dict[str, RowClaim], current: dict[str, str]) -> list[Problem]:
    import json

    problems: list[Problem] = []
    for pk_json, claim in wanted.items():
        pk = json.loads(pk_json)
        digest = current.pop(pk_json, None)
        if claim.digest is None:
            if digest is not None:
                problems.append(
                    Problem(
                        "row_deleted_but_present",
                        "entry recorded this row's deletion, but it exists",
                        seq=claim.seq,
                        table=table,
                        pk=pk,
                    )
                )
        elif digest is None:
            problems.append(
                Problem(
                    "row_missing", "the row recorded by this entry is gone", seq=claim.seq, table=table, pk=pk
                )
            )
        elif digest != claim.digest:
            problems.append(
                Problem(
                    "row_mismatch",
                    "the row differs from what this entry recorded (edited outside scalegate)",
                    seq=claim.seq,
                    table=table,
                    pk=pk,
                )
            )
    for pk_json in current:
        problems.append(
            Problem(
                "row_unlogged",
                "no entry records this row of a covered table",
                table=table,
                pk=json.loads(pk_json),
            )
        )
    return problems
