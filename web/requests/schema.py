"""The one declaration of a visit request's fields (issue 11): their types and limits.

It drives the JSON API's validation (web/api/), the OpenAPI document (generated from
these models' JSON schema), the limits of the web forms (web/requests/forms.py reads
:func:`limits`) and the hints that quote them ("1 = souhaitable … 5 = essentielle").
The text rules (no control character, French phone, e-mail) live here too, because the
forms clean what the API refuses.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from annotated_types import Ge, Le, MaxLen
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

# 1 = souhaitable … 5 = essentielle: the weight of one visit in the tour's objective, the
# catalogue's scale (tourplan/activities.py), which the database checks too.
from tourplan.activities import PRIORITY_MAX, PRIORITY_MIN
from web.auth.operations import valid_email
from web.core.menu import N_
from web.core.schema import declared_limits
from web.requests import rhythm as rh
from web.requests.models import STRUCTURE_KINDS

_PRIORITY_WORDS = f"{PRIORITY_MIN} = souhaitable … {PRIORITY_MAX} = essentielle"
MAX_PERIODS = 8
MAX_EQUIPMENT = 50

#: Characters no field keeps: C0/C1 controls but tab and line ends, and the Unicode line
#: and paragraph separators (they break iCalendar lines and PostgreSQL refuses NUL).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
LINE_BREAKS = re.compile(r"[\r\n\t]+")
PHONE_ERROR = N_("Ce n'est pas un numéro de téléphone français : 10 chiffres commençant par 0 "
               "(par exemple 04 66 49 12 34) ou +33 suivi de 9 chiffres.")
EMAIL_ERROR = N_("Ce n'est pas une adresse e-mail : elle s'écrit nom@domaine.fr.")


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why ``value`` cannot be stored as typed (for the API, which refuses rather than
    cleans), or None. The forms clean the same characters away (``forms.clean_text``)."""
    if CONTROL.search(value) or (not multiline and LINE_BREAKS.search(value)):
        return "caractère de contrôle interdit" + ("" if multiline else " (ni tabulation ni retour à la ligne)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "caractère Unicode invalide (moitié de paire de substitution)"
    return None


def french_phone(raw: str) -> str | None:
    """A French number (metropolitan or overseas) written ``06 12 34 56 78``, or None."""
    compact = re.sub(r"[\s.\-/()\u00a0\u202f]", "", raw)
    m = re.fullmatch(r"(?:\+|00)(33|262|269|590|594|596|508|681|687|689)(0?)(\d{9})", compact)
    if m:
        compact = "0" + m.group(3)
    if not re.fullmatch(r"0[1-9]\d{8}", compact):
        return None
    return " ".join(compact[i : i + 2] for i in range(0, 10, 2))


def _line(value: str) -> str:
    problem = text_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _lines(value: str) -> str:
    problem = text_problem(value, multiline=True)
    if problem:
        raise ValueError(problem)
    return value


def _filled(value: str) -> str:
    if not value.strip():
        raise ValueError("texte obligatoire")
    return value


def _email(value: str) -> str:
    if value and not valid_email(value.strip()):
        raise ValueError(EMAIL_ERROR)
    return value


def _phone(value: str) -> str:
    if not value.strip():
        return value
    phone = french_phone(value)
    if phone is None:
        raise ValueError(PHONE_ERROR)
    return phone


def _iso_date(value: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise ValueError("date attendue au format AAAA-MM-JJ") from None


def Line(max_length: int) -> Any:  # noqa: N802 - reads as a type in the declarations below
    """One line of text, at most ``max_length`` characters."""
    return Annotated[str, StringConstraints(max_length=max_length), AfterValidator(_line)]


def Lines(max_length: int) -> Any:  # noqa: N802
    """Free text that may span lines (the forms' text areas)."""
    return Annotated[str, StringConstraints(max_length=max_length), AfterValidator(_lines)]


def Whole(lo: int, hi: int, *, nullable: bool = False) -> Any:  # noqa: N802
    """A whole number from ``lo`` to ``hi`` (or null when ``nullable``)."""
    return Annotated[int | None if nullable else int, Ge(lo), Le(hi)]


IsoDate = Annotated[str, StringConstraints(min_length=10, max_length=10), AfterValidator(_iso_date),
                    Field(json_schema_extra={"format": "date"})]
Weekday = Annotated[int, Field(ge=1, le=7, description="1 = lundi … 7 = dimanche")]
MinuteOfDay = Annotated[Whole(0, 24 * 60, nullable=True), Field(description="minutes after midnight")]
Filled = AfterValidator(_filled)


def _rhythm(name: str, *, nullable: bool = False) -> Any:
    lo, hi = rh.LIMITS[name]
    return Whole(lo, hi, nullable=nullable)


def _sorted_unique(values: list[Any] | None) -> list[Any] | None:
    return None if values is None else sorted(set(values))


class Period(BaseModel):
    """Dates (inclusive) when the visit may take place."""

    model_config = ConfigDict(extra="forbid", strict=True)
    start: IsoDate
    end: IsoDate


class RequestFields(BaseModel):
    """What a commune or the team says of a visit request (all optional on input: an
    omitted field takes the activity's or the column's default)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    structure_kind: Literal[*STRUCTURE_KINDS] = "mairie"  # type: ignore[valid-type]
    structure_name: Line(200) = ""
    contact_name: Line(200) = ""
    email: Annotated[Line(254), AfterValidator(_email)] = ""
    phone: Annotated[Line(40), AfterValidator(_phone)] = ""
    duration_minutes: Whole(15, 12 * 60) = 60
    periods: Annotated[list[Period], MaxLen(MAX_PERIODS)] = []
    weekdays: Annotated[list[Weekday] | None, MaxLen(7), AfterValidator(_sorted_unique)] = None
    earliest_start: MinuteOfDay = None
    latest_end: MinuteOfDay = None
    equipment: Annotated[list[Line(60)], MaxLen(MAX_EQUIPMENT), AfterValidator(_sorted_unique)] = []
    expected_attendees: Whole(0, 10000, nullable=True) = None
    venue_label: Line(300) = ""
    venue_address: Lines(500) = ""
    # NaN and infinities fail the bounds (Python's JSON parser reads NaN).
    venue_lat: Annotated[float | None, Ge(-90), Le(90)] = None
    venue_lon: Annotated[float | None, Ge(-180), Le(180)] = None
    priority: Annotated[Whole(PRIORITY_MIN, PRIORITY_MAX), Field(description=_PRIORITY_WORDS)] = PRIORITY_MIN
    occurrences: _rhythm("occurrences") = 1
    min_days_between: _rhythm("min_days_between") = 0
    max_days_between: _rhythm("max_days_between", nullable=True) = None
    same_weekday: bool = Field(False, description="every visit on the same day of the week")
    same_start_within_minutes: _rhythm("same_start_within_minutes", nullable=True) = None
    required: bool = False
    notes: Lines(2000) = ""


class NewRequest(RequestFields):
    """A request created through the API (status ``submitted``)."""

    season: Annotated[str, StringConstraints(min_length=1, max_length=60), Field(description="season slug")]
    commune: Annotated[str, StringConstraints(min_length=1, max_length=5), Field(description="INSEE code")]
    activity: Annotated[str | None, StringConstraints(max_length=60), Field(description="activity slug")] = None
    label: Annotated[Line(300), Filled]


def limits(name: str, model: type[BaseModel] | None = None) -> tuple[Any, Any]:
    """The declared bounds of a request field (see :func:`web.core.schema.declared_limits`)."""
    found = declared_limits(model or RequestFields, name)
    if found is None:
        raise KeyError(f"{name} has no declared limits")
    return found


def bounds(name: str) -> dict[str, int]:
    """``minimum=``, ``maximum=`` of a number field, for the forms' number inputs."""
    lo, hi = limits(name)
    return {"minimum": int(lo), "maximum": int(hi)}


def max_length(name: str, model: type[BaseModel] | None = None) -> int:
    return int(limits(name, model)[1])


def priority_hint() -> str:
    lo, hi = limits("priority")
    return f"{lo} = souhaitable … {hi} = essentielle."
