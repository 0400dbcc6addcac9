"""Login attempts are counted per client address as well as per username

Revision ID: b9c7d8e1f2a3
Revises: a8b6c7d0e1f2
Create Date: 2026-12-01 13:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b9c7d8e1f2a3'
down_revision = 'a8b6c7d0e1f2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('login_failures') as batch:
        batch.add_column(sa.Column('address', sa.String(length=64), server_default='', nullable=False))
        batch.create_index('ix_login_failures_address_at', ['address', 'at'])


def downgrade():
    with op.batch_alter_table('login_failures') as batch:
        batch.drop_index('ix_login_failures_address_at')
        batch.drop_column('address')
