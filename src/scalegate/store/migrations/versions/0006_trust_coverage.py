"""coverage of every table by the audit log

Revision ID: 0006_trust_coverage
Revises: 0005_server_sessions
"""

import sqlalchemy as sa
from alembic import op

import scalegate.store.base

revision = "0006_trust_coverage"
down_revision = "0005_server_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # -- checkpoints: the signed text names its format; v2 signs the checkpoint's id and signer too ---------
    # Existing checkpoints were signed as v1 and stay so (their signatures cover the v1 text).
    with op.batch_alter_table("audit_checkpoints") as batch:
        batch.add_column(
            sa.Column(
                "format",
                sa.String(length=40),
                nullable=False,
                server_default="scalegate-audit-checkpoint/v1",
            )
        )

    # -- gate cache: a verdict is kept with the state it was decided from and an HMAC over both ------------
    _gate_cache_upgrade()


def downgrade() -> None:
    # -- gate cache ------------------------------------------------------------------------------------------
    _gate_cache_downgrade()

    # -- checkpoints -------------------------------------------------------------------------------------------
    with op.batch_alter_table("audit_checkpoints") as batch:
        batch.drop_column("format")

    pass


# -- gate cache ----------------------------------------------------------------------------------------------
# The table is a cache (scalegate.gate.cache): its rows are dropped, not migrated, and rebuilt on the next call.


def _gate_cache_columns(authenticated: bool) -> list[sa.schema.SchemaItem]:
    when = scalegate.store.base.UTCDateTime(timezone=True)
    columns: list[sa.schema.SchemaItem] = [
        sa.Column("ref", sa.String(length=300), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("exit_code", sa.Integer(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("audit_size", sa.Integer(), nullable=False),
        sa.Column("computed_at", when, nullable=False),
        sa.Column("valid_until", when, nullable=True),
        sa.Column("valid_until_epoch", sa.Float(), nullable=True),
    ]
    if authenticated:
        columns += [
            sa.Column("audit_leaf", sa.String(length=64), nullable=False),
            sa.Column("policy_digest", sa.String(length=200), nullable=False),
            sa.Column("blob_state", sa.String(length=200), nullable=False),
            sa.Column("computed_epoch", sa.Float(), nullable=False),
            sa.Column("mac", sa.String(length=64), nullable=False),
        ]
    return [*columns, sa.PrimaryKeyConstraint("ref", "action", name=op.f("pk_gate_verdicts"))]


def _gate_cache_upgrade() -> None:
    op.drop_table("gate_verdicts")
    op.create_table("gate_verdicts", *_gate_cache_columns(authenticated=True))


def _gate_cache_downgrade() -> None:
    op.drop_table("gate_verdicts")
    op.create_table("gate_verdicts", *_gate_cache_columns(authenticated=False))
