"""Migrations build the schema the models describe, and can be undone and redone."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from web import create_app
from web.extensions import db


def _schema_diff() -> list:
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(ctx, db.metadata)


def _tables() -> set[str]:
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def _revisions(app) -> list[str]:
    from alembic.script import ScriptDirectory

    config = app.extensions["migrate"].migrate.get_config()
    return [s.revision for s in reversed(list(ScriptDirectory.from_config(config).walk_revisions()))]


def test_upgrade_downgrade_upgrade_from_an_empty_database(empty_database_url):
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        try:
            assert _tables() == set()
            # One revision at a time: every earlier revision upgrades to the next.
            for revision in _revisions(app):
                upgrade(revision=revision)
            assert {"communes", "visit_requests", "tour_versions", "visits"} <= _tables()
            assert _schema_diff() == []  # the migrated schema is exactly the models'
            for _ in _revisions(app):
                downgrade(revision="-1")
            assert _tables() == set()
            upgrade()
            assert _schema_diff() == []
        finally:
            db.session.remove()
            db.engine.dispose()


def test_there_is_a_single_head(app):
    from alembic.script import ScriptDirectory

    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def _a_request_of_the_first_schema() -> None:
    """Mende, a season and one request, in columns every revision has (later ones have defaults)."""
    from sqlalchemy import text

    with db.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO communes (insee, name, department, postal_codes, population, lat, lon,"
            " point_corrected, townhall_address, opening_hours, email, phone, website, accessibility,"
            " updated_at) VALUES ('48095', 'Mende', '48', '[]', 1, 44.5, 3.5, false, '', '{}', '', '', '',"
            " '', '2027-01-01 00:00:00')"
        ))
        conn.execute(text(
            "INSERT INTO seasons (id, slug, name, start, \"end\", weekdays, closed_dates, timezone,"
            " lock_slack_minutes, publication_serial, version_counter)"
            " VALUES (1, 's', 'S', '2027-03-01', '2027-03-31', '[1]', '[]', 'Europe/Paris', 30, 0, 0)"
        ))
        conn.execute(text(
            "INSERT INTO visit_requests (season_id, commune_insee, structure_kind, structure_name,"
            " contact_name, email, phone, label, duration_minutes, periods, equipment, venue_label,"
            " venue_address, priority, occurrences, min_days_between, required, notes, status,"
            " decline_reason, tracking_token, created_at, updated_at) VALUES (1, '48095', 'mairie', '', '',"
            " '', '', 'Atelier', 60, '[]', '[]', '', '', 1, 1, 0, false, '', 'submitted', '', 'tok',"
            " '2027-01-01 00:00:00', '2027-01-01 00:00:00')"
        ))


def test_upgrading_keeps_existing_rows_and_their_links(empty_database_url):
    """Batch mode rebuilds SQLite tables by copying them: rows referred to must survive."""
    from sqlalchemy import text

    app = create_app({"TESTING": True, "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        try:
            first = _revisions(app)[0]
            upgrade(revision=first)
            _a_request_of_the_first_schema()
            upgrade()
            downgrade(revision=first)
            upgrade()
            with db.engine.connect() as conn:
                rows = conn.execute(text(
                    "SELECT r.label, c.name FROM visit_requests r JOIN communes c ON c.insee = r.commune_insee"
                )).all()
            assert [tuple(r) for r in rows] == [("Atelier", "Mende")]
        finally:
            db.session.remove()
            db.engine.dispose()


def test_the_change_requests_migration_keeps_one_pending_change_per_request_and_undoes_cleanly(
        empty_database_url):
    """Revision f3b8d1c6a2e9 on this database (SQLite or PostgreSQL): its partial unique index
    holds, and going back before it drops the changes only, never the requests they are about."""
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    app = create_app({"TESTING": True, "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        try:
            upgrade(revision="f3b8d1c6a2e9")
            _a_request_of_the_first_schema()
            insert = text("INSERT INTO request_changes (request_id, proposed, previous, message, status, reason,"
                          " created_at, decided_at, decided_by) VALUES ((SELECT id FROM visit_requests), '{}', '{}',"
                          " '', :status, '', '2027-01-02 00:00:00', :decided, '')")
            with db.engine.begin() as conn:
                conn.execute(insert, {"status": "pending", "decided": None})
                conn.execute(insert, {"status": "withdrawn", "decided": "2027-01-02 00:00:00"})
            try:
                with db.engine.begin() as conn:
                    conn.execute(insert, {"status": "pending", "decided": None})
            except IntegrityError:
                pass
            else:
                raise AssertionError("a second pending change of the same request was stored")
            downgrade(revision="c4e1a9b7d2f3")
            assert "request_changes" not in _tables()
            with db.engine.connect() as conn:
                assert conn.execute(text("SELECT label FROM visit_requests")).scalars().all() == ["Atelier"]
            upgrade()
            assert _schema_diff() == []
        finally:
            db.session.remove()
            db.engine.dispose()
