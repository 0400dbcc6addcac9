"""The sync journal names the record each mutation wrote and the version it made

Revision ID: a2b3c4d5e6f7
Revises: d1e9f0a3b4c5
Create Date: 2026-12-01 13:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'a2b3c4d5e6f7'
down_revision = 'd1e9f0a3b4c5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sync_mutations') as batch:
        batch.add_column(sa.Column('entity', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('entity_id', sa.Uuid(), nullable=True))
        batch.add_column(sa.Column('version', sa.Integer(), nullable=True))
        batch.create_index('ix_sync_mutations_client_record', ['client_id', 'entity_id'])


def downgrade():
    with op.batch_alter_table('sync_mutations') as batch:
        batch.drop_index('ix_sync_mutations_client_record')
        batch.drop_column('version')
        batch.drop_column('entity_id')
        batch.drop_column('entity')
