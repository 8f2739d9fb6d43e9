"""The desk's "Couverture" pages: map and table of the hand-worked territory, sorting without
JavaScript, exports, weights, invitations, the need bonus and the fixed places form."""

from __future__ import annotations

import csv
import io
import re
from html import unescape
from typing import Any

import pytest
from sqlalchemy import select

from tests.coverage_helpers import desk_session


@pytest.fixture
def desk(app: Any, client: Any, make: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    import web.coverage.blueprint

    return desk_session(client, make, monkeypatch, web.coverage.blueprint)


def _row_order(html: str) -> list[str]:
    return re.findall(r'<tr id="c-(\d{5})">', html)


def test_page_shows_figures_formula_and_sorts_without_js(client: Any, desk: dict[str, Any]) -> None:
    r = client.get("/operateur/couverture/", follow_redirects=True)
    html = unescape(r.get_data(as_text=True))
    assert r.status_code == 200
    assert '<a href="/operateur/couverture/">Couverture</a>' in html  # in the desk menu
    assert "à vol d'oiseau" in html
    assert "score = 100 × (3 × éloignement + 2 × absence + 1 × habitants) ÷ 6" in html
    assert _row_order(html) == ["48002", "48001", "48003"]  # need 100, 27.8, 16.4
    assert "27,8" in html and "11,1" in html and "jamais visitée" in html
    assert "Aubrac (48001)" in html
    assert html.count("<path") + html.count("<circle") == 3  # one shape per commune on the map
    by_name = unescape(client.get("/operateur/couverture/s1/?tri=name&ordre=asc").get_data(as_text=True))
    assert _row_order(by_name) == ["48001", "48002", "48003"]
    assert 'aria-sort="ascending"' in by_name
    by_km = unescape(client.get("/operateur/couverture/s1/?tri=nearest_place_km&ordre=asc").get_data(as_text=True))
    assert _row_order(by_km) == ["48003", "48001", "48002"]


def test_map_colours_follow_the_chosen_measure(client: Any, desk: dict[str, Any]) -> None:
    html = unescape(client.get("/operateur/couverture/s1/?mesure=visits_per_1000").get_data(as_text=True))
    # Only Aubrac has a value (20 per 1,000); Bagnols has 0; Chanac has no population: no value.
    assert "Chanac : visites pour 1 000 habitants inconnu" in html
    assert "sans valeur" in html


def test_csv_and_geojson_exports(client: Any, desk: dict[str, Any]) -> None:
    r = client.get("/operateur/couverture/s1/couverture.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert rows[0]["insee"] == "48002" and rows[0]["need_score"] == "100.0"
    aubrac = next(x for x in rows if x["insee"] == "48001")
    assert (aubrac["visits_per_1000"], aubrac["nearest_place"]) == ("20.0", "France services Chanac")
    geo = client.get("/operateur/couverture/s1/couverture.geojson").get_json()
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == 3
    props = {f["properties"]["insee"]: f["properties"] for f in geo["features"]}
    assert props["48003"]["days_since_last_visit"] == 180


def test_weights_are_saved_and_bad_ones_refused(client: Any, desk: dict[str, Any]) -> None:
    r = client.post("/operateur/couverture/s1/poids", data={"far": "0", "stale": "1", "people": "0"},
                    follow_redirects=True)
    html = unescape(r.get_data(as_text=True))
    assert "Poids du score de besoin enregistrés." in html
    assert _row_order(html)[0] == "48002"  # never visited: stale 1
    r = client.post("/operateur/couverture/s1/poids", data={"far": "0", "stale": "0", "people": "0"},
                    follow_redirects=True)
    assert "au moins un poids doit être supérieur à 0" in unescape(r.get_data(as_text=True))
    r = client.post("/operateur/couverture/s1/poids", data={"far": "trois", "stale": "0", "people": "0"},
                    follow_redirects=True)
    assert "chaque poids est un nombre entier de 0 à 10" in unescape(r.get_data(as_text=True))


def test_invitations_go_through_the_outbox_once_per_season(client: Any, desk: dict[str, Any]) -> None:
    from web.extensions import db
    from web.mail.models import OutboxMessage

    r = client.post("/operateur/couverture/s1/inviter", data={"insee": ["48002", "48003"]}, follow_redirects=True)
    html = unescape(r.get_data(as_text=True))
    assert "Invitation mise dans la file des courriels pour : Bagnols." in html
    assert "Pas d'adresse de mairie connue pour : Chanac" in html
    messages = list(db.session.execute(select(OutboxMessage)).scalars())
    assert [(m.recipient, m.kind) for m in messages] == [("mairie@bagnols.example", "coverage_invite")]
    assert "/demander" in messages[0].payload["form_url"]
    again = client.post("/operateur/couverture/s1/inviter", data={"insee": "48002"}, follow_redirects=True)
    assert "Déjà invitées pour cette saison : Bagnols." in unescape(again.get_data(as_text=True))


def test_need_bonus_is_shown_then_applied_only_once_confirmed(client: Any, desk: dict[str, Any], make: Any) -> None:
    from web.extensions import db

    req = make.request(desk["season"], desk["b"], status="accepted", priority=2, label="Démarches Bagnols")
    top = make.request(desk["season"], desk["b"], status="accepted", priority=5, label="Fablab Bagnols")
    db.session.commit()
    r = client.post("/operateur/couverture/s1/bonus", data={"insee": "48002"})
    html = unescape(r.get_data(as_text=True))
    assert "Rien n'est enregistré pour l'instant" in html
    assert "Démarches Bagnols : priorité 2 → 5" in html  # score 100: 4 points, but the scale stops at 5
    assert "Fablab Bagnols : priorité 5, déjà la plus haute : inchangée" in html
    db.session.refresh(req)
    assert req.priority == 2
    client.post("/operateur/couverture/s1/bonus/confirmer", data={"insee": "48002"})
    db.session.refresh(req)
    db.session.refresh(top)
    assert (req.priority, top.priority) == (5, 5)
    assert any("Bonus de besoin (couverture)" in h.note for h in req.history)
    client.post("/operateur/couverture/s1/bonus/confirmer", data={"insee": "48002"})
    db.session.refresh(req)
    assert req.priority == 5  # once per request


def test_operator_enters_a_place_with_errors_next_to_fields(client: Any, desk: dict[str, Any]) -> None:
    r = client.post("/operateur/couverture/lieux/nouveau",
                    data={"name": "", "kind": "Médiathèque", "lat": "3,29", "lon": "44,55"})
    html = unescape(r.get_data(as_text=True))
    assert r.status_code == 422
    assert "Indiquez le nom du lieu." in html
    r = client.post("/operateur/couverture/lieux/nouveau",
                    data={"name": "Médiathèque de Marvejols", "kind": "Médiathèque", "lat": "44,554",
                          "lon": "3,2914", "commune_insee": "48092"}, follow_redirects=True)
    assert "Lieu « Médiathèque de Marvejols » enregistré." in unescape(r.get_data(as_text=True))
    listing = unescape(client.get("/operateur/couverture/lieux").get_data(as_text=True))
    assert "Médiathèque de Marvejols" in listing and "Espaces France services (1)" in listing


def test_a_place_entered_here_is_deleted_an_imported_one_is_not(client: Any, desk: dict[str, Any]) -> None:
    from web.coverage.models import FixedPlace
    from web.extensions import db

    own = FixedPlace(source="operator", source_id="m1", name="Médiathèque de Marvejols", lat=44.55, lon=3.29)
    db.session.add(own)
    db.session.commit()
    imported = db.session.execute(select(FixedPlace).where(FixedPlace.source == "france-services")).scalar_one()
    assert client.post(f"/operateur/couverture/lieux/{imported.id}/supprimer").status_code == 404
    assert client.get(f"/operateur/couverture/lieux/{imported.id}").status_code == 404  # not edited by hand either
    r = client.post(f"/operateur/couverture/lieux/{own.id}/supprimer", follow_redirects=True)
    assert "Lieu « Médiathèque de Marvejols » supprimé." in unescape(r.get_data(as_text=True))
    db.session.expire_all()
    assert [p.source for p in db.session.execute(select(FixedPlace)).scalars()] == ["france-services"]


def test_pages_need_an_operator(app: Any) -> None:
    anonymous = app.test_client()
    assert anonymous.get("/operateur/couverture/s1/").status_code == 302
    assert anonymous.get("/operateur/couverture/s1/couverture.csv").status_code == 302


def test_nothing_ticked_goes_back_to_the_table_with_a_message(client: Any, desk: dict[str, Any]) -> None:
    for action in ("inviter", "bonus", "bonus/confirmer"):
        r = client.post(f"/operateur/couverture/s1/{action}", data={}, follow_redirects=True)
        assert "Cochez au moins une commune dans le tableau." in unescape(r.get_data(as_text=True)), action


def test_the_next_draft_weighs_the_bonus_and_says_so(client: Any, desk: dict[str, Any], make: Any) -> None:
    from tests.desk_helpers import draft
    from web.extensions import db

    req = make.request(desk["season"], desk["b"], status="accepted", priority=1, label="Démarches Bagnols")
    db.session.commit()
    client.post("/operateur/couverture/s1/bonus/confirmer", data={"insee": "48002"})
    version = draft(desk["season"])
    planned = next(r for r in version.problem_json["requests"] if r["label"] == "Démarches Bagnols")
    assert planned["priority"] == 5
    page = unescape(client.get(f"/operateur/planification/versions/{version.id}").get_data(as_text=True))
    assert "Bonus de besoin pris en compte" in page
    line = f'/operateur/demandes/{req.id}">Démarches Bagnols</a> (Bagnols) – Bonus de besoin (couverture) : score 100'
    assert line in page
