"""Sync journal: mutation ids are looked up within their client, and a duplicate is journaled under its seq

Revision ID: c4d2e3f6a7b8
Revises: b3e1c2d4f5a6
Create Date: 2026-12-01 11:00:00

"""
from alembic import op


revision = 'c4d2e3f6a7b8'
down_revision = 'b3e1c2d4f5a6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sync_mutations') as batch:
        batch.drop_constraint('uq_sync_mutations_mutation_id', type_='unique')
        batch.create_index('ix_sync_mutations_client_mutation', ['client_id', 'mutation_id'])


def downgrade():
    with op.batch_alter_table('sync_mutations') as batch:
        batch.drop_index('ix_sync_mutations_client_mutation')
        batch.create_unique_constraint('uq_sync_mutations_mutation_id', ['mutation_id'])
