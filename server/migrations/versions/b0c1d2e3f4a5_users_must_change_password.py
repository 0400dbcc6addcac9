"""Users: a reset password must be changed at the next login

Revision ID: b0c1d2e3f4a5
Revises: a9b0c1d2e3f4
Create Date: 2026-12-10 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b0c1d2e3f4a5'
down_revision = 'a9b0c1d2e3f4'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN, not a batch: on SQLite a batch would rebuild `users`, and dropping the old
    # table fires the foreign keys' ON DELETE actions (owners set to NULL, appointments deleted).
    op.add_column('users', sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    # SQLite (3.35+) and PostgreSQL both drop a column in place.
    op.drop_column('users', 'must_change_password')
