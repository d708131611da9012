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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from scalegate.actor import SYSTEM
from scalegate.audit.columns import columns_disagree, derived, table_problems
from scalegate.audit.content import ContentCheck, check_blobs
from scalegate.audit.coverage import Coverage, cache_check, coverage_of
from scalegate.audit.keys import key_id_of
from scalegate.audit.log import log_size
from scalegate.audit.replay import Problem, Replay, replay
from scalegate.audit.row_index import index_problems
from scalegate.audit.rows import UNREADABLE, check_rows, row_tables, unreadable_rows
from scalegate.audit.signatures import check_signatures
from scalegate.audit.tree_heads import (
    LEGACY_FORMAT,
    TreeHead,
    TreeHeadDocument,
    _all,
    log_origin,
    sign_tree_head,
    signature_valid,
    vouches_for_times,
)
from scalegate.errors import ScalegateError
from scalegate.jsonable import JsonObject, to_jsonable
from scalegate.store.models import every_table
from scalegate.store.models.audit import AuditHeadRow, AuditKeyRow

if TYPE_CHECKING:
    from scalegate.workspace import Workspace

__all__ = ["Problem", "TableReport", "VerifyReport", "check_rows", "verify"]


@dataclass(frozen=True)
class TableReport:
    """One table as ``audit verify`` saw it: its kind (covered or cache), how it was checked, how many rows
    were read (None when the mechanism reads none row by row), and how many problems name it."""

    table: str
    kind: str
    how: str
    rows: int | None
    problems: int

    def line(self) -> str:
        counted = "" if self.rows is None else f", {self.rows} rows"
        state = "ok" if not self.problems else f"{self.problems} problems"
        return f"{self.table}: {self.kind} ({self.how}){counted}: {state}"


class VerifyDocument(TypedDict):
    """A verification run as JSON (``VerifyReport.to_dict``); problems and coverage as ``to_jsonable`` writes
    their dataclasses."""

    ok: bool
    entries: int
    root: str
    bytes_hashed: int
    checkpoints_checked: int
    rows_checked: int
    tables: list[str]
    problems: list[JsonObject]
    checkpoint: TreeHeadDocument | None
    notes: list[str]
    seconds: float
    coverage: list[JsonObject]
    files_checked: int | None
    blob_bytes: int


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
    coverage: list[TableReport] = field(default_factory=list)
    """Every table of the store, with its kind and what was found."""
    files_checked: int | None = None
    """Stored evidence files re-hashed (None: skipped with ``blobs=False``)."""
    blob_bytes: int = 0

    def to_dict(self) -> VerifyDocument:
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
            "coverage": [to_jsonable(t) for t in self.coverage],
            "files_checked": self.files_checked,
            "blob_bytes": self.blob_bytes,
        }


def verify(
    workspace: Workspace,
    *,
    checkpoint: bool = True,
    rows: bool = True,
    deep: bool = False,
    blobs: bool = True,
    advance: Callable[[int], None] | None = None,
) -> VerifyReport:
    """Replay the log, check every checkpoint and (with ``rows``) every covered row; see the module docstring.

    ``deep`` also parses every body in Python (canonical form, entry keys). ``blobs`` re-hashes every stored
    evidence file, calling ``advance`` with the bytes of each chunk (for a progress bar).
    ``checkpoint=False`` never writes; otherwise a clean, grown log gets a new checkpoint signed by SYSTEM.
    """
    started = time.perf_counter()
    try:
        with workspace.read() as session:
            _snapshot(session)
            report, state, checkpoints = _check(session, rows=rows, deep=deep, blobs=blobs, advance=advance)
    except UNREADABLE as exc:
        # A value some check read through its column type could not be converted (a malformed time or JSON
        # document written with SQL): name every such row instead of failing with a traceback.
        with workspace.read() as session:
            report = _unreadable(session, exc)
        report.seconds = time.perf_counter() - started
        return report
    if checkpoint and report.ok and state.size and not _covered(checkpoints, state.size):
        _sign(workspace, state, report)
    report.seconds = time.perf_counter() - started
    return report


