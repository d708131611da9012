"""documents and reviews that a policy obliges (Risk Reports, off-cycle analyses, external reviews, roadmap goals)

Revision ID: 0008_policy_documents
Revises: 0007_adopt_rows
"""

import sqlalchemy as sa
from alembic import op

import scalegate.store.base

revision = "0008_policy_documents"
down_revision = "0007_adopt_rows"
branch_labels = None
depends_on = None

_WHEN = scalegate.store.base.UTCDateTime(timezone=True)
_JSON = scalegate.store.base.JSONDoc()


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    referred = target.split(".")[0]
    return sa.ForeignKeyConstraint([column], [target], name=op.f(f"fk_{table}_{column}_{referred}"))


def upgrade() -> None:
    op.create_table(
        "risk_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("obligation", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("coverage_date", _WHEN, nullable=False),
        sa.Column("models", _JSON, nullable=False),
        sa.Column("contents", _JSON, nullable=False),
        sa.Column("contents_sha256", sa.String(length=64), nullable=False),
        sa.Column("marginal_risk_major", sa.Boolean(), nullable=False),
        sa.Column("highly_capable", sa.Boolean(), nullable=False),
        sa.Column("significantly_redacted_by", _JSON, nullable=False),
        sa.Column("redactions", _JSON, nullable=False),
        sa.Column("disclosure", _JSON, nullable=False),
        sa.Column("approval_decision_id", sa.Integer(), nullable=True),
        sa.Column("board_decision_id", sa.Integer(), nullable=True),
        sa.Column("drafted_at", _WHEN, nullable=False),
        sa.Column("drafted_by", sa.String(length=200), nullable=False),
        sa.Column("policy_version_id", sa.Integer(), nullable=False),
        sa.Column("shared_at", _WHEN, nullable=True),
        sa.Column("published_at", _WHEN, nullable=True),
        sa.Column("published_by", sa.String(length=200), nullable=True),
        sa.Column("public_url", sa.Text(), nullable=True),
        _fk("risk_reports", "approval_decision_id", "decisions.id"),
        _fk("risk_reports", "board_decision_id", "decisions.id"),
        _fk("risk_reports", "policy_version_id", "policy_versions.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_reports")),
    )
    with op.batch_alter_table("risk_reports") as batch:
        batch.create_index(batch.f("ix_risk_reports_status"), ["status"], unique=False)

    op.create_table(
        "offcycle_analyses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("obligation", sa.String(length=100), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("deployment", sa.String(length=20), nullable=False),
        sa.Column("determined_at", _WHEN, nullable=False),
        sa.Column("determined_by", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("due_at", _WHEN, nullable=True),
        sa.Column("published_at", _WHEN, nullable=True),
        sa.Column("published_by", sa.String(length=200), nullable=True),
        sa.Column("artifact", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offcycle_analyses")),
    )
    with op.batch_alter_table("offcycle_analyses") as batch:
        batch.create_index(batch.f("ix_offcycle_analyses_model"), ["model"], unique=False)

    op.create_table(
        "external_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("obligation", sa.String(length=100), nullable=False),
        sa.Column("risk_report_id", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=30), nullable=False),
        sa.Column("triggered_at", _WHEN, nullable=False),
        sa.Column("triggered_by", sa.String(length=200), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("sections", _JSON, nullable=False),
        sa.Column("selection_decision_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        _fk("external_reviews", "risk_report_id", "risk_reports.id"),
        _fk("external_reviews", "selection_decision_id", "decisions.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_reviews")),
    )
    with op.batch_alter_table("external_reviews") as batch:
        batch.create_index(batch.f("ix_external_reviews_risk_report_id"), ["risk_report_id"], unique=False)

    op.create_table(
        "external_reviewers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("sections", _JSON, nullable=False),
        sa.Column("sent_at", _WHEN, nullable=True),
        sa.Column("commentary_at", _WHEN, nullable=True),
        sa.Column("commentary_url", sa.Text(), nullable=True),
        _fk("external_reviewers", "review_id", "external_reviews.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_reviewers")),
    )
    with op.batch_alter_table("external_reviewers") as batch:
        batch.create_index(batch.f("ix_external_reviewers_review_id"), ["review_id"], unique=False)

    op.create_table(
        "roadmap_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area", sa.String(length=50), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("target_date", _WHEN, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("graded_at", _WHEN, nullable=True),
        sa.Column("graded_by", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("listed_in_report_id", sa.Integer(), nullable=True),
        _fk("roadmap_items", "listed_in_report_id", "risk_reports.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roadmap_items")),
    )


def downgrade() -> None:
    op.drop_table("roadmap_items")
    with op.batch_alter_table("external_reviewers") as batch:
        batch.drop_index(batch.f("ix_external_reviewers_review_id"))
    op.drop_table("external_reviewers")
    with op.batch_alter_table("external_reviews") as batch:
        batch.drop_index(batch.f("ix_external_reviews_risk_report_id"))
    op.drop_table("external_reviews")
    with op.batch_alter_table("offcycle_analyses") as batch:
        batch.drop_index(batch.f("ix_offcycle_analyses_model"))
    op.drop_table("offcycle_analyses")
    with op.batch_alter_table("risk_reports") as batch:
        batch.drop_index(batch.f("ix_risk_reports_status"))
    op.drop_table("risk_reports")
