"""The history of a team's settings: one row per change, who made it, when, and each value before and after

Revision ID: f4a5b6c7d8e9
Revises: c1d2e3f4a5b6
Create Date: 2026-12-06 13:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'f4a5b6c7d8e9'
down_revision = 'c1d2e3f4a5b6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'team_settings_changes',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('team_id', sa.Uuid(), nullable=False),
        sa.Column('changed_by', sa.Uuid(), nullable=True),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('changes', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_team_settings_changes_team_at', 'team_settings_changes', ['team_id', 'changed_at'])


def downgrade():
    op.drop_index('ix_team_settings_changes_team_at', table_name='team_settings_changes')
    op.drop_table('team_settings_changes')
