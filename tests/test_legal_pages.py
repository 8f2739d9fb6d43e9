"""Legal duties of a public-service site: the mentions légales name publisher, director of
publication and host from the settings; the accessibility statement follows the RGAA model;
every page links to the running site's source code (AGPL), which the site serves itself."""

from __future__ import annotations

import io
import tarfile
from html import unescape
from typing import Any

import pytest

LEGAL = {
    "TOURPLAN_PUBLISHER": "Communauté de communes du Haut-Allier",
    "TOURPLAN_PUBLISHER_ADDRESS": "1 place de la Mairie, 48300 Langogne",
    "TOURPLAN_PUBLICATION_DIRECTOR": "Mme Jeanne Martin, présidente",
    "TOURPLAN_HOST": "OVH SAS, 2 rue Kellermann, 59100 Roubaix, 1007",
    "TOURPLAN_CONTACT_EMAIL": "numerique@haut-allier.fr",
    "TOURPLAN_CONTACT_PHONE": "04 66 69 00 00",
}


def text(response: Any) -> str:
    return unescape(response.get_data(as_text=True)).replace("\xa0", " ")


def test_mentions_legales_name_publisher_director_and_host_from_the_settings(make_app: Any) -> None:
    page = text(make_app(**LEGAL).test_client().get("/mentions-legales"))
    for value in LEGAL.values():
        assert value in page
    assert "AGPL-3.0-or-later" in page and 'href="/code-source.tar.gz"' in page


def test_a_missing_legal_setting_is_shown_with_its_name_to_fill_in(client: Any) -> None:
    page = text(client.get("/mentions-legales"))
    for name in ("TOURPLAN_PUBLISHER", "TOURPLAN_PUBLICATION_DIRECTOR", "TOURPLAN_HOST"):
        assert f"<code>{name}</code>" in page


def test_the_accessibility_statement_follows_the_rgaa_model(make_app: Any) -> None:
    app = make_app(**LEGAL, TOURPLAN_ACCESSIBILITY_STATUS="partiellement", TOURPLAN_ACCESSIBILITY_DATE="2027-02-01")
    page = text(app.test_client().get("/accessibilite"))
    sections = ["État de conformité", "Résultats des tests", "Contenus non accessibles",
                "Établissement de cette déclaration d'accessibilité", "Retour d'information et contact",
                "Voies de recours"]
    positions = [page.index(f">{s}</h") for s in sections]
    assert positions == sorted(positions)  # in the model's order
    assert "est partiellement conforme avec le référentiel général d'amélioration de l'accessibilité" in page
    assert "établie le lundi 1er février 2027" in page
    assert "article 47 de la loi n° 2005-102" in page and LEGAL["TOURPLAN_PUBLISHER"] in page
    assert "mailto:numerique@haut-allier.fr" in page and "04 66 69 00 00" in page
    assert "Défenseur des droits" in page and "Libre réponse 71120" in page
    # The footer states the same status.
    assert "Accessibilité : partiellement conforme" in page


def test_a_wrong_accessibility_setting_stops_the_start_with_its_name(make_app: Any) -> None:
    with pytest.raises(ValueError, match="TOURPLAN_ACCESSIBILITY_STATUS"):
        make_app(TOURPLAN_ACCESSIBILITY_STATUS="conforme")
    with pytest.raises(ValueError, match="TOURPLAN_ACCESSIBILITY_DATE"):
        make_app(TOURPLAN_ACCESSIBILITY_DATE="01/02/2027")


def test_every_page_links_to_the_source_code_which_the_site_serves(client: Any, make_app: Any) -> None:
    for url in ("/", "/accessibilite", "/operateur/connexion"):
        assert 'href="/code-source.tar.gz"' in client.get(url).get_data(as_text=True), url
    r = client.get("/code-source.tar.gz")
    assert r.status_code == 200 and r.mimetype == "application/gzip"
    with tarfile.open(fileobj=io.BytesIO(r.data), mode="r:gz") as tar:
        names = set(tar.getnames())
    assert {"tourplan-source/web/__init__.py", "tourplan-source/LICENSE",
            "tourplan-source/web/core/source.py"} <= names
    # Never the instance (database, secret key) nor generated files.
    assert not [n for n in names if "/instance/" in n or n.endswith((".pyc", ".sqlite", "secret_key"))]
    # A published repository can be named instead.
    other = make_app(TOURPLAN_SOURCE_URL="https://forge.example.fr/tourplan").test_client()
    assert 'href="https://forge.example.fr/tourplan"' in other.get("/").get_data(as_text=True)


def test_the_favicon_is_served_at_both_addresses(client: Any) -> None:
    assert "favicon.svg" in client.get("/").get_data(as_text=True)
    r = client.get("/favicon.ico")
    assert r.status_code == 200 and r.mimetype == "image/svg+xml" and b"<svg" in r.data
