"""coverage of every table by the audit log

Revision ID: 0006_trust_coverage
Revises: 0005_server_sessions
"""

from alembic import op  # noqa: F401

revision = "0006_trust_coverage"
down_revision = "0005_server_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
