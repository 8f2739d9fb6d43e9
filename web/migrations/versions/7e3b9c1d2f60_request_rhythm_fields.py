"""Visit requests get a rhythm (problem-format v2): most days between visits, same weekday,
starts close together (issue 10).

Revision ID: 7e3b9c1d2f60
Revises: 5c1e2a9d7b40
Create Date: 2026-12-05 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7e3b9c1d2f60'
down_revision = '5c1e2a9d7b40'
branch_labels = None
depends_on = None


def upgrade():
    # Existing requests keep their meaning: no maximum, any weekday, any start.
    with op.batch_alter_table('visit_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('max_days_between', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('same_weekday', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('same_start_within_minutes', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f('ck_visit_requests_max_days_between_range'),
            'max_days_between IS NULL OR (max_days_between >= 1 AND max_days_between >= min_days_between)',
        )
        batch_op.create_check_constraint(
            batch_op.f('ck_visit_requests_same_start_within_range'),
            'same_start_within_minutes IS NULL OR same_start_within_minutes BETWEEN 0 AND 1440',
        )


def downgrade():
    with op.batch_alter_table('visit_requests', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_visit_requests_same_start_within_range'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_visit_requests_max_days_between_range'), type_='check')
        batch_op.drop_column('same_start_within_minutes')
        batch_op.drop_column('same_weekday')
        batch_op.drop_column('max_days_between')
