"""Flask extensions, created unbound here and bound to the app in :func:`web.create_app`.

Models import ``db`` from this module, so it must not import any model itself.
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

# Named constraints: Alembic can only alter/drop (and SQLite batch mode only
# rebuild) constraints that have a stable name in every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """Foreign keys are off by default in SQLite and the default journal blocks readers
    while a publication is written: turn on FK enforcement and WAL for every connection."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA journal_mode")
    mode = cur.fetchone()
    # In-memory databases cannot use WAL; asking would just return "memory".
    if mode and mode[0] not in ("wal", "memory"):
        cur.execute("PRAGMA journal_mode=WAL")
    cur.close()


def create_private_sqlite_file(url: str) -> None:
    """Create a missing SQLite database file readable by its owner only (0600): SQLite would
    create it with the umask's mode, usually world-readable, and it holds the communes'
    contacts and the operators' password hashes. Its -wal and -shm files take its mode."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - a bad URL is reported by SQLAlchemy itself on connect
        return
    path = parsed.database
    if parsed.get_backend_name() != "sqlite" or not path or path == ":memory:" or path.startswith("file:"):
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError:
        return  # a folder that does not exist (yet): SQLAlchemy says so when it connects
    os.close(fd)
