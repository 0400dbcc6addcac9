"""Visits keep how far from the account the check-in was

Revision ID: a8b6c7d0e1f2
Revises: f7a5b6c9d0e1
Create Date: 2026-12-01 13:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'a8b6c7d0e1f2'
down_revision = 'f7a5b6c9d0e1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('visits') as batch:
        batch.add_column(sa.Column('check_in_distance_m', sa.Float(), nullable=True))


def downgrade():
    with op.batch_alter_table('visits') as batch:
        batch.drop_column('check_in_distance_m')
