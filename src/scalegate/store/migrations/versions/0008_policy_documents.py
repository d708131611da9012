"""documents and reviews that a policy obliges (Risk Reports, off-cycle analyses, external reviews, roadmap goals)

Revision ID: 0008_policy_documents
Revises: 0007_adopt_rows
"""

revision = "0008_policy_documents"
down_revision = "0007_adopt_rows"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
