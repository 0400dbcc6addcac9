"""Opportunities carry when they were opened, the funnel's period key

Revision ID: b3e1c2d4f5a6
Revises: 9d7f0cf20a1e
Create Date: 2026-12-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b3e1c2d4f5a6'
down_revision = '9d7f0cf20a1e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('opportunities') as batch:
        batch.add_column(sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True))
    # An existing opportunity was opened at its first recorded stage, else when its row was written.
    op.execute("""
        UPDATE opportunities SET opened_at = COALESCE(
            (SELECT MIN(changed_at) FROM stage_changes WHERE stage_changes.opportunity_id = opportunities.id),
            created_at)
    """)
    with op.batch_alter_table('opportunities') as batch:
        batch.alter_column('opened_at', nullable=False)
        batch.create_index('ix_opportunities_opened_at', ['opened_at'])


def downgrade():
    with op.batch_alter_table('opportunities') as batch:
        batch.drop_index('ix_opportunities_opened_at')
        batch.drop_column('opened_at')
