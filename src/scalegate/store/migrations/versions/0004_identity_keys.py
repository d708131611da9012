"""workspace mode and users' signing keys

Revision ID: 0004_identity_keys
Revises: 0003_evidence_score_summary
"""

import sqlalchemy as sa
from alembic import op  # noqa: F401

import scalegate.store.base

revision = "0004_identity_keys"
down_revision = "0003_evidence_score_summary"
branch_labels = None
depends_on = None


def upgrade() -> None:
    _upgrade_workspace_mode()
    _upgrade_user_keys()


def downgrade() -> None:
    _downgrade_user_keys()
    _downgrade_workspace_mode()


# -- workspace mode ------------------------------------------------------------------------------------------


def _upgrade_workspace_mode() -> None:
    """Nothing to change in the schema: the mode is the ``mode`` row of ``settings``, written by ``init`` with
    the ``workspace.initialised`` entry (``scalegate.workspace_mode``). A workspace made before this revision
    has no such row and is read as production (fail closed). No row is written here: a row the log never
    recorded would fail ``audit verify``, and only whoever created a workspace can say it was a demo."""


def _downgrade_workspace_mode() -> None:
    """Nothing to undo: an older version ignores the ``mode`` setting."""


# -- user keys -----------------------------------------------------------------------------------------------


def _upgrade_user_keys() -> None:
    """Each user's Ed25519 signing keys (the private key sealed under the user's password), and the signature
    and key id of every sign-off and consultation response."""
    op.create_table(
        "user_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("sealed_private_key", sa.Text(), nullable=False),
        sa.Column("kdf", scalegate.store.base.JSONDoc(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("registered_at", scalegate.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("registered_by", sa.String(length=200), nullable=False),
        sa.Column("approved_at", scalegate.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(length=200), nullable=True),
        sa.Column("retired_at", scalegate.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_user_keys_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_keys")),
        sa.UniqueConstraint("key_id", name=op.f("uq_user_keys_key_id")),
    )
    with op.batch_alter_table("user_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_keys_user_id"), ["user_id"], unique=False)
    for table in ("signatures", "policy_consultations"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("key_id", sa.String(length=64), nullable=True))
            batch_op.add_column(sa.Column("signature", sa.String(length=128), nullable=True))
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("acknowledged_by", sa.String(length=100), nullable=True))
        batch_op.add_column(
            sa.Column("acknowledged_at", scalegate.store.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("ack_key_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("ack_signature", sa.String(length=128), nullable=True))


def _downgrade_user_keys() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        for column in ("ack_signature", "ack_key_id", "acknowledged_at", "acknowledged_by"):
            batch_op.drop_column(column)
    for table in ("policy_consultations", "signatures"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("signature")
            batch_op.drop_column("key_id")
    with op.batch_alter_table("user_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_keys_user_id"))
    op.drop_table("user_keys")
