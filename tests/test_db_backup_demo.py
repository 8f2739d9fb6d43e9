"""Backups while the site runs, and the demonstration database."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import func, select

from web.extensions import db
from web.requests.models import VisitRequest
from web.tours.models import TourVersion, Visit
from web.vans.models import Van


@pytest.mark.sqlite_only
def test_backup_is_a_consistent_copy_while_someone_writes(app, make, db_session, runner, tmp_path):
    make.commune("48095", name="Mende")
    db_session.commit()
    source = db.engine.url.database
    writer = sqlite3.connect(source)
    writer.execute("BEGIN IMMEDIATE")  # a write in progress, not committed
    writer.execute(
        "INSERT INTO communes (insee, name, department, postal_codes, population, lat, lon, point_corrected,"
        " townhall_address, opening_hours, email, phone, website, accessibility, updated_at)"
        " VALUES ('48001', 'Pending', '48', '[]', 1, 44, 3, 0, '', '{}', '', '', '', '', '2027-01-01 00:00:00')"
    )
    try:
        target = tmp_path / "copy.sqlite"
        result = runner.invoke(args=["tourplan", "backup", str(target)])
        assert result.exit_code == 0, result.output
    finally:
        writer.rollback()
        writer.close()
    copy = sqlite3.connect(target)
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert copy.execute("SELECT insee FROM communes").fetchall() == [("48095",)]
    copy.close()
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.sqlite_only
def test_backup_to_an_unwritable_place_is_one_clear_line(app, runner, tmp_path):
    result = runner.invoke(args=["tourplan", "backup", str(tmp_path / "no" / "such" / "dir" / "x.sqlite")])
    assert result.exit_code != 0
    assert "cannot write the backup" in result.output and "Traceback" not in result.output


@pytest.mark.postgresql_only
def test_backup_on_postgresql_points_to_pg_dump(app, runner, tmp_path):
    result = runner.invoke(args=["tourplan", "backup", str(tmp_path / "x.dump")])
    assert result.exit_code != 0
    assert "pg_dump --format=custom" in result.output


def _count(session, model) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_demo_builds_a_published_tour_and_refuses_to_mix_with_existing_data(runner, db_session):
    args = ["tourplan", "demo", "--requests", "12", "--weeks", "3", "--start", "2027-03-01", "--time-limit", "1"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    van = db_session.execute(select(Van)).scalar_one()
    assert (van.name, van.depot_label) == ("Tiers-Truck", "Mende")
    assert "3d-printer" in van.equipment
    assert _count(db_session, VisitRequest) == 12
    published = db_session.execute(select(TourVersion).where(TourVersion.status == "published")).scalar_one()
    assert published.served > 0
    assert _count(db_session, Visit) == published.served
    planned = db_session.execute(select(VisitRequest).where(VisitRequest.status == "planned")).scalars().all()
    assert planned and all(r.commune.department == "48" for r in planned)

    again = runner.invoke(args=args)
    assert again.exit_code != 0 and "--reset" in again.output
    assert _count(db_session, VisitRequest) == 12

    reset = runner.invoke(args=[*args, "--reset"])
    assert reset.exit_code == 0, reset.output
    db_session.expire_all()
    assert _count(db_session, VisitRequest) == 12
    assert _count(db_session, TourVersion) == 1
