"""Checking input against a declared pydantic model, with the French message and the
field path the API and the forms show ("periods[0].start : date attendue au format
AAAA-MM-JJ"). Every area declares its shapes once (e.g. web/requests/schema.py) and
validates here, so what is refused and how it is said is the same everywhere.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from web.core.errors import OperationError

_MESSAGES = {
    "int_type": "doit être un nombre entier",
    "int_from_float": "doit être un nombre entier",
    "float_type": "doit être un nombre",
    "finite_number": "doit être un nombre",
    "string_type": "doit être une chaîne de caractères",
    "bool_type": "doit être true ou false",
    "list_type": "doit être une liste",
    "model_type": "doit être un objet JSON",
    "model_attributes_type": "doit être un objet JSON",
    "dict_type": "doit être un objet JSON",
    "extra_forbidden": "champ inconnu",
    "missing": "champ obligatoire",
    "none_required": "doit être null",
    "string_pattern_mismatch": "format incorrect",
}


def field_path(loc: tuple[int | str, ...]) -> str:
    """``("periods", 0, "start")`` → ``"periods[0].start"``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def declared_limits(model: type[BaseModel], name: str) -> tuple[Any, Any] | None:
    """The declared ``(minimum, maximum)`` of a number field, ``(0, max_length)`` of a text
    or list field, or None: what the forms' bounds, the hints and the messages quote."""
    field = model.model_fields.get(name)
    if field is None:
        return None
    lo = hi = None
    for meta in field.metadata:
        lo = getattr(meta, "ge", lo)
        hi = getattr(meta, "le", hi)
        if getattr(meta, "max_length", None) is not None and hi is None:
            lo, hi = 0, meta.max_length
    return None if hi is None else (lo, hi)


def french_message(error: ErrorDetails, bounds: tuple[Any, Any] | None = None) -> str:
    """What is wrong, in French, from one of pydantic's error records (``bounds``: the
    field's declared range, quoted whole when a number falls outside it)."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    if kind in ("greater_than_equal", "less_than_equal") and bounds and None not in bounds:
        return f"doit être entre {bounds[0]:g} et {bounds[1]:g}"
    if kind == "greater_than_equal":
        return f"doit valoir au moins {ctx['ge']}"
    if kind == "less_than_equal":
        return f"doit valoir au plus {ctx['le']}"
    if kind == "string_too_long":
        return f"{ctx['max_length']} caractères au plus"
    if kind == "string_too_short":
        return "texte obligatoire"
    if kind == "too_long":
        return f"{ctx['max_length']} éléments au plus"
    if kind == "literal_error":
        return f"valeur inconnue ; valeurs possibles : {str(ctx['expected']).replace(' or ', ' ou ')}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"])).removeprefix("Value error, ")
    return "valeur incorrecte"


def validate[M: BaseModel](model: type[M], data: Any) -> M:
    """``data`` as ``model``, or an OperationError naming the first field at fault."""
    try:
        return model.model_validate(data)
    except ValidationError as e:
        first = e.errors(include_url=False)[0]
        loc = first["loc"]
        bounds = declared_limits(model, str(loc[0])) if len(loc) == 1 else None
        raise OperationError(french_message(first, bounds), field_path(loc) or "body") from None
