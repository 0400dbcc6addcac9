"""Notifications: the queue with each notice's state, a team's channel and credentials, each user's
kinds, and the WeCom / DingTalk ids people sign in with

Revision ID: c1d2e3f4a5b6
Revises: d2e3f4a5b6c7
Create Date: 2026-12-06 12:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c1d2e3f4a5b6'
down_revision = 'd2e3f4a5b6c7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'team_channels',
        sa.Column('team_id', sa.Uuid(), sa.ForeignKey('teams.id', ondelete='CASCADE'), primary_key=True),
        sa.Column('channel', sa.String(length=16), server_default='inapp', nullable=False),
        sa.Column('wecom_corp_id', sa.String(length=64), nullable=True),
        sa.Column('wecom_agent_id', sa.String(length=32), nullable=True),
        sa.Column('wecom_secret', sa.String(length=128), nullable=True),
        sa.Column('dingtalk_corp_id', sa.String(length=64), nullable=True),
        sa.Column('dingtalk_app_key', sa.String(length=64), nullable=True),
        sa.Column('dingtalk_app_secret', sa.String(length=128), nullable=True),
        sa.Column('dingtalk_agent_id', sa.String(length=32), nullable=True),
        sa.Column('app_url', sa.String(length=300), nullable=True),
        sa.Column('hours_from', sa.Time(), server_default='08:00:00', nullable=False),
        sa.Column('hours_until', sa.Time(), server_default='20:00:00', nullable=False),
        sa.Column('changed_by', sa.Uuid(), nullable=True),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        'notify_prefs',
        sa.Column('user_id', sa.Uuid(), sa.ForeignKey('users.id', ondelete='CASCADE'), primary_key=True),
        sa.Column('kinds', sa.JSON(), nullable=False),
    )
    op.create_table(
        'im_links',
        sa.Column('id', sa.Uuid(), primary_key=True),
        sa.Column('user_id', sa.Uuid(), sa.ForeignKey('users.id', ondelete='CASCADE'), nullable=False),
        sa.Column('provider', sa.String(length=16), nullable=False),
        sa.Column('corp_id', sa.String(length=64), nullable=False),
        sa.Column('external_id', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint('provider', 'corp_id', 'external_id', name='uq_im_links_provider_corp_external'),
        sa.UniqueConstraint('user_id', 'provider', name='uq_im_links_user_provider'),
    )
    op.create_table(
        'notifications',
        sa.Column('id', sa.Uuid(), primary_key=True),
        sa.Column('user_id', sa.Uuid(), sa.ForeignKey('users.id', ondelete='CASCADE'), nullable=False),
        sa.Column('team_id', sa.Uuid(), sa.ForeignKey('teams.id', ondelete='SET NULL'), nullable=True),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('params', sa.JSON(), nullable=False),
        sa.Column('dedupe_key', sa.String(length=160), nullable=True),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('any_time', sa.Boolean(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('not_before', sa.DateTime(timezone=True), nullable=False),
        sa.Column('failure', sa.Text(), nullable=True),
        sa.Column('content_hash', sa.String(length=64), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint('dedupe_key', name='uq_notifications_dedupe_key'),
    )
    op.create_index('ix_notifications_due', 'notifications', ['state', 'not_before'])
    op.create_index('ix_notifications_user_sent', 'notifications', ['user_id', 'channel', 'sent_at'])
    op.create_index('ix_notifications_user_id', 'notifications', ['user_id'])
    op.create_index('ix_notifications_team_id', 'notifications', ['team_id'])


def downgrade():
    op.drop_table('notifications')
    op.drop_table('im_links')
    op.drop_table('notify_prefs')
    op.drop_table('team_channels')
