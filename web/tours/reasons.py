"""Every reason the web application shows a user, in French, in one place.

The optimiser says why a visit is left out with a code (``tourplan.plan.UNSERVED_REASONS``
keys) and an English ``detail`` meant for the command line; the re-plan says why a published
visit moves with a code too (``tourplan.changes.Move.reason``). Pages, the API and stored
versions show the French texts below; the French details are rebuilt from the problem's
structured data, never translated from the English detail.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from tourplan.plan import Unserved
from tourplan.problem import Problem
from web.core import formats

WEEKDAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")

#: Why a visit was left out, in the operators' words (keys: tourplan.plan.UNSERVED_REASONS).
UNSERVED_REASONS_FR: dict[str, str] = {
    "no_van_with_equipment": "aucun camion n'emporte l'équipement nécessaire",
    "no_service_day_in_window": "aucun jour de service d'un camion adapté ne tombe dans ses périodes et jours",
    "too_far_for_a_day": "trop loin pour aller, servir et revenir dans une journée de service",
    "window_too_short": "ses heures d'accueil ne laissent pas le temps de la visite",
    "capacity": "faisable seule, mais pas avec le reste de la tournée (manque de place)",
    "locked_conflict": "sa date, son camion ou son heure verrouillés ne peuvent pas être tenus",
    "rhythm": "son rythme (écart entre les passages, même jour, même heure) ne peut pas être tenu",
}

#: Why a published visit moves in a re-plan (keys: tourplan.changes.Move.reason, and the
#: export's ``forced`` reasons).
MOVE_REASONS_FR: dict[str, str] = {
    "day_closed": "jour fermé",
    "van_unavailable": "camion indisponible",
    "van_gone": "camion retiré",
    "request_changed": "la demande a changé",
    "cannot_stay": "trop près d'un passage déjà fait",
    "optimised": "pour servir d'autres demandes",
}


def date_fr(day: date) -> str:
    """"mardi 2 mars 2027" (:func:`web.core.formats.long_date`)."""
    return formats.long_date(day)


def hm(minutes: int) -> str:
    """A time of day the French way: ``9 h 05`` (:func:`web.core.formats.hm`)."""
    return formats.hm(minutes)


def unserved_reason_fr(reason: str) -> str:
    return UNSERVED_REASONS_FR.get(reason, "motif inconnu")


def move_label_fr(reason: str, kept: bool) -> str:
    """"déplacée : jour fermé", "déplacée pour servir d'autres demandes", "retirée : …"."""
    text = MOVE_REASONS_FR.get(reason, "motif inconnu")
    if reason == "optimised":
        return f"{'déplacée' if kept else 'retirée'} {text}"
    return f"{'déplacée' if kept else 'retirée'} : {text}"


def unserved_detail_fr(problem: Problem, u: Unserved) -> str:
    """A French detail of why ``u`` is left out, built from the problem (empty when the
    reason says it all)."""
    req = problem.request_by_id.get(u.request)
    detail = _DETAILS.get(u.reason)
    if req is None or detail is None:
        return ""
    return detail(problem, u, req)


def _missing_equipment(problem: Problem, u: Unserved, req: Any) -> str:
    have = set().union(*(v.equipment for v in problem.vans))
    missing = sorted(req.equipment - have) or sorted(req.equipment)
    return f"il faut : {', '.join(missing)} ; aucun camion ne l'emporte"


def _no_service_day(problem: Problem, u: Unserved, req: Any) -> str:
    parts = []
    if req.windows:
        parts.append("périodes : " + ", ".join(
            f"du {formats.long_date(w.start, weekday=False)} au {formats.long_date(w.end, weekday=False)}"
            for w in req.windows))
    if req.weekdays is not None:
        parts.append("jours : " + ", ".join(WEEKDAYS_FR[d - 1] for d in sorted(req.weekdays)))
    return " ; ".join(parts)


def _window_too_short(problem: Problem, u: Unserved, req: Any) -> str:
    vans = [v for v in problem.vans if v.carries(req.equipment)] or list(problem.vans)
    lo, hi = max((req.hours_on(v) for v in vans), key=lambda s: s[1] - s[0])
    return (f"il faut {req.duration} min sur place ; ses heures {hm(lo)}–{hm(hi)} n'en laissent "
            f"que {max(0, hi - lo)}")


def _too_far(problem: Problem, u: Unserved, req: Any) -> str:
    return f"{req.duration} min sur place plus l'aller et le retour au dépôt dépassent la journée du camion"


def _locked_conflict(problem: Problem, u: Unserved, req: Any) -> str:
    lk = problem.locked_by_visit.get(u.key)
    if lk is None:
        return ""
    van = problem.van_by_id.get(lk.van)
    return f"verrouillée le {date_fr(lk.day)} à {hm(lk.start)} sur le camion {van.name if van else lk.van}"


def _rhythm(problem: Problem, u: Unserved, req: Any) -> str:
    parts = []
    if req.min_days_between:
        parts.append(f"au moins {req.min_days_between} jours entre deux passages")
    if req.max_days_between is not None:
        parts.append(f"au plus {req.max_days_between} jours")
    if req.same_weekday:
        parts.append("toujours le même jour de la semaine")
    if req.same_start_within_minutes is not None:
        parts.append(f"des heures de début à {req.same_start_within_minutes} min près")
    return ", ".join(parts)


#: The detail of each reason that has one (the others' reason text says it all).
_DETAILS: dict[str, Callable[[Problem, Unserved, Any], str]] = {
    "no_van_with_equipment": _missing_equipment,
    "no_service_day_in_window": _no_service_day,
    "window_too_short": _window_too_short,
    "too_far_for_a_day": _too_far,
    "locked_conflict": _locked_conflict,
    "rhythm": _rhythm,
}


def unserved_entry(problem: Problem, u: Unserved, request_id: int, occurrence: int, label: str) -> dict[str, Any]:
    """A left-out visit as a stored version keeps it (``TourVersion.unserved``): French texts only."""
    return {
        "request_id": request_id,
        "occurrence": occurrence,
        "reason": u.reason,
        "reason_text": unserved_reason_fr(u.reason),
        "detail": unserved_detail_fr(problem, u),
        "label": label,
    }


__all__ = [
    "MOVE_REASONS_FR",
    "UNSERVED_REASONS_FR",
    "date_fr",
    "hm",
    "move_label_fr",
    "unserved_detail_fr",
    "unserved_entry",
    "unserved_reason_fr",
]
