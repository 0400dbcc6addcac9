"""Token families: refresh tokens rotate, and a reused one ends its login

Revision ID: d1e9f0a3b4c5
Revises: c0d8e9f2a3b4
Create Date: 2026-12-01 14:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd1e9f0a3b4c5'
down_revision = 'c0d8e9f2a3b4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('token_families',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('current_jti', sa.String(length=64), nullable=False),
    sa.Column('previous_jti', sa.String(length=64), nullable=True),
    sa.Column('rotated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_token_families_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_token_families'))
    )
    with op.batch_alter_table('token_families') as batch:
        batch.create_index(batch.f('ix_token_families_user_id'), ['user_id'], unique=False)


def downgrade():
    op.drop_table('token_families')
