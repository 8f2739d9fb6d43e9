"""Mail outbox, residents' alerts, season reminder days, operators' new-request mail

Revision ID: 53f9d014ba26
Revises: 7e3b9c1d2f60
Create Date: 2026-12-02 07:13:30.562249

"""
from alembic import op
import sqlalchemy as sa
import web.core.types  # noqa: F401  (autogenerate names the app's column types)


# revision identifiers, used by Alembic.
revision = '53f9d014ba26'
down_revision = '7e3b9c1d2f60'
branch_labels = None
depends_on = None


def upgrade():
    # Existing seasons remind communes 7 days ahead; existing operators get one e-mail per new request.
    op.create_table('mail_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commune_insee', sa.String(length=5), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('created_at', web.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', web.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['commune_insee'], ['communes.insee'], name=op.f('fk_mail_subscriptions_commune_insee_communes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_subscriptions')),
    sa.UniqueConstraint('commune_insee', 'email', name=op.f('uq_mail_subscriptions_commune_insee_email')),
    sa.UniqueConstraint('token', name=op.f('uq_mail_subscriptions_token'))
    )
    with op.batch_alter_table('mail_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mail_subscriptions_commune_insee'), ['commune_insee'], unique=False)

    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('message_id', sa.String(length=250), nullable=False),
    sa.Column('dedup_key', sa.String(length=200), nullable=True),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', web.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_until', web.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claim_token', sa.String(length=64), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('created_at', web.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', web.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("recipient <> ''", name=op.f('ck_outbox_messages_recipient_not_empty')),
    sa.CheckConstraint("status IN ('waiting', 'sending', 'sent', 'failed')", name=op.f('ck_outbox_messages_status')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_outbox_messages_attempts_positive')),
    sa.ForeignKeyConstraint(['request_id'], ['visit_requests.id'], name=op.f('fk_outbox_messages_request_id_visit_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages')),
    sa.UniqueConstraint('dedup_key', name=op.f('uq_outbox_messages_dedup_key')),
    sa.UniqueConstraint('message_id', name=op.f('uq_outbox_messages_message_id'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_messages_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_messages_request_id'), ['request_id'], unique=False)

    with op.batch_alter_table('operators', schema=None) as batch_op:
        batch_op.add_column(sa.Column('new_request_mail', sa.String(length=10), server_default='each', nullable=False))
        batch_op.create_check_constraint(
            batch_op.f('ck_operators_new_request_mail'), "new_request_mail IN ('each', 'digest', 'none')"
        )

    with op.batch_alter_table('seasons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminder_days', sa.Integer(), server_default='7', nullable=False))
        batch_op.create_check_constraint(batch_op.f('ck_seasons_reminder_days_range'), 'reminder_days BETWEEN 0 AND 60')



def downgrade():
    with op.batch_alter_table('seasons', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_seasons_reminder_days_range'), type_='check')
        batch_op.drop_column('reminder_days')

    with op.batch_alter_table('operators', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_operators_new_request_mail'), type_='check')
        batch_op.drop_column('new_request_mail')

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_messages_request_id'))
        batch_op.drop_index('ix_outbox_messages_due')

    op.drop_table('outbox_messages')
    with op.batch_alter_table('mail_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mail_subscriptions_commune_insee'))

    op.drop_table('mail_subscriptions')
