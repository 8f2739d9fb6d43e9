"""A circuit (issue 10): one request per commune, all with one activity, one period and one
rhythm — « AMI des villages »: six communes in turn, each every two weeks on a fixed weekday.

All or nothing: every request is created (and accepted: the team asks for them) in the
caller's transaction; the first commune that cannot take one raises an OperationError
naming it, and the caller rolls back, so no circuit is ever half-created.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from web.activities.models import Activity
from web.communes.models import Commune
from web.communes.search import CommuneHit, resolve_commune, search_communes
from web.core.errors import OperationError
from web.extensions import db
from web.requests.models import VisitRequest
from web.requests.operations import change_status, create_request
from web.seasons.models import Season

MAX_COMMUNES = 30
#: Requests that still count: a commune asking again for the same activity is a mistake.
_LIVE = ("submitted", "accepted", "planned")


@dataclass(frozen=True)
class LineProblem:
    """Why one line of the list names no single commune."""

    number: int
    text: str
    message: str

    def __str__(self) -> str:
        return f"ligne {self.number} (« {self.text} ») : {self.message}"


def resolve_lines(text: str) -> tuple[list[Commune], list[LineProblem]]:
    """The communes of a list typed one per line (name, postal code or INSEE code, as the
    forms' commune search reads them), and the lines that name none or several."""
    communes: list[Commune] = []
    problems: list[LineProblem] = []
    seen: dict[str, int] = {}
    lines = [(i, line.strip()) for i, line in enumerate(text.splitlines(), 1) if line.strip()]
    for number, line in lines:
        commune, candidates = _resolve(line)
        if commune is None:
            if candidates:
                names = ", ".join(c.label for c in candidates[:4])
                problems.append(LineProblem(number, line, f"plusieurs communes correspondent ({names}…) : "
                                                          "précisez le code postal ou le code INSEE"))
            else:
                problems.append(LineProblem(number, line, "aucune commune ne correspond"))
            continue
        if commune.insee in seen:
            problems.append(LineProblem(number, line, f"{commune.name} est déjà à la ligne {seen[commune.insee]}"))
            continue
        seen[commune.insee] = number
        communes.append(commune)
    if len(communes) > MAX_COMMUNES:
        problems.append(LineProblem(lines[-1][0], lines[-1][1], f"un circuit a {MAX_COMMUNES} communes au plus"))
    return communes, problems


_NAME_AND_POSTAL = re.compile(r"^(.*?\S)\s*\(?\s*(\d{5})\s*\)?$")


def _resolve(line: str) -> tuple[Commune | None, list[CommuneHit]]:
    """The forms' commune search, plus « Nom (code postal) », the way a list of villages is
    usually written (two Saint-Martin apart by their postal codes)."""
    commune, candidates = resolve_commune(line)
    m = _NAME_AND_POSTAL.match(line)
    if commune is None and m:
        hits = [h for h in search_communes(m.group(1), limit=20) if m.group(2) in h.postal_codes]
        if len(hits) == 1:
            return db.session.get(Commune, hits[0].insee), []
        candidates = hits or candidates
    return commune, candidates


def create_circuit(
    *, season: Season, activity: Activity, communes: list[Commune], by: str, **fields: Any
) -> list[VisitRequest]:
    """One accepted request per commune, with ``fields`` (periods, weekdays, hours, rhythm…)
    as :func:`web.requests.operations.create_request` takes them. Raises OperationError
    naming the commune at fault; the caller rolls back (nothing is committed here)."""
    if len(communes) < 2:
        raise OperationError("un circuit passe par deux communes au moins", "communes")
    created = []
    for commune in communes:
        existing = db.session.execute(
            select(VisitRequest.id).where(
                VisitRequest.season_id == season.id,
                VisitRequest.commune_insee == commune.insee,
                VisitRequest.activity_id == activity.id,
                VisitRequest.status.in_(_LIVE),
            )
        ).scalars().first()
        if existing is not None:
            raise OperationError(
                f"{commune.name} a déjà une demande « {activity.name} » pour cette saison (n° {existing})", "communes"
            )
        try:
            req = create_request(season=season, commune=commune, label=f"{activity.name} – {commune.name}"[:300],
                                 by=by, activity=activity, **fields)
            db.session.flush()
            change_status(req, "accepted", by, "Circuit créé par l'équipe")
        except OperationError as e:
            raise OperationError(f"{commune.name} : {e.message}", e.where) from e
        created.append(req)
    return created
