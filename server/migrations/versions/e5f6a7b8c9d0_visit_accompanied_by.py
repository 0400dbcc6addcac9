"""A visit can name the manager who accompanied the rep (a joint visit, 陪访)

Revision ID: e5f6a7b8c9d0
Revises: c3d4e5f6a7b8
Create Date: 2026-12-06 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e5f6a7b8c9d0'
down_revision = 'c3d4e5f6a7b8'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('visits') as batch:
        batch.add_column(sa.Column('accompanied_by', sa.Uuid(), nullable=True))
        batch.create_foreign_key(
            op.f('fk_visits_accompanied_by_users'), 'users', ['accompanied_by'], ['id'], ondelete='SET NULL'
        )


def downgrade():
    with op.batch_alter_table('visits') as batch:
        batch.drop_constraint(op.f('fk_visits_accompanied_by_users'), type_='foreignkey')
        batch.drop_column('accompanied_by')
