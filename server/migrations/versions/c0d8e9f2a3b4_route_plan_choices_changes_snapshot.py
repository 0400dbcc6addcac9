"""Route plans keep the rep's own choices, who changed them last, and the plan at the first check-in

Revision ID: c0d8e9f2a3b4
Revises: b9c7d8e1f2a3
Create Date: 2026-12-01 14:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c0d8e9f2a3b4'
down_revision = 'b9c7d8e1f2a3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('route_plans') as batch:
        batch.add_column(sa.Column('choices', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('changed_by', sa.Uuid(), nullable=True))
        batch.add_column(sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('snapshot', sa.JSON(), nullable=True))
        batch.create_foreign_key(op.f('fk_route_plans_changed_by_users'), 'users', ['changed_by'], ['id'],
                                 ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('route_plans') as batch:
        batch.drop_constraint(op.f('fk_route_plans_changed_by_users'), type_='foreignkey')
        batch.drop_column('snapshot')
        batch.drop_column('changed_at')
        batch.drop_column('changed_by')
        batch.drop_column('choices')
