"""Opportunities name the machine a replacement would replace

Revision ID: e6f4a5b8c9d0
Revises: d5e3f4a7b8c9
Create Date: 2026-12-01 12:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e6f4a5b8c9d0'
down_revision = 'd5e3f4a7b8c9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('opportunities') as batch:
        batch.add_column(sa.Column('device_id', sa.Uuid(), nullable=True))
        batch.create_foreign_key(op.f('fk_opportunities_device_id_devices'), 'devices', ['device_id'], ['id'],
                                 ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('opportunities') as batch:
        batch.drop_constraint(op.f('fk_opportunities_device_id_devices'), type_='foreignkey')
        batch.drop_column('device_id')