def _check(
    session: Session, *, rows: bool, deep: bool, blobs: bool, advance: Callable[[int], None] | None
) -> tuple[VerifyReport, Replay, list[TreeHead]]:
    """Every check of ``verify`` in one read session; the report, the replay and the stored checkpoints."""
    head = log_size(session)
    checkpoints = _all(session)
    keys = {row.key_id: row for row in session.execute(select(AuditKeyRow)).scalars()}
    marks = [c.size for c in checkpoints]
    # Entries a tree head pins need no check of their seq, nor (under a v3 tree head) of their time order;
    # should the tree head not verify, the deep replay below checks every entry.
    pinned = 0 if deep else max((m for m in marks if m <= head), default=0)
    vouched = 0 if deep else max((c.size for c in checkpoints if vouches_for_times(c, head)), default=0)
    state = replay(
        session, head=head, marks=marks, rows=rows, deep=deep, seq_checks_from=pinned, times_from=vouched
    )
    problems = _check_keys(keys) + _check_checkpoints(checkpoints, keys, state)
    # The columns are the bodies' when the table is defined as shipped; else they are compared entry by entry.
    # Any problem: replay again checking every entry in full, to say exactly which ones.
    if not deep and (problems or state.problems or not (derived(session) or not columns_disagree(session))):
        state = replay(session, head=head, marks=marks, rows=rows, deep=True, times_from=0)
        problems = _check_keys(keys) + _check_checkpoints(checkpoints, keys, state)
    problems = state.problems + problems
    problems += _check_head(session)
    if deep:
        problems += table_problems(session)
    counts: dict[str, int] = {}
    if rows:
        row_problems, counts = check_rows(session, state.claims)
        problems += row_problems
        problems += index_problems(session, state.claims)
        problems += check_signatures(session)[0]
    content = check_blobs(session, advance) if blobs else None
    if content is not None:
        problems += content.problems
    problems += _check_caches(session)
    report = VerifyReport(
        ok=not problems,
        entries=state.size,
        root=state.builder.root().hex(),
        problems=problems,
        bytes_hashed=state.bytes_hashed,
        checkpoints_checked=len(checkpoints),
        rows_checked=sum(counts.values()),
        tables=row_tables(counts) if rows else [],
        coverage=_coverage(counts, problems, content, state.size),
        files_checked=content.files if content is not None else None,
        blob_bytes=content.bytes_hashed if content is not None else 0,
    )
    legacy = sum(1 for c in checkpoints if c.format == LEGACY_FORMAT)
    if legacy:
        report.notes.append(
            f"{legacy} checkpoints were signed in format v1, which binds neither their id nor their signer"
        )
    return report, state, checkpoints


def _unreadable(session: Session, exc: Exception) -> VerifyReport:
    """The report when a check met a stored value it cannot read: every unreadable row of every table."""
    problems = unreadable_rows(session)
    if not problems:
        detail = " ".join(str(exc).split())[:120]
        problems = [Problem("malformed_row", f"the store holds a value scalegate cannot read ({detail})")]
    return VerifyReport(
        ok=False,
        entries=log_size(session),
        root="",
        problems=problems,
        bytes_hashed=0,
        coverage=_coverage({}, problems, None, 0),
        notes=["verification stopped at an unreadable value; fix or remove the rows named and verify again"],
    )


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


def _check_head(session: Session) -> list[Problem]:
    """The head is one row, id 1 (a second row could not mislead ``log_size``, but nothing may be forged)."""
    ids = list(session.execute(select(AuditHeadRow.id)).scalars())
    if ids == [1]:
        return []
    message = f"the head must be exactly one row with id 1; the store holds ids {sorted(ids)}"
    return [Problem("head_mismatch", message)]


def _check_caches(session: Session) -> list[Problem]:
    """Run each cache's own check; a row that fails it was written outside scalegate (and is not served)."""
    problems: list[Problem] = []
    for name in sorted(every_table()):
        check = cache_check(name) if coverage_of(name).kind == "cache" else None
        if check is None:
            continue
        for line in check(session):
            where, _, reason = line.partition("]: ")
            pk = where.removeprefix(f"{name}[") if reason else None
            why = reason or line
            problems.append(
                Problem("cache_invalid", f"{why}; its reader ignores and recomputes it", table=name, pk=pk)
            )
    return problems


def _coverage(
    counts: dict[str, int], problems: list[Problem], content: ContentCheck | None, entries: int
) -> list[TableReport]:
    """A report line per table of the store, in name order."""
    found: dict[str, int] = {}
    for problem in problems:
        if problem.table is not None:
            found[problem.table] = found.get(problem.table, 0) + 1
        elif problem.seq is not None or problem.checkpoint is not None or problem.kind == "head_mismatch":
            found["audit_entries"] = found.get("audit_entries", 0) + 1
    reports = []
    for name in sorted(every_table()):
        cover: Coverage = coverage_of(name)
        rows: int | None = counts.get(name)
        how = cover.how
        if name == "audit_entries":
            rows = entries
        elif cover.mechanism == "content":
            rows = content.chunks if content is not None else None
            how = how if content is not None else "not re-hashed (--no-blobs)"
        elif cover.mechanism == "mac" and cache_check(name) is None:
            how = "derived; no check installed in this process"
        reports.append(TableReport(name, cover.kind, how, rows, found.get(name, 0)))
    return reports
