"""The reports' visits indexed for two reads that fetched every visit row of the team's period to find a few:
joint visits (a partial index of the rep's visits a manager went along on) for the time split, and the
rep's visits by check-in now also carry the check-in distance and the cancellation, so the activity report
finds those checked in away from their account from the index alone

Revision ID: b2d3e4f5a6c7
Revises: a1c2e3f4b5d6
Create Date: 2026-12-07 05:15:00

"""
import sqlalchemy as sa
from alembic import op


revision = 'b2d3e4f5a6c7'
down_revision = 'a1c2e3f4b5d6'
branch_labels = None
depends_on = None


def upgrade():
    joint = sa.text('accompanied_by IS NOT NULL')
    op.create_index(
        'ix_visits_rep_joint', 'visits', ['rep_id', 'check_in_at'], postgresql_where=joint, sqlite_where=joint
    )
    op.drop_index('ix_visits_rep_check_in', table_name='visits')
    op.create_index(
        'ix_visits_rep_check_in', 'visits', ['rep_id', 'check_in_at', 'check_in_distance_m', 'cancelled_at']
    )


def downgrade():
    op.drop_index('ix_visits_rep_check_in', table_name='visits')
    op.create_index('ix_visits_rep_check_in', 'visits', ['rep_id', 'check_in_at'])
    op.drop_index('ix_visits_rep_joint', table_name='visits')
