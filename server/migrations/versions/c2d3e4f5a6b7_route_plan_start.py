"""Route plans say where they start: a re-plan from here and now starts at the rep's position, not at home

Revision ID: c2d3e4f5a6b7
Revises: b4c5d6e7f8a9
Create Date: 2026-12-05 10:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = 'c2d3e4f5a6b7'
down_revision = 'b4c5d6e7f8a9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('route_plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('start', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('route_plans', schema=None) as batch_op:
        batch_op.drop_column('start')
