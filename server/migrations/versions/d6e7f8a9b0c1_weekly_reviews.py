"""Weekly reviews: the act of a rep's PDCA week, focus points for the next

Revision ID: d6e7f8a9b0c1
Revises: c5d6e7f8a9b0
Create Date: 2026-12-01 17:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd6e7f8a9b0c1'
down_revision = 'c5d6e7f8a9b0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'weekly_reviews',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('rep_id', sa.Uuid(), nullable=False),
        sa.Column('week', sa.Date(), nullable=False),
        sa.Column('focus', sa.JSON(), nullable=False),
        sa.Column('written_by', sa.Uuid(), nullable=True),
        sa.Column('written_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(['rep_id'], ['users.id'], name=op.f('fk_weekly_reviews_rep_id_users'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['written_by'], ['users.id'], name=op.f('fk_weekly_reviews_written_by_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_weekly_reviews')),
        sa.UniqueConstraint('rep_id', 'week', name='uq_weekly_reviews_rep_week'),
    )


def downgrade():
    op.drop_table('weekly_reviews')
