"""The history of what a past period's reports read of a user: one row per change of their first-appointment
time or team, so a past period counts a rep's days by the time they had then

Revision ID: d4e5f6a7b8c9
Revises: c3e4f5a6b7d8
Create Date: 2026-12-08 00:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = 'd4e5f6a7b8c9'
down_revision = 'c3e4f5a6b7d8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'user_changes',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('user_id', sa.Uuid(), nullable=False),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('changes', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_user_changes_user_at', 'user_changes', ['user_id', 'changed_at'])


def downgrade():
    op.drop_index('ix_user_changes_user_at', table_name='user_changes')
    op.drop_table('user_changes')
