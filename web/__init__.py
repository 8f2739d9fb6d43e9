"""tourplan web application: ``flask --app web ...``.

Each domain area is a sub-package (``web/<area>/``) with ``models.py``,
``operations.py`` and, when it has pages, ``blueprint.py`` exposing ``bp`` (or
``blueprints``, a list, when the area has several: public pages and operator pages).
:func:`create_app` registers them and calls the module's optional ``init_app(app)``;
menu entries are declared with the blueprints (:mod:`web.core.menu`). An area's
``subscribers.py``, when present, has ``connect()`` called: it listens to the lifecycle
signals of :mod:`web.core.signals`. An area's ``cli.py``,
when present, is imported so its commands join the ``flask tourplan`` group
(``from web.core.cli import tourplan_cli``).
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from typing import Any

from flask import Flask

from web.config import load_config
from web.core.urls import BoundedIntegerConverter
from web.extensions import babel, create_private_sqlite_file, csrf, db, login_manager, migrate

#: Areas whose blueprint is registered when present, in this order.
AREAS = (
    "core", "public", "communes", "vans", "seasons", "activities", "requests", "tours", "jobs", "auth", "desk", "mail",
    "coverage", "api",
)

MIGRATIONS_DIR = str(Path(__file__).parent / "migrations")


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    # Before any route is added: <int:id> beyond the database's integer range is a 404.
    app.url_map.converters["int"] = BoundedIntegerConverter
    load_config(app, test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    create_private_sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"])

    db.init_app(app)
    # render_as_batch: SQLite can only alter tables by rebuilding them.
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)

    import web.models  # noqa: F401  (every table known to Alembic and to relationships)
    from web.core.cli import tourplan_cli

    for area in AREAS:
        if importlib.util.find_spec(f"web.{area}") is None:
            continue
        # An area's cli.py adds its commands to the `flask tourplan` group when imported.
        if importlib.util.find_spec(f"web.{area}.cli") is not None:
            importlib.import_module(f"web.{area}.cli")
        # An area's subscribers.py listens to the lifecycle signals (web.core.signals).
        if importlib.util.find_spec(f"web.{area}.subscribers") is not None:
            importlib.import_module(f"web.{area}.subscribers").connect()
        name = f"web.{area}.blueprint"
        if importlib.util.find_spec(name) is None:
            continue
        module = importlib.import_module(name)
        for blueprint in getattr(module, "blueprints", None) or [getattr(module, "bp", None)]:
            if blueprint is not None:
                app.register_blueprint(blueprint)
        if hasattr(module, "init_app"):
            module.init_app(app)
    if login_manager._user_callback is None and login_manager._request_callback is None:
        # No operator accounts area installed: everyone is anonymous.
        login_manager.user_loader(lambda user_id: None)
    app.cli.add_command(tourplan_cli)
    return app


def _select_locale() -> str | None:
    from flask import current_app, session

    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang") if session else None
    if chosen in languages:
        return chosen
    # French first: English only when the visitor chose it, not from the browser's header.
    return current_app.config["BABEL_DEFAULT_LOCALE"]
