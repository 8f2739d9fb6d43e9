"""Numbers, dates and times for people, through Babel: the one place every area formats them.

French by default ("9 h 30", "5 521,0 km", "samedi 1er février 2027"); the public site
passes the visitor's locale. Spaces inside a time, a number or between a number and its
unit are non-breaking, so "11 h 30" or "5 521,0 km" never wrap across two lines.
Instants stored in UTC are shown in Paris time (the van's time zone, and the operators').

No Flask here: the desk's domain messages (web/desk/moves.py) use these functions too;
:func:`register_filters` adds them to Jinja as ``fr_*`` filters.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date as _babel_date
from babel.dates import format_time as _babel_time
from babel.numbers import format_decimal as _babel_decimal

PARIS = ZoneInfo("Europe/Paris")
NBSP = "\u00a0"
#: CLDR's French group separator is the narrow no-break space; both kinds never break.
_SPACES = (" ", "\u202f")


def _nowrap(text: str) -> str:
    for s in _SPACES:
        text = text.replace(s, NBSP)
    return text


def _is_fr(locale: str) -> bool:
    return str(locale or "fr").lower().startswith("fr")


def hm(minutes: int | None, locale: str = "fr") -> str:
    """Minutes since midnight as a time of day: "9 h 30" (French), "09:30" (English)."""
    if minutes is None:
        return ""
    h, m = divmod(int(minutes), 60)
    if h >= 24:  # a return after midnight still reads as a time, not a Babel error
        return _nowrap(f"{h} h {m:02d}") if _is_fr(locale) else f"{h:02d}:{m:02d}"
    pattern = "H 'h' mm" if _is_fr(locale) else "HH:mm"
    return _nowrap(_babel_time(time(h, m), pattern, locale=locale))


def hm_range(start: int, end: int, locale: str = "fr") -> str:
    return f"{hm(start, locale)}–{hm(end, locale)}"


def day_number(day: date, locale: str = "fr") -> str:
    """The day of the month, "1er" for the first in French."""
    return "1er" if day.day == 1 and _is_fr(locale) else str(day.day)


def _as_date(day: date | str) -> date:
    return date.fromisoformat(day) if isinstance(day, str) else day


def long_date(day: date | str, locale: str = "fr", *, weekday: bool = True, year: bool = True) -> str:
    """"samedi 1er février 2027" ("Saturday 1 February 2027" in English); an ISO string too."""
    day = _as_date(day)
    if not _is_fr(locale):
        pattern = ("EEEE " if weekday else "") + "d MMMM" + (" y" if year else "")
        return _nowrap(_babel_date(day, pattern, locale=locale))
    parts = []
    if weekday:
        parts.append(_babel_date(day, "EEEE", locale=locale))
    parts.append(day_number(day, locale))
    parts.append(_babel_date(day, "MMMM y" if year else "MMMM", locale=locale))
    return _nowrap(" ".join(parts))


def short_date(day: date | str, locale: str = "fr") -> str:
    """"1er févr. 2027": lists and tables."""
    day = _as_date(day)
    if not _is_fr(locale):
        return _nowrap(_babel_date(day, "d MMM y", locale=locale))
    return _nowrap(f"{day_number(day, locale)} {_babel_date(day, 'MMM y', locale=locale)}")


def paris_datetime(moment: datetime | None, locale: str = "fr") -> str:
    """A stored instant (naive values are UTC) as a Paris date and time:
    "1er février 2027 à 9 h 30"."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(PARIS)
    when = long_date(local.date(), locale, weekday=False)
    at = hm(local.hour * 60 + local.minute, locale)
    return f"{when} à {at}" if _is_fr(locale) else f"{when}, {at}"


# Babel parses the pattern and the locale on every call (~0.2 ms): a table of 700 communes
# formats thousands of numbers, most of them repeated (scores, km, counts), so they are memoised.
@functools.lru_cache(maxsize=8192)
def number(value: float | int | None, digits: int = 0, locale: str = "fr") -> str:
    """"5 521,0" with ``digits=1``; grouped thousands, the locale's decimal sign."""
    if value is None:
        return ""
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return _nowrap(_babel_decimal(value, pattern, locale=locale))


def km(value: float | int | None, locale: str = "fr") -> str:
    """"5 521,0 km"."""
    return "" if value is None else f"{number(value, 1, locale)}{NBSP}km"


def minutes_text(minutes: int | None, locale: str = "fr") -> str:
    """A duration: "45 min", "2 h", "1 h 05" (in English "45 min", "2 hr", "1 hr 5 min")."""
    if minutes is None:
        return ""
    h, m = divmod(int(minutes), 60)
    if not h:
        return f"{m}{NBSP}min"
    if not _is_fr(locale):
        return _nowrap(f"{h} hr {m} min" if m else f"{h} hr")
    return _nowrap(f"{h} h {m:02d}" if m else f"{h} h")


def register_filters(jinja_env: Any) -> None:
    """The template filters of every French page (the desk, the inbox, setup, print)."""
    jinja_env.filters.update({
        "fr_hm": hm,
        "fr_date": long_date,  # with the weekday: "samedi 1er février 2027"
        "fr_plain_date": lambda day: long_date(day, weekday=False),  # "1er février 2027"
        "fr_short_date": short_date,
        "fr_datetime": paris_datetime,
        "fr_number": number,
        "fr_km": km,
        "fr_minutes": minutes_text,
    })
