"""fewer, better messages: a patient's preferred channel (the other as fallback) and the order
of messages due at the same moment

Revision ID: 20261202_one_channel
Revises: 20261202_alert_levels
Create Date: 2026-12-02 10:20:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "20261202_one_channel"
down_revision = "20261202_alert_levels"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "preferred_channel", sa.String(length=10), server_default="sms", nullable=False
            )
        )
        batch_op.create_check_constraint(
            op.f("ck_patients_preferred_channel"), "preferred_channel IN ('sms', 'email')"
        )
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("rule_order", sa.Integer(), server_default="0", nullable=False)
        )
    # A patient who agreed to email only is reached by email first.
    op.execute(
        "UPDATE patients SET preferred_channel = 'email' "
        "WHERE consent_email AND email IS NOT NULL AND NOT consent_sms"
    )


def downgrade():
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.drop_column("rule_order")
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_patients_preferred_channel"), type_="check")
        batch_op.drop_column("preferred_channel")
