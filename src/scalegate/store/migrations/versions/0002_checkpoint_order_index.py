"""index of a model's checkpoints in recorded order

The latest checkpoint of a model and a window of its checkpoints (the dashboard's model, trends and threshold
pages) are read in (recorded_at, step, id) order; with this index a family of thousands is not sorted for
each read.

Revision ID: 0002_checkpoint_order_index
Revises: 0001_initial
"""

from alembic import op

revision = "0002_checkpoint_order_index"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_checkpoints_model_order", "checkpoints", ["model_id", "recorded_at", "step", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_checkpoints_model_order", table_name="checkpoints")
