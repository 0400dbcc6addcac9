"""Account reassignments: the territory's history as a domain table, not read from the sync log

Revision ID: e7f8a9b0c1d2
Revises: d6e7f8a9b0c1
Create Date: 2026-12-01 17:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e7f8a9b0c1d2'
down_revision = 'd6e7f8a9b0c1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'account_reassignments',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('account_id', sa.Uuid(), nullable=False),
        sa.Column('from_owner_id', sa.Uuid(), nullable=True),
        sa.Column('to_owner_id', sa.Uuid(), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('by', sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_account_reassignments_account_id_accounts'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_account_reassignments')),
    )
    op.create_index(op.f('ix_account_reassignments_account_id'), 'account_reassignments', ['account_id'])
    op.create_index(op.f('ix_account_reassignments_from_owner_id'), 'account_reassignments', ['from_owner_id'])
    op.create_index(op.f('ix_account_reassignments_to_owner_id'), 'account_reassignments', ['to_owner_id'])
    # The history so far is in the sync change log: every account change that moved its owner.
    op.execute(
        "INSERT INTO account_reassignments (account_id, from_owner_id, to_owner_id, at) "
        "SELECT c.entity_id, c.prev_owner_id, c.owner_id, c.at FROM changes c "
        "JOIN accounts a ON a.id = c.entity_id "
        "WHERE c.entity = 'account' AND c.prev_owner_id IS NOT NULL "
        "AND (c.owner_id IS NULL OR c.owner_id <> c.prev_owner_id) ORDER BY c.seq")


def downgrade():
    op.drop_index(op.f('ix_account_reassignments_to_owner_id'), table_name='account_reassignments')
    op.drop_index(op.f('ix_account_reassignments_from_owner_id'), table_name='account_reassignments')
    op.drop_index(op.f('ix_account_reassignments_account_id'), table_name='account_reassignments')
    op.drop_table('account_reassignments')
