"""Setup pages: vans (depot, shift, break, driving limit, equipment, days off) and seasons
(horizon, weekdays, closed dates pre-filled with French public holidays, editable)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.conftest import AuthActions
from tests.test_auth import add_operator


@pytest.fixture
def ops_client(app: Flask) -> FlaskClient:
    add_operator(app)
    client = app.test_client()
    assert AuthActions(client).login().status_code == 302
    return client


#: A valid van form as an operator types it (a decimal comma and a point, dates in both formats).
VAN_FORM = {
    "name": "Tiers-Truck",
    "depot_label": "Mende, garage municipal",
    "depot_lat": "44,5181",
    "depot_lon": "3.5006",
    "shift_start": "08:00",
    "shift_end": "18:30",
    "break_minutes": "45",
    "break_earliest": "12:00",
    "break_latest": "14:00",
    "max_drive_minutes": "300",
    "equipment": ["laptops", "satellite-uplink"],
    "other_equipment": "scanner, casques-vr",
    "days_off": "24/12/2027\n2027-12-31\n",
}

#: A valid season form.
SEASON_FORM = {
    "slug": "printemps-2027",
    "name": "Printemps 2027",
    "start": "01/04/2027",
    "end": "30/06/2027",
    "weekdays": ["1", "2", "3", "4", "5"],
    "closed_dates": "",
    "department": "",
    "timezone": "Europe/Paris",
    "lock_slack_minutes": "30",
    "freeze_days": "14",
    "move_cost": "1",
    "reminder_days": "7",
}


def van_data(**overrides: Any) -> dict[str, Any]:
    return {**VAN_FORM, **overrides}


def season_data(**overrides: Any) -> dict[str, Any]:
    return {**SEASON_FORM, **overrides}


def errors(response: Any) -> dict[str, str]:
    text = response.get_data(as_text=True).replace("&#39;", "'")
    return {
        m.group(1): re.sub(r"<[^>]+>", "", m.group(2))
        for m in re.finditer(r'<p class="error" id="([\w-]+)-erreur">(.*?)</p>', text, re.S)
    }


def all_vans(app: Flask) -> list[Any]:
    from web.extensions import db
    from web.vans.models import Van

    with app.app_context():
        return list(db.session.execute(select(Van)).scalars())


def all_seasons(app: Flask) -> list[Any]:
    from web.extensions import db
    from web.seasons.models import Season

    with app.app_context():
        return list(db.session.execute(select(Season)).scalars())


# Vans -------------------------------------------------------------------------------------------


def test_create_a_van_then_edit_it(app: Flask, ops_client: FlaskClient) -> None:
    response = ops_client.post("/operateur/parametres/camions/nouveau", data=van_data())
    assert response.status_code == 302, errors(response)
    [van] = all_vans(app)
    assert (van.slug, van.name, van.depot_label) == ("tiers-truck", "Tiers-Truck", "Mende, garage municipal")
    assert (van.depot_lat, van.depot_lon) == (44.5181, 3.5006)
    assert (van.shift_start, van.shift_end) == (8 * 60, 18 * 60 + 30)
    assert (van.break_minutes, van.break_earliest, van.break_latest) == (45, 12 * 60, 14 * 60)
    assert van.max_drive_minutes == 300
    assert van.equipment == ["casques-vr", "laptops", "satellite-uplink", "scanner"]
    assert van.days_off == ["2027-12-24", "2027-12-31"]

    page = ops_client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'value="44,5181"' in page and 'value="18:30"' in page and "24/12/2027" in page
    assert 'value="casques-vr, scanner"' in page  # free-text equipment comes back as typed

    edit = van_data(name="Tiers-Truck 2", shift_end="17:00", max_drive_minutes="", days_off="", other_equipment="")
    assert ops_client.post(f"/operateur/parametres/camions/{van.id}", data=edit).status_code == 302
    [van] = all_vans(app)
    assert (van.name, van.shift_end, van.max_drive_minutes, van.days_off) == ("Tiers-Truck 2", 17 * 60, None, [])
    assert van.slug == "tiers-truck"  # never changes
    assert van.equipment == ["laptops", "satellite-uplink"]


def test_a_van_identifier_comes_from_its_name_and_stays_unique(app: Flask, ops_client: FlaskClient) -> None:
    for name in ("Bus France Services n° 2", "Bus France services N° 2", "Élan"):
        assert ops_client.post("/operateur/parametres/camions/nouveau", data=van_data(name=name)).status_code == 302
    assert sorted(v.slug for v in all_vans(app)) == ["bus-france-services-n-2", "bus-france-services-n-2-2", "elan"]
    # An overseas depot is in France too.
    reunion = van_data(name="Camion Réunion", depot_lat="-20,8821", depot_lon="55,4504")
    assert ops_client.post("/operateur/parametres/camions/nouveau", data=reunion).status_code == 302


# Seasons ----------------------------------------------------------------------------------------


def test_a_new_season_gets_the_french_public_holidays_of_its_horizon(app: Flask, ops_client: FlaskClient) -> None:
    response = ops_client.post("/operateur/parametres/saisons/nouvelle", data=season_data())
    assert response.status_code == 302, errors(response)
    [season] = all_seasons(app)
    assert (season.slug, season.start, season.end) == ("printemps-2027", date(2027, 4, 1), date(2027, 6, 30))
    assert season.weekdays == [1, 2, 3, 4, 5]
    # Labour day, Victory in Europe day, Ascension, Whit Monday 2027 (Easter Monday is 29 March).
    assert season.closed_dates == ["2027-05-01", "2027-05-06", "2027-05-08", "2027-05-17"]


def test_closed_dates_are_editable_and_holidays_can_be_added_back(app: Flask, ops_client: FlaskClient) -> None:
    ops_client.post("/operateur/parametres/saisons/nouvelle", data=season_data())
    [season] = all_seasons(app)
    url = f"/operateur/parametres/saisons/{season.id}"
    edit = season_data(closed_dates="06/05/2027\n14/06/2027", weekdays=["2", "4"], lock_slack_minutes="45",
                       reminder_days="3")
    del edit["slug"]
    assert ops_client.post(url, data=edit).status_code == 302
    [season] = all_seasons(app)
    assert season.closed_dates == ["2027-05-06", "2027-06-14"]
    assert (season.weekdays, season.lock_slack_minutes, season.reminder_days) == ([2, 4], 45, 3)

    # The "add the public holidays" button merges them into the list without saving.
    page = ops_client.post(url, data={**edit, "add_holidays": "1"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    for d in ("01/05/2027", "06/05/2027", "08/05/2027", "14/06/2027", "17/05/2027"):
        assert d in text
    assert all_seasons(app)[0].closed_dates == ["2027-05-06", "2027-06-14"]


def test_local_holidays_of_alsace_moselle(app: Flask, ops_client: FlaskClient) -> None:
    data = season_data(start="01/12/2027", end="31/12/2027", department="57")
    assert ops_client.post("/operateur/parametres/saisons/nouvelle", data=data).status_code == 302
    assert all_seasons(app)[0].closed_dates == ["2027-12-25", "2027-12-26"]


# Errors, in both forms ----------------------------------------------------------------------------

NEW_FORMS = {
    "van": ("/operateur/parametres/camions/nouveau", van_data, all_vans),
    "season": ("/operateur/parametres/saisons/nouvelle", season_data, all_seasons),
}


@pytest.mark.parametrize(
    ("form", "overrides", "field", "message"),
    [
        ("van", {"name": ""}, "name", "Indiquez le nom"),
        ("van", {"depot_lat": "95"}, "depot_lat", "de -90 à 90"),
        ("van", {"depot_lon": "est"}, "depot_lon", "pas un nombre"),
        ("van", {"depot_lat": ""}, "depot_lat", "degrés décimaux"),
        # Mende typed longitude first: the hint says they look swapped.
        ("van", {"depot_lat": "3,5006", "depot_lon": "44,5181"}, "depot_lat", "semblent échangées"),
        ("van", {"depot_lat": "40,7128", "depot_lon": "-74,0060"}, "depot_lat", "hors de France"),
        ("van", {"shift_start": "18:00", "shift_end": "08:00"}, "shift_end", "finir après avoir commencé"),
        ("van", {"shift_start": ""}, "shift_start", "Indiquez l'heure de début"),
        ("van", {"shift_end": "8h70"}, "shift_end", "pas une heure"),
        ("van", {"break_latest": "12:30"}, "break_latest", "ne tient pas"),
        ("van", {"break_minutes": "-5"}, "break_minutes", "entre 0 et 240"),
        ("van", {"max_drive_minutes": "beaucoup"}, "max_drive_minutes", "nombre entier"),
        ("van", {"equipment": ["laptops", "jetpack"]}, "equipment", "matériel proposé"),
        ("van", {"other_equipment": "Gros Écran"}, "other_equipment", "minuscules"),
        ("van", {"days_off": "24/12/2027\n31/02/2027"}, "days_off", "« 31/02/2027 » (ligne 2) n'est pas une date"),
        ("season", {"end": "01/03/2027"}, "end", "avant de commencer"),
        ("season", {"start": "hier"}, "start", "pas une date"),
        ("season", {"start": ""}, "start", "Indiquez le premier jour"),
        ("season", {"weekdays": []}, "weekdays", "au moins un jour"),
        ("season", {"weekdays": ["8"]}, "weekdays", "Choisissez parmi"),
        ("season", {"closed_dates": "14/07/2027"}, "closed_dates", "En dehors de la saison"),
        ("season", {"closed_dates": "le 3 mai"}, "closed_dates", "n'est pas une date"),
        ("season", {"timezone": "Mars/Olympus"}, "timezone", "fuseau horaire"),
        ("season", {"lock_slack_minutes": "-1"}, "lock_slack_minutes", "entre 0 et 1440"),
        ("season", {"department": "999"}, "department", "numéro de département"),
        ("season", {"slug": "Été 2027"}, "slug", "minuscules"),
    ],
)
def test_errors_are_shown_next_to_their_field_and_nothing_is_saved(
    app: Flask, ops_client: FlaskClient, form: str, overrides: dict[str, Any], field: str, message: str
) -> None:
    url, form_data, stored = NEW_FORMS[form]
    response = ops_client.post(url, data=form_data(**overrides))
    assert response.status_code == 422
    found = errors(response)
    assert field in found, found
    assert message in found[field]
    assert f'href="#{field}' in response.get_data(as_text=True)  # in the summary too
    assert stored(app) == []


def test_setup_forms_need_the_csrf_token_when_csrf_is_on(make_app: Any) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    add_operator(app)
    client = app.test_client()
    page = client.get("/operateur/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    AuthActions(client).login(data={"csrf_token": token})
    assert client.post("/operateur/parametres/camions/nouveau", data=van_data()).status_code == 400
    assert all_vans(app) == []
    page = client.get("/operateur/parametres/camions/nouveau").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/operateur/parametres/camions/nouveau", data=van_data(csrf_token=token)).status_code == 302


def test_the_pages_list_vans_and_seasons_and_are_labelled_in_french(app: Flask, ops_client: FlaskClient) -> None:
    ops_client.post("/operateur/parametres/camions/nouveau", data=van_data())
    ops_client.post("/operateur/parametres/saisons/nouvelle", data=season_data())
    # Dates through Babel, with non-breaking spaces (a date never wraps).
    text = ops_client.get("/operateur/parametres/").get_data(as_text=True).replace("\xa0", " ")
    assert "Tiers-Truck" in text and "Printemps 2027" in text and "du 1er avril 2027 au 30 juin 2027" in text
    form = ops_client.get("/operateur/parametres/camions/nouveau").get_data(as_text=True)
    # Every input has a label tied to it (keyboard and screen-reader users).
    ids = set(re.findall(r'<input[^>]*\bid="([^"]+)"[^>]*type="(?:text|number|time)"', form))
    ids |= set(re.findall(r'<input[^>]*type="(?:text|number|time)"[^>]*\bid="([^"]+)"', form))
    assert ids
    for field_id in ids:
        assert f'<label for="{field_id}">' in form, field_id


HOSTILE = st.one_of(st.text(max_size=200), st.sampled_from(["<script>x</script>", "\x00", "9" * 400, "1e309", "NaN"]))
VAN_FIELDS = [k for k in van_data() if k != "equipment"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(VAN_FIELDS), value=HOSTILE)
def test_hostile_van_input_never_gives_a_500(app: Flask, ops_client: FlaskClient, field: str, value: str) -> None:
    from web.extensions import db
    from web.vans.models import Van

    response = ops_client.post("/operateur/parametres/camions/nouveau", data=van_data(**{field: value}))
    # A NUL is refused for every form at once (web/core), with a message: 400.
    assert response.status_code in ((400,) if "\x00" in value else (302, 422))
    with app.app_context():
        n = db.session.execute(select(func.count()).select_from(Van)).scalar_one()
        assert n == (1 if response.status_code == 302 else 0)
        for van in db.session.execute(select(Van)).scalars():
            db.session.delete(van)
        db.session.commit()


# Changes touching published visits --------------------------------------------------------------


def _published_season(make: Any) -> Any:
    """A season far in the future (the warning compares with the real today) with two
    published visits on Tuesday 03/03/2099 and one on Wednesday 04/03/2099."""
    from tests.test_db_tours import solver_placing
    from web.extensions import db
    from web.tours.operations import plan_season, publish_version

    make.van()
    season = make.season("printemps-2099", start=date(2099, 3, 2), end=date(2099, 3, 31))
    a, b, c = (make.request(season, make.commune(), label=f"Atelier {n}") for n in "ABC")
    db.session.commit()
    where = {(a.id, 0): (date(2099, 3, 3), 540), (b.id, 0): (date(2099, 3, 3), 660),
             (c.id, 0): (date(2099, 3, 4), 540)}
    publish_version(plan_season(season, solver=solver_placing(where), today=season.start, created_by="x").id,
                    by="x")
    return season


def test_closing_a_day_with_published_visits_asks_first_and_lists_them(
    app: Flask, ops_client: FlaskClient, make: Any
) -> None:
    season = _published_season(make)
    url = f"/operateur/parametres/saisons/{season.id}"
    edit = season_data(name="Printemps 2099", start="02/03/2099", end="31/03/2099", closed_dates="03/03/2099")
    del edit["slug"]
    response = ops_client.post(url, data=edit)
    text = response.get_data(as_text=True).replace("\xa0", " ")
    assert response.status_code == 200
    assert "2 visites publiées tombent sur un jour sans service" in text
    assert "Atelier A" in text and "Atelier B" in text and "Atelier C" not in text
    assert "mardi 3 mars 2099 à 9 h 00" in text and "déplacée : jour fermé" in text
    assert all_seasons(app)[0].closed_dates == []  # nothing saved yet
    token = re.search(r'name="confirmer" value="(\w+)"', text).group(1)
    response = ops_client.post(url, data={**edit, "confirmer": token})
    assert response.status_code == 302
    assert all_seasons(app)[0].closed_dates == ["2099-03-03"]
    page = ops_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "la prochaine planification les déplacera" in page
    # Nothing was cancelled: the visits wait for the re-plan.
    from web.extensions import db
    from web.tours.models import Visit

    with app.app_context():
        assert {v.status for v in db.session.execute(select(Visit)).scalars()} == {"scheduled"}


def test_a_day_without_published_visits_saves_at_once(app: Flask, ops_client: FlaskClient, make: Any) -> None:
    season = _published_season(make)
    edit = season_data(name="Printemps 2099", start="02/03/2099", end="31/03/2099", closed_dates="05/03/2099")
    del edit["slug"]
    assert ops_client.post(f"/operateur/parametres/saisons/{season.id}", data=edit).status_code == 302
    assert all_seasons(app)[0].closed_dates == ["2099-03-05"]


def test_a_van_day_off_on_published_visits_asks_first(app: Flask, ops_client: FlaskClient, make: Any) -> None:
    _published_season(make)
    [van] = all_vans(app)
    url = f"/operateur/parametres/camions/{van.id}"
    edit = van_data(days_off="04/03/2099", equipment=["laptops"], other_equipment="")
    text = ops_client.post(url, data=edit).get_data(as_text=True)
    assert "1 visite publiée tombe sur un jour sans service" in text and "Atelier C" in text
    assert "déplacée : camion indisponible" in text
    assert all_vans(app)[0].days_off == []
    # A stale confirmation (another list) does not save: it asks again.
    assert "Confirmer et enregistrer" in ops_client.post(url, data={**edit, "confirmer": "0" * 16}).get_data(
        as_text=True)
    token = re.search(r'name="confirmer" value="(\w+)"', text).group(1)
    assert ops_client.post(url, data={**edit, "confirmer": token}).status_code == 302
    assert all_vans(app)[0].days_off == ["2099-03-04"]
