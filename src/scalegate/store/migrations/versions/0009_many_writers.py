"""several servers over one store: throttles and identities shared through the database

Revision ID: 0009_many_writers
Revises: 0008_policy_documents
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_many_writers"
down_revision = "0008_policy_documents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # -- the sign-in throttle's failures, counted by every server (scalegate.web.throttle) -------------------
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failed_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index("ix_login_failures_scope_key", "login_failures", ["scope", "key", "failed_at"])
    op.create_index("ix_login_failures_failed_at", "login_failures", ["failed_at"])


def downgrade() -> None:
    op.drop_index("ix_login_failures_failed_at", table_name="login_failures")
    op.drop_index("ix_login_failures_scope_key", table_name="login_failures")
    op.drop_table("login_failures")
