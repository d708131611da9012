"""workspace mode and users' signing keys

Revision ID: 0004_identity_keys
Revises: 0003_evidence_score_summary
"""

from alembic import op  # noqa: F401

revision = "0004_identity_keys"
down_revision = "0003_evidence_score_summary"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
