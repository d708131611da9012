"""sessions kept on the server

Revision ID: 0005_server_sessions
Revises: 0004_identity_keys
"""

from alembic import op  # noqa: F401

revision = "0005_server_sessions"
down_revision = "0004_identity_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
