"""Visits by account: the index also holds whether a visit was cancelled or met

The qualification and coverage reports count an account's visits that were not cancelled (and met);
with those two columns in the index the database answers from the index alone.

Revision ID: f8a9b0c1d2e3
Revises: e7f8a9b0c1d2
Create Date: 2026-12-01 20:10:00

"""
from alembic import op


revision = 'f8a9b0c1d2e3'
down_revision = 'e7f8a9b0c1d2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index('ix_visits_account_check_in')
        batch_op.create_index('ix_visits_account_check_in', ['account_id', 'check_in_at', 'cancelled_at', 'met'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index('ix_visits_account_check_in')
        batch_op.create_index('ix_visits_account_check_in', ['account_id', 'check_in_at'], unique=False)
