"""messages: conversations, messages and wound photos; caregivers with portal access of their own

Revision ID: 20261202_messages
Revises: 20261202_staff_language
Create Date: 2026-12-02 11:00:00

"""
from alembic import op
import sqlalchemy as sa

import tracker.db


# revision identifiers, used by Alembic.
revision = '20261202_messages'
down_revision = "20261202_staff_language"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('conversations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('journey_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('created_at', tracker.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_message_at', tracker.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('waiting_since', tracker.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('staff_unread', sa.Integer(), nullable=False),
    sa.Column('closed_at', tracker.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('open', 'closed')", name=op.f('ck_conversations_status')),
    sa.ForeignKeyConstraint(['assignee_id'], ['staff_users.id'], name=op.f('fk_conversations_assignee_id_staff_users')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['staff_users.id'], name=op.f('fk_conversations_closed_by_id_staff_users')),
    sa.ForeignKeyConstraint(['journey_id'], ['journeys.id'], name=op.f('fk_conversations_journey_id_journeys')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_conversations_patient_id_patients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversations'))
    )
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversations_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_conversations_journey_id'), ['journey_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_conversations_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index('ix_conversations_status_waiting_since', ['status', 'waiting_since'], unique=False)

    op.create_table('portal_caregivers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('journey_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('relation', sa.String(length=60), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('created_at', tracker.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', tracker.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('phone IS NOT NULL OR email IS NOT NULL', name=op.f('ck_portal_caregivers_contact')),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_users.id'], name=op.f('fk_portal_caregivers_created_by_id_staff_users')),
    sa.ForeignKeyConstraint(['journey_id'], ['journeys.id'], name=op.f('fk_portal_caregivers_journey_id_journeys')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_portal_caregivers_patient_id_patients')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['staff_users.id'], name=op.f('fk_portal_caregivers_revoked_by_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_caregivers'))
    )
    with op.batch_alter_table('portal_caregivers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_portal_caregivers_journey_id'), ['journey_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_portal_caregivers_patient_id'), ['patient_id'], unique=False)

    op.create_table('messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('journey_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('author_kind', sa.String(length=10), nullable=False),
    sa.Column('staff_author_id', sa.Integer(), nullable=True),
    sa.Column('caregiver_id', sa.Integer(), nullable=True),
    sa.Column('author_name', sa.String(length=120), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('saved_reply', sa.String(length=40), nullable=True),
    sa.Column('created_at', tracker.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', tracker.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(author_kind = 'caregiver') = (caregiver_id IS NOT NULL)", name=op.f('ck_messages_caregiver_author')),
    sa.CheckConstraint("(author_kind = 'staff') = (staff_author_id IS NOT NULL)", name=op.f('ck_messages_staff_author')),
    sa.CheckConstraint("author_kind IN ('patient', 'caregiver', 'staff')", name=op.f('ck_messages_author_kind')),
    sa.ForeignKeyConstraint(['caregiver_id'], ['portal_caregivers.id'], name=op.f('fk_messages_caregiver_id_portal_caregivers')),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_messages_conversation_id_conversations')),
    sa.ForeignKeyConstraint(['journey_id'], ['journeys.id'], name=op.f('fk_messages_journey_id_journeys')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_messages_patient_id_patients')),
    sa.ForeignKeyConstraint(['staff_author_id'], ['staff_users.id'], name=op.f('fk_messages_staff_author_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_messages_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index('ix_messages_journey_id_id', ['journey_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_messages_patient_id'), ['patient_id'], unique=False)

    op.create_table('message_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('journey_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('thumbnail', sa.LargeBinary(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('original_format', sa.String(length=10), nullable=False),
    sa.Column('created_at', tracker.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('review', sa.String(length=12), nullable=True),
    sa.Column('reviewed_at', tracker.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("review IN ('as_expected', 'needs_visit')", name=op.f('ck_message_photos_review')),
    sa.ForeignKeyConstraint(['journey_id'], ['journeys.id'], name=op.f('fk_message_photos_journey_id_journeys')),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_message_photos_message_id_messages')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_message_photos_patient_id_patients')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['staff_users.id'], name=op.f('fk_message_photos_reviewed_by_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_photos'))
    )
    with op.batch_alter_table('message_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_photos_journey_id'), ['journey_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_photos_message_id'), ['message_id'], unique=False)

    with op.batch_alter_table('portal_check_ins', schema=None) as batch_op:
        batch_op.add_column(sa.Column('caregiver_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_portal_check_ins_caregiver_id_portal_caregivers'), 'portal_caregivers', ['caregiver_id'], ['id'])

    with op.batch_alter_table('portal_milestones', schema=None) as batch_op:
        batch_op.add_column(sa.Column('caregiver_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_portal_milestones_caregiver_id_portal_caregivers'), 'portal_caregivers', ['caregiver_id'], ['id'])

    with op.batch_alter_table('portal_invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('caregiver_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_portal_invitations_caregiver_id'), ['caregiver_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_portal_invitations_caregiver_id_portal_caregivers'), 'portal_caregivers', ['caregiver_id'], ['id'])

    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('caregiver_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_reminders_caregiver_id_portal_caregivers'), 'portal_caregivers', ['caregiver_id'], ['id'])



def downgrade():
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_reminders_caregiver_id_portal_caregivers'), type_='foreignkey')
        batch_op.drop_column('caregiver_id')

    with op.batch_alter_table('portal_invitations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_portal_invitations_caregiver_id_portal_caregivers'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_portal_invitations_caregiver_id'))
        batch_op.drop_column('caregiver_id')

    with op.batch_alter_table('portal_milestones', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_portal_milestones_caregiver_id_portal_caregivers'), type_='foreignkey')
        batch_op.drop_column('caregiver_id')

    with op.batch_alter_table('portal_check_ins', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_portal_check_ins_caregiver_id_portal_caregivers'), type_='foreignkey')
        batch_op.drop_column('caregiver_id')

    with op.batch_alter_table('message_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_photos_message_id'))
        batch_op.drop_index(batch_op.f('ix_message_photos_journey_id'))

    op.drop_table('message_photos')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_messages_patient_id'))
        batch_op.drop_index('ix_messages_journey_id_id')
        batch_op.drop_index(batch_op.f('ix_messages_conversation_id'))

    op.drop_table('messages')
    with op.batch_alter_table('portal_caregivers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_portal_caregivers_patient_id'))
        batch_op.drop_index(batch_op.f('ix_portal_caregivers_journey_id'))

    op.drop_table('portal_caregivers')
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_index('ix_conversations_status_waiting_since')
        batch_op.drop_index(batch_op.f('ix_conversations_patient_id'))
        batch_op.drop_index(batch_op.f('ix_conversations_journey_id'))
        batch_op.drop_index(batch_op.f('ix_conversations_assignee_id'))

    op.drop_table('conversations')
