"""An account conflict a push answered is kept open until the phone says the rep chose (the manager hears of
one left unresolved); browsers' Web Push subscriptions, and each notice's Web Push state

Revision ID: f2b3c4d5e6f7
Revises: e8f9a0b1c2d3
Create Date: 2026-12-06 19:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'f2b3c4d5e6f7'
down_revision = 'e8f9a0b1c2d3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sync_mutations') as batch:
        batch.add_column(sa.Column('conflict_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True))
        batch.create_index('ix_sync_mutations_conflict_at', ['conflict_at'], unique=False)
    with op.batch_alter_table('notifications') as batch:
        batch.add_column(sa.Column('push_state', sa.String(length=16), nullable=True))
    op.create_table(
        'push_subscriptions',
        sa.Column('id', sa.Uuid(), primary_key=True),
        sa.Column('user_id', sa.Uuid(), sa.ForeignKey('users.id', ondelete='CASCADE'), nullable=False),
        sa.Column('endpoint', sa.String(length=1000), nullable=False),
        sa.Column('p256dh', sa.String(length=120), nullable=False),
        sa.Column('auth', sa.String(length=40), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint('endpoint', name='uq_push_subscriptions_endpoint'),
    )
    op.create_index('ix_push_subscriptions_user_id', 'push_subscriptions', ['user_id'])


def downgrade():
    op.drop_index('ix_push_subscriptions_user_id', table_name='push_subscriptions')
    op.drop_table('push_subscriptions')
    with op.batch_alter_table('notifications') as batch:
        batch.drop_column('push_state')
    with op.batch_alter_table('sync_mutations') as batch:
        batch.drop_index('ix_sync_mutations_conflict_at')
        batch.drop_column('resolved_at')
        batch.drop_column('conflict_at')
