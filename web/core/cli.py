"""The ``flask --app web tourplan ...`` command group.

Areas add commands with ``@tourplan_cli.command(...)`` in their own ``cli.py``.
Bad input ends with :class:`click.ClickException` (one line, exit code 1),
never a traceback; :func:`fail_cleanly` turns domain errors into that.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click
from flask.cli import AppGroup

from tourplan.problem import ProblemError
from web.core.errors import OperationError

tourplan_cli = AppGroup("tourplan", help="tourplan: communes, seasons, planning, backups.")

F = TypeVar("F", bound=Callable[..., Any])


def fail_cleanly(func: F) -> F:
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
