"""Rhythms of recurring requests in plain words (issue 10): the one mapping between what a
commune or an operator asks for and the fields of problem-format v2, the limits the forms
and the API share, the check that the periods can hold the series, and the facts a page
shows of a published series.

The kinds, and why each maps as it does:

- ``single`` — « une seule visite »: one occurrence, no rhythm.
- ``cycle`` — « N séances, une toutes les K semaines, même jour et même heure » (a training
  course): ``min_days_between = max_days_between = 7K``, ``same_weekday`` and
  ``same_start_within_minutes = 0``. Exact on purpose: participants come back on the same
  weekday at the same hour, and a skipped week would break the promise "une par semaine";
  the optimiser picks the weekday and hour where every session fits.
- ``round`` — « N passages, toutes les K semaines, à J jours près » (a regular round):
  ``min = 7K − J``, ``max = 7K + J``; ``J = 0`` also sets ``same_weekday`` (« tous les
  15 jours, le mardi »: the same weekday is then what the words say).
- ``spaced`` — the version-1 meaning, for operators: N passages at least D days apart.
- ``custom`` — fields set otherwise (through the API): described as they are, and kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from babel.dates import format_date
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from web.core import formats
from web.core.menu import N_

#: Declared by the request schema (web/requests/schema.py), which the forms and the API read.
MAX_OCCURRENCES = 52
MAX_GAP_DAYS = 366
LIMITS: dict[str, tuple[int, int]] = {
    "occurrences": (1, MAX_OCCURRENCES),
    "min_days_between": (0, MAX_GAP_DAYS),
    "max_days_between": (1, MAX_GAP_DAYS),
    "same_start_within_minutes": (0, 24 * 60),
}
#: The plain-words choices of the forms.
MAX_WEEKS = 8
MAX_MARGIN_DAYS = 3
KINDS = ("single", "cycle", "round", "spaced", "custom")
KIND_LABELS = {
    "single": _l("Une seule visite"),
    "cycle": _l("Un cycle de séances (par exemple un atelier en 4 séances, une par semaine, même jour et même heure)"),
    "round": _l("Une tournée régulière (par exemple toutes les 2 semaines, à 2 jours près)"),
    "spaced": _l("Plusieurs passages, espacés d'au moins quelques jours"),
}
#: What :func:`rhythm_fields` sets: the columns of a request that make its rhythm.
FIELDS = ("occurrences", "min_days_between", "max_days_between", "same_weekday", "same_start_within_minutes")

#: "les mardis" of a series' summary, by ISO weekday.
WEEKDAYS_PLURAL = {1: N_("les lundis"), 2: N_("les mardis"), 3: N_("les mercredis"), 4: N_("les jeudis"),
                   5: N_("les vendredis"), 6: N_("les samedis"), 7: N_("les dimanches")}


@dataclass(frozen=True)
class Rhythm:
    """A rhythm as the forms ask for it (``weeks`` for cycles and rounds, ``margin_days``
    for rounds, ``min_days`` for spaced passages)."""

    kind: str
    occurrences: int = 1
    weeks: int = 1
    margin_days: int = 0
    min_days: int = 0


def rhythm_fields(r: Rhythm) -> dict[str, Any]:
    """The request's columns for ``r`` (see the module's docstring for why)."""
    single = {"occurrences": 1, "min_days_between": 0, "max_days_between": None, "same_weekday": False,
              "same_start_within_minutes": None}
    if r.kind == "single":
        return single
    if r.kind == "cycle":
        return {**single, "occurrences": r.occurrences, "min_days_between": 7 * r.weeks,
                "max_days_between": 7 * r.weeks, "same_weekday": True, "same_start_within_minutes": 0}
    if r.kind == "round":
        return {**single, "occurrences": r.occurrences, "min_days_between": 7 * r.weeks - r.margin_days,
                "max_days_between": 7 * r.weeks + r.margin_days, "same_weekday": r.margin_days == 0}
    if r.kind == "spaced":
        return {**single, "occurrences": r.occurrences, "min_days_between": r.min_days}
    raise ValueError(f"no fields for rhythm kind {r.kind!r}")


def classify(fields: Mapping[str, Any]) -> Rhythm:
    """The plain-words rhythm of stored fields (kind ``custom`` when none says them exactly)."""
    n = fields.get("occurrences") or 1
    lo = fields.get("min_days_between") or 0
    hi = fields.get("max_days_between")
    weekday = bool(fields.get("same_weekday"))
    start = fields.get("same_start_within_minutes")
    candidates: list[Rhythm] = []
    if n == 1:
        candidates.append(Rhythm("single"))
    elif hi is None:
        candidates.append(Rhythm("spaced", n, min_days=lo))
    elif (lo + hi) % 14 == 0 and (hi - lo) % 2 == 0:
        weeks, margin = (lo + hi) // 14, (hi - lo) // 2
        candidates += [Rhythm("cycle", n, weeks), Rhythm("round", n, weeks, margin)]
    for r in candidates:
        if 1 <= r.weeks <= MAX_WEEKS and r.margin_days <= MAX_MARGIN_DAYS and rhythm_fields(r) == {
            "occurrences": n, "min_days_between": lo, "max_days_between": hi, "same_weekday": weekday,
            "same_start_within_minutes": start,
        }:
            return r
    return Rhythm("custom", n)


def _every(weeks: int) -> str:
    return _("toutes les semaines") if weeks == 1 else _("toutes les %(n)s semaines", n=weeks)


def describe(fields: Mapping[str, Any]) -> str:
    """The rhythm in words (« 4 séances, une par semaine, même jour et même heure »), in the
    visitor's language on a public page (French elsewhere: the desk, outside a request)."""
    r = classify(fields)
    n = r.occurrences
    if r.kind == "single":
        return _("une seule visite")
    if r.kind == "cycle":
        every = _("une par semaine") if r.weeks == 1 else _("une toutes les %(n)s semaines", n=r.weeks)
        return _("%(n)s séances, %(every)s, même jour et même heure", n=n, every=every)
    if r.kind == "round":
        how = (_("le même jour de la semaine") if r.margin_days == 0 else
               _("à %(n)s jour près", n=1) if r.margin_days == 1 else _("à %(n)s jours près", n=r.margin_days))
        return _("%(n)s passages, %(every)s, %(how)s", n=n, every=_every(r.weeks), how=how)
    lo = fields.get("min_days_between") or 0
    parts = [_("%(n)s passages", n=n)]
    hi = fields.get("max_days_between")
    if hi is not None:
        parts.append(_("de %(lo)s à %(hi)s jours d'écart", lo=lo, hi=hi))
    elif lo:
        parts.append(_("au moins %(n)s jours d'écart", n=lo))
    if fields.get("same_weekday"):
        parts.append(_("le même jour de la semaine"))
    within = fields.get("same_start_within_minutes")
    if within is not None:
        parts.append(_("à la même heure") if within == 0 else _("heures de début à %(n)s min près", n=within))
    return ", ".join(parts)


