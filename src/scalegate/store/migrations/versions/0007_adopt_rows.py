"""the row index: the latest entry naming each row, built from the log

Revision ID: 0007_adopt_rows
Revises: 0006_trust_coverage

The index (``scalegate.audit.row_index``) is derived from the entries' row references, so an upgraded store
gets it filled from its own log here. Rows written before the log covered their table are named by no entry;
a migration has no acting user to sign for them, so they are adopted by ``scalegate audit adopt``, one logged
act of an admin.
"""

import json

import sqlalchemy as sa
from alembic import op

from scalegate.canonical import canonical_json

revision = "0007_adopt_rows"
down_revision = "0006_trust_coverage"
branch_labels = None
depends_on = None


def upgrade() -> None:
    index = op.create_table(
        "audit_row_index",
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("pk", sa.String(length=300), nullable=False),
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("table_name", "pk", name=op.f("pk_audit_row_index")),
    )
    latest: dict[tuple[str, str], dict[str, object]] = {}
    entries = op.get_bind().execute(sa.text("SELECT seq, body FROM audit_entries ORDER BY seq"))
    for seq, body in entries:
        try:
            refs = json.loads(body).get("data", {}).get("rows", [])
        except (ValueError, AttributeError):
            continue  # a malformed body: audit verify reports it; the gate then replays the log
        for ref in refs if isinstance(refs, list) else []:
            if not (isinstance(ref, dict) and isinstance(ref.get("table"), str) and "pk" in ref):
                continue
            pk = canonical_json(ref["pk"]).decode()
            latest[(ref["table"], pk)] = {
                "table_name": ref["table"],
                "pk": pk,
                "seq": seq,
                "digest": ref.get("digest"),
            }
    rows = list(latest.values())
    for lo in range(0, len(rows), 5000):
        op.bulk_insert(index, rows[lo : lo + 5000])


def downgrade() -> None:
    op.drop_table("audit_row_index")
