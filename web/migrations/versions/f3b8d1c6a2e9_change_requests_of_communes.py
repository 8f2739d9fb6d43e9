"""Change requests: a commune asks, from its tracking link, to change its request; the team
accepts (the values are applied then) or refuses with a reason (issue 13).

Revision ID: f3b8d1c6a2e9
Revises: e2b7c5a9d4f1
Create Date: 2026-12-06 10:00:00

"""
from alembic import op
import sqlalchemy as sa
import web.core.types  # noqa: F401  (autogenerate names the app's column types)


# revision identifiers, used by Alembic.
revision = 'f3b8d1c6a2e9'
down_revision = 'e2b7c5a9d4f1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('request_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('proposed', sa.JSON(), nullable=False),
    sa.Column('previous', sa.JSON(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', web.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', web.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=254), nullable=False),
    sa.CheckConstraint("status <> 'refused' OR reason <> ''", name=op.f('ck_request_changes_refusal_has_reason')),
    sa.CheckConstraint("status = 'pending' OR decided_at IS NOT NULL", name=op.f('ck_request_changes_decided_at')),
    sa.CheckConstraint("status IN ('pending', 'accepted', 'refused', 'withdrawn')", name=op.f('ck_request_changes_status')),
    sa.ForeignKeyConstraint(['request_id'], ['visit_requests.id'], name=op.f('fk_request_changes_request_id_visit_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_changes'))
    )
    with op.batch_alter_table('request_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_changes_request_id'), ['request_id'], unique=False)
        # One pending change per request: a newer one replaces it (web.requests.changes).
        batch_op.create_index('uq_request_changes_one_pending', ['request_id'], unique=True, sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))


def downgrade():
    with op.batch_alter_table('request_changes', schema=None) as batch_op:
        batch_op.drop_index('uq_request_changes_one_pending', sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))
        batch_op.drop_index(batch_op.f('ix_request_changes_request_id'))

    op.drop_table('request_changes')
