"""per-record summaries of evidence scores

Revision ID: 0003_evidence_score_summary
Revises: 0002_checkpoint_order_index
"""

from alembic import op  # noqa: F401

revision = "0003_evidence_score_summary"
down_revision = "0002_checkpoint_order_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
