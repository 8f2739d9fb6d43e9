"""Configuration of the web application, in order of precedence (last wins):
defaults here, ``instance/config.py``, environment variables, ``test_config``."""

from __future__ import annotations

import os
import secrets
from datetime import date
from pathlib import Path
from typing import Any

from flask import Flask

from web.core.urls import DEFAULT_BASE_URL, check_base_url

#: Texts of the legal notices, set by whoever runs the site (README, deployment notes).
LEGAL_SETTINGS = (
    "TOURPLAN_PUBLISHER",  # the publishing body, e.g. "Communauté de communes du Haut-Allier"
    "TOURPLAN_PUBLISHER_ADDRESS",
    "TOURPLAN_PUBLICATION_DIRECTOR",  # "Mme Jeanne Martin, présidente"
    "TOURPLAN_HOST",  # the hosting provider: name, address, phone
    "TOURPLAN_CONTACT_EMAIL",
    "TOURPLAN_CONTACT_PHONE",
    "TOURPLAN_ACCESSIBILITY_DATE",  # when the accessibility statement was made, YYYY-MM-DD
)
#: What the accessibility statement may say of the site (RGAA model).
ACCESSIBILITY_STATUSES = ("non", "partiellement", "totalement")


def default_database_url(instance_path: str) -> str:
    return "sqlite:///" + str(Path(instance_path) / "tourplan.sqlite")


