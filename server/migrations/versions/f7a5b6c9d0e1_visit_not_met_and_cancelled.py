"""Visits say whether the customer was met, and a mistaken one is cancelled with a reason

Revision ID: f7a5b6c9d0e1
Revises: e6f4a5b8c9d0
Create Date: 2026-12-01 12:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'f7a5b6c9d0e1'
down_revision = 'e6f4a5b8c9d0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('visits') as batch:
        batch.add_column(sa.Column('met', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch.add_column(sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('cancel_reason', sa.Text(), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('visits') as batch:
        batch.drop_column('cancel_reason')
        batch.drop_column('cancelled_at')
        batch.drop_column('met')
