"""Geocode cache keeps "not found" answers too: the coordinates may be empty (an address the provider does not know)

Revision ID: d7e8f9a0b1c2
Revises: a5b6c7d8e9f0
Create Date: 2026-12-06 15:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd7e8f9a0b1c2'
down_revision = 'a5b6c7d8e9f0'
branch_labels = None
depends_on = None

COLUMNS = ('raw_longitude', 'raw_latitude', 'longitude', 'latitude')


def upgrade():
    with op.batch_alter_table('geocode_cache') as batch_op:
        for name in COLUMNS:
            batch_op.alter_column(name, existing_type=sa.Float(), nullable=True)


def downgrade():
    # The older schema has no way to say "not found": those entries go (the next import asks again).
    op.execute('DELETE FROM geocode_cache WHERE latitude IS NULL')
    with op.batch_alter_table('geocode_cache') as batch_op:
        for name in COLUMNS:
            batch_op.alter_column(name, existing_type=sa.Float(), nullable=False)
