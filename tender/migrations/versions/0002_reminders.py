"""Milestone reminders: the record of what was sent, unique per reminder key.

The unique constraint on ``key`` is what the reminder job relies on for
exactly-once delivery when several hosts run it at once.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reminder_sent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=400), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('planned_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('claimed_by', sa.String(length=200), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('claimed', 'sent', 'failed')", name=op.f('ck_reminder_sent_status')),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestone.id'], name=op.f('fk_reminder_sent_milestone_id_milestone')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_sent')),
    sa.UniqueConstraint('key', name=op.f('uq_reminder_sent_key'))
    )
    with op.batch_alter_table('reminder_sent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_sent_milestone_id'), ['milestone_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminder_sent_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('reminder_sent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminder_sent_status'))
        batch_op.drop_index(batch_op.f('ix_reminder_sent_milestone_id'))

    op.drop_table('reminder_sent')
