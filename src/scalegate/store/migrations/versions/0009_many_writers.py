"""several servers over one store: throttles and identities shared through the database

Revision ID: 0009_many_writers
Revises: 0008_policy_documents
"""

revision = "0009_many_writers"
down_revision = "0008_policy_documents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
