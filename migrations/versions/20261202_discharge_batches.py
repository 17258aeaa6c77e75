"""discharge sheets: kept PDFs of issued sheets, batches prepared in the background

Revision ID: 20261202_discharge_batches
Revises: 20261202_one_channel
Create Date: 2026-12-02 05:00:00

"""

from alembic import op
import sqlalchemy as sa

import tracker.db


# revision identifiers, used by Alembic.
revision = "20261202_discharge_batches"
down_revision = "20261202_one_channel"
branch_labels = None
depends_on = None

UTC = tracker.db.UTCDateTime(timezone=True)


def upgrade():
    op.create_table(
        "discharge_sheet_pdfs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sheet_id", sa.Integer(), nullable=False),
        sa.Column("size", sa.String(length=10), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.CheckConstraint("size IN ('a4', 'letter')", name=op.f("ck_discharge_sheet_pdfs_size")),
        sa.ForeignKeyConstraint(
            ["sheet_id"],
            ["discharge_sheets.id"],
            name=op.f("fk_discharge_sheet_pdfs_sheet_id_discharge_sheets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discharge_sheet_pdfs")),
        sa.UniqueConstraint("sheet_id", "size", name="uq_discharge_sheet_pdfs_sheet_id_size"),
    )
    op.create_table(
        "discharge_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("size", sa.String(length=10), nullable=False),
        sa.Column("include_drafts", sa.Boolean(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("finished_at", UTC, nullable=True),
        sa.CheckConstraint(
            "done >= 0 AND done <= total", name=op.f("ck_discharge_batches_progress")
        ),
        sa.CheckConstraint("size IN ('a4', 'letter')", name=op.f("ck_discharge_batches_size")),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'ready', 'failed')",
            name=op.f("ck_discharge_batches_status"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_users.id"],
            name=op.f("fk_discharge_batches_created_by_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discharge_batches")),
    )


def downgrade():
    op.drop_table("discharge_batches")
    op.drop_table("discharge_sheet_pdfs")
