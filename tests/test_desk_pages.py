"""Planning desk pages: refused to anonymous visitors; a draft's review, map and print pages."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

from sqlalchemy import select

from tests.desk_helpers import draft, operator, page_text, small_season

DESK = "/operateur/planification"


def _fill(rule) -> str:
    values = {"slug": "s1", "job_id": "1", "version_id": "1", "visit_id": "1", "van_slug": "truck-1",
              "day": "2027-03-02"}
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: values[m.group(1)], rule.rule)


def test_every_desk_page_and_action_is_refused_to_anonymous_visitors(app, client, make):
    data = small_season(make)
    v = draft(data["season"])
    assert v.id == 1
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("desk.") and r.endpoint != "desk.static"]
    assert len(rules) >= 12
    for rule in rules:
        url = _fill(rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            json_poll = url.endswith(".json")
            r = client.open(url, method=method, headers={"Accept": "application/json"} if json_poll else {})
            if json_poll:
                assert r.status_code == 401, url
            else:
                assert r.status_code == 302 and "/operateur/connexion" in r.headers["Location"], (method, url)
    # Nothing moved: still one draft, no job.
    from web.extensions import db
    from web.jobs.models import PlanningJob

    assert db.session.execute(select(PlanningJob)).first() is None


def test_review_page_shows_figures_timeline_left_out_and_diff(app, client, make, auth):
    data = small_season(make)
    v = draft(data["season"])
    operator()
    auth.login()
    html = page_text(client.get(f"{DESK}/versions/{v.id}"))
    assert f"Version n° {v.number} (brouillon)" in html
    assert f"{v.served} sur {v.visits}" in html
    assert f"{v.served_priority} sur {v.total_priority}" in html
    # CO2 stated with its factor.
    assert "0,25 kg CO<sub>2</sub>e par km" in html
    assert f"{v.distance_km * 0.25:.0f} kg CO<sub>2</sub>e" in html
    # Every van-day is listed, each a link choosing that day for the timeline and the map.
    overview = html.split('id="tournees"')[1].split('id="laissees"')[0]
    listed = re.findall(r'href="[^"]*jour=(2027-03-\d\d)[^"]*#journee"', overview)
    assert sorted(listed) == sorted({row.date.isoformat() for row in v.rows})
    assert len(listed) == v.van_days
    # The first day's timeline: departure, each stop of that day in order, return.
    first = min(row.date for row in v.rows)
    timeline = html.split('id="journee"')[1].split('id="tournees"')[0]
    assert "Départ du dépôt" in timeline and "Retour au dépôt" in timeline
    for row in sorted((r for r in v.rows if r.date == first), key=lambda r: r.order):
        assert f'id="arret-truck-1-{row.order + 1}"' in timeline and row.request.label in timeline
    # The laser-cutter visit is left out, with its reason in French.
    left = html.split('id="laissees"')[1]
    assert "Découpe laser — Altier" in left
    assert "aucun camion n'emporte l'équipement nécessaire" in left
    # Nothing is published yet: all visits would be new.
    assert "Aucune tournée n'est encore publiée" in html
    # A map of the same day, in a frame.
    assert f'src="{DESK}/versions/{v.id}/carte?jour={first.isoformat()}' in html.replace("&amp;", "&")


def test_day_map_is_a_self_contained_document_with_its_own_csp(app, client, make, auth):
    data = small_season(make)
    v = draft(data["season"])
    operator()
    auth.login()
    row = v.rows[0]
    r = client.get(f"{DESK}/versions/{v.id}/carte?jour={row.date.isoformat()}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "/static/vendor/leaflet" in html and "unpkg.com" not in html and "cdn.jsdelivr" not in html
    assert "nonce-" in r.headers["Content-Security-Policy"]
    assert row.request.commune.name in html


def _publish(version_id: int) -> None:
    from web.tours.operations import publish_version

    publish_version(version_id, by="test@ops")


def test_route_sheet_lists_order_times_addresses_contacts_and_km(app, client, make, auth):
    from web.extensions import db

    data = small_season(make)
    data["plain"].notes = "Entrée par la cour de l'école.\nClé à la mairie."
    data["plain"].equipment = ["laptops"]
    db.session.commit()
    v = draft(data["season"])
    operator()
    auth.login()
    plain = data["plain"]
    row = next(r for r in v.rows if r.request_id == plain.id)
    r = client.get(f"{DESK}/versions/{v.id}/feuille/truck-1/{row.date.isoformat()}")
    assert r.status_code == 200
    html = page_text(r)
    assert "Feuille de route – Tiers-Truck" in html
    assert "Mme Martin" in html and "04 66 00 00 01" in html and "Mairie d'Altier" in html
    assert plain.commune.townhall_address in html
    start = f"{row.start // 60} h {row.start % 60:02d}"
    assert start in html
    # What the driver needs on the road: the commune's remarks, a phone to call, what to
    # load, the day in order and its map.
    assert "Entrée par la cour de l'école.\nClé à la mairie." in html
    assert 'href="tel:0466000001"' in html
    load = html.split("Matériel à charger</h2>")[1].split("</ul>")[0]
    assert "ordinateurs portables" in load
    timeline = html.split("Déroulé de la journée</h2>")[1].split("</ol>")[0]
    assert "Départ du dépôt" in timeline and "Retour au dépôt" in timeline and plain.label in timeline
    assert f'src="{DESK}/versions/{v.id}/carte?jour={row.date.isoformat()}"' in html
    assert "@media print" in client.get(f"{DESK}/static/print.css").get_data(as_text=True)
    assert client.get(f"{DESK}/versions/{v.id}/feuille/truck-1/2030-01-01").status_code == 404
    assert client.get(f"{DESK}/versions/{v.id}/feuille/truck-1/pas-une-date").status_code == 404


def test_poster_has_the_visit_details_and_an_inline_qr_code_to_the_visit_page(app, client, make, auth):
    from web.extensions import db
    from web.tours.models import Visit

    data = small_season(make)
    v = draft(data["season"])
    _publish(v.id)
    operator()
    auth.login()
    visit = db.session.execute(select(Visit).where(Visit.request_id == data["plain"].id)).scalar_one()
    r = client.get(f"{DESK}/visites/{visit.id}/affiche")
    assert r.status_code == 200
    html = page_text(r)
    assert "<svg" in html and "<path" in html  # the QR code, inline
    assert f"http://localhost/visites/{visit.id}" in html
    assert "Altier" in html and f"{visit.start // 60} h {visit.start % 60:02d}" in html
    assert "print.css" in html
    # The visit page the QR code leads to exists.
    assert client.get(f"/visites/{visit.id}").status_code == 200
    assert client.get(f"{DESK}/visites/999999/affiche").status_code == 404


def test_a_long_season_is_reviewed_a_month_at_a_time(app, client, make, auth):
    from datetime import date

    import web.desk.blueprint as desk_bp
    from web.extensions import db

    make.van("truck-1")
    season = make.season("s2", start=date(2027, 3, 22), end=date(2027, 4, 9))
    c = make.commune("48001", name="Altier", lat=44.4733, lon=3.8586)
    make.request(season, c, label="En mars", periods=[{"start": "2027-03-22", "end": "2027-03-31"}])
    make.request(season, c, label="En avril", periods=[{"start": "2027-04-01", "end": "2027-04-09"}])
    db.session.commit()
    v = draft(season)
    assert {r.date.month for r in v.rows} == {3, 4}
    operator()
    auth.login()
    old = desk_bp.MAX_VAN_DAYS_ON_PAGE
    desk_bp.MAX_VAN_DAYS_ON_PAGE = 1  # these two van-days stand for a long season
    try:
        def listed(query: str) -> set[int]:
            html = client.get(f"{DESK}/versions/{v.id}{query}").get_data(as_text=True)
            overview = html.split('id="tournees"')[1].split('id="laissees"')[0]
            return {int(m) for m in re.findall(r"jour=2027-(\d\d)-\d\d[^\"]*#journee", overview)}

        assert listed("") == {3}
        assert listed("?mois=2027-04") == {4}
        assert listed("?mois=tout") == {3, 4}
    finally:
        desk_bp.MAX_VAN_DAYS_ON_PAGE = old


def test_a_left_out_visit_shows_the_days_that_could_take_it_and_what_blocks_them(app, client, make, auth):
    from tests.desk_helpers import blocked_season

    data = blocked_season(make)
    operator()
    auth.login()
    v = data["draft"]
    html = page_text(client.get(f"/operateur/planification/versions/{v.id}"))
    options = html.split(f'id="options-{data["tuesday"].id}-0"')[1].split("</details>")[0]
    assert "mardi 2 mars 2027" in options
    assert "la visite « Atelier long » (Grèzes), verrouillée" in options
    assert "Déverrouiller « Atelier long »" in options
    # Unlocking it from there keeps the operator on the explanation, now with a way to swap.
    digest = re.search(r'name="digest" value="(\w+)"', html).group(1)
    r = client.post(f"/operateur/planification/versions/{v.id}/deverrouiller", data={
        "request_id": data["long"].id, "occurrence": 0, "digest": digest, "retour": "laissees"})
    assert r.headers["Location"].endswith("#laissees")
    html = page_text(client.get(r.headers["Location"]))
    assert "Placer ici à la place de « Atelier long »" in html
    digest = re.search(r'name="digest" value="(\w+)"', html).group(1)
    r = client.post(f"/operateur/planification/versions/{v.id}/echanger", follow_redirects=True, data={
        "request_id": data["tuesday"].id, "occurrence": 0, "out_request_id": data["long"].id, "out_occurrence": 0,
        "van": "truck-1", "date": "2027-03-02", "digest": digest})
    assert "Visite placée le mardi 2 mars 2027" in page_text(r)
    from web.extensions import db
    from web.tours.models import TourVersion

    db.session.expire_all()
    version = db.session.get(TourVersion, v.id)
    assert [(row.request_id, row.date) for row in version.rows] == [(data["tuesday"].id, date(2027, 3, 2))]
    assert [u["request_id"] for u in version.unserved] == [data["long"].id]


def test_the_review_says_how_many_published_visits_move_and_why_in_french(app, client, make, auth):
    from web.extensions import db
    from web.tours.operations import plan_season, publish_version

    data = small_season(make)
    published = draft(data["season"])
    publish_version(published.id, by="test@ops")
    day = next(r.date for r in published.rows if r.request_id == data["plain"].id)
    data["season"].closed_dates = [day.isoformat()]
    db.session.commit()
    second = plan_season(data["season"], time_limit=1.0, created_by="test@ops", today=date(2026, 11, 1))
    operator()
    auth.login()
    html = unescape(client.get(f"{DESK}/versions/{second.id}").get_data(as_text=True))
    promises = re.sub(r"<[^>]+>", "", html.split('id="promesses">')[1].split("</p>")[0])
    forced = sum(1 for r in published.rows if r.date == day)
    assert f"{forced} imposée(s) par un changement" in promises
    moved = html.split("<caption>Visites déplacées</caption>")[1].split("</table>")[0]
    assert "Aide aux démarches — Altier" in moved and "déplacée : jour fermé" in moved
    assert "<span lang=\"en\">" not in html  # no English detail shown raw


def test_left_out_reasons_are_stored_and_shown_in_french(app, client, make, auth):
    data = small_season(make)
    v = draft(data["season"])
    (laser,) = [u for u in v.unserved if u["request_id"] == data["laser"].id]
    assert laser["reason_text"] == "aucun camion n'emporte l'équipement nécessaire"
    assert laser["detail"] == "il faut : laser-cutter ; aucun camion ne l'emporte"
    operator()
    auth.login()
    html = unescape(client.get(f"{DESK}/versions/{v.id}").get_data(as_text=True))
    assert "(il faut : laser-cutter ; aucun camion ne l'emporte)" in html
    assert "needs laser-cutter" not in html
