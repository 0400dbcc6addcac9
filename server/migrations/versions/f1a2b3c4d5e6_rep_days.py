"""Each rep's recorded days in figures (rep_days), kept on write: the reports of a team's month read these
rows instead of every visit and activity. Filled here from the records there are.

Revision ID: f1a2b3c4d5e6
Revises: f2b3c4d5e6f7
Create Date: 2026-12-06 19:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'f1a2b3c4d5e6'
down_revision = 'f2b3c4d5e6f7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'rep_days',
        sa.Column('rep_id', sa.Uuid(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('tz', sa.String(length=64), nullable=False),
        sa.Column('worked', sa.Boolean(), nullable=False),
        sa.Column('odd', sa.Boolean(), nullable=False),
        sa.Column('visits', sa.Integer(), nullable=False),
        sa.Column('not_met', sa.Integer(), nullable=False),
        sa.Column('face_to_face_visits', sa.Integer(), nullable=False),
        sa.Column('with_purpose', sa.Integer(), nullable=False),
        sa.Column('open_visits', sa.Integer(), nullable=False),
        sa.Column('open_activities', sa.Integer(), nullable=False),
        sa.Column('first_check_in', sa.Float(), nullable=True),
        sa.Column('split', sa.Boolean(), nullable=False),
        sa.Column('face_to_face_min', sa.Float(), nullable=False),
        sa.Column('travel_min', sa.Float(), nullable=False),
        sa.Column('admin_min', sa.Float(), nullable=False),
        sa.Column('meeting_min', sa.Float(), nullable=False),
        sa.Column('unrecorded_min', sa.Float(), nullable=False),
        sa.Column('span_min', sa.Float(), nullable=False),
        sa.Column('planned', sa.Integer(), nullable=False),
        sa.Column('planned_done', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['rep_id'], ['users.id'], name=op.f('fk_rep_days_rep_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('rep_id', 'day', name=op.f('pk_rep_days')),
    )
    # The backfill: every rep's days from the visits, activities and plans there are.
    from server.reports.repdays import rebuild

    rebuild(op.get_bind())


def downgrade():
    op.drop_table('rep_days')
