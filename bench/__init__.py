"""Benchmarks (`make bench`): figures, never timed tests. They read ../shared/ when present."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def temporary_app() -> Iterator[Any]:
    """The application on a fresh SQLite file with every table, and its own instance folder,
    removed afterwards."""
    from web import create_app
    from web.extensions import db

    with tempfile.TemporaryDirectory(prefix="tourplan-bench-") as tmp:
        app = create_app({"TESTING": False, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(tmp) / 'bench.sqlite'}"})
        app.instance_path = str(Path(tmp) / "instance")
        with app.app_context():
            db.create_all()
        yield app
