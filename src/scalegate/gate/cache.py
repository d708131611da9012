"""The verdict cache that lets `scalegate gate` answer a repeated question with SQLite alone.

Only the gate's own door writes it (a page or a report that shows verdicts never opens a write transaction).
Each row carries the state of the snapshot the verdict was decided from (``Verdict.sealed_state``, read in
the deciding transaction, never afterwards), the window in which the verdict holds, and an HMAC under the
workspace's gate key bound to the audit root (``scalegate.gate.seal``). A row is served only when its MAC
verifies and its state is the current one, so a change committed between deciding and writing, an edited
row, a forged row or a deleted evidence file each make the gate decide afresh.

The window closes at the earliest time the verdict could change by itself (a deadline, a trigger that will
fire, an expiry, a re-approval, a month that changes what the text says), and at most ``MAX_AGE`` after it
was decided, so a time dependency the engine does not name still cannot keep a verdict forever.

A failed evaluation removes the row rather than keeping it, so neither a passing store error nor an older
verdict stays in place of the pause.

``check`` is the cache's side of ``audit verify``: every row must verify under the gate key, and with
``repair`` the rows that do not are deleted (the gate rebuilds them on its next call).
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from scalegate.errors import ScalegateError
from scalegate.gate.render import render_text
from scalegate.gate.seal import STATE_SQL, SealedRow, State, ensure_key, key_path, read_key, seal, state_of
from scalegate.gate.verdict import EXIT_CODES, Verdict
from scalegate.store.models.gate import GateVerdictRow

if TYPE_CHECKING:
    from scalegate.workspace import Workspace

__all__ = ["MAX_AGE", "check", "read_state", "remember"]

MAX_AGE = timedelta(hours=1)
"""The longest a cached verdict is served, whatever the engine says about its time bounds."""


def read_state(session: Session) -> State:
    """The state the verdicts of ``session``'s snapshot depend on (one statement, ``seal.STATE_SQL``)."""
    dialect = session.get_bind().dialect.name
    row = session.execute(text(STATE_SQL[dialect])).one()
    return state_of(tuple(row))


def _key_file(session: Session) -> str:
    bind = session.get_bind()
    url = bind.engine.url
    database = url.database if url.get_backend_name() == "sqlite" and url.database != ":memory:" else None
    return key_path(database)


def _sealed(row: GateVerdictRow) -> SealedRow:
    state = State(row.audit_size, row.audit_leaf, row.policy_digest, row.blob_state)
    return SealedRow(
        row.ref,
        row.action,
        row.outcome,
        row.exit_code,
        row.document,
        row.text,
        row.computed_epoch,
        row.valid_until_epoch,
        state,
    )


def _window_end(verdict: Verdict) -> datetime:
    cap = verdict.decided_at + MAX_AGE
    return cap if verdict.valid_until is None else min(cap, verdict.valid_until)


def remember(workspace: Workspace, ref: str, verdict: Verdict) -> None:
    """Keep ``verdict`` for the fast path under the reference the caller asked with (``MODEL`` or
    ``MODEL@CHECKPOINT``), with both renderings, sealed with the state it was decided from.

    Only SQLite workspaces keep verdicts (the fast path reads nothing else). A verdict with errors or without
    a known state removes what was kept for the question instead.
    """
    if workspace.backend != "sqlite":
        return
    state = verdict.sealed_state
    try:
        with workspace.transaction() as session:
            if verdict.errors or state is None or not state.cacheable:
                session.execute(
                    delete(GateVerdictRow).where(
                        GateVerdictRow.ref == ref, GateVerdictRow.action == verdict.action
                    )
                )
                return
            key = ensure_key(_key_file(session))
            document = verdict.to_dict()
            until = _window_end(verdict)
            row = session.get(GateVerdictRow, (ref, verdict.action)) or GateVerdictRow(
                ref=ref, action=verdict.action
            )
            row.outcome, row.exit_code = verdict.outcome, verdict.exit_code
            row.document, row.text = json.dumps(document, indent=2) + "\n", render_text(document)
            row.computed_at, row.computed_epoch = verdict.decided_at, verdict.decided_at.timestamp()
            row.valid_until, row.valid_until_epoch = until, until.timestamp()
            row.audit_size, row.audit_leaf = state.audit_size, state.audit_leaf
            row.policy_digest, row.blob_state = state.policy_digest, state.blob_state
            row.mac = seal(key, _sealed(row))
            session.merge(row)
    except (ScalegateError, SQLAlchemyError, OSError):
        pass  # a cache that cannot be written (e.g. two writers racing on one key) only costs speed


def check(session: Session, *, repair: bool = False) -> list[str]:
    """Problems of the verdict cache: each row that does not verify under the gate key (edited, inserted or
    sealed under another key), or whose time columns disagree with the sealed ones. With ``repair`` those
    rows are deleted in ``session`` (the caller commits); the gate decides them afresh on its next call.

    A row sealed for an older state verifies (it is merely never served) and is no problem.
    """
    rows = list(session.execute(select(GateVerdictRow)).scalars())
    if not rows:
        return []
    key = read_key(_key_file(session))
    problems: list[str] = []
    bad: list[GateVerdictRow] = []
    for row in rows:
        why = _row_problem(row, key)
        if why is not None:
            problems.append(f"gate_verdicts[{row.ref!r}, {row.action!r}]: {why}")
            bad.append(row)
    if repair:
        for row in bad:
            session.delete(row)
        session.flush()
    return problems


def _row_problem(row: GateVerdictRow, key: bytes | None) -> str | None:
    """Why a cached row cannot be trusted, or None when it verifies."""
    if key is None:
        return "MAC does not verify: there is no gate key to verify it with"
    try:
        sealed = _sealed(row)
        expected = seal(key, sealed)
    except (TypeError, ValueError, AttributeError) as exc:
        return f"malformed row ({type(exc).__name__}: {exc})"
    if not isinstance(row.mac, str) or row.mac != expected:
        return "MAC does not verify: the row was edited or inserted outside the gate"
    if EXIT_CODES.get(row.outcome) != row.exit_code:  # type: ignore[call-overload]
        return f"exit code {row.exit_code} does not match outcome {row.outcome!r}"
    if not _same_instant(row.computed_at, row.computed_epoch):
        return "computed_at differs from the sealed computation time"
    if row.valid_until is None or not _same_instant(row.valid_until, row.valid_until_epoch):
        return "valid_until differs from the sealed end of validity"
    return None


def _same_instant(value: datetime | None, epoch: float | None) -> bool:
    if value is None or epoch is None:
        return False
    try:
        return math.isclose(value.timestamp(), epoch, rel_tol=0.0, abs_tol=1e-3)  # rel_tol would allow ~2 s
    except (TypeError, ValueError, OverflowError):
        return False
