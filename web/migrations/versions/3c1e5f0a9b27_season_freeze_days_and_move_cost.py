"""Seasons get a freeze horizon (days) and the cost of moving a published visit (re-planning v2).

Revision ID: 3c1e5f0a9b27
Revises: 5fdee98001b4
Create Date: 2026-11-28 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3c1e5f0a9b27'
down_revision = '5fdee98001b4'
branch_labels = None
depends_on = None


def upgrade():
    # Existing seasons get the defaults: two weeks frozen, two priority points per moved visit.
    with op.batch_alter_table('seasons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('freeze_days', sa.Integer(), server_default='14', nullable=False))
        batch_op.add_column(sa.Column('move_cost', sa.Integer(), server_default='2', nullable=False))
        batch_op.create_check_constraint(
            batch_op.f('ck_seasons_stability_positive'), 'freeze_days >= 0 AND move_cost >= 0'
        )


def downgrade():
    with op.batch_alter_table('seasons', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_seasons_stability_positive'), type_='check')
        batch_op.drop_column('move_cost')
        batch_op.drop_column('freeze_days')