def load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    app.config.from_mapping(
        SQLALCHEMY_DATABASE_URI=default_database_url(app.instance_path),
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        TOURPLAN_REDIS_URL=None,
        BABEL_DEFAULT_LOCALE="fr",
        BABEL_DEFAULT_TIMEZONE="Europe/Paris",
        LANGUAGES=("fr", "en"),
        # Overridable per response (e.g. a map page needing inline scripts).
        CONTENT_SECURITY_POLICY=(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
        ),
        TOURPLAN_DEFAULT_LOCK_SLACK_MINUTES=30,
        # The canonical public address: every absolute link is built on it (web/core/urls.py).
        TOURPLAN_BASE_URL=DEFAULT_BASE_URL,
        # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted (0: none).
        TOURPLAN_PROXY_COUNT=0,
        # Host headers accepted (Flask answers 400 to others); None accepts any.
        TRUSTED_HOSTS=None,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SECURE=None,  # None: secure exactly when TOURPLAN_BASE_URL is https
        # Request bodies: forms and the API never need more (413 beyond).
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        # Mail (web/mail): transport URL (unset: .eml files in instance/outbox/), sender, replies.
        TOURPLAN_MAIL_URL=None,
        TOURPLAN_MAIL_FROM=None,
        TOURPLAN_MAIL_REPLY_TO=None,
        TOURPLAN_MAIL_WORKER=None,
        # Legal notices (mentions légales, accessibility statement): who publishes the site.
        **{name: "" for name in LEGAL_SETTINGS},
        TOURPLAN_ACCESSIBILITY_STATUS="non",
        # Where the source code of the running site is (AGPL § 13); by default the site
        # serves its own (web/core/source.py), so the link is never dead.
        TOURPLAN_SOURCE_URL="",
        # Road travel (web/travel): a Valhalla tiles folder, or a Valhalla/OSRM server; neither:
        # straight lines × 1.3 at 50 km/h.
        TOURPLAN_VALHALLA_TILES="",
        TOURPLAN_ROUTING_URL="",
        TOURPLAN_ROUTING_ENGINE="",
        # Planning (web/desk): seconds the optimiser searches when the operator plans a season.
        TOURPLAN_PLAN_TIME_LIMIT=30.0,
        # Login limits (web/auth), per account: failures before delays start, then 2 s, 4 s ...
        # up to the max delay; per client address: failed logins allowed per window (over
        # every account).
        TOURPLAN_LOGIN_MAX_FAILURES=5,
        # How operators' passwords are hashed (a werkzeug method; the test suite, which makes
        # thousands of accounts, sets a cheap one).
        TOURPLAN_PASSWORD_HASH="scrypt",
        TOURPLAN_LOGIN_MAX_DELAY_SECONDS=60,
        TOURPLAN_LOGIN_ADDRESS_MAX_FAILURES=30,
        TOURPLAN_LOGIN_WINDOW_SECONDS=15 * 60,
        # The public request form (web/requests), per client address and window: requests
        # stored, and form posts of any kind (errors included).
        TOURPLAN_REQUEST_WINDOW_SECONDS=3600,
        TOURPLAN_REQUEST_MAX_STORED=5,
        TOURPLAN_REQUEST_MAX_POSTS=40,
        # Residents' alerts (web/mail): sign-up posts per client address and hour.
        TOURPLAN_ALERT_MAX_POSTS=10,
        # Contact data of a season's requests is kept this many days after the season's end.
        TOURPLAN_PERSONAL_DATA_DAYS=365,
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        _read_environment(app)
    else:
        app.config.from_mapping(test_config)
    _derive_security_settings(app)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(app.instance_path)


def _read_environment(app: Flask) -> None:
    """The settings a deployment gives in environment variables win over the instance file."""
    if os.environ.get("TOURPLAN_DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["TOURPLAN_DATABASE_URL"]
    for name in ("TOURPLAN_REDIS_URL", "SECRET_KEY", "TOURPLAN_BASE_URL", "TOURPLAN_UID_HOST", "TOURPLAN_MAIL_URL",
                 "TOURPLAN_MAIL_FROM", "TOURPLAN_MAIL_REPLY_TO", "TOURPLAN_MAIL_WORKER", "TOURPLAN_PRIVACY_CONTACT",
                 *LEGAL_SETTINGS, "TOURPLAN_ACCESSIBILITY_STATUS", "TOURPLAN_SOURCE_URL", "TOURPLAN_PROXY_COUNT",
                 "TOURPLAN_VALHALLA_TILES", "TOURPLAN_ROUTING_URL", "TOURPLAN_ROUTING_ENGINE"):
        if os.environ.get(name):
            app.config[name] = os.environ[name]
    if os.environ.get("TOURPLAN_TRUSTED_HOSTS"):
        app.config["TRUSTED_HOSTS"] = [h.strip() for h in os.environ["TOURPLAN_TRUSTED_HOSTS"].split(",")
                                       if h.strip()]
    if os.environ.get("TOURPLAN_PERSONAL_DATA_DAYS"):
        app.config["TOURPLAN_PERSONAL_DATA_DAYS"] = int(os.environ["TOURPLAN_PERSONAL_DATA_DAYS"])


def _derive_security_settings(app: Flask) -> None:
    """Settings that follow from the canonical address; a bad value stops the start-up
    with a message naming it rather than serving wrong links."""
    app.config["TOURPLAN_BASE_URL"] = check_base_url(app.config["TOURPLAN_BASE_URL"])
    https = app.config["TOURPLAN_BASE_URL"].startswith("https://")
    # An https site never sends its session cookie over plain http.
    if app.config.get("SESSION_COOKIE_SECURE") is None:
        app.config["SESSION_COOKIE_SECURE"] = https
    try:
        count = int(app.config.get("TOURPLAN_PROXY_COUNT") or 0)
    except (TypeError, ValueError):
        count = -1
    if not 0 <= count <= 10:
        raise ValueError(f"TOURPLAN_PROXY_COUNT={app.config.get('TOURPLAN_PROXY_COUNT')!r}: "
                         "a number of reverse proxies from 0 to 10 is expected")
    app.config["TOURPLAN_PROXY_COUNT"] = count
    status = app.config.get("TOURPLAN_ACCESSIBILITY_STATUS") or "non"
    if status not in ACCESSIBILITY_STATUSES:
        raise ValueError(f"TOURPLAN_ACCESSIBILITY_STATUS={status!r}: one of {', '.join(ACCESSIBILITY_STATUSES)} "
                         "is expected (the statement's « non / partiellement / totalement conforme »)")
    app.config["TOURPLAN_ACCESSIBILITY_STATUS"] = status
    when = app.config.get("TOURPLAN_ACCESSIBILITY_DATE") or ""
    if when:
        try:
            date.fromisoformat(str(when))
        except ValueError:
            raise ValueError(f"TOURPLAN_ACCESSIBILITY_DATE={when!r}: a date YYYY-MM-DD is expected") from None


def _instance_secret(instance_path: str) -> str:
    """A secret generated once per installation and kept in instance/, never committed."""
    path = Path(instance_path) / "secret_key"
    try:
        key = path.read_text(encoding="utf-8").strip()
        if key:
            return key
    except OSError:
        pass
    key = secrets.token_urlsafe(48)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(key + "\n")
    except OSError:
        pass  # read-only install: the key lives for this process only
    return key
