"""Team settings: the map's tile source (osm, tianditu, amap, tencent) and 天地图's key

Revision ID: b8c9d0e1f2a3
Revises: f6a7b8c9d0e1
Create Date: 2026-12-06 10:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b8c9d0e1f2a3'
down_revision = 'f6a7b8c9d0e1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('team_settings') as batch:
        batch.add_column(sa.Column('map_tiles', sa.String(length=16), server_default='osm', nullable=False))
        batch.add_column(sa.Column('map_tile_key', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('team_settings') as batch:
        batch.drop_column('map_tile_key')
        batch.drop_column('map_tiles')
