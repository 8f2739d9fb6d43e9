"""Hand moves of a draft plan, said in French: the desk's side of :mod:`tourplan.moves`.

The move itself (re-timing, every rule, the referee) is domain code in
:mod:`tourplan.moves`; this module only turns its :class:`tourplan.moves.MoveError` (a rule
and its facts) into a :class:`MoveRefused` whose message tells the operator, in French,
which rule the move breaks and where. French details are built from those facts, never
translated from the referee's English, except as the last resort of a rule with no case here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from tourplan import moves
from tourplan.moves import MoveError
from tourplan.plan import Plan
from tourplan.problem import Problem
from web.core import formats
from web.tours.reasons import WEEKDAYS_FR, date_fr, hm

#: The checker's rules, named for operators.
RULE_NAMES_FR: dict[str, str] = {
    "service_day": "jour de service",
    "shift": "horaires de service du camion",
    "equipment": "équipement",
    "window": "périodes souhaitées",
    "weekday": "jours de la semaine",
    "hours": "heures d'accueil",
    "duration": "durée de la visite",
    "order": "ordre de passage",
    "break": "pause",
    "travel": "temps de trajet",
    "max_drive": "temps de conduite maximal",
    "recurrence": "écart entre deux passages",
    "rhythm": "rythme des passages",
    "locked": "visite verrouillée",
    "coverage": "chaque visite une seule fois",
    "required": "visite obligatoire",
    "unknown": "visite ou camion inconnu",
    "reason": "motif d'absence",
    "stats": "chiffres du plan",
    "status": "statut du plan",
    "problem": "problème",
}

#: What breaking each rule means, in plain French (the checker's own detail is English).
RULE_EXPLANATIONS_FR: dict[str, str] = {
    "service_day": "ce jour n'est pas un jour de service pour ce camion",
    "shift": "la journée du camion dépasserait ses horaires de service",
    "equipment": "ce camion n'emporte pas l'équipement nécessaire",
    "window": "cette date est en dehors des périodes souhaitées",
    "weekday": "la structure ne reçoit pas le camion ce jour de la semaine",
    "hours": "la visite sortirait des heures d'accueil",
    "duration": "la durée de la visite ne serait pas respectée",
    "order": "les heures de passage ne se suivraient pas",
    "break": "la pause du chauffeur ne trouverait pas sa place",
    "travel": "le temps de trajet entre deux étapes ne suffirait pas",
    "max_drive": "le temps de conduite de la journée dépasserait la limite",
    "recurrence": "deux passages de la même demande seraient trop rapprochés",
    "rhythm": "les passages de la demande ne garderaient pas leur rythme",
    "locked": "une visite verrouillée ne resterait pas à sa place",
    "coverage": "une visite serait comptée deux fois ou oubliée",
    "required": "une visite obligatoire serait laissée de côté",
    "unknown": "la visite ou le camion n'existe pas dans ce plan",
    "reason": "le motif d'une visite non planifiée ne serait plus juste",
    "stats": "les chiffres du plan ne correspondraient plus",
    "status": "le statut du plan ne correspondrait plus",
    "problem": "le plan ne correspond pas à ce problème",
}


class MoveRefused(Exception):
    """The move would break ``rule``; ``message`` says so in French for the operator."""

    def __init__(self, rule: str, message: str) -> None:
        self.rule = rule
        self.message = message
        super().__init__(message)

    @property
    def rule_name(self) -> str:
        return RULE_NAMES_FR.get(self.rule, self.rule)


def _spans(windows: Any) -> str:
    return ", ".join(f"du {formats.long_date(w.start, weekday=False)} au {formats.long_date(w.end, weekday=False)}"
                     for w in windows)


def _min_gap(problem: Problem, f: dict[str, Any]) -> str:
    b, day = f["spacing"], f["day"]
    other = b.second if b.first == day else b.first
    if other in problem.history_dates.get(f["request"].id, ()):
        return f"un passage de cette demande a eu lieu le {date_fr(other)}, à {b.gap} jour(s) ; " \
               f"il en faut au moins {b.limit}"
    return f"un autre passage de cette demande a lieu le {date_fr(other)}, à {b.gap} jour(s) ; " \
           f"il en faut au moins {b.limit}"


def _rhythm(problem: Problem, f: dict[str, Any]) -> str:
    b = f["spacing"]
    if b.field == "max_days_between":
        return (f"du {date_fr(b.first)} au {date_fr(b.second)}, {b.gap} jours sépareraient deux passages de "
                f"cette demande ; il en faut au plus {b.limit}")
    if b.field == "same_weekday":
        days = ", ".join(WEEKDAYS_FR[d - 1] for d in b.weekdays)
        return f"cette demande veut toujours le même jour de la semaine ; ses passages tomberaient les {days}"
    lo, hi = b.starts
    return (f"ses passages commenceraient entre {hm(lo)} et {hm(hi)} ; ils doivent commencer à {b.limit} min "
            "près les uns des autres")


def _referee(problem: Problem, f: dict[str, Any]) -> str:
    v = f["violation"]
    return f"{RULE_EXPLANATIONS_FR.get(v.rule, 'une règle du plan serait enfreinte')} ({v})"


def _weekday(problem: Problem, f: dict[str, Any]) -> str:
    days = ", ".join(WEEKDAYS_FR[d - 1] for d in f["weekdays"])
    return f"la structure ne reçoit pas le camion le {WEEKDAYS_FR[f['day'].weekday()]} (jours possibles : {days})"


#: The French detail of each (rule, case) of :class:`tourplan.moves.MoveError`.
_DETAILS: dict[tuple[str, str], Callable[[Problem, dict[str, Any]], str]] = {
    ("unknown", "visit"): lambda p, f: "cette visite ne fait pas partie du problème de ce brouillon",
    ("unknown", "van"): lambda p, f: f"aucun camion « {f['van_id']} » dans ce brouillon",
    ("service_day", "season"): lambda p, f: f"le {date_fr(f['day'])} n'est pas un jour de service de la saison "
                                            "(hors saison, jour non travaillé ou jour fermé)",
    ("service_day", "van"): lambda p, f: f"le camion {f['van'].name} n'est pas disponible le {date_fr(f['day'])}",
    ("equipment", ""): lambda p, f: f"la visite demande « {', '.join(f['missing'])} », que le camion "
                                    f"{f['van'].name} n'emporte pas",
    ("window", ""): lambda p, f: f"le {date_fr(f['day'])} est en dehors des périodes souhaitées "
                                 f"({_spans(f['windows'])})",
    ("weekday", ""): _weekday,
    ("locked", "elsewhere"): lambda p, f: f"cette visite est verrouillée sur le {date_fr(f['day'])} ; "
                                          "déverrouillez-la avant de la déplacer",
    ("locked", "margin"): lambda p, f: f"la journée du {date_fr(f['day'])} ne peut accueillir cette visite sans "
                                       "déplacer une visite verrouillée au-delà de sa marge",
    ("locked", "remove"): lambda p, f: "cette visite est verrouillée ; déverrouillez-la avant de la retirer",
    ("recurrence", "min_days_between"): _min_gap,
    ("rhythm", "max_days_between"): _rhythm,
    ("rhythm", "same_weekday"): _rhythm,
    ("rhythm", "same_start_within_minutes"): _rhythm,
    ("hours", ""): lambda p, f: "les heures d'accueil de la structure ne laissent pas le temps de la visite "
                                f"({f['minutes']} min) avec ce camion",
    ("max_drive", ""): lambda p, f: f"le camion {f['van'].name} conduirait plus de {f['van'].max_drive_minutes} "
                                    f"min le {date_fr(f['day'])}",
    ("break", ""): lambda p, f: f"la pause de {f['van'].break_.minutes} min du chauffeur ne trouverait plus sa "
                                f"place le {date_fr(f['day'])}",
    ("shift", "full"): lambda p, f: f"la journée du camion {f['van'].name} le {date_fr(f['day'])} est trop "
                                    "pleine : trajets et visites dépasseraient ses horaires ou les heures d'accueil",
    ("shift", "alone"): lambda p, f: f"le camion {f['van'].name} ne peut pas aller, servir cette visite et "
                                     f"revenir dans ses horaires le {date_fr(f['day'])}",
    ("travel", "source"): lambda p, f: "la tournée d'origine ne peut plus être recalculée sans cette visite",
}


def refused_fr(problem: Problem, e: MoveError, verb: str = "Déplacement") -> MoveRefused:
    """The domain's refusal ``e`` as the desk says it: "<verb> refusé (règle « … ») : <détail>."."""
    detail = _DETAILS.get((e.rule, e.cause)) or _DETAILS.get((e.rule, ""))
    if e.cause == "referee" or detail is None:
        detail = _referee if "violation" in e.facts else (lambda p, f: "une règle du plan serait enfreinte")
    return MoveRefused(e.rule, f"{verb} refusé (règle « {RULE_NAMES_FR.get(e.rule, e.rule)} ») : "
                               f"{detail(problem, e.facts)}.")


def move_visit(problem: Problem, plan: Plan, key: tuple[str, int], van_id: str, day: date, *,
               position: int | None = None) -> Plan:
    """:func:`tourplan.moves.move_visit`, refusing with a French :class:`MoveRefused`."""
    try:
        return moves.move_visit(problem, plan, key, van_id, day, position=position)
    except MoveError as e:
        raise refused_fr(problem, e) from e


def unserve_visit(problem: Problem, plan: Plan, key: tuple[str, int], reason: str = "capacity") -> Plan:
    """:func:`tourplan.moves.unserve_visit`, refusing with a French :class:`MoveRefused`."""
    try:
        return moves.unserve_visit(problem, plan, key, reason)
    except MoveError as e:
        raise refused_fr(problem, e, "Retrait" if e.cause == "referee" else "Déplacement") from e


__all__ = ["MoveRefused", "date_fr", "move_visit", "refused_fr", "unserve_visit"]
