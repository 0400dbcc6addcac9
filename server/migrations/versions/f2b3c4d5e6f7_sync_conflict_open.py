"""An account conflict a push answered is kept open until the phone says the rep chose: the manager hears of
one left unresolved

Revision ID: f2b3c4d5e6f7
Revises: e8f9a0b1c2d3
Create Date: 2026-12-06 19:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'f2b3c4d5e6f7'
down_revision = 'e8f9a0b1c2d3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sync_mutations') as batch:
        batch.add_column(sa.Column('conflict_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True))
        batch.create_index('ix_sync_mutations_conflict_at', ['conflict_at'], unique=False)


def downgrade():
    with op.batch_alter_table('sync_mutations') as batch:
        batch.drop_index('ix_sync_mutations_conflict_at')
        batch.drop_column('resolved_at')
        batch.drop_column('conflict_at')
