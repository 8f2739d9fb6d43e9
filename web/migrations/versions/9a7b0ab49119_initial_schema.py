"""Initial schema: communes, vans, seasons, activities, requests, tour versions, visits.

Revision ID: 9a7b0ab49119
Revises:
Create Date: 2026-11-21 22:13:16.618815

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9a7b0ab49119'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('activities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('equipment', sa.JSON(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('what_to_bring', sa.Text(), nullable=False),
    sa.Column('audience', sa.String(length=200), nullable=False),
    sa.CheckConstraint('duration_minutes > 0', name=op.f('ck_activities_duration_positive')),
    sa.CheckConstraint('priority >= 1', name=op.f('ck_activities_priority_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activities')),
    sa.UniqueConstraint('slug', name=op.f('uq_activities_slug'))
    )
    op.create_table('communes',
    sa.Column('insee', sa.String(length=5), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('department', sa.String(length=3), nullable=False),
    sa.Column('postal_codes', sa.JSON(), nullable=False),
    sa.Column('population', sa.Integer(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('point_corrected', sa.Boolean(), nullable=False),
    sa.Column('townhall_address', sa.Text(), nullable=False),
    sa.Column('opening_hours', sa.JSON(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('website', sa.String(length=500), nullable=False),
    sa.Column('accessibility', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('lat BETWEEN -90 AND 90', name=op.f('ck_communes_lat_range')),
    sa.CheckConstraint('lon BETWEEN -180 AND 180', name=op.f('ck_communes_lon_range')),
    sa.CheckConstraint('population IS NULL OR population >= 0', name=op.f('ck_communes_population_positive')),
    sa.PrimaryKeyConstraint('insee', name=op.f('pk_communes'))
    )
    with op.batch_alter_table('communes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_communes_department'), ['department'], unique=False)

    op.create_table('seasons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=False),
    sa.Column('weekdays', sa.JSON(), nullable=False),
    sa.Column('closed_dates', sa.JSON(), nullable=False),
    sa.Column('timezone', sa.String(length=60), nullable=False),
    sa.Column('lock_slack_minutes', sa.Integer(), nullable=False),
    sa.Column('publication_serial', sa.Integer(), nullable=False),
    sa.Column('version_counter', sa.Integer(), nullable=False),
    sa.CheckConstraint('"end" >= start', name=op.f('ck_seasons_horizon')),
    sa.CheckConstraint('lock_slack_minutes >= 0', name=op.f('ck_seasons_slack_positive')),
    sa.CheckConstraint('publication_serial >= 0 AND version_counter >= 0', name=op.f('ck_seasons_counters')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_seasons')),
    sa.UniqueConstraint('slug', name=op.f('uq_seasons_slug'))
    )
    op.create_table('vans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('depot_label', sa.String(length=200), nullable=False),
    sa.Column('depot_lat', sa.Float(), nullable=False),
    sa.Column('depot_lon', sa.Float(), nullable=False),
    sa.Column('shift_start', sa.Integer(), nullable=False),
    sa.Column('shift_end', sa.Integer(), nullable=False),
    sa.Column('break_earliest', sa.Integer(), nullable=False),
    sa.Column('break_latest', sa.Integer(), nullable=False),
    sa.Column('break_minutes', sa.Integer(), nullable=False),
    sa.Column('max_drive_minutes', sa.Integer(), nullable=True),
    sa.Column('equipment', sa.JSON(), nullable=False),
    sa.Column('days_off', sa.JSON(), nullable=False),
    sa.CheckConstraint('break_minutes >= 0 AND break_earliest >= 0 AND break_latest <= 1440 AND break_latest - break_earliest >= break_minutes', name=op.f('ck_vans_break_fits')),
    sa.CheckConstraint('depot_lat BETWEEN -90 AND 90 AND depot_lon BETWEEN -180 AND 180', name=op.f('ck_vans_depot_point')),
    sa.CheckConstraint('max_drive_minutes IS NULL OR max_drive_minutes >= 0', name=op.f('ck_vans_max_drive')),
    sa.CheckConstraint('shift_start >= 0 AND shift_end <= 1440 AND shift_start < shift_end', name=op.f('ck_vans_shift')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vans')),
    sa.UniqueConstraint('slug', name=op.f('uq_vans_slug'))
    )
    op.create_table('tour_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('season_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=254), nullable=False),
    sa.Column('base_serial', sa.Integer(), nullable=False),
    sa.Column('problem_json', sa.JSON(), nullable=False),
    sa.Column('plan_json', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('served', sa.Integer(), nullable=False),
    sa.Column('visits', sa.Integer(), nullable=False),
    sa.Column('served_priority', sa.Integer(), nullable=False),
    sa.Column('total_priority', sa.Integer(), nullable=False),
    sa.Column('distance_km', sa.Float(), nullable=False),
    sa.Column('drive_minutes', sa.Integer(), nullable=False),
    sa.Column('van_days', sa.Integer(), nullable=False),
    sa.Column('solve_seconds', sa.Float(), nullable=False),
    sa.Column('unserved', sa.JSON(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_by', sa.String(length=254), nullable=False),
    sa.CheckConstraint("status <> 'published' OR published_at IS NOT NULL", name=op.f('ck_tour_versions_published_has_date')),
    sa.CheckConstraint("status = 'failed' OR plan_json IS NOT NULL", name=op.f('ck_tour_versions_plan_unless_failed')),
    sa.CheckConstraint("status IN ('draft', 'published', 'superseded', 'failed')", name=op.f('ck_tour_versions_status')),
    sa.ForeignKeyConstraint(['season_id'], ['seasons.id'], name=op.f('fk_tour_versions_season_id_seasons'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tour_versions')),
    sa.UniqueConstraint('season_id', 'number', name=op.f('uq_tour_versions_season_id_number'))
    )
    with op.batch_alter_table('tour_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tour_versions_season_id'), ['season_id'], unique=False)
        batch_op.create_index('uq_tour_versions_one_published_per_season', ['season_id'], unique=True, sqlite_where=sa.text("status = 'published'"), postgresql_where=sa.text("status = 'published'"))

    op.create_table('visit_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('season_id', sa.Integer(), nullable=False),
    sa.Column('commune_insee', sa.String(length=5), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=True),
    sa.Column('structure_kind', sa.String(length=20), nullable=False),
    sa.Column('structure_name', sa.String(length=200), nullable=False),
    sa.Column('contact_name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('label', sa.String(length=300), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('periods', sa.JSON(), nullable=False),
    sa.Column('weekdays', sa.JSON(), nullable=True),
    sa.Column('earliest_start', sa.Integer(), nullable=True),
    sa.Column('latest_end', sa.Integer(), nullable=True),
    sa.Column('equipment', sa.JSON(), nullable=False),
    sa.Column('expected_attendees', sa.Integer(), nullable=True),
    sa.Column('venue_label', sa.String(length=300), nullable=False),
    sa.Column('venue_address', sa.Text(), nullable=False),
    sa.Column('venue_lat', sa.Float(), nullable=True),
    sa.Column('venue_lon', sa.Float(), nullable=True),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('occurrences', sa.Integer(), nullable=False),
    sa.Column('min_days_between', sa.Integer(), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('decline_reason', sa.Text(), nullable=False),
    sa.Column('tracking_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status <> 'declined' OR decline_reason <> ''", name=op.f('ck_visit_requests_decline_has_reason')),
    sa.CheckConstraint("status IN ('submitted', 'accepted', 'declined', 'planned', 'done', 'cancelled')", name=op.f('ck_visit_requests_status')),
    sa.CheckConstraint("structure_kind IN ('mairie', 'médiathèque', 'école', 'CCAS', 'association', 'autre')", name=op.f('ck_visit_requests_structure_kind')),
    sa.CheckConstraint('(earliest_start IS NULL OR earliest_start BETWEEN 0 AND 1440) AND (latest_end IS NULL OR latest_end BETWEEN 0 AND 1440) AND (earliest_start IS NULL OR latest_end IS NULL OR earliest_start <= latest_end)', name=op.f('ck_visit_requests_hours')),
    sa.CheckConstraint('(venue_lat IS NULL OR venue_lat BETWEEN -90 AND 90) AND (venue_lon IS NULL OR venue_lon BETWEEN -180 AND 180)', name=op.f('ck_visit_requests_venue_point')),
    sa.CheckConstraint('duration_minutes > 0', name=op.f('ck_visit_requests_duration_positive')),
    sa.CheckConstraint('expected_attendees IS NULL OR expected_attendees >= 0', name=op.f('ck_visit_requests_attendees_positive')),
    sa.CheckConstraint('min_days_between >= 0', name=op.f('ck_visit_requests_min_days_between_positive')),
    sa.CheckConstraint('occurrences >= 1', name=op.f('ck_visit_requests_occurrences_positive')),
    sa.CheckConstraint('priority >= 1', name=op.f('ck_visit_requests_priority_positive')),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_visit_requests_activity_id_activities'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['commune_insee'], ['communes.insee'], name=op.f('fk_visit_requests_commune_insee_communes'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['season_id'], ['seasons.id'], name=op.f('fk_visit_requests_season_id_seasons'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_requests')),
    sa.UniqueConstraint('tracking_token', name=op.f('uq_visit_requests_tracking_token'))
    )
    with op.batch_alter_table('visit_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_requests_commune_insee'), ['commune_insee'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_requests_season_id'), ['season_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_requests_status'), ['status'], unique=False)

    op.create_table('request_status_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('by', sa.String(length=254), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.CheckConstraint("from_status IS NULL OR from_status IN ('submitted', 'accepted', 'declined', 'planned', 'done', 'cancelled')", name=op.f('ck_request_status_changes_from_status')),
    sa.CheckConstraint("to_status IN ('submitted', 'accepted', 'declined', 'planned', 'done', 'cancelled')", name=op.f('ck_request_status_changes_to_status')),
    sa.ForeignKeyConstraint(['request_id'], ['visit_requests.id'], name=op.f('fk_request_status_changes_request_id_visit_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_status_changes'))
    )
    with op.batch_alter_table('request_status_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_status_changes_request_id'), ['request_id'], unique=False)

    op.create_table('visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('occurrence', sa.Integer(), nullable=False),
    sa.Column('season_id', sa.Integer(), nullable=False),
    sa.Column('van_id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('start', sa.Integer(), nullable=False),
    sa.Column('end', sa.Integer(), nullable=False),
    sa.Column('place_label', sa.String(length=300), nullable=False),
    sa.Column('place_address', sa.Text(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status <> 'cancelled' OR cancelled_at IS NOT NULL", name=op.f('ck_visits_cancelled_has_date')),
    sa.CheckConstraint("status IN ('scheduled', 'cancelled')", name=op.f('ck_visits_status')),
    sa.CheckConstraint('occurrence >= 0 AND revision >= 0', name=op.f('ck_visits_counters')),
    sa.CheckConstraint('start <= "end" AND start >= 0 AND "end" <= 1440', name=op.f('ck_visits_times')),
    sa.ForeignKeyConstraint(['request_id'], ['visit_requests.id'], name=op.f('fk_visits_request_id_visit_requests'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['season_id'], ['seasons.id'], name=op.f('fk_visits_season_id_seasons'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['van_id'], ['vans.id'], name=op.f('fk_visits_van_id_vans'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['version_id'], ['tour_versions.id'], name=op.f('fk_visits_version_id_tour_versions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visits')),
    sa.UniqueConstraint('request_id', 'occurrence', name=op.f('uq_visits_request_id_occurrence')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visits_request_id'), ['request_id'], unique=False)
        batch_op.create_index('ix_visits_season_date', ['season_id', 'date'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_van_id'), ['van_id'], unique=False)

    op.create_table('version_visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('occurrence', sa.Integer(), nullable=False),
    sa.Column('van_id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('start', sa.Integer(), nullable=False),
    sa.Column('end', sa.Integer(), nullable=False),
    sa.Column('arrive', sa.Integer(), nullable=False),
    sa.Column('stop_order', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('arrive <= start AND start <= "end" AND start >= 0 AND "end" <= 1440', name=op.f('ck_version_visits_times')),
    sa.CheckConstraint('occurrence >= 0', name=op.f('ck_version_visits_occurrence_positive')),
    sa.ForeignKeyConstraint(['request_id'], ['visit_requests.id'], name=op.f('fk_version_visits_request_id_visit_requests'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['van_id'], ['vans.id'], name=op.f('fk_version_visits_van_id_vans'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['version_id'], ['tour_versions.id'], name=op.f('fk_version_visits_version_id_tour_versions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_version_visits_visit_id_visits'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_version_visits')),
    sa.UniqueConstraint('version_id', 'request_id', 'occurrence', name=op.f('uq_version_visits_version_id_request_id_occurrence'))
    )
    with op.batch_alter_table('version_visits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_version_visits_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_version_visits_version_id'), ['version_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_version_visits_visit_id'), ['visit_id'], unique=False)



def downgrade():
    with op.batch_alter_table('version_visits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_version_visits_visit_id'))
        batch_op.drop_index(batch_op.f('ix_version_visits_version_id'))
        batch_op.drop_index(batch_op.f('ix_version_visits_request_id'))

    op.drop_table('version_visits')
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visits_van_id'))
        batch_op.drop_index('ix_visits_season_date')
        batch_op.drop_index(batch_op.f('ix_visits_request_id'))

    op.drop_table('visits')
    with op.batch_alter_table('request_status_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_status_changes_request_id'))

    op.drop_table('request_status_changes')
    with op.batch_alter_table('visit_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_requests_status'))
        batch_op.drop_index(batch_op.f('ix_visit_requests_season_id'))
        batch_op.drop_index(batch_op.f('ix_visit_requests_commune_insee'))

    op.drop_table('visit_requests')
    with op.batch_alter_table('tour_versions', schema=None) as batch_op:
        batch_op.drop_index('uq_tour_versions_one_published_per_season', sqlite_where=sa.text("status = 'published'"), postgresql_where=sa.text("status = 'published'"))
        batch_op.drop_index(batch_op.f('ix_tour_versions_season_id'))

    op.drop_table('tour_versions')
    op.drop_table('vans')
    op.drop_table('seasons')
    with op.batch_alter_table('communes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_communes_department'))

    op.drop_table('communes')
    op.drop_table('activities')
