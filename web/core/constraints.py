"""The shapes of CHECK constraints and partial indexes the models repeat, written once.

Each helper gives the SQL text and the constraint name the models have always used (the
naming convention in :mod:`web.extensions` prefixes ``ck_<table>_``), so a model reads as
a list of rules and the migrations keep matching it.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Index, text


def sql_in(column: str, values: tuple[str, ...]) -> str:
    """``status IN ('a', 'b')``: the values are the model's own constants, never user input."""
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def one_of(column: str, values: tuple[str, ...]) -> CheckConstraint:
    """The column holds one of ``values``; the constraint is named after the column."""
    return CheckConstraint(sql_in(column, values), name=column)


def in_range(column: str, low: float, high: float, *, name: str | None = None) -> CheckConstraint:
    """``low <= column <= high``, named ``<column>_range`` unless ``name`` is given."""
    return CheckConstraint(f"{column} BETWEEN {low} AND {high}", name=name or f"{column}_range")


def on_earth(lat: str = "lat", lon: str = "lon") -> tuple[CheckConstraint, CheckConstraint]:
    """A WGS84 point: latitude and longitude in their ranges."""
    return in_range(lat, -90, 90), in_range(lon, -180, 180)


def not_empty(column: str) -> CheckConstraint:
    return CheckConstraint(f"{column} <> ''", name=f"{column}_not_empty")


def dated_when(column: str, value: str, date_column: str) -> CheckConstraint:
    """A row whose ``column`` is ``value`` says when it got there (``<value>_has_date``)."""
    return CheckConstraint(f"{column} <> '{value}' OR {date_column} IS NOT NULL", name=f"{value}_has_date")


def unique_where(name: str, column: str, where: str) -> Index:
    """A unique index over the rows matching ``where`` only (a partial index, which both
    SQLite and PostgreSQL have, each with its own keyword)."""
    return Index(name, column, unique=True, sqlite_where=text(where), postgresql_where=text(where))
