"""Seasons: French public holidays filled in as closed dates, editable."""

from __future__ import annotations

from datetime import date

import pytest

from web.core.errors import OperationError
from web.seasons.operations import create_season


def test_public_holidays_become_closed_dates(db_session):
    season = create_season("printemps-2027", "Printemps 2027", date(2027, 4, 1), date(2027, 6, 30))
    db_session.commit()
    # Easter Monday, Labour Day, VE Day, Ascension, Whit Monday in spring 2027.
    assert {"2027-05-01", "2027-05-06", "2027-05-08", "2027-05-17"} <= set(season.closed_dates)
    assert "2027-03-29" not in season.closed_dates  # before the season
    assert all("2027-04-01" <= d <= "2027-06-30" for d in season.closed_dates)


def test_alsace_moselle_has_its_own_holidays(db_session):
    season = create_season("metz", "Metz", date(2027, 12, 1), date(2027, 12, 31), department="57")
    assert "2027-12-26" in season.closed_dates  # Saint Stephen's Day, local law
    other = create_season("lozere", "Lozère", date(2027, 12, 1), date(2027, 12, 31))
    assert "2027-12-26" not in other.closed_dates


def test_closed_dates_can_be_given_and_edited(db_session):
    season = create_season("s", "S", date(2027, 4, 1), date(2027, 4, 30), closed_dates=["2027-04-15"])
    db_session.commit()
    season.closed_dates = [*season.closed_dates, "2027-04-16"]
    db_session.commit()
    db_session.expire_all()
    assert season.closed_dates == ["2027-04-15", "2027-04-16"]


@pytest.mark.parametrize(
    ("args", "where"),
    [
        (dict(slug="Bad Slug"), "slug"),
        (dict(end=date(2027, 3, 1)), "end"),
        (dict(weekdays=[0]), "weekdays"),
        (dict(closed_dates=["15/04/2027"]), "closed_dates[0]"),
    ],
)
def test_bad_seasons_are_refused_naming_the_field(db_session, args, where):
    values = {"slug": "ok", "name": "N", "start": date(2027, 4, 1), "end": date(2027, 4, 30), **args}
    slug, name, start, end = values.pop("slug"), values.pop("name"), values.pop("start"), values.pop("end")
    with pytest.raises(OperationError) as e:
        create_season(slug, name, start, end, **values)
    assert e.value.where == where


def test_slugs_are_unique(db_session):
    create_season("s", "S", date(2027, 4, 1), date(2027, 4, 30))
    db_session.commit()
    with pytest.raises(OperationError, match="existe déjà"):
        create_season("s", "S", date(2027, 4, 1), date(2027, 4, 30))


def test_cli_creates_a_season(runner, db_session):
    result = runner.invoke(
        args=["tourplan", "create-season", "--slug", "ete-2027", "--start", "2027-07-01", "--end", "2027-08-31"]
    )
    assert result.exit_code == 0, result.output
    assert "2027-07-14" in result.output and "2027-08-15" in result.output
    bad = runner.invoke(args=["tourplan", "create-season", "--slug", "x", "--start", "1er juillet", "--end", "x"])
    assert bad.exit_code != 0 and "--start" in bad.output and "Traceback" not in bad.output
