"""languages of messages: each on-duty contact's, and a caregiver's own (else the patient's)

Revision ID: 20261202_languages
Revises: 20261202_messages
Create Date: 2026-12-02 17:30:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "20261202_languages"
down_revision = "20261202_messages"
branch_labels = None
depends_on = None


def upgrade():
    # Existing contacts keep the English they have been getting; existing caregivers keep
    # reading the patient's language (no language of their own).
    with op.batch_alter_table("on_duty_contacts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=8), server_default="en", nullable=False)
        )
        batch_op.create_check_constraint(
            op.f("ck_on_duty_contacts_language"), "language IN ('en', 'id')"
        )
    with op.batch_alter_table("portal_caregivers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_portal_caregivers_language"), "language IS NULL OR language IN ('en', 'id')"
        )


def downgrade():
    with op.batch_alter_table("portal_caregivers", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_portal_caregivers_language"), type_="check")
        batch_op.drop_column("language")
    with op.batch_alter_table("on_duty_contacts", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_on_duty_contacts_language"), type_="check")
        batch_op.drop_column("language")
