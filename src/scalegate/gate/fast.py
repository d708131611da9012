"""``scalegate gate`` with a light start-up, for pipelines that call it on every evaluation step.

A verdict computed by the engine is cached with the state it was decided from (the audit root, the active
policy, the blob store: ``scalegate.gate.seal``), the window in which it holds (from its computation to the
earliest deadline, expiry or re-approval it depends on), both renderings (text and JSON), and an HMAC over
all of it under the workspace's gate key. The cached row and the current state are read in one statement;
the verdict is served only when the MAC verifies, the state is the same and the time is inside the window.
Anything else (no cache, a stale or edited row, no key, PostgreSQL) takes the full engine: when in doubt,
recompute. The check needs only light parts of the standard library (``sqlite3``; SHA-256 without OpenSSL).
Exit codes: 0 allow, 4 restrict, 3 pause, 2 bad input, 1 internal error.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time

from scalegate.clock import parse_instant
from scalegate.errors import ScalegateError
from scalegate.gate.render import render_text
from scalegate.gate.seal import STATE_SQL, SealedRow, compare_digest, key_path, read_key, seal, state_of
from scalegate.vocabulary import ACTIONS, EXIT_CODES

__all__ = ["cached", "main"]

_USAGE = (
    "usage: scalegate gate MODEL[@CHECKPOINT] --action continue-training|deploy-internal|deploy-external "
    "[--json] [--db URL]"
)


def _parse(args: list[str]) -> tuple[str, str, bool, str | None] | str:
    ref, action, as_json, db = None, None, False, os.environ.get("SCALEGATE_DATABASE_URL")
    it = iter(args)
    for arg in it:
        if arg == "--json":
            as_json = True
        elif arg in ("--action", "-a", "--db"):
            value = next(it, None)
            if value is None:
                return f"{arg} needs a value"
            if arg == "--db":
                db = value
            else:
                action = value
        elif arg.startswith("--action="):
            action = arg.split("=", 1)[1]
        elif arg.startswith("--db="):
            db = arg.split("=", 1)[1]
        elif arg in ("-h", "--help"):
            return "help"
        elif arg.startswith("-"):
            return f"unknown option {arg}"
        elif ref is None:
            ref = arg
        else:
            return f"unexpected argument {arg!r}"
    if ref is None:
        return "missing MODEL[@CHECKPOINT]"
    if action is None:
        return "missing --action"
    if action not in ACTIONS:
        return f"unknown action {action!r}; expected one of {', '.join(ACTIONS)}"
    return ref, action, as_json, db


def _sqlite_path(db: str | None) -> str | None:
    if db is None:
        return os.path.join(os.getcwd(), ".scalegate", "scalegate.db")
    if db.startswith("sqlite:///"):
        return db[len("sqlite:///") :]
    if "://" not in db:
        return os.path.abspath(db)
    return None


def _now(mode: object) -> float:
    """Unix time now. ``SCALEGATE_NOW`` moves it only in a demo workspace, as it does for the engine (only
    then is ``datetime`` imported): elsewhere a pinned past time must not revive an expired verdict."""
    pinned = os.environ.get("SCALEGATE_NOW")
    if not pinned or mode != "demo":
        return time.time()
    return parse_instant(pinned).timestamp()


_CACHED_SQL = (
    "SELECT v.document, v.text, v.exit_code, v.outcome, v.computed_epoch, v.valid_until_epoch, v.mac, "
    "v.audit_size, v.audit_leaf, v.policy_digest, v.blob_state, "
    "(SELECT value FROM settings WHERE key = 'mode'), s.* "
    f"FROM gate_verdicts v, ({STATE_SQL['sqlite']}) s WHERE v.ref = ? AND v.action = ?"
)


def cached(path: str, ref: str, action: str, as_json: bool) -> tuple[str, int] | None:
    """The cached rendering and exit code if the cached verdict is authentic and still holds, else None.

    The row and the current state come from one statement (one snapshot), so a change committed meanwhile
    cannot pair an old verdict with a new state."""
    if not os.path.exists(path):
        return None
    key = read_key(key_path(path))
    if key is None:
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            row = conn.execute(_CACHED_SQL, (ref, action)).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    if row is None:
        return None
    try:
        return _served(key, ref, action, as_json, row)
    except (TypeError, ValueError):
        return None  # a malformed state (e.g. a size that is not a number) is a miss


def _served(
    key: bytes, ref: str, action: str, as_json: bool, row: tuple[object, ...]
) -> tuple[str, int] | None:
    """The rendering and exit code of a fetched row if it verifies, holds the current state and is in its
    window, else None."""
    document, text, exit_code, outcome, computed, until, mac = row[:7]
    recorded = (row[7], row[8], row[9], row[10])
    mode, current = row[11], state_of(row[12:])
    if not current.cacheable or recorded != (
        current.audit_size,
        current.audit_leaf,
        current.policy_digest,
        current.blob_state,
    ):
        return None
    if not (
        isinstance(document, str)
        and isinstance(text, str)
        and isinstance(outcome, str)
        and isinstance(exit_code, int)
        and isinstance(computed, float)
        and isinstance(until, float)
        and isinstance(mac, str)
    ):
        return None  # a malformed row is a miss
    if {str(k): v for k, v in EXIT_CODES.items()}.get(outcome) != exit_code:
        return None
    sealed = SealedRow(ref, action, outcome, exit_code, document, text, computed, until, current)
    if not compare_digest(mac, seal(key, sealed)):
        return None
    now = _now(mode)
    if not computed <= now < until:
        return None
    return (document if as_json else text), exit_code


def main(args: list[str]) -> int:
    """Run the gate command; returns the exit code."""
    parsed = _parse(args)
    if isinstance(parsed, str):
        if parsed == "help":
            sys.stdout.write(_USAGE + "\n")
            return 0
        sys.stderr.write(f"error: {parsed}\n{_USAGE}\n")
        return 2
    ref, action, as_json, db = parsed
    path = _sqlite_path(db)
    hit = cached(path, ref, action, as_json) if path else None
    if hit is not None:
        sys.stdout.write(hit[0])
        return hit[1]
    return _decide(ref, action, as_json, db)


def _decide(ref: str, action: str, as_json: bool, db: str | None) -> int:
    """The full engine, and the cache it fills (the gate's door is the only writer of the cache)."""
    import json

    # deferred: the full engine (SQLAlchemy, the policy schema, the table models: ~440 modules, ~0.5 s)
    # only when the sealed verdict cannot answer: the fast path reads SQLite directly
    from scalegate.gate.cache import remember
    from scalegate.gate.service import evaluate_gate, gate_for_url
    from scalegate.workspace import open_workspace

    try:
        try:
            workspace = open_workspace(db)
        except ScalegateError:
            verdict = gate_for_url(db, ref, action)  # says why the store is unavailable, as a pause
        else:
            try:
                verdict = evaluate_gate(workspace, ref, action, sealed=True)
                remember(workspace, ref, verdict)
            finally:
                workspace.close()
    except ScalegateError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return exc.exit_code
    document = verdict.to_dict()
    sys.stdout.write(json.dumps(document, indent=2) + "\n" if as_json else render_text(document))
    return verdict.exit_code
