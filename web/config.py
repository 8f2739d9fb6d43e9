"""Configuration of the web application, in order of precedence (last wins):
defaults here, ``instance/config.py``, environment variables, ``test_config``."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask


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
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        if os.environ.get("TOURPLAN_DATABASE_URL"):
            app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["TOURPLAN_DATABASE_URL"]
        if os.environ.get("TOURPLAN_REDIS_URL"):
            app.config["TOURPLAN_REDIS_URL"] = os.environ["TOURPLAN_REDIS_URL"]
        if os.environ.get("SECRET_KEY"):
            app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
    else:
        app.config.from_mapping(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(app.instance_path)


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
