"""The history of accounts' A/B/C classes: one row per change, so a past period reads the class it had then;
the reassignments indexed by instant

Revision ID: f4d5e6f7a8b9
Revises: f1a2b3c4d5e6
Create Date: 2026-12-06 19:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'f4d5e6f7a8b9'
down_revision = 'f1a2b3c4d5e6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'account_class_changes',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('account_id', sa.Uuid(), nullable=False),
        sa.Column('from_class', sa.String(length=1), nullable=True),
        sa.Column('to_class', sa.String(length=1), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('by', sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_account_class_changes_account_id', 'account_class_changes', ['account_id'])
    op.create_index('ix_account_class_changes_at', 'account_class_changes', ['at'])
    # A past period's reports look for the reassignments made after its end.
    op.create_index('ix_account_reassignments_at', 'account_reassignments', ['at'])


def downgrade():
    op.drop_index('ix_account_reassignments_at', table_name='account_reassignments')
    op.drop_index('ix_account_class_changes_at', table_name='account_class_changes')
    op.drop_index('ix_account_class_changes_account_id', table_name='account_class_changes')
    op.drop_table('account_class_changes')
