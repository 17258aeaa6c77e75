"""outcome report snapshots: large cohorts' reports made in the background and kept a while

Revision ID: 20261203_report_snapshots
Revises: 20261202_languages
Create Date: 2026-12-03 07:20:00

"""

from alembic import op
import sqlalchemy as sa

import tracker.db


# revision identifiers, used by Alembic.
revision = "20261203_report_snapshots"
down_revision = "20261202_languages"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "outcome_report_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("made_at", tracker.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("updated_at", tracker.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("viewed_at", tracker.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('new', 'running', 'ready', 'failed')",
            name=op.f("ck_outcome_report_snapshots_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_report_snapshots")),
        sa.UniqueConstraint("key", name=op.f("uq_outcome_report_snapshots_key")),
    )
    with op.batch_alter_table("outcome_report_snapshots", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outcome_report_snapshots_viewed_at"), ["viewed_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("outcome_report_snapshots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outcome_report_snapshots_viewed_at"))
    op.drop_table("outcome_report_snapshots")
