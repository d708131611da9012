"""``scalegate gate`` with a light start-up, for pipelines that call it on every evaluation step.

A verdict computed by the engine is cached with the audit-log size it was computed at and the earliest time it
could change by itself (a deadline or an expiry), together with both renderings (text and JSON). Any state
change appends to the log, so a cached verdict is reused only while the log has not grown and that time has
not come. The check needs only ``sqlite3`` from the standard library (no JSON, no dates, no regular
expressions); anything else (no cache, a stale cache, PostgreSQL) takes the full engine.
Exit codes: 0 allow, 4 restrict, 3 pause, 2 bad input, 1 internal error.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time

from scalegate.vocabulary import ACTIONS

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


def _now() -> float:
    """Unix time now, honouring ``SCALEGATE_NOW`` (only then is ``datetime`` imported)."""
    pinned = os.environ.get("SCALEGATE_NOW")
    if not pinned:
        return time.time()
    from scalegate.clock import parse_instant

    return parse_instant(pinned).timestamp()


def cached(path: str, ref: str, action: str, as_json: bool) -> tuple[str, int] | None:
    """The cached rendering and exit code if the cached verdict is still valid, else None."""
    if not os.path.exists(path):
        return None
    column = "document" if as_json else "text"
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            row = conn.execute(
                f"SELECT v.{column}, v.exit_code, v.valid_until_epoch FROM gate_verdicts v "
                "JOIN audit_head h ON h.id = 1 AND h.size = v.audit_size WHERE v.ref = ? AND v.action = ?",
                (ref, action),
            ).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    if row is None or (row[2] is not None and row[2] <= _now()):
        return None
    return str(row[0]), int(row[1])


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

    from scalegate.errors import ScalegateError
    from scalegate.gate.cache import remember
    from scalegate.gate.render import render_text
    from scalegate.gate.service import evaluate_gate, gate_for_url
    from scalegate.workspace import open_workspace

    try:
        try:
            workspace = open_workspace(db)
        except ScalegateError:
            verdict = gate_for_url(db, ref, action)  # says why the store is unavailable, as a pause
        else:
            try:
                verdict = evaluate_gate(workspace, ref, action)
                remember(workspace, ref, verdict)
            finally:
                workspace.close()
    except ScalegateError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return exc.exit_code
    document = verdict.to_dict()
    sys.stdout.write(json.dumps(document, indent=2) + "\n" if as_json else render_text(document))
    return verdict.exit_code
