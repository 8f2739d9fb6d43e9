"""Rhythms of requests (issue 10): the plain-words mapping, the check that the periods hold
the series, the forms (public and operator) and the API asking for one, and the export
carrying it into the v2 problem."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests import test_request_form as request_form
from tests.conftest import AuthActions
from tests.desk_helpers import operator
from tests.test_request_form import START, stored_requests, valid_data
from tourplan.problem import problem_from_json
from web.requests import rhythm as rh
from web.tours.operations import export_problem

#: The request form's season, communes and activity (same fixture as its own tests).
world = request_form.world

# --------------------------------------------------------------------------- #
# Mapping
# --------------------------------------------------------------------------- #


def test_a_weekly_cycle_is_exactly_seven_days_apart_same_weekday_same_hour() -> None:
    assert rh.rhythm_fields(rh.Rhythm("cycle", 4, weeks=1)) == {
        "occurrences": 4, "min_days_between": 7, "max_days_between": 7, "same_weekday": True,
        "same_start_within_minutes": 0,
    }
    assert rh.rhythm_fields(rh.Rhythm("cycle", 3, weeks=2))["min_days_between"] == 14


def test_a_round_gives_or_takes_its_margin_and_a_zero_margin_keeps_the_weekday() -> None:
    loose = rh.rhythm_fields(rh.Rhythm("round", 6, weeks=2, margin_days=2))
    assert (loose["min_days_between"], loose["max_days_between"], loose["same_weekday"]) == (12, 16, False)
    assert loose["same_start_within_minutes"] is None
    strict = rh.rhythm_fields(rh.Rhythm("round", 6, weeks=2, margin_days=0))
    assert (strict["min_days_between"], strict["max_days_between"], strict["same_weekday"]) == (14, 14, True)


@pytest.mark.parametrize("r", [rh.Rhythm("single"), rh.Rhythm("cycle", 4, 1), rh.Rhythm("cycle", 5, 3),
                               rh.Rhythm("round", 6, 2, 0), rh.Rhythm("round", 3, 4, 3),
                               rh.Rhythm("spaced", 3, min_days=10)])
def test_stored_fields_read_back_as_the_words_they_came_from(r: rh.Rhythm) -> None:
    assert rh.classify(rh.rhythm_fields(r)) == r


def test_fields_no_words_say_are_custom_and_described_as_they_are() -> None:
    fields = {"occurrences": 3, "min_days_between": 10, "max_days_between": 20, "same_weekday": False,
              "same_start_within_minutes": 45}
    assert rh.classify(fields).kind == "custom"
    assert rh.describe(fields) == "3 passages, de 10 à 20 jours d'écart, heures de début à 45 min près"
    assert rh.describe(rh.rhythm_fields(rh.Rhythm("cycle", 4, 1))) == (
        "4 séances, une par semaine, même jour et même heure")
    assert rh.describe(rh.rhythm_fields(rh.Rhythm("round", 6, 2, 2))) == (
        "6 passages, toutes les 2 semaines, à 2 jours près")


def test_the_longest_series_on_open_days() -> None:
    tuesdays = [date(2027, 3, 2) + timedelta(days=7 * k) for k in range(4)]
    extra = [date(2027, 3, 3), date(2027, 3, 17)]  # Wednesdays
    days = sorted(tuesdays + extra)
    assert rh.longest_series(days, 7, 7, True) == 4
    assert rh.longest_series(days[:-1], 7, 7, True) == 3
    assert rh.longest_series(days, 14, 14, True) == 2
    # Without a maximum, a 3-day minimum fits more than the weekly series.
    assert rh.longest_series(days, 1, None, False) == 6


def test_a_period_too_short_for_the_cycle_says_how_many_fit_and_why() -> None:
    fields = rh.rhythm_fields(rh.Rhythm("cycle", 4, 1))
    march = [{"start": "2027-03-01", "end": "2027-03-31"}]
    assert rh.fit_problem(fields, march, None, [1, 2, 3, 4, 5], []) is None
    three_weeks = [{"start": "2027-03-01", "end": "2027-03-19"}]
    why = rh.fit_problem(fields, three_weeks, None, [1, 2, 3, 4, 5], [])
    assert why is not None and "seulement 3 des 4 séances" in why and "21 jours" in why
    # A closed Tuesday breaks the Tuesday series, other weekdays still hold it.
    assert rh.fit_problem(fields, march, [2], [1, 2, 3, 4, 5], ["2027-03-16"]) is not None
    assert rh.fit_problem(fields, march, None, [1, 2, 3, 4, 5], ["2027-03-16"]) is None


def test_dates_are_french_with_the_first_of_the_month() -> None:
    assert rh.span_texts(date(2027, 3, 2), date(2027, 3, 23)) == ("2", "23 mars")
    assert rh.span_texts(date(2027, 2, 1), date(2027, 3, 1)) == ("1er février", "1er mars")
    assert rh.span_texts(date(2027, 12, 28), date(2028, 1, 18)) == ("28 décembre 2027", "18 janvier 2028")
    facts = rh.series_facts([(date(2027, 3, 2) + timedelta(days=7 * k), 570) for k in range(4)])
    # The hour never wraps ("9 h 30" with non-breaking spaces).
    assert rh.series_text("Atelier tablette", facts, cycle=True) == (
        "Atelier tablette : 4 séances, les mardis 9\u00a0h\u00a030, du 2 au 23 mars")
    mixed = rh.series_facts([(date(2027, 3, 2), 570), (date(2027, 3, 17), 600)])
    assert rh.series_text("Tournée", mixed, cycle=False) == "Tournée : 2 passages, du 2 au 17 mars"


# --------------------------------------------------------------------------- #
# Public form
# --------------------------------------------------------------------------- #


def _cycle_data(world: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    first = START + timedelta(days=1)
    data: dict[str, Any] = {
        "rhythm": "cycle", "occurrences": "4", "every_weeks": "1", "weekdays": None,
        "periods-0-start": first.isoformat(), "periods-0-end": (first + timedelta(days=40)).isoformat(),
    }
    data.update(overrides)
    return valid_data(world, **data)


def test_the_form_offers_the_three_rhythms_in_plain_words(client: FlaskClient, world: dict[str, Any]) -> None:
    text = client.get("/demander").get_data(as_text=True)
    assert "Une seule visite" in text and "Un cycle de séances" in text and "Une tournée régulière" in text
    # The hint says the limit the field and the API enforce.
    assert f"de 2 à {rh.MAX_OCCURRENCES}" in text and f'max="{rh.MAX_OCCURRENCES}"' in text


def test_a_cycle_asked_for_in_the_form_is_stored_as_its_rhythm(app: Flask, client: FlaskClient,
                                                              world: dict[str, Any]) -> None:
    r = client.post("/demander", data=_cycle_data(world))
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    [req] = stored_requests(app)
    assert (req.occurrences, req.min_days_between, req.max_days_between, req.same_weekday,
            req.same_start_within_minutes) == (4, 7, 7, True, 0)
    track = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "4 séances, une par semaine, même jour et même heure" in track


def test_a_round_asked_for_in_the_form(app: Flask, client: FlaskClient, world: dict[str, Any]) -> None:
    data = _cycle_data(world, rhythm="round", occurrences="3", every_weeks="2", margin_days="2",
                       **{"periods-0-end": (START + timedelta(days=60)).isoformat()})
    assert client.post("/demander", data=data).status_code == 302
    [req] = stored_requests(app)
    assert (req.occurrences, req.min_days_between, req.max_days_between, req.same_weekday) == (3, 12, 16, False)


def test_a_single_visit_ignores_the_rhythm_numbers_typed_before(app: Flask, client: FlaskClient,
                                                                world: dict[str, Any]) -> None:
    data = _cycle_data(world, rhythm="single", occurrences="beaucoup", every_weeks="99")
    assert client.post("/demander", data=data).status_code == 302
    [req] = stored_requests(app)
    assert (req.occurrences, req.max_days_between, req.same_weekday) == (1, None, False)


def test_rhythm_numbers_get_french_messages_next_to_their_field(app: Flask, client: FlaskClient,
                                                                world: dict[str, Any]) -> None:
    r = client.post("/demander", data=_cycle_data(world, occurrences="", every_weeks="12"))
    text = r.get_data(as_text=True)
    assert r.status_code == 422
    assert re.search(r'id="occurrences-erreur">.*Indiquez le nombre de séances', text)
    assert re.search(r'id="every_weeks-erreur">.*entre 1 et 8', text)
    assert re.search(r'id="every_weeks"[^>]*aria-describedby="every_weeks-aide every_weeks-erreur"', text) or \
        re.search(r'aria-describedby="every_weeks-aide every_weeks-erreur"[^>]*id="every_weeks"', text)
    assert 'href="#occurrences"' in text  # the error summary links the field
    assert stored_requests(app) == []


def test_a_period_too_short_for_the_cycle_is_refused_with_the_reason(app: Flask, client: FlaskClient,
                                                                    world: dict[str, Any]) -> None:
    first = START + timedelta(days=1)
    data = _cycle_data(world, occurrences="6", **{"periods-0-end": (first + timedelta(days=20)).isoformat()})
    r = client.post("/demander", data=data)
    text = r.get_data(as_text=True)
    assert r.status_code == 422
    assert re.search(r'id="occurrences-erreur">.*ne peuvent contenir que seulement 3 des 6 séances', text)
    assert "allongez la période" in text
    assert stored_requests(app) == []


# --------------------------------------------------------------------------- #
# Operator edit, API
# --------------------------------------------------------------------------- #


def test_the_operator_edit_shows_the_stored_cycle_and_keeps_a_custom_rhythm(
    app: Flask, client: FlaskClient, make: Any, db_session: Any
, auth: AuthActions) -> None:
    season = make.season()
    commune = make.commune(name="Mende")
    cycle = make.request(season, commune, occurrences=4, min_days_between=7, max_days_between=7,
                         same_weekday=True, same_start_within_minutes=0)
    custom = make.request(season, commune, occurrences=3, min_days_between=5, max_days_between=9,
                          same_start_within_minutes=45)
    db_session.commit()
    operator()
    auth.login()
    page = client.get(f"/operateur/demandes/{cycle.id}/modifier").get_data(as_text=True)
    assert re.search(r'<input checked id="rhythm-1" name="rhythm" type="radio" value="cycle">', page)
    assert re.search(r'id="occurrences"[^>]*value="4"', page)
    page = html.unescape(client.get(f"/operateur/demandes/{custom.id}/modifier").get_data(as_text=True))
    assert "Garder le rythme actuel : 3 passages, de 5 à 9 jours d'écart, heures de début à 45 min près" in page


def test_the_api_takes_the_rhythm_within_the_forms_limits(app: Flask, client: FlaskClient, make: Any) -> None:
    from tests.test_api import _token

    make.van()
    make.season("s1")
    make.commune("48095", name="Mende")
    db_session_commit(make)
    operator()
    headers = {"Authorization": f"Bearer {_token()}"}
    body = {"season": "s1", "commune": "48095", "label": "Atelier tablette", "duration_minutes": 90,
            "occurrences": 4, "min_days_between": 7, "max_days_between": 7, "same_weekday": True,
            "same_start_within_minutes": 0}
    r = client.post("/api/v1/requests", json=body, headers=headers)
    assert r.status_code == 201, r.get_json()
    got = r.get_json()
    assert (got["max_days_between"], got["same_weekday"], got["same_start_within_minutes"]) == (7, True, 0)
    too_many = client.post("/api/v1/requests", json={**body, "occurrences": rh.MAX_OCCURRENCES + 1}, headers=headers)
    assert too_many.status_code == 400 and too_many.get_json()["field"] == "occurrences"
    assert f"entre 1 et {rh.MAX_OCCURRENCES}" in too_many.get_json()["error"]
    wrong = client.post("/api/v1/requests", json={**body, "same_weekday": "oui"}, headers=headers)
    assert wrong.status_code == 400 and wrong.get_json()["field"] == "same_weekday"
    below = client.post("/api/v1/requests", json={**body, "max_days_between": 5}, headers=headers)
    assert below.status_code == 400 and below.get_json()["field"] == "max_days_between"
    doc = client.get("/api/v1/openapi.json").get_json()
    props = doc["components"]["schemas"]["NewRequest"]["properties"]
    assert props["occurrences"]["maximum"] == rh.MAX_OCCURRENCES
    assert props["same_weekday"]["type"] == "boolean"


def db_session_commit(make: Any) -> None:
    make.db.session.commit()


# --------------------------------------------------------------------------- #
# Export
# --------------------------------------------------------------------------- #


def test_the_export_carries_the_rhythm_into_the_v2_problem(make: Any, db_session: Any) -> None:
    make.van()
    season = make.season()
    cycle = make.request(season, make.commune(), occurrences=4, min_days_between=7, max_days_between=7,
                         same_weekday=True, same_start_within_minutes=0)
    plain = make.request(season, make.commune(), occurrences=2, min_days_between=3)
    db_session.commit()
    exported = export_problem(season, today=date(2026, 11, 1))
    problem = problem_from_json(exported.data, source="export")
    got = problem.request_by_id[f"R{cycle.id}"]
    assert (got.occurrences, got.min_days_between, got.max_days_between, got.same_weekday,
            got.same_start_within_minutes) == (4, 7, 7, True, 0)
    other = problem.request_by_id[f"R{plain.id}"]
    assert (other.max_days_between, other.same_weekday, other.same_start_within_minutes) == (None, False, None)
    assert "max_days_between" not in next(r for r in exported.data["requests"] if r["id"] == f"R{plain.id}")


def test_a_rhythm_the_season_cannot_hold_is_refused_by_the_operations(make: Any, db_session: Any) -> None:
    from web.core.errors import OperationError

    season = make.season(end=date(2027, 3, 12))
    with pytest.raises(OperationError) as e:
        make.request(season, make.commune(), occurrences=4, min_days_between=7, max_days_between=7,
                     same_weekday=True)
    assert e.value.where == "occurrences" and "des 4 passages" in e.value.message


