"""The verdict cache that lets `scalegate gate` answer a repeated question with SQLite alone.

Only the gate's own door writes it (a page or a report that shows verdicts never opens a write transaction).
Each row is labelled with the audit-log size of the snapshot the verdict was decided from
(``Verdict.state_version``), never with a size read afterwards: a change committed between deciding and
writing makes the label older than the log, so the row is simply never served. Failed evaluations are not
kept, so a passing store error cannot pin a pause (nor anything else) in place.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError

from scalegate.errors import ScalegateError
from scalegate.gate.render import render_text
from scalegate.gate.verdict import Verdict
from scalegate.store.models.gate import GateVerdictRow

if TYPE_CHECKING:
    from scalegate.workspace import Workspace

__all__ = ["remember"]


def remember(workspace: Workspace, ref: str, verdict: Verdict) -> None:
    """Keep ``verdict`` for the fast path under the reference the caller asked with (``MODEL`` or
    ``MODEL@CHECKPOINT``), with both renderings, while the log stays at its state version."""
    if verdict.state_version is None or verdict.errors:
        return
    document = verdict.to_dict()
    try:
        with workspace.transaction() as session:
            row = session.get(GateVerdictRow, (ref, verdict.action)) or GateVerdictRow(
                ref=ref, action=verdict.action
            )
            row.outcome, row.exit_code = verdict.outcome, verdict.exit_code
            row.document, row.text = json.dumps(document, indent=2) + "\n", render_text(document)
            row.audit_size, row.computed_at, row.valid_until = (
                verdict.state_version,
                verdict.decided_at,
                verdict.valid_until,
            )
            row.valid_until_epoch = verdict.valid_until.timestamp() if verdict.valid_until else None
            session.merge(row)
    except (ScalegateError, SQLAlchemyError):
        pass  # a cache that cannot be written (e.g. two writers racing on one key) only costs speed