def is_cycle(fields: Mapping[str, Any]) -> bool:
    return classify(fields).kind == "cycle"


def has_rhythm(fields: Mapping[str, Any]) -> bool:
    """A series the pages and feeds show as one thing: a recurring request with a rhythm
    (spaced passages of version 1 stay separate visits, as they always were)."""
    return (fields.get("occurrences") or 1) > 1 and (
        fields.get("max_days_between") is not None or bool(fields.get("same_weekday"))
        or fields.get("same_start_within_minutes") is not None
    )


# --------------------------------------------------------------------------- #
# Can the periods hold the series?
# --------------------------------------------------------------------------- #


def open_days(periods: Iterable[Mapping[str, str]], weekdays: Iterable[int] | None,
              season_weekdays: Iterable[int], closed_dates: Iterable[str]) -> list[date]:
    """The days a visit of the request may take: in a period, on a weekday the host and the
    van both accept, not a closed day of the season."""
    host = set(weekdays) if weekdays else None
    vans = set(season_weekdays)
    closed = set(closed_dates)
    days: set[date] = set()
    for p in periods:
        day, end = date.fromisoformat(p["start"]), date.fromisoformat(p["end"])
        while day <= end:
            if day.isoweekday() in vans and (host is None or day.isoweekday() in host) \
                    and day.isoformat() not in closed:
                days.add(day)
            day += timedelta(days=1)
    return sorted(days)


def longest_series(days: list[date], min_gap: int, max_gap: int | None, same_weekday: bool) -> int:
    """How many visits of a series fit on ``days`` (sorted) with consecutive gaps in
    [min_gap, max_gap] (and one weekday): the most the van could do, were it free."""
    best: list[int] = []
    for i, d in enumerate(days):
        longest = 1
        for j in range(i):
            gap = (d - days[j]).days
            if gap < min_gap or (max_gap is not None and gap > max_gap):
                continue
            if same_weekday and days[j].isoweekday() != d.isoweekday():
                continue
            longest = max(longest, best[j] + 1)
        best.append(longest)
    return max(best, default=0)


