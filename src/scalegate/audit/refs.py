"""Row references in entry data: ``{"table", "pk", "digest"}``, written by ``Workspace.record(rows=...)``.

``digest`` is the row's canonical digest after the change (``scalegate.store.base.row_digest``), or ``null``
when the change deleted the row. ``audit verify`` holds every current row to the latest reference to it. The
key ``rows`` in entry data is reserved for these references.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table

from scalegate.store.base import Base, RowRef

__all__ = ["deleted_row_ref"]


def deleted_row_ref(row: Base) -> RowRef:
    """The reference recording that a change deleted ``row``, for ``data["rows"]`` of that change's entry.

    Call it before the delete is flushed (the primary key is read from the row).
    """
    table = cast(Table, row.__table__)
    pk = [getattr(row, c.key) for c in table.primary_key.columns]
    return {"table": row.__tablename__, "pk": pk[0] if len(pk) == 1 else pk, "digest": None}
