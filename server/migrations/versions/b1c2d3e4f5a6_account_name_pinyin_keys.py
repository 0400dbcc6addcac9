"""Accounts keep their name's pinyin and initials, the phone's offline search keys

Revision ID: b1c2d3e4f5a6
Revises: c2d3e4f5a6b7
Create Date: 2026-12-06 08:00:00

"""
from alembic import op
import sqlalchemy as sa

from server.pinyin import pinyin_keys


revision = 'b1c2d3e4f5a6'
down_revision = 'c2d3e4f5a6b7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('accounts') as batch:
        batch.add_column(sa.Column('name_pinyin', sa.String(1200), nullable=False, server_default=''))
        batch.add_column(sa.Column('name_initials', sa.String(400), nullable=False, server_default=''))
    # Existing accounts get their keys here; phones take them with the snapshot their app's update asks for.
    bind = op.get_bind()
    accounts = sa.table('accounts', sa.column('id'), sa.column('name'), sa.column('name_pinyin'), sa.column('name_initials'))
    rows = bind.execute(sa.select(accounts.c.id, accounts.c.name)).all()
    for account_id, name in rows:
        full, initials = pinyin_keys(name)
        bind.execute(
            accounts.update().where(accounts.c.id == account_id).values(name_pinyin=full, name_initials=initials)
        )


def downgrade():
    with op.batch_alter_table('accounts') as batch:
        batch.drop_column('name_initials')
        batch.drop_column('name_pinyin')
