"""The app factory and the base layout every page builds on."""

from __future__ import annotations

from web import create_app


def test_unknown_page_is_a_french_404_with_the_base_layout(client):
    r = client.get("/pas-de-page-ici")
    assert r.status_code == 404
    html = r.get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert "Page introuvable" in html
    # The skip link leads to the main content for keyboard and screen-reader users.
    assert 'href="#contenu"' in html and 'id="contenu"' in html
    assert "Traceback" not in html


def test_pages_carry_security_headers(client):
    r = client.get("/pas-de-page-ici")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Frame-Options"] == "DENY"


def test_stylesheet_is_served_by_the_app(client):
    r = client.get("/static/css/site.css")
    assert r.status_code == 200
    assert ":focus-visible" in r.get_data(as_text=True)


def test_database_url_comes_from_the_environment(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'elsewhere.sqlite'}"
    monkeypatch.setenv("TOURPLAN_DATABASE_URL", url)
    monkeypatch.setenv("SECRET_KEY", "from-env")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == url
    assert app.config["SECRET_KEY"] == "from-env"
