"""Road legs cached per road graph; which travel model a version used

Revision ID: b7d2e4a1c9f3
Revises: 53f9d014ba26
Create Date: 2026-12-02 13:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7d2e4a1c9f3'
down_revision = '53f9d014ba26'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('road_legs',
    sa.Column('graph_version', sa.String(length=200), nullable=False),
    sa.Column('from_lat', sa.Integer(), nullable=False),
    sa.Column('from_lon', sa.Integer(), nullable=False),
    sa.Column('to_lat', sa.Integer(), nullable=False),
    sa.Column('to_lon', sa.Integer(), nullable=False),
    sa.Column('km', sa.Float(), nullable=False),
    sa.Column('minutes', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('graph_version', 'from_lat', 'from_lon', 'to_lat', 'to_lon', name=op.f('pk_road_legs'))
    )
    # Versions planned before road data existed all used straight lines: "".
    with op.batch_alter_table('tour_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('travel_source', sa.String(length=200), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('tour_versions', schema=None) as batch_op:
        batch_op.drop_column('travel_source')
    op.drop_table('road_legs')
