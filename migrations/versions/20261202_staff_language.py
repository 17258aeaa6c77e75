"""staff language: each staff user reads the pages in English or Indonesian

Revision ID: 20261202_staff_language
Revises: 20261202_outcomes
Create Date: 2026-12-02 11:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "20261202_staff_language"
down_revision = "20261202_outcomes"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=8), server_default="en", nullable=False)
        )
        batch_op.create_check_constraint(
            op.f("ck_staff_users_language"), "language IN ('en', 'id')"
        )


def downgrade():
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_staff_users_language"), type_="check")
        batch_op.drop_column("language")
