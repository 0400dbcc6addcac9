"""Geocode cache: addresses a geocoder answered, by provider, normalised address and city, kept across imports

Revision ID: d0e1f2a3b4c5
Revises: e5f6a7b8c9d0
Create Date: 2026-12-06 10:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd0e1f2a3b4c5'
down_revision = 'e5f6a7b8c9d0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'geocode_cache',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('provider', sa.String(length=16), nullable=False),
        sa.Column('address', sa.String(length=500), nullable=False),
        sa.Column('city', sa.String(length=64), nullable=False),
        sa.Column('raw_longitude', sa.Float(), nullable=False),
        sa.Column('raw_latitude', sa.Float(), nullable=False),
        sa.Column('datum', sa.String(length=8), nullable=False),
        sa.Column('longitude', sa.Float(), nullable=False),
        sa.Column('latitude', sa.Float(), nullable=False),
        sa.Column('formatted_address', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('provider', 'address', 'city'),
    )


def downgrade():
    op.drop_table('geocode_cache')
