"""What a visit achieved, and the season report built from it (figures worked out by hand)."""

from __future__ import annotations

import csv
import io
from html import unescape
from typing import Any

import pytest

from tests.coverage_helpers import TODAY, desk_session


@pytest.fixture
def desk(app: Any, client: Any, make: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    import web.coverage.blueprint

    return desk_session(client, make, monkeypatch, web.coverage.blueprint)


def test_outcome_is_recorded_and_bad_values_named(client: Any, desk: dict[str, Any]) -> None:
    url = f"/operateur/couverture/visites/{desk['held'].id}/bilan"
    r = client.post(url, data={"people": "", "sante": "3"})
    assert r.status_code == 422
    assert "Indiquez le nombre de personnes venues (0 si personne)." in unescape(r.get_data(as_text=True))
    r = client.post(url, data={"people": "4", "sante": "9"})
    assert r.status_code == 422
    assert "Santé : entre 0 et le nombre de personnes venues (4)." in unescape(r.get_data(as_text=True))
    r = client.post(url, data={"people": "7", "demarches": "5", "impression3d": "2", "note": "Imprimante en panne"},
                    follow_redirects=True)
    assert "Bilan de la visite à Aubrac enregistré." in unescape(r.get_data(as_text=True))
    form = unescape(client.get(url).get_data(as_text=True))
    assert 'value="7"' in form and "Imprimante en panne" in form


def test_a_visit_still_to_come_has_no_outcome_yet(client: Any, desk: dict[str, Any]) -> None:
    from web.extensions import db
    from web.tours.models import Visit

    future = db.session.query(Visit).filter(Visit.date > TODAY).one()
    r = client.post(f"/operateur/couverture/visites/{future.id}/bilan", data={"people": "3"})
    assert r.status_code == 422
    assert "le bilan se saisit après la visite" in unescape(r.get_data(as_text=True)).lower()


def test_season_report_by_hand(client: Any, desk: dict[str, Any]) -> None:
    client.post(f"/operateur/couverture/visites/{desk['held'].id}/bilan",
                data={"people": "7", "demarches": "5", "ecole": "1"})
    r = client.get("/operateur/couverture/s1/rapport.csv")
    rows = dict(csv.reader(io.StringIO(r.get_data(as_text=True))))
    # One visit held (5 March, 10:00–11:00) at Aubrac; Chanac's was in the 2026 season.
    assert rows["Visites tenues"] == "1"
    assert rows["Communes atteintes"] == "1" and rows["Communes du territoire"] == "3"
    assert rows["Communes atteintes pour la première fois"] == "1"
    assert rows["Personnes aidées"] == "7"
    assert rows["Personnes aidées : Démarches en ligne"] == "5" and rows["Personnes aidées : École"] == "1"
    assert rows["Heures sur place"] == "1.0"
    assert rows["Communes atteintes la saison précédente (Saison s2026)"] == "1"
    page = unescape(client.get("/operateur/couverture/s1/rapport").get_data(as_text=True))
    assert "Rapport de saison – Saison s1" in page and "1 des 1 visites tenues ont un bilan saisi" in page


def test_report_counts_the_km_of_the_published_days_already_driven(client: Any, desk: dict[str, Any]) -> None:
    from web.core.types import utcnow
    from web.extensions import db
    from web.tours.models import TourVersion

    routes = [{"van": "truck-1", "date": "2027-03-05", "distance_km": 42.0},
              {"van": "truck-1", "date": "2027-03-20", "distance_km": 30.0}]  # still to come: not driven
    db.session.add(TourVersion(season_id=desk["season"].id, number=1, status="published", published_at=utcnow(),
                               problem_json={}, plan_json={"routes": routes}))
    db.session.commit()
    rows = dict(csv.reader(io.StringIO(client.get("/operateur/couverture/s1/rapport.csv").get_data(as_text=True))))
    assert rows["Kilomètres parcourus (tournée publiée, jours passés)"] == "42.0"
    assert rows["CO₂ émis, kg (0.25 kg par km)"] == "10.5"  # 42 km × 0.25 kg (ADEME, diesel van)
