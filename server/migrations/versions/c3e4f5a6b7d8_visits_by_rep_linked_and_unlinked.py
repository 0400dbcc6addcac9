"""The rep's visits indexed in two parts, those that work an opportunity and those that do not: the hunting
and farming report counts a team's year of unlinked visits per week from the index alone (covering on both
databases), and reads the linked ones without passing over the others

Revision ID: c3e4f5a6b7d8
Revises: b2d3e4f5a6c7
Create Date: 2026-12-07 08:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = 'c3e4f5a6b7d8'
down_revision = 'b2d3e4f5a6c7'
branch_labels = None
depends_on = None


def upgrade():
    unlinked, linked = sa.text('opportunity_id IS NULL'), sa.text('opportunity_id IS NOT NULL')
    op.create_index(
        'ix_visits_rep_unlinked',
        'visits',
        ['rep_id', 'check_in_at', 'cancelled_at', 'met', 'opportunity_id'],
        postgresql_where=unlinked,
        sqlite_where=unlinked,
    )
    op.create_index(
        'ix_visits_rep_linked', 'visits', ['rep_id', 'check_in_at'], postgresql_where=linked, sqlite_where=linked
    )


def downgrade():
    op.drop_index('ix_visits_rep_linked', table_name='visits')
    op.drop_index('ix_visits_rep_unlinked', table_name='visits')
