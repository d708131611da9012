"""sessions kept on the server

Revision ID: 0005_server_sessions
Revises: 0004_identity_keys
"""

import sqlalchemy as sa
from alembic import op

import scalegate.store.base

revision = "0005_server_sessions"
down_revision = "0004_identity_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", scalegate.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", scalegate.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", scalegate.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=30), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_sessions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
        sa.UniqueConstraint("secret_sha256", name=op.f("uq_sessions_secret_sha256")),
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sessions_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sessions_user_id"))
    op.drop_table("sessions")
