"""Rules the schema itself enforces, whatever code writes to it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import bindparam, text
from sqlalchemy.exc import IntegrityError

from web.core.types import UTCDateTime
from web.extensions import db
from web.tours.models import TourVersion


def _sql(sql: str, **params):
    # Times go through the column type, as the application writes them (sqlite3's own
    # datetime adapter is deprecated since Python 3.12).
    return text(sql).bindparams(*(bindparam(k, type_=UTCDateTime()) for k, v in params.items()
                                  if isinstance(v, datetime)))


def _fails(session, sql: str, **params) -> None:
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(_sql(sql, **params), params)


def test_foreign_keys_are_enforced(db_session, make):
    season = make.season()
    db_session.commit()
    _fails(
        db_session,
        "INSERT INTO visit_requests (season_id, commune_insee, structure_kind, structure_name, contact_name, email,"
        " phone, label, duration_minutes, periods, equipment, venue_label, venue_address, priority, occurrences,"
        " min_days_between, required, notes, status, decline_reason, tracking_token, created_at, updated_at)"
        " VALUES (:s, '99999', 'mairie', '', '', '', '', 'x', 60, '[]', '[]', '', '', 1, 1, 0, false, '',"
        " 'submitted', '', 'tok', :now, :now)",
        s=season.id,
        now=datetime(2027, 1, 1, tzinfo=UTC),
    )


def test_a_commune_referred_to_by_a_request_cannot_be_deleted(db_session, make):
    commune = make.commune()
    make.request(make.season(), commune)
    db_session.commit()
    _fails(db_session, "DELETE FROM communes WHERE insee = :i", i=commune.insee)


def test_check_constraints_refuse_impossible_values(db_session, make):
    req = make.request(make.season(), make.commune())
    van = make.van()
    db_session.commit()
    _fails(db_session, "UPDATE visit_requests SET status = 'lost' WHERE id = :i", i=req.id)
    _fails(db_session, "UPDATE visit_requests SET priority = 0 WHERE id = :i", i=req.id)
    _fails(db_session, "UPDATE visit_requests SET earliest_start = 600, latest_end = 500 WHERE id = :i", i=req.id)
    _fails(db_session, "UPDATE visit_requests SET status = 'declined', decline_reason = '' WHERE id = :i", i=req.id)
    _fails(db_session, "UPDATE vans SET shift_end = 400 WHERE id = :i", i=van.id)
    _fails(db_session, "UPDATE seasons SET \"end\" = '2020-01-01' WHERE id = :i", i=req.season_id)


def test_two_published_versions_of_one_season_are_impossible(db_session, make):
    season = make.season()
    db_session.flush()
    now = datetime.now(UTC)
    for n in (1, 2):
        db_session.add(
            TourVersion(season_id=season.id, number=n, status="draft", problem_json={}, plan_json={}, created_by="t")
        )
    db_session.commit()
    db_session.execute(
        _sql("UPDATE tour_versions SET status = 'published', published_at = :now WHERE number = 1", now=now),
        {"now": now},
    )
    db_session.commit()
    _fails(db_session, "UPDATE tour_versions SET status = 'published', published_at = :now WHERE number = 2", now=now)
    # Another season may have its own published version.
    other = make.season("s2")
    db_session.flush()
    db_session.add(
        TourVersion(season_id=other.id, number=1, status="published", published_at=now, problem_json={},
                    plan_json={})
    )
    db_session.commit()


def test_datetimes_come_back_aware_in_utc(db_session, make):
    req = make.request(make.season(), make.commune())
    db_session.commit()
    db_session.expire_all()
    assert req.created_at.tzinfo is not None
    assert req.created_at.utcoffset().total_seconds() == 0


@pytest.mark.sqlite_only
def test_sqlite_runs_in_wal_mode_with_foreign_keys(app):
    with app.app_context(), db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_dates_round_trip(db_session, make):
    season = make.season(start=date(2027, 4, 5), end=date(2027, 6, 30))
    db_session.commit()
    db_session.expire_all()
    assert (season.start, season.end) == (date(2027, 4, 5), date(2027, 6, 30))
