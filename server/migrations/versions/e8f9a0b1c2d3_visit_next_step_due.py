"""A visit's next step may carry a due date: the rep is reminded of the follow-up that day

Revision ID: e8f9a0b1c2d3
Revises: d7e8f9a0b1c2
Create Date: 2026-12-06 16:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e8f9a0b1c2d3'
down_revision = 'd7e8f9a0b1c2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('visits') as batch:
        batch.add_column(sa.Column('next_step_due', sa.Date(), nullable=True))
        batch.create_index('ix_visits_next_step_due', ['next_step_due'], unique=False)


def downgrade():
    with op.batch_alter_table('visits') as batch:
        batch.drop_index('ix_visits_next_step_due')
        batch.drop_column('next_step_due')
