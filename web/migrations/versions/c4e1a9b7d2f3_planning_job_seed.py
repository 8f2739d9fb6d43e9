"""Planning jobs remember the seed their caller gave (a reproducible search order)

Revision ID: c4e1a9b7d2f3
Revises: c0a1e5d7b3f2
Create Date: 2026-12-02 13:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e1a9b7d2f3'
down_revision = 'c0a1e5d7b3f2'
branch_labels = None
depends_on = None


def upgrade():
    # Existing jobs had no seed (NULL: the search's own order).
    with op.batch_alter_table('planning_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seed', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('planning_jobs', schema=None) as batch_op:
        batch_op.drop_column('seed')
