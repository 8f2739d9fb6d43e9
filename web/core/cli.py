"""The ``flask --app web tourplan ...`` command group.

Areas add commands with ``@tourplan_cli.command(...)`` in their own ``cli.py``.
Bad input ends with :class:`click.ClickException` (one line, exit code 1),
never a traceback; :func:`fail_cleanly` turns domain errors into that.
"""

from __future__ import annotations

import functools
import shlex
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup

from tourplan.problem import ProblemError
from tourplan.progress import SearchProgress
from web.core.errors import OperationError

tourplan_cli = AppGroup("tourplan", help="tourplan: communes, seasons, planning, backups.")



def fail_cleanly[F: Callable[..., Any]](func: F) -> F:
    """Roll back and print a one-line message for any domain error."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from web.extensions import db

        try:
            return func(*args, **kwargs)
        except (OperationError, ProblemError) as e:
            db.session.rollback()
            raise click.ClickException(str(e)) from None

    return wrapper  # type: ignore[return-value]


@tourplan_cli.command("demo")
@click.option("--reset", is_flag=True, help="Replace the seasons, requests, tours, vans and activities already there.")
@click.option("--department", default="48", show_default=True)
@click.option("--weeks", type=click.IntRange(1, 106), default=13, show_default=True)
@click.option("--requests", type=click.IntRange(0, 2000), default=120, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--start", default=None, metavar="YYYY-MM-DD", help="First day (default: next Monday).")
@click.option("--time-limit", type=click.FloatRange(0.1, 3600), default=20.0, show_default=True, metavar="S")
@fail_cleanly
def demo_command(
    reset: bool, department: str, weeks: int, requests: int, seed: int, start: str | None, time_limit: float
) -> None:
    """Fill the database with a demonstration: communes, a van, a season, requests, a published tour."""
    from web.core.demo import load_demo

    with SearchProgress(0, quiet=False) as progress:
        result = load_demo(
            department=department, weeks=weeks, requests=requests, seed=seed, start=start,
            time_limit=time_limit, reset=reset, progress=progress, echo=click.echo,
        )
    v = result.version
    click.echo(f"version #{v.number}: served {v.served}/{v.visits} visits, priority "
               f"{v.served_priority}/{v.total_priority}, {v.distance_km:.1f} km")
    click.echo(result.summary())


@tourplan_cli.command("backup")
@click.argument("path", type=click.Path(dir_okay=True, writable=True))
def backup_command(path: str) -> None:
    """Write a consistent copy of the database to PATH while the site runs (SQLite).

    For PostgreSQL it prints the pg_dump command to use instead."""
    from web.extensions import db

    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        safe = url.set(drivername="postgresql").render_as_string(hide_password=True)
        raise click.ClickException(
            "the database is PostgreSQL: back it up with pg_dump, e.g.\n"
            f"  pg_dump --format=custom --file {shlex.quote(path)} '{safe}'\n"
            f"and restore with pg_restore --clean --dbname '<url>' {shlex.quote(path)}"
        )
    source = url.database
    if not source or source == ":memory:":
        raise click.ClickException("the database lives in memory: nothing to back up")
    target = Path(path)
    if target.is_dir():
        target = target / f"tourplan-{datetime.now():%Y%m%d-%H%M%S}.sqlite"
    try:
        if target.resolve() == Path(source).resolve():
            raise click.ClickException(f"{target}: that is the database itself")
        written = sqlite_backup(source, target)
    except (OSError, sqlite3.Error) as e:
        raise click.ClickException(f"{target}: cannot write the backup ({e})") from None
    click.echo(f"{written}: consistent copy of {source} ({written.stat().st_size} bytes)")


def sqlite_backup(source: str, target: Path) -> Path:
    """SQLite's online backup API: a consistent snapshot even while others write. Written to a
    temporary file renamed at the end, so a failure never leaves a half-written backup."""
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst, pages=1024)
            dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
            check = dst.execute("PRAGMA integrity_check").fetchone()
            if not check or check[0] != "ok":
                raise sqlite3.DatabaseError(f"integrity check of the copy failed: {check}")
        finally:
            dst.close()
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        src.close()
    tmp.replace(target)
    return target
