"""The JSON bodies the API takes besides a visit request's (web/requests/schema.py),
declared once: they validate the input and make the OpenAPI document's request bodies.

Every body is first walked by :func:`check_json`: a body nested too deep or holding a
string no database can store is refused, naming its top-level field, before pydantic
sees it (so hostile input can neither cause a 500 nor store a half row).
"""

from __future__ import annotations

from typing import Annotated, Any

from annotated_types import Ge, Le
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from web.core.errors import OperationError
from web.jobs.operations import MAX_TIME_LIMIT, MIN_TIME_LIMIT
from web.requests.schema import Filled, IsoDate, Lines

#: Deeper JSON is refused before it is walked (no request body needs more than 4).
MAX_JSON_DEPTH = 32
_ID = Annotated[int, Ge(0), Le(2**31 - 1)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class EmptyBody(_Body):
    """``{}``: the action needs nothing more than its address."""


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


class PlanBody(_Body):
    # Omitted means the configured limit; null is refused (it is not a number of seconds).
    time_limit: Annotated[float, Ge(MIN_TIME_LIMIT), Le(MAX_TIME_LIMIT)] = Field(
        None, description="seconds the optimiser may search (default: the configured limit)",
        json_schema_extra=_no_default)  # type: ignore[assignment]
    # The same seed and an iteration limit give the same plan twice (issue 14).
    seed: _ID = Field(None, description="the search's seed, for a reproducible plan",
                      json_schema_extra=_no_default)  # type: ignore[assignment]


class MoveBody(_Body):
    request: _ID
    occurrence: _ID = 0
    van: Annotated[str, StringConstraints(min_length=1, max_length=60), Field(description="van slug")]
    date: IsoDate


class AcceptBody(_Body):
    note: Lines(2000) = ""


class DeclineBody(_Body):
    reason: Annotated[Lines(2000), Filled, Field(description="shown to the commune")]


def check_json(value: Any) -> None:
    """Refuse, naming the top-level field, a body nested too deep or holding a string no
    database can store (a lone surrogate such as ``"\\ud800"``, a NUL), wherever it is."""
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        item, field, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise OperationError(f"JSON trop imbriqué ({MAX_JSON_DEPTH} niveaux au plus)", field or "body")
        if isinstance(item, dict):
            for k, v in item.items():
                _storable(k, field or "body")
                stack.append((v, field or str(k), depth + 1))
        elif isinstance(item, list):
            stack.extend((v, field, depth + 1) for v in item)
        elif isinstance(item, str):
            _storable(item, field or "body")


def _storable(text: str, where: str) -> None:
    if "\x00" in text:
        raise OperationError("caractère nul interdit", where)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise OperationError("caractère Unicode invalide (moitié de paire de substitution)", where) from None
