"""Targets and the face-time goal say who set them and when

Revision ID: b3c4d5e6f7a8
Revises: a2b3c4d5e6f7
Create Date: 2026-12-01 14:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b3c4d5e6f7a8'
down_revision = 'a2b3c4d5e6f7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sales_targets') as batch:
        batch.add_column(sa.Column('set_by', sa.Uuid(), nullable=True))
        batch.add_column(sa.Column('set_at', sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key(op.f('fk_sales_targets_set_by_users'), 'users', ['set_by'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('teams') as batch:
        batch.add_column(sa.Column('face_time_target_set_by', sa.Uuid(), nullable=True))
        batch.add_column(sa.Column('face_time_target_set_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('teams') as batch:
        batch.drop_column('face_time_target_set_at')
        batch.drop_column('face_time_target_set_by')
    with op.batch_alter_table('sales_targets') as batch:
        batch.drop_constraint(op.f('fk_sales_targets_set_by_users'), type_='foreignkey')
        batch.drop_column('set_at')
        batch.drop_column('set_by')
