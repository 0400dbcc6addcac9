"""Calendar feeds (a private token per user, kept hashed), what each feed event said last, and the
reminders' minutes in the team's settings

Revision ID: d2e3f4a5b6c7
Revises: b8c9d0e1f2a3
Create Date: 2026-12-06 13:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd2e3f4a5b6c7'
down_revision = 'b8c9d0e1f2a3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'calendar_feeds',
        sa.Column('user_id', sa.Uuid(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id'),
        sa.UniqueConstraint('token_hash'),
    )
    op.create_table(
        'calendar_events',
        sa.Column('uid', sa.String(length=160), nullable=False),
        sa.Column('rep_id', sa.Uuid(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('sequence', sa.Integer(), nullable=False),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['rep_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('uid'),
    )
    op.create_index('ix_calendar_events_rep_id', 'calendar_events', ['rep_id'])
    with op.batch_alter_table('team_settings') as batch:
        batch.add_column(sa.Column('leave_reminder_minutes', sa.Integer(), server_default='10', nullable=False))
        batch.add_column(
            sa.Column('appointment_reminder_minutes', sa.Integer(), server_default='15', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('team_settings') as batch:
        batch.drop_column('appointment_reminder_minutes')
        batch.drop_column('leave_reminder_minutes')
    op.drop_index('ix_calendar_events_rep_id', table_name='calendar_events')
    op.drop_table('calendar_events')
    op.drop_table('calendar_feeds')
