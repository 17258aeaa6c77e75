"""security: portal sessions, audited reads, staff two-factor and sign-in throttling

Revision ID: 20261202_security
Revises: 20261202_speed_indexes
Create Date: 2026-12-02 10:00:00

"""

from alembic import op
import sqlalchemy as sa

import tracker.db


# revision identifiers, used by Alembic.
revision = "20261202_security"
down_revision = "20261202_speed_indexes"
branch_labels = None
depends_on = None

UTC = tracker.db.UTCDateTime(timezone=True)


def upgrade():
    op.create_table(
        "clinic_settings",
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["staff_users.id"],
            name=op.f("fk_clinic_settings_updated_by_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_clinic_settings")),
    )
    op.create_table(
        "staff_recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("used_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["staff_users.id"], name=op.f("fk_staff_recovery_codes_user_id_staff_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_recovery_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_staff_recovery_codes_code_hash")),
    )
    with op.batch_alter_table("staff_recovery_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_recovery_codes_user_id"), ["user_id"])

    op.create_table(
        "portal_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("last_seen_at", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.Column("ended_at", UTC, nullable=True),
        sa.Column("end_reason", sa.String(length=20), nullable=True),
        sa.Column("ended_by_id", sa.Integer(), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=False),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.CheckConstraint(
            "end_reason IN ('signed_out', 'withdrawn', 'staff', 'replaced', 'idle', 'expired')",
            name=op.f("ck_portal_sessions_end_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["ended_by_id"], ["staff_users.id"], name=op.f("fk_portal_sessions_ended_by_id_staff_users")
        ),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["portal_invitations.id"],
            name=op.f("fk_portal_sessions_invitation_id_portal_invitations"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_portal_sessions_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_portal_sessions_token_hash")),
    )
    with op.batch_alter_table("portal_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_portal_sessions_invitation_id"), ["invitation_id"])
        batch_op.create_index(batch_op.f("ix_portal_sessions_patient_id"), ["patient_id"])

    # Rows from before are all changes: the trail had no reads.
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=10), server_default="change", nullable=False)
        )
        batch_op.add_column(sa.Column("ip_address", sa.String(length=45), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f("ck_audit_events_kind"), "kind IN ('change', 'read')"
        )
        batch_op.create_index(batch_op.f("ix_audit_events_actor_id"), ["actor_id"])
        batch_op.create_index("ix_audit_events_patient_id_kind_at", ["patient_id", "kind", "at"])
        # The patient's history now reads changes only: (patient, kind, at) serves it.
        batch_op.drop_index("ix_audit_events_patient_id_at")

    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("totp_enabled_at", UTC, nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("last_failed_login_at", UTC, nullable=True))
        batch_op.add_column(sa.Column("last_failed_login_ip", sa.String(length=45), nullable=True))
        batch_op.add_column(sa.Column("locked_until", UTC, nullable=True))


def downgrade():
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.drop_column("locked_until")
        batch_op.drop_column("last_failed_login_ip")
        batch_op.drop_column("last_failed_login_at")
        batch_op.drop_column("failed_logins")
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_enabled_at")
        batch_op.drop_column("totp_secret")

    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index("ix_audit_events_patient_id_at", ["patient_id", "at"])
        batch_op.drop_index("ix_audit_events_patient_id_kind_at")
        batch_op.drop_index(batch_op.f("ix_audit_events_actor_id"))
        batch_op.drop_constraint(batch_op.f("ck_audit_events_kind"), type_="check")
        batch_op.drop_column("ip_address")
        batch_op.drop_column("kind")

    with op.batch_alter_table("portal_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_sessions_patient_id"))
        batch_op.drop_index(batch_op.f("ix_portal_sessions_invitation_id"))

    op.drop_table("portal_sessions")
    with op.batch_alter_table("staff_recovery_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_recovery_codes_user_id"))

    op.drop_table("staff_recovery_codes")
    op.drop_table("clinic_settings")
