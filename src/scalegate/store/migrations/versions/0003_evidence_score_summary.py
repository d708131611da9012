"""per-record summaries of evidence scores

Each evidence score row gets the summary its reader needs instead of decoding the per-sample scores:
``sample_metric`` (the metric whose interval comes from the samples), and ``successes`` and ``trials`` (those
samples as counts, when every per-sample value is 0 or 1). New rows are written with them by the evidence
service; the upgrade fills them for the rows already stored, from their own ``samples`` with the same
function (``ScorerScores.summary``), so old and new rows agree.

Every score row is covered by the audit log through its digest, and adding values changes the digest. So
the upgrade records what it wrote as the log records any change: ``evidence.summarised`` entries by the
system actor, each naming the rows it filled with their new digests (``audit verify`` then holds, and a later
SQL edit of the new columns is detected like any other). Stores without score rows get no entry.

Revision ID: 0003_evidence_score_summary
Revises: 0002_checkpoint_order_index
"""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = "0003_evidence_score_summary"
down_revision = "0002_checkpoint_order_index"
branch_labels = None
depends_on = None

_CHUNK = 1000
"""Score rows filled, and named by one audit entry, at a time (bounds memory whatever the store's size)."""


def upgrade() -> None:
    with op.batch_alter_table("evidence_scores", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sample_metric", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("successes", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("trials", sa.Integer(), nullable=True))
    _backfill(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("evidence_scores", schema=None) as batch_op:
        batch_op.drop_column("trials")
        batch_op.drop_column("successes")
        batch_op.drop_column("sample_metric")


def _backfill(connection: sa.Connection) -> None:
    """Fill the summary of every stored score row and record the rows in the audit log."""
    from scalegate.actor import SYSTEM
    from scalegate.audit.log import NewEntry, append_many
    from scalegate.evidence.parsed import ScorerScores
    from scalegate.store.base import row_ref

    table = sa.Table("evidence_scores", sa.MetaData(), autoload_with=connection)
    update = (
        table.update()
        .where(table.c.id == sa.bindparam("row_id"))
        .values(
            sample_metric=sa.bindparam("metric"),
            successes=sa.bindparam("k"),
            trials=sa.bindparam("n"),
        )
    )
    last = -1
    session = Session(bind=connection)  # the log's append takes a session; it writes on this connection
    while True:
        rows = connection.execute(
            sa.select(
                table.c.id, table.c.name, table.c.scorer, table.c.reducer, table.c.metrics, table.c.samples
            )
            .where(table.c.id > last)
            .order_by(table.c.id)
            .limit(_CHUNK)
        ).all()
        if not rows:
            break
        last = int(rows[-1].id)
        values = []
        for row in rows:
            summary = ScorerScores(
                row.name, row.scorer, row.reducer, dict(row.metrics), **row.samples
            ).summary()
            counts = summary.counts
            values.append(
                {
                    "row_id": row.id,
                    "metric": summary.sample_metric,
                    "k": counts.successes if counts else None,
                    "n": counts.trials if counts else None,
                }
            )
        connection.execute(update, values)
        written = connection.execute(
            sa.select(table).where(table.c.id.in_([r.id for r in rows])).order_by(table.c.id)
        ).mappings()
        refs = [row_ref(_as_row(table, found)) for found in written]
        entry = NewEntry(
            event="evidence.summarised",
            subject="evidence_scores",
            actor=SYSTEM.label,
            data={"columns": ["sample_metric", "successes", "trials"], "revision": revision, "rows": refs},
            at=datetime.now(UTC),
        )
        append_many(session, [entry], index=False, columns=True)  # 0007 indexes the log; 0010 derives columns
    session.close()


def _as_row(table: sa.Table, values: Any) -> Any:
    """A row of ``table`` as ``row_ref`` reads one (its table and attributes), from a result mapping."""
    return SimpleNamespace(
        __table__=table, __tablename__=table.name, **{c.key: values[c] for c in table.columns}
    )
