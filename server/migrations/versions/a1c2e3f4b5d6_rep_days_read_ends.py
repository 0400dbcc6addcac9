"""The rep's visits and activities indexed by their end: the rep-days a write touches read the records that
ended on or after a day, whenever they started, instead of the rep's whole history before it

Revision ID: a1c2e3f4b5d6
Revises: f4d5e6f7a8b9
Create Date: 2026-12-07 01:05:00

"""
from alembic import op


revision = 'a1c2e3f4b5d6'
down_revision = 'f4d5e6f7a8b9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_visits_rep_check_out', 'visits', ['rep_id', 'check_out_at'])
    op.create_index('ix_activities_rep_ended', 'activities', ['rep_id', 'ended_at'])


def downgrade():
    op.drop_index('ix_activities_rep_ended', table_name='activities')
    op.drop_index('ix_visits_rep_check_out', table_name='visits')
