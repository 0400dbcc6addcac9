"""Opportunities belong to their account's owner: repair deals left with a former owner

Revision ID: d5e3f4a7b8c9
Revises: c4d2e3f6a7b8
Create Date: 2026-12-01 11:30:00

"""
from alembic import op


revision = 'd5e3f4a7b8c9'
down_revision = 'c4d2e3f6a7b8'
branch_labels = None
depends_on = None


def upgrade():
    # Reassignments used to leave a deal with the rep who opened it; it follows the account now.
    op.execute("""
        UPDATE opportunities SET owner_id = (
            SELECT accounts.owner_id FROM accounts WHERE accounts.id = opportunities.account_id)
        WHERE owner_id IS DISTINCT FROM (
            SELECT accounts.owner_id FROM accounts WHERE accounts.id = opportunities.account_id)
    """ if op.get_context().dialect.name == "postgresql" else """
        UPDATE opportunities SET owner_id = (
            SELECT accounts.owner_id FROM accounts WHERE accounts.id = opportunities.account_id)
        WHERE owner_id IS NOT (
            SELECT accounts.owner_id FROM accounts WHERE accounts.id = opportunities.account_id)
    """)


def downgrade():
    pass  # the former owners are not kept: nothing to put back
