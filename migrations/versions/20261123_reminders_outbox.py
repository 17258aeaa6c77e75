"""reminders outbox

Revision ID: 20261123_reminders
Revises: 896f56903033
Create Date: 2026-11-23 21:00:00

"""
from alembic import op
import sqlalchemy as sa

import tracker.db


# revision identifiers, used by Alembic.
revision = '20261123_reminders'
down_revision = '896f56903033'
branch_labels = None
depends_on = None

UTC = tracker.db.UTCDateTime(timezone=True)


def upgrade():
    op.create_table('reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('journey_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('about_id', sa.Integer(), nullable=True),
    sa.Column('rule_key', sa.String(length=60), nullable=False),
    sa.Column('occurrence', sa.Integer(), nullable=False),
    sa.Column('message_key', sa.String(length=60), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('audience', sa.String(length=12), nullable=False),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('rule_at', UTC, nullable=False),
    sa.Column('due_at', UTC, nullable=False),
    sa.Column('next_attempt_at', UTC, nullable=False),
    sa.Column('event_at', UTC, nullable=True),
    sa.Column('expires_at', UTC, nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=True),
    sa.Column('cancel_code', sa.String(length=12), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_by', sa.String(length=80), nullable=True),
    sa.Column('claimed_until', UTC, nullable=True),
    sa.Column('send_started_at', UTC, nullable=True),
    sa.Column('sent_at', UTC, nullable=True),
    sa.Column('transport', sa.String(length=20), nullable=True),
    sa.Column('recipient', sa.String(length=254), nullable=True),
    sa.Column('provider_id', sa.String(length=200), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('subject', sa.String(length=300), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('created_at', UTC, nullable=False),
    sa.Column('updated_at', UTC, nullable=False),
    sa.CheckConstraint("audience IN ('patient', 'coordinator')", name=op.f('ck_reminders_audience')),
    sa.CheckConstraint("channel IN ('email', 'sms')", name=op.f('ck_reminders_channel')),
    sa.CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed', 'needs_check', 'cancelled', 'skipped', 'expired')", name=op.f('ck_reminders_status')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_reminders_attempts')),
    sa.ForeignKeyConstraint(['about_id'], ['reminders.id'], name=op.f('fk_reminders_about_id_reminders')),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_reminders_appointment_id_appointments')),
    sa.ForeignKeyConstraint(['journey_id'], ['journeys.id'], name=op.f('fk_reminders_journey_id_journeys')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_reminders_patient_id_patients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminders')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_reminders_idempotency_key'))
    )
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminders_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminders_journey_id'), ['journey_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminders_patient_id'), ['patient_id'], unique=False)
        # What every dispatcher polls: due rows by time.
        batch_op.create_index('ix_reminders_status_next_attempt_at', ['status', 'next_attempt_at'], unique=False)


def downgrade():
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.drop_index('ix_reminders_status_next_attempt_at')
        batch_op.drop_index(batch_op.f('ix_reminders_patient_id'))
        batch_op.drop_index(batch_op.f('ix_reminders_journey_id'))
        batch_op.drop_index(batch_op.f('ix_reminders_due_at'))

    op.drop_table('reminders')