def fit_problem(fields: Mapping[str, Any], periods: list[Mapping[str, str]], weekdays: list[int] | None,
                season_weekdays: Iterable[int], closed_dates: Iterable[str]) -> str | None:
    """Why the periods cannot hold the series (a French sentence), or None."""
    n = fields.get("occurrences") or 1
    if n <= 1 or not periods:
        return None
    lo = fields.get("min_days_between") or 0
    days = open_days(periods, weekdays, season_weekdays, closed_dates)
    fits = longest_series(days, lo, fields.get("max_days_between"), bool(fields.get("same_weekday")))
    if fits >= n:
        return None
    word = "séances" if is_cycle(fields) else "passages"
    held = "aucun" if fits == 0 else f"seulement {fits}"
    return (f"les périodes choisies ne peuvent contenir que {held} des {n} {word} à ce rythme "
            f"(il faut au moins {(n - 1) * lo} jours entre le premier et le dernier, sur des jours où le camion "
            f"circule) : allongez la période ou demandez moins de {word}")


# --------------------------------------------------------------------------- #
# A published series as one thing
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class SeriesFacts:
    """What a series' sessions have in common: their count, first and last days, and the
    weekday (ISO) and start (minutes) when all share them."""

    count: int
    first: date
    last: date
    weekday: int | None
    start: int | None


def series_facts(sessions: Iterable[tuple[date, int]]) -> SeriesFacts | None:
    """The facts of sessions given as (day, start); None when there are none."""
    items = sorted(sessions)
    if not items:
        return None
    weekdays = {d.isoweekday() for d, _start in items}
    starts = {s for _day, s in items}
    return SeriesFacts(len(items), items[0][0], items[-1][0], weekdays.pop() if len(weekdays) == 1 else None,
                       starts.pop() if len(starts) == 1 else None)


def day_text(day: date, locale: str = "fr", *, month: bool = True, year: bool = False) -> str:
    """« 1er février », « 23 mars 2027 » (Babel's month names; French writes the first day "1er")."""
    text = format_date(day, "d MMMM y" if year else "d MMMM", locale=locale) if month else str(day.day)
    if locale.startswith("fr") and day.day == 1:
        text = "1er" + text[1:]
    return text


def span_texts(first: date, last: date, locale: str = "fr") -> tuple[str, str]:
    """The two ends of « du 2 au 23 mars » (the month and year said once when shared)."""
    same_year = first.year == last.year
    same_month = same_year and first.month == last.month
    return (day_text(first, locale, month=not same_month, year=not same_year),
            day_text(last, locale, year=not same_year))


def series_text(name: str, facts: SeriesFacts, *, cycle: bool) -> str:
    """« Atelier tablette : 4 séances, les mardis 9 h 30, du 2 au 23 mars » (no name: from
    « 4 »), in the visitor's language on a public page."""
    locale = str(get_locale() or "fr")
    parts = [_("%(count)s séances", count=facts.count) if cycle else _("%(count)s passages", count=facts.count)]
    days = _(WEEKDAYS_PLURAL[facts.weekday]) if facts.weekday else ""
    if facts.start is not None:
        hour = formats.hm(facts.start, locale)
        days = _("%(days)s %(hour)s", days=days, hour=hour) if days else _("à %(hour)s", hour=hour)
    if days:
        parts.append(days)
    first, last = span_texts(facts.first, facts.last, locale)
    parts.append(_("du %(first)s au %(last)s", first=first, last=last))
    details = ", ".join(parts)
    return _("%(name)s : %(details)s", name=name, details=details) if name else details


def request_rhythm(req: Any) -> dict[str, Any]:
    """The rhythm columns of a stored request."""
    return {name: getattr(req, name) for name in FIELDS}


def request_series_text(req: Any, visits: Iterable[Any], *, named: bool = True) -> str | None:
    """The series of a recurring request as one line (its scheduled visits), for the tracking
    page and the poster; None for a single visit."""
    if not has_rhythm(request_rhythm(req)):
        return None
    facts = series_facts((v.date, v.start) for v in visits if v.status == "scheduled")
    if facts is None or facts.count < 2:
        return None
    name = (req.activity.name if req.activity else req.label) if named else ""
    return series_text(name, facts, cycle=is_cycle(request_rhythm(req)))
