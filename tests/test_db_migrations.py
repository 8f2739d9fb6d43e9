"""Migrations build the schema the models describe, and can be undone and redone."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import CheckConstraint, inspect, select

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


def _mende_and_a_season(conn) -> None:
    """Rows as the first revision's tables take them (later ones add columns with defaults)."""
    from sqlalchemy import text

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


def _request_row(conn, rid: int, *, priority: int = 1, status: str = "submitted") -> None:
    from sqlalchemy import text

    conn.execute(text(
        "INSERT INTO visit_requests (id, season_id, commune_insee, structure_kind, structure_name,"
        " contact_name, email, phone, label, duration_minutes, periods, equipment, venue_label,"
        " venue_address, priority, occurrences, min_days_between, required, notes, status,"
        " decline_reason, tracking_token, created_at, updated_at) VALUES (:id, 1, '48095', 'mairie', '', '',"
        " '', '', 'Atelier', 60, '[]', '[]', '', '', :priority, 1, 0, false, '', :status, '', :token,"
        " '2027-01-01 00:00:00', '2027-01-01 00:00:00')"
    ), {"id": rid, "priority": priority, "status": status, "token": f"tok{rid}"})


def test_upgrading_keeps_existing_rows_and_their_links(empty_database_url):
    """Batch mode rebuilds SQLite tables by copying them: rows referred to must survive."""
    from sqlalchemy import text

    app = create_app({"TESTING": True, "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        try:
            first = _revisions(app)[0]
            upgrade(revision=first)
            with db.engine.begin() as conn:
                _mende_and_a_season(conn)
                _request_row(conn, 1)
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


def test_priorities_above_the_scale_are_clamped_to_5_and_the_check_follows(empty_database_url):
    """Databases from the days of the 1-100 forms: such a priority becomes 5 (essential), the
    request's history says what it was, and the database then refuses anything outside 1-5;
    undone, the old check (at least 1) is back."""
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    app = create_app({"TESTING": True, "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": empty_database_url})
    before = "c4e1a9b7d2f3"
    with app.app_context():
        try:
            upgrade(revision=before)
            with db.engine.begin() as conn:
                _mende_and_a_season(conn)
                conn.execute(text(
                    "INSERT INTO activities (id, slug, name, description, duration_minutes, equipment, priority,"
                    " what_to_bring, audience) VALUES (1, 'fablab', 'Fablab', '', 60, '[]', 9, '', '')"
                ))
                for rid, priority in ((1, 40), (2, 3), (3, 5)):
                    _request_row(conn, rid, priority=priority, status="accepted")
            upgrade()
            from web.activities.models import Activity
            from web.requests.models import VisitRequest

            assert [(r.id, r.priority) for r in db.session.execute(
                select(VisitRequest).order_by(VisitRequest.id)).scalars()] == [(1, 5), (2, 3), (3, 5)]
            assert db.session.get(Activity, 1).priority == 5
            notes = [(h.request_id, h.to_status, h.note) for h in db.session.get(VisitRequest, 1).history]
            assert notes == [(1, "accepted", "Priorité 40 → 5 : la priorité va désormais de 1 (souhaitable)"
                                             " à 5 (essentielle)")]
            assert db.session.get(VisitRequest, 1).history[0].at.tzinfo is not None
            assert db.session.get(VisitRequest, 2).history == []
            db.session.remove()
            for bad in (6, 0):
                with pytest.raises(IntegrityError), db.engine.begin() as conn:
                    conn.execute(text("UPDATE visit_requests SET priority = :p WHERE id = 2"), {"p": bad})
                with pytest.raises(IntegrityError), db.engine.begin() as conn:
                    conn.execute(text("UPDATE activities SET priority = :p WHERE id = 1"), {"p": bad})
            assert _schema_diff() == []
            for table in ("visit_requests", "activities"):  # SQLite rebuilt them: every other check is kept
                stored = {c["name"] for c in inspect(db.engine).get_check_constraints(table)}
                assert stored == {c.name for c in db.metadata.tables[table].constraints
                                  if isinstance(c, CheckConstraint)}

            downgrade(revision=before)
            with db.engine.begin() as conn:
                conn.execute(text("UPDATE visit_requests SET priority = 6 WHERE id = 2"))
                conn.execute(text("UPDATE activities SET priority = 6 WHERE id = 1"))
            with pytest.raises(IntegrityError), db.engine.begin() as conn:
                conn.execute(text("UPDATE visit_requests SET priority = 0 WHERE id = 2"))
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
            with db.engine.begin() as conn:
                _mende_and_a_season(conn)
                _request_row(conn, 1)
            insert = text("INSERT INTO request_changes (request_id, proposed, previous, message, status, reason,"
                          " created_at, decided_at, decided_by) VALUES ((SELECT id FROM visit_requests), '{}', '{}',"
                          " '', :status, '', '2027-01-02 00:00:00', :decided, '')")
            with db.engine.begin() as conn:
                conn.execute(insert, {"status": "pending", "decided": None})
                conn.execute(insert, {"status": "withdrawn", "decided": "2027-01-02 00:00:00"})
            with pytest.raises(IntegrityError), db.engine.begin() as conn:  # a second pending change
                conn.execute(insert, {"status": "pending", "decided": None})
            downgrade(revision="e2b7c5a9d4f1")
            assert "request_changes" not in _tables()
            with db.engine.connect() as conn:
                assert conn.execute(text("SELECT label FROM visit_requests")).scalars().all() == ["Atelier"]
            upgrade()
            assert _schema_diff() == []
        finally:
            db.session.remove()
            db.engine.dispose()
