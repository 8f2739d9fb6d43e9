"""Operator accounts: login, logout, guard of every operator page, CSRF, rate limit, CLI."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from tests.conftest import AuthActions
from tests.desk_helpers import PASSWORD

OPERATOR_PREFIXES = ("/operateur/",)
PUBLIC_OPERATOR_PAGES = {"auth.login"}


def add_operator(app: Flask, email: str = "ops@example.fr", password: str = PASSWORD) -> None:
    from web.auth.operations import create_operator
    from web.extensions import db

    with app.app_context():
        create_operator(email, password)
        db.session.commit()


def csrf_token(html: str) -> str:
    m = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', html
    )
    assert m, "no CSRF token in the page"
    return m.group(1)


def _sample_url(rule: Any) -> str:
    values = dict(rule.defaults or {})
    for arg in rule.arguments - set(values):
        converter = rule._converters[arg].__class__.__name__
        values[arg] = 1 if "Integer" in converter else "x"
    return rule.build(values, append_unknown=False)[1]


def operator_rules(app: Flask) -> list[Any]:
    return [
        r
        for r in app.url_map.iter_rules()
        if r.rule.startswith(OPERATOR_PREFIXES)
        and r.endpoint not in PUBLIC_OPERATOR_PAGES
        and not r.endpoint.endswith("static")
    ]


def test_every_operator_page_and_action_is_refused_to_anonymous_visitors(app: Flask) -> None:
    rules = operator_rules(app)
    # The inbox, the setup pages and this blueprint's own pages are all there.
    endpoints = {r.endpoint for r in rules}
    assert {"auth.home", "auth.logout", "inbox.index", "inbox.change_status", "inbox.edit", "vans.van"} <= endpoints
    client = app.test_client()
    for rule in rules:
        url = _sample_url(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={"to_status": "accepted", "priority": "3"})
            assert response.status_code == 302, (method, url, response.status_code)
            assert response.headers["Location"].startswith("/operateur/connexion?next="), (method, url)


def test_api_calls_get_a_json_401_instead_of_a_redirect(make_app: Any) -> None:
    from web.auth.decorators import operator_required

    app = make_app()
    app.add_url_rule("/api/guard-probe", "guard_probe", operator_required(lambda: "secret"))
    response = app.test_client().get("/api/guard-probe")
    assert response.status_code == 401
    assert response.is_json and "secret" not in response.get_data(as_text=True)


def test_login_then_operator_pages_open_and_logout_closes_them(app: Flask) -> None:
    add_operator(app)
    client = app.test_client()
    assert client.get("/operateur/").status_code == 302
    response = AuthActions(client).login(email="  OPS@Example.fr ")  # case and spaces do not matter
    assert response.status_code == 302 and response.headers["Location"] == "/operateur/"
    page = client.get("/operateur/")
    assert page.status_code == 200 and "ops@example.fr" in page.get_data(as_text=True)

    assert client.get("/operateur/deconnexion").status_code == 405  # a link cannot log out
    assert AuthActions(client).logout().status_code == 302
    assert client.get("/operateur/").status_code == 302


def test_last_login_is_recorded(app: Flask) -> None:
    from web.auth.operations import find_operator

    add_operator(app)
    AuthActions(app.test_client()).login()
    with app.app_context():
        assert find_operator("ops@example.fr").last_login_at is not None


@pytest.mark.parametrize(
    ("email", "password"),
    [("ops@example.fr", "wrong password"), ("nobody@example.fr", PASSWORD), ("not an email", PASSWORD)],
)
def test_a_failed_login_says_the_same_thing_whatever_was_wrong(app: Flask, email: str, password: str) -> None:
    add_operator(app)
    client = app.test_client()
    response = AuthActions(client).login(email, password)
    assert response.status_code == 200
    assert "Adresse e-mail ou mot de passe incorrect." in response.get_data(as_text=True)
    assert client.get("/operateur/").status_code == 302


def test_an_inactive_operator_cannot_log_in(app: Flask) -> None:
    from web.auth.operations import find_operator
    from web.extensions import db

    add_operator(app)
    with app.app_context():
        find_operator("ops@example.fr").active = False
        db.session.commit()
    client = app.test_client()
    AuthActions(client).login()
    assert client.get("/operateur/").status_code == 302


def test_changing_the_password_logs_open_sessions_out(app: Flask) -> None:
    from web.auth.operations import create_operator
    from web.extensions import db

    add_operator(app)
    client = app.test_client()
    AuthActions(client).login()
    assert client.get("/operateur/").status_code == 200
    with app.app_context():
        create_operator("ops@example.fr", "another long password", reset=True)
        db.session.commit()
    assert client.get("/operateur/").status_code == 302


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/operateur/demandes/?statut=submitted", "/operateur/demandes/?statut=submitted"),
        ("https://evil.example/", "/operateur/"),
        ("//evil.example/", "/operateur/"),
        ("/\\evil.example/", "/operateur/"),
        ("javascript:alert(1)", "/operateur/"),
    ],
)
def test_next_only_leads_to_a_page_of_this_site(app: Flask, target: str, expected: str) -> None:
    from urllib.parse import quote

    add_operator(app)
    response = AuthActions(app.test_client()).login(next_url=quote(target, safe=""))
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_repeated_failures_lock_the_login_for_a_while(make_app: Any) -> None:
    app = make_app(TOURPLAN_LOGIN_MAX_FAILURES=3)
    add_operator(app)
    client = app.test_client()
    for _ in range(3):
        assert AuthActions(client).login(password="wrong password").status_code == 200
    blocked = AuthActions(client).login()  # even the right password now
    assert blocked.status_code == 429
    assert "Trop de tentatives" in blocked.get_data(as_text=True)
    assert client.get("/operateur/").status_code == 302


def test_login_requires_the_csrf_token_when_csrf_is_on(make_app: Any) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    add_operator(app)
    client = app.test_client()
    refused = AuthActions(client).login()
    assert refused.status_code == 400
    assert client.get("/operateur/").status_code == 302

    token = csrf_token(client.get("/operateur/connexion").get_data(as_text=True))
    ok = AuthActions(client).login(data={"csrf_token": token})
    assert ok.status_code == 302
    home = client.get("/operateur/")
    assert home.status_code == 200
    # Logging out needs the token too: a forged POST from another site leaves the session open.
    assert AuthActions(client).logout().status_code == 400
    assert client.get("/operateur/").status_code == 200
    token = csrf_token(home.get_data(as_text=True))
    AuthActions(client).logout(data={"csrf_token": token})
    assert client.get("/operateur/").status_code == 302


def test_session_protection_is_strong(app: Flask) -> None:
    from web.extensions import login_manager

    assert login_manager.session_protection == "strong"
    add_operator(app)
    client = app.test_client()
    AuthActions(client).login()
    # Another browser (user agent) presenting the same session cookie is logged out.
    assert client.get("/operateur/", headers={"User-Agent": "stolen-cookie/1.0"}).status_code == 302


# create-operator ------------------------------------------------------------------------


def test_create_operator_from_stdin_then_login(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=["tourplan", "create-operator", "New@Example.fr", "--password-stdin"], input=PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    assert "new@example.fr" in result.output
    assert AuthActions(app.test_client()).login("new@example.fr").headers["Location"] == "/operateur/"


def test_create_operator_asks_twice_and_refuses_a_mismatch(app: Flask) -> None:
    from web.auth.operations import find_operator

    runner = app.test_cli_runner()
    result = runner.invoke(args=["tourplan", "create-operator", "a@example.fr"], input=f"{PASSWORD}\nother one!!\n")
    assert result.exit_code != 0
    with app.app_context():
        assert find_operator("a@example.fr") is None
    result = runner.invoke(args=["tourplan", "create-operator", "a@example.fr"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        operator = find_operator("a@example.fr")
        assert operator is not None and operator.password_hash != PASSWORD and operator.check_password(PASSWORD)


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("not-an-email", PASSWORD, "n'est pas une adresse e-mail valide"),
        ("b@example.fr", "short", "au moins 10 caractères"),
        ("ops@example.fr", PASSWORD, "existe déjà"),
    ],
)
def test_create_operator_errors_are_one_clear_line(app: Flask, email: str, password: str, message: str) -> None:
    add_operator(app)
    result = app.test_cli_runner().invoke(
        args=["tourplan", "create-operator", email, "--password-stdin"], input=password + "\n"
    )
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_passwords_are_hashed_with_scrypt_unless_configured_otherwise(tmp_path: Any) -> None:
    # The suite sets a cheap hash (tests/conftest.py); a deployment must never get it.
    from web import create_app
    from web.auth.models import Operator

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/a.db"})
    with app.app_context():
        operator = Operator()
        operator.set_password("une phrase de passe assez longue")
        assert operator.password_hash.startswith("scrypt:")
        assert operator.check_password("une phrase de passe assez longue")
        assert not operator.check_password("une autre phrase de passe")
