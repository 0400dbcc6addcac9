"""Team settings: the method's cadence, timings, check-in radius, working days and visit presets per team

Revision ID: c3d4e5f6a7b8
Revises: b1c2d3e4f5a6
Create Date: 2026-12-06 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c3d4e5f6a7b8'
down_revision = 'b1c2d3e4f5a6'
branch_labels = None
depends_on = None


def upgrade():
    # No rows: a team without one works by the method's values (server/team_settings.py).
    op.create_table(
        'team_settings',
        sa.Column('team_id', sa.Uuid(), nullable=False),
        sa.Column('cadence_a', sa.Integer(), server_default='7', nullable=False),
        sa.Column('cadence_b', sa.Integer(), server_default='14', nullable=False),
        sa.Column('cadence_c', sa.Integer(), server_default='30', nullable=False),
        sa.Column('first_appointment_time', sa.Time(), server_default='08:45:00', nullable=False),
        sa.Column('service_a', sa.Integer(), server_default='60', nullable=False),
        sa.Column('service_b', sa.Integer(), server_default='45', nullable=False),
        sa.Column('service_c', sa.Integer(), server_default='30', nullable=False),
        sa.Column('lunch_earliest', sa.Time(), server_default='12:00:00', nullable=False),
        sa.Column('lunch_latest', sa.Time(), server_default='13:00:00', nullable=False),
        sa.Column('lunch_minutes', sa.Integer(), server_default='45', nullable=False),
        sa.Column('checkin_radius_m', sa.Float(), server_default='300', nullable=False),
        sa.Column('working_days', sa.JSON(), nullable=False),
        sa.Column('visit_purposes', sa.JSON(), nullable=True),
        sa.Column('visit_outcomes', sa.JSON(), nullable=True),
        sa.Column('changed_by', sa.Uuid(), nullable=True),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('team_id'),
    )


def downgrade():
    op.drop_table('team_settings')
