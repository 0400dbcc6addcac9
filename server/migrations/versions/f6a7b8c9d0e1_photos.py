"""Photos taken at visits: metadata synced like other records, bytes in the photo store

Revision ID: f6a7b8c9d0e1
Revises: d0e1f2a3b4c5
Create Date: 2026-12-06 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'f6a7b8c9d0e1'
down_revision = 'd0e1f2a3b4c5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'photos',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('visit_id', sa.Uuid(), nullable=False),
        sa.Column('account_id', sa.Uuid(), nullable=False),
        sa.Column('rep_id', sa.Uuid(), nullable=False),
        sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('latitude', sa.Float(), nullable=True),
        sa.Column('longitude', sa.Float(), nullable=True),
        sa.Column('accuracy_m', sa.Float(), nullable=True),
        sa.Column('caption', sa.Text(), server_default='', nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(64), nullable=False),
        sa.Column('content_type', sa.String(20), nullable=True),
        sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint('size > 0', name=op.f('ck_photos_photo_size_positive')),
        sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_photos_visit_id_visits'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_photos_account_id_accounts'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['rep_id'], ['users.id'], name=op.f('fk_photos_rep_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_photos')),
    )
    op.create_index('ix_photos_visit', 'photos', ['visit_id'])
    op.create_index('ix_photos_account_taken', 'photos', ['account_id', 'taken_at'])


def downgrade():
    op.drop_index('ix_photos_account_taken', table_name='photos')
    op.drop_index('ix_photos_visit', table_name='photos')
    op.drop_table('photos')
