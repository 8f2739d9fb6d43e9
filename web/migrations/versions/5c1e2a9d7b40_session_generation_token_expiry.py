"""Operators' session generation (logout ends sessions server-side); API token expiry and revocation

Revision ID: 5c1e2a9d7b40
Revises: 3c1e5f0a9b27
Create Date: 2026-12-02 07:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
import web.core.types  # noqa: F401  (autogenerate names the app's column types)


# revision identifiers, used by Alembic.
revision = '5c1e2a9d7b40'
down_revision = '3c1e5f0a9b27'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('operators', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', web.core.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('revoked_at', web.core.types.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('revoked_at')
        batch_op.drop_column('expires_at')
    with op.batch_alter_table('operators', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
