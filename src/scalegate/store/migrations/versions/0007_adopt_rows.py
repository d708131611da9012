"""rows written before the log covered their table, adopted by one logged entry

Revision ID: 0007_adopt_rows
Revises: 0006_trust_coverage
"""

revision = "0007_adopt_rows"
down_revision = "0006_trust_coverage"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
