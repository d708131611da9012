"""The rows a verdict relies on, checked against the audit log before the gate answers.

Someone with SQL access to the store can edit or insert the rows a verdict is decided from: a sign-off, a
decision, a notice and its acknowledgement, a safeguard's evidence, an evidence record and its scores, a
checkpoint's effective compute, which policy version is the active one. ``audit verify`` finds every such
row, but only when someone runs it; the gate must not count one in between. So, after deciding, the gate
takes every row of a covered table the decision read (every row loaded through the ORM in the deciding
transaction, collected as it loads; the evidence records and scores behind each finding, which the evidence
series may have read once for many decisions; the active policy's version row), computes each row's digest
as the log does, and looks up the latest digest the log recorded for it (``scalegate.audit.row_index``, in
the same snapshot). A row the log does not vouch for turns the verdict into ``pause`` with a
``record.unverified`` reason naming its table and key: a forged record can delay an answer, never change it.

Only rows of tables covered by row digests are checked (``scalegate.audit.coverage``); the policy is checked
against its recorded hash when it is read, and caches are authenticated on their own.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast

from sqlalchemy import event, select

from scalegate.audit.coverage import coverage_of
from scalegate.audit.row_index import Key, logged_digests
from scalegate.canonical import canonical_json
from scalegate.gate.verdict import Reason
from scalegate.store.base import Base, row_digest
from scalegate.store.models.evidence import EvidenceBlobRow, EvidenceRow, EvidenceScoreRow
from scalegate.store.models.workspace import PolicyVersionRow

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.orm import Session

    from scalegate.assessment.service import Assessment

__all__ = ["Fault", "RowCheck", "check_relied_rows", "fault_reasons", "relied_rows"]

FaultKind = Literal["unlogged", "deleted", "edited"]
"""How a row disagrees with the log: no entry names it; the log recorded its deletion; its digest differs."""

_WHY: dict[FaultKind, str] = {
    "unlogged": "no entry of the audit log names it (written outside scalegate)",
    "deleted": "the audit log recorded its deletion, yet it exists",
    "edited": "it differs from what the audit log last recorded for it (edited outside scalegate)",
}


@dataclass(frozen=True)
class Fault:
    """One relied-upon row the log does not vouch for."""

    table: str
    pk: Any
    kind: FaultKind


@dataclass(frozen=True)
class RowCheck:
    """The outcome of checking a decision's rows: the faults, how many rows were checked, and whether the
    row index disagreed with the log (then it should be rebuilt)."""

    faults: list[Fault]
    rows: int
    index_stale: bool


@contextmanager
def relied_rows(session: Session) -> Iterator[list[object]]:
    """Collect every row ``session`` loads through the ORM while the block runs (the identity map holds rows
    weakly, so a row read, summarised and dropped would be gone by the time the decision is checked)."""
    loaded: list[object] = []

    def keep(_: Session, instance: object) -> None:
        loaded.append(instance)

    event.listen(session, "loaded_as_persistent", keep)
    try:
        yield loaded
    finally:
        event.remove(session, "loaded_as_persistent", keep)


def check_relied_rows(
    session: Session,
    loaded: list[object],
    assessments: Iterable[Assessment],
    policy_version: int | None = None,
) -> RowCheck:
    """Check the rows ``relied_rows`` collected, the evidence behind ``assessments`` and the active policy's
    version row (``policy_version``: read before any collection starts, and its ``status`` is what makes it
    the active one) against the latest digests the log recorded (see the module docstring)."""
    loaded += _load_evidence(session, _evidence_ids(assessments))
    if policy_version is not None:
        loaded.append(session.get(PolicyVersionRow, policy_version))
    current = _current_digests(loaded)
    lookup = logged_digests(session, current)
    faults = []
    for key, digest in sorted(current.items()):
        if key in lookup.unlogged:
            kind: FaultKind | None = "unlogged"
        else:
            logged = lookup.logged.get(key)
            kind = "deleted" if logged is None else "edited" if logged != digest else None
        if kind is not None:
            faults.append(Fault(key[0], json.loads(key[1]), kind))
    return RowCheck(faults, len(current), lookup.index_stale)


def fault_reasons(faults: list[Fault]) -> list[Reason]:
    """One blocking ``record.unverified`` reason per fault (the first 20, then a count)."""
    out = []
    for fault in faults[:20]:
        where = f"{fault.table}[{json.dumps(fault.pk)}]"
        text = f"cannot rule out a forged record, so pause: {where}: {_WHY[fault.kind]}"
        data = {"table": fault.table, "pk": fault.pk, "problem": fault.kind}
        out.append(Reason("record.unverified", text, None, "blocks", data))
    if len(faults) > 20:
        text = f"cannot rule out forged records, so pause: {len(faults) - 20} more rows disagree with the log"
        out.append(Reason("record.unverified", text, None, "blocks", {"more": len(faults) - 20}))
    return out


def _evidence_ids(assessments: Iterable[Assessment]) -> set[int]:
    ids: set[int] = set()
    for assessment in assessments:
        for one in (assessment, assessment.while_pending):
            if one is None:
                continue
            for finding in one.findings:
                ids.update(i.evidence_id for i in finding.indicators if i.evidence_id is not None)
    return ids


def _load_evidence(session: Session, ids: set[int]) -> list[object]:
    """The evidence records, their scores and their stored files' rows (three statements), to be checked
    with every other row the decision read."""
    if not ids:
        return []
    wanted = sorted(ids)
    records = list(session.execute(select(EvidenceRow).where(EvidenceRow.id.in_(wanted))).scalars())
    scores = session.execute(select(EvidenceScoreRow).where(EvidenceScoreRow.evidence_id.in_(wanted)))
    hashes = sorted({r.sha256 for r in records})
    blobs = session.execute(select(EvidenceBlobRow).where(EvidenceBlobRow.sha256.in_(hashes)))
    return [*records, *scores.scalars(), *blobs.scalars()]


def _current_digests(loaded: list[object]) -> dict[Key, str]:
    """``{(table, pk JSON): digest}`` of every loaded row of a table covered by row digests."""
    out: dict[Key, str] = {}
    for row in loaded:
        if not isinstance(row, Base):
            continue
        table = cast("Table", row.__table__)
        if coverage_of(table.name).mechanism != "rows":
            continue
        pk = [getattr(row, c.key) for c in table.primary_key.columns]
        key = (table.name, canonical_json(pk[0] if len(pk) == 1 else pk).decode())
        out[key] = row_digest(row)
    return out
