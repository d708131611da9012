"""Adopting rows the log never named: one logged, attributable act for a store older than its coverage.

A workspace created before the log covered a table (API tokens, sessions, compliance events before the
coverage of every table) holds rows no entry names, and ``audit verify`` reports each as ``row_unlogged``.
Nothing can prove, after the fact, that those rows are what the software of the time wrote, so scalegate does
not adopt them silently (a migration has no acting user): an admin adopts them with
``scalegate audit adopt``, which writes one entry naming every such row with its current digest. From then on
each row is covered like any other (an edit, a deletion or a further unlogged row is reported), and the entry
says who vouched for them and when.

Only rows no entry names are adopted: a row that differs from what the log recorded, or that the log recorded
as deleted, stays a problem, and so does a row whose values cannot be read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

from scalegate.audit.row_index import claims_in_log
from scalegate.audit.rows import row_tables, table_digests
from scalegate.permissions import require

if TYPE_CHECKING:
    from scalegate.actor import Actor
    from scalegate.workspace import Workspace

__all__ = ["ADOPTED_EVENT", "Adoption", "AdoptionDocument", "adopt_unlogged"]

ADOPTED_EVENT = "audit.rows_adopted"
"""The event of the entry that adopts unlogged rows."""


class AdoptionDocument(TypedDict):
    """What an adoption did, as JSON: its entry (None: nothing adopted), how many rows, per table."""

    seq: int | None
    rows: int
    tables: dict[str, int]


@dataclass(frozen=True)
class Adoption:
    """What ``adopt_unlogged`` did: how many rows of each table it adopted, and in which entry (None: there
    was nothing to adopt, and nothing was written)."""

    seq: int | None
    tables: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    def to_dict(self) -> AdoptionDocument:
        return {"seq": self.seq, "rows": self.rows, "tables": dict(sorted(self.tables.items()))}


def adopt_unlogged(workspace: Workspace, actor: Actor) -> Adoption:
    """Write one entry naming every row no entry names, with its digest (admins only: ``users.admin``, the
    workspace's administration, which grants no say in any policy decision)."""
    with workspace.writing(actor) as ctx:
        require(actor, "users.admin", ctx.active)
        claims = claims_in_log(ctx.session)
        refs: list[dict[str, Any]] = []
        tables: dict[str, int] = {}
        for name in row_tables(table for table, _ in claims):
            for pk, digest in sorted(table_digests(ctx.session, name).items()):
                if (name, pk) not in claims:
                    refs.append({"table": name, "pk": json.loads(pk), "digest": digest})
                    tables[name] = tables.get(name, 0) + 1
        if not refs:
            return Adoption(None)
        data = {
            "reason": "rows written before the audit log covered their table, adopted as they are",
            "tables": dict(sorted(tables.items())),
            "rows": refs,
        }
        return Adoption(ctx.record(ADOPTED_EVENT, "workspace", data), tables)
