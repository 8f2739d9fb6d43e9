"""Business logic of visit requests: creation, the status machine and its history.

Statuses move only along :data:`TRANSITIONS`. Why each edge exists:

- submitted -> accepted | declined: the operator's decision; a decline needs a reason.
- submitted | accepted | planned -> cancelled: the commune (or the operator) withdraws;
  the request's future published visits are cancelled at once so calendars follow.
- accepted -> declined: the operator changes their mind before planning.
- accepted -> planned: a published tour serves it (done by publication).
- planned -> accepted: a newer published tour no longer serves it (done by publication).
- planned -> done: its visits took place.
- declined -> submitted: the operator reopens a request declined by mistake.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, inspect, select

from tourplan.activities import PRIORITY_MAX, PRIORITY_MIN
from tourplan.calendar import local_today
from web.activities.models import Activity
from web.communes.models import Commune
from web.core import signals
from web.core.errors import NotFoundError, OperationError, TransitionError
from web.core.menu import N_
from web.core.types import utcnow
from web.extensions import db
from web.requests.models import STATUSES, STRUCTURE_KINDS, RequestStatusChange, VisitRequest
from web.seasons.models import Season
from web.seasons.operations import lock_season
from web.tours.models import TourVersion, Visit

TRANSITIONS: dict[str, frozenset[str]] = {
    "submitted": frozenset({"accepted", "declined", "cancelled"}),
    "accepted": frozenset({"planned", "declined", "cancelled"}),
    "planned": frozenset({"done", "cancelled", "accepted"}),
    "declined": frozenset({"submitted"}),
    "done": frozenset(),
    "cancelled": frozenset(),
}

#: Marked for the public catalogue: the tracking page shows them in the visitor's language.
STATUS_LABELS = {
    "submitted": N_("Reçue"),
    "accepted": N_("Acceptée"),
    "declined": N_("Refusée"),
    "planned": N_("Planifiée"),
    "done": N_("Réalisée"),
    "cancelled": N_("Annulée"),
}

#: Statuses whose request is handed to the optimiser.
PLANNABLE = ("accepted", "planned")


def allowed_transitions(status: str) -> frozenset[str]:
    return TRANSITIONS.get(status, frozenset())


def change_status(req: VisitRequest, to_status: str, by: str, note: str = "") -> RequestStatusChange:
    """Move ``req`` to ``to_status`` and record who did it; raises TransitionError otherwise.
    The caller commits (so a status change and its consequences land together)."""
    if to_status not in STATUSES:
        raise TransitionError(f"statut inconnu {to_status!r}", "status")
    # Season row first (web.seasons.operations.lock_season), then the request's status as
    # of now: a publication that committed meanwhile may have changed it.
    lock_season(req.season_id)
    if req.id is not None and req in db.session and not inspect(req).attrs.status.history.has_changes():
        db.session.refresh(req, ["status"])
    if to_status not in allowed_transitions(req.status):
        raise TransitionError(
            f"la demande {req.id} est « {STATUS_LABELS[req.status]} » et ne peut pas passer à "
            f"« {STATUS_LABELS[to_status]} »",
            "status",
        )
    if not by.strip():
        raise OperationError("il faut dire qui fait le changement", "by")
    if to_status == "declined":
        if not note.strip():
            raise OperationError("un refus doit être motivé", "decline_reason")
        req.decline_reason = note.strip()
    change = RequestStatusChange(from_status=req.status, to_status=to_status, by=by.strip(), note=note, at=utcnow())
    req.history.append(change)
    req.status = to_status
    req.updated_at = utcnow()
    # Receivers act in this transaction (web.tours.subscribers takes a cancelled request's
    # visits off the calendars; web.mail.subscribers queues the message).
    signals.request_status_changed.send(req, change=change)
    return change


def accept(req: VisitRequest, by: str, note: str = "") -> None:
    change_status(req, "accepted", by, note)


def decline(req: VisitRequest, by: str, reason: str) -> None:
    change_status(req, "declined", by, reason)


def cancel(req: VisitRequest, by: str = "commune", note: str = "") -> None:
    change_status(req, "cancelled", by, note)


@dataclass(frozen=True)
class CommuneEvent:
    """A line of the history the commune reads on its tracking page (``text``: a French
    text of the catalogue, translated where it is shown)."""

    at: datetime
    text: str
    by_commune: bool


def commune_history(req: VisitRequest) -> list[CommuneEvent]:
    """The request's history as the commune may read it: its status changes, who made them
    and when — never the team's triage (priorities, tour version numbers, internal notes)."""
    events = []
    for h in sorted(req.history, key=lambda h: (h.at, h.id or 0)):
        if h.from_status == h.to_status:
            continue  # the team's edits and re-weightings: what changed shows in the summary
        if h.from_status == "cancelled":
            text = N_("Annulation retirée : la demande reprend")
        else:
            text = STATUS_LABELS.get(h.to_status, h.to_status)
        events.append(CommuneEvent(h.at, text, h.by == "commune"))
    return events


def cancellation(req: VisitRequest) -> CommuneEvent | None:
    """When and by whom a cancelled request was cancelled (None when it is not)."""
    if req.status != "cancelled":
        return None
    last = max((h for h in req.history if h.to_status == "cancelled"), key=lambda h: (h.at, h.id or 0), default=None)
    return None if last is None else CommuneEvent(last.at, STATUS_LABELS["cancelled"], last.by == "commune")


def request_visits(req: VisitRequest) -> list[Visit]:
    """Every visit of ``req`` (scheduled or cancelled), in date order."""
    return list(db.session.execute(
        select(Visit).where(Visit.request_id == req.id).order_by(Visit.date, Visit.start, Visit.id)
    ).scalars())


def find_by_token(token: str) -> VisitRequest | None:
    """The request a commune's private tracking link points to."""
    if not token or len(token) > 64:
        return None
    return db.session.execute(select(VisitRequest).where(VisitRequest.tracking_token == token)).scalar_one_or_none()


def create_request(
    *,
    season: Season,
    commune: Commune | str,
    label: str,
    by: str = "commune",
    activity: Activity | None = None,
    **fields: Any,
) -> VisitRequest:
    """A new request in status ``submitted`` (history starts with its creation).

    Missing duration, equipment and priority come from the activity; the venue
    defaults to the town hall. Raises OperationError naming the field."""
    if isinstance(commune, str):
        found = db.session.get(Commune, commune)
        if found is None:
            raise NotFoundError(f"aucune commune n'a le code INSEE {commune!r}", "commune")
        commune = found
    unknown = set(fields) - _EDITABLE
    if unknown:
        raise OperationError(f"champ(s) inconnu(s) : {', '.join(sorted(unknown))}")
    if activity is not None:
        fields.setdefault("duration_minutes", activity.duration_minutes)
        fields.setdefault("equipment", list(activity.equipment))
        fields.setdefault("priority", activity.priority)
    req = VisitRequest(season=season, commune=commune, activity=activity, label=label.strip(), status="submitted")
    for key, value in {**_DEFAULTS, **fields}.items():
        setattr(req, key, value)
    if not req.venue_label and req.venue_lat is None:
        req.venue_label = commune.townhall
        req.venue_address = req.venue_address or commune.townhall_address
    validate_request(req)
    req.history.append(RequestStatusChange(from_status=None, to_status="submitted", by=by, at=utcnow()))
    db.session.add(req)
    db.session.flush()  # an id for the receivers (the mail outbox refers to it)
    signals.request_submitted.send(req, by=by)
    return req


# Column defaults only apply at INSERT; validation needs them before.
_DEFAULTS: dict[str, Any] = {
    "structure_kind": "mairie",
    "structure_name": "",
    "contact_name": "",
    "email": "",
    "phone": "",
    "periods": [],
    "weekdays": None,
    "equipment": [],
    "venue_label": "",
    "venue_address": "",
    "priority": 1,
    "occurrences": 1,
    "min_days_between": 0,
    "max_days_between": None,
    "same_weekday": False,
    "same_start_within_minutes": None,
    "required": False,
    "notes": "",
    "decline_reason": "",
}

_EDITABLE = {
    "structure_kind",
    "structure_name",
    "contact_name",
    "email",
    "phone",
    "duration_minutes",
    "periods",
    "weekdays",
    "earliest_start",
    "latest_end",
    "equipment",
    "expected_attendees",
    "venue_label",
    "venue_address",
    "venue_lat",
    "venue_lon",
    "priority",
    "occurrences",
    "min_days_between",
    "max_days_between",
    "same_weekday",
    "same_start_within_minutes",
    "required",
    "notes",
}


def validate_request(req: VisitRequest) -> None:
    """Check what the schema cannot say well, with a message naming the field."""
    if not req.label:
        raise OperationError("le libellé est obligatoire", "label")
    _validate_fields(req)
    _validate_periods(req)
    _validate_days_and_hours(req)
    if (req.venue_lat is None) != (req.venue_lon is None):
        raise OperationError("un lieu a une latitude et une longitude", "venue_lat")
    _validate_rhythm(req)


def _validate_fields(req: VisitRequest) -> None:
    # PostgreSQL refuses text longer than its column (SQLite silently keeps it): say so first.
    for column in VisitRequest.__table__.columns:
        limit = getattr(column.type, "length", None)
        value = getattr(req, column.key, None)
        if limit and isinstance(value, str) and len(value) > limit:
            raise OperationError(f"trop long : {limit} caractères au plus", column.key)
    if req.structure_kind not in STRUCTURE_KINDS:
        raise OperationError(f"type de structure inconnu {req.structure_kind!r}", "structure_kind")
    d = req.duration_minutes
    if isinstance(d, bool) or not isinstance(d, int) or not 0 < d <= 24 * 60:
        raise OperationError("la durée doit être un nombre de minutes entre 1 et 1440", "duration_minutes")
    if req.priority is not None:
        _check_priority(req.priority)
    if req.occurrences is not None and (not isinstance(req.occurrences, int) or req.occurrences < 1):
        raise OperationError("doit être un entier au moins égal à 1", "occurrences")


def _check_priority(priority: Any) -> None:
    # The scale the forms, the API and the database's CHECK all use.
    if isinstance(priority, bool) or not isinstance(priority, int) or not PRIORITY_MIN <= priority <= PRIORITY_MAX:
        raise OperationError(f"la priorité est un entier entre {PRIORITY_MIN} et {PRIORITY_MAX}", "priority")


def _validate_periods(req: VisitRequest) -> None:
    if not isinstance(req.periods, list):
        raise OperationError("les périodes doivent être une liste", "periods")
    for i, p in enumerate(req.periods):
        where = f"periods[{i}]"
        try:
            start, end = date.fromisoformat(p["start"]), date.fromisoformat(p["end"])
        except (KeyError, TypeError, ValueError):
            raise OperationError("une période a un début et une fin AAAA-MM-JJ", where) from None
        if end < start:
            raise OperationError(f"la période finit ({end}) avant de commencer ({start})", where)


def _validate_days_and_hours(req: VisitRequest) -> None:
    if req.weekdays is not None and (
        not isinstance(req.weekdays, list) or not req.weekdays or any(d not in range(1, 8) for d in req.weekdays)
    ):
        raise OperationError("les jours de la semaine vont de 1 (lundi) à 7 (dimanche)", "weekdays")
    for name in ("earliest_start", "latest_end"):
        value = getattr(req, name)
        if value is not None and (not isinstance(value, int) or not 0 <= value <= 24 * 60):
            raise OperationError("une heure est un nombre de minutes entre 0 et 1440", name)
    if req.earliest_start is not None and req.latest_end is not None and req.latest_end < req.earliest_start:
        raise OperationError("l'heure de fin est avant l'heure de début", "latest_end")


def _validate_rhythm(req: VisitRequest) -> None:
    """The rhythm's bounds (:data:`web.requests.rhythm.LIMITS`, shared with the forms and the
    API) and, for a request with a rhythm, that its periods can hold the series."""
    from web.requests import rhythm

    for name, (lo, hi) in rhythm.LIMITS.items():
        value = getattr(req, name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi):
            raise OperationError(f"doit être un entier entre {lo} et {hi}", name)
    if not isinstance(req.same_weekday, bool):
        raise OperationError("doit être vrai ou faux", "same_weekday")
    if req.max_days_between is not None and req.max_days_between < req.min_days_between:
        raise OperationError(
            f"au plus {req.max_days_between} jours, moins que le minimum ({req.min_days_between})", "max_days_between"
        )
    fields = {name: getattr(req, name) for name in rhythm.FIELDS}
    if req.max_days_between is None and not req.same_weekday and req.same_start_within_minutes is None:
        return  # no rhythm: the version-1 meaning, checked by the optimiser as before
    why = rhythm.fit_problem(fields, req.periods or [{"start": req.season.start.isoformat(),
                                                       "end": req.season.end.isoformat()}],
                             req.weekdays, req.season.weekdays or [], req.season.closed_dates or [])
    if why:
        raise OperationError(why, "occurrences")


_FIELD_NAMES_FR = {
    "season": "saison",
    "commune": "commune",
    "activity": "activité",
    "label": "libellé",
    "structure_kind": "type de structure",
    "structure_name": "nom de la structure",
    "contact_name": "contact",
    "email": "e-mail",
    "phone": "téléphone",
    "duration_minutes": "durée",
    "periods": "périodes",
    "weekdays": "jours",
    "earliest_start": "heure d'arrivée",
    "latest_end": "heure de départ",
    "equipment": "matériel",
    "expected_attendees": "participants",
    "venue_label": "lieu",
    "venue_address": "adresse du lieu",
    "venue_lat": "position du lieu",
    "venue_lon": "position du lieu",
    "priority": "priorité",
    "occurrences": "nombre de passages",
    "min_days_between": "écart entre passages",
    "max_days_between": "rythme",
    "same_weekday": "rythme",
    "same_start_within_minutes": "rythme",
    "required": "obligatoire",
    "notes": "remarques",
}


def update_request(
    req: VisitRequest,
    by: str,
    *,
    season: Season | None = None,
    commune: Commune | None = None,
    activity: Activity | None = None,
    label: str | None = None,
    **fields: Any,
) -> RequestStatusChange | None:
    """An operator's edit. The status does not move; the history gets a line (same status
    before and after) naming the changed fields, or nothing when nothing changed.
    Validates like :func:`create_request`; on error nothing is kept (the caller rolls back)."""
    unknown = set(fields) - _EDITABLE
    if unknown:
        raise OperationError(f"champ(s) inconnu(s) : {', '.join(sorted(unknown))}")
    if not by.strip():
        raise OperationError("il faut dire qui fait le changement", "by")
    changed: list[str] = []
    for name, value in (("season", season), ("commune", commune), ("activity", activity)):
        if value is not None and getattr(req, name) is not value:
            setattr(req, name, value)
            changed.append(name)
    if label is not None and label.strip() != req.label:
        req.label = label.strip()
        changed.append("label")
    for key, value in fields.items():
        if getattr(req, key) != value:
            setattr(req, key, value)
            changed.append(key)
    validate_request(req)
    if not changed:
        return None
    names = list(dict.fromkeys(_FIELD_NAMES_FR.get(c, c) for c in changed))
    change = RequestStatusChange(
        from_status=req.status, to_status=req.status, by=by.strip(), note="Modifiée : " + ", ".join(names), at=utcnow()
    )
    req.history.append(change)
    req.updated_at = utcnow()
    return change


def activity_label(activity: Activity, commune: Commune) -> str:
    """The label a request takes from its activity and commune ("Aide aux démarches – Mende")."""
    return f"{activity.name} – {commune.name}"[:300]


def label_follows_activity(req: VisitRequest) -> bool:
    """The label was generated from activity and commune: an edit keeps it in step with them."""
    return req.activity is not None and req.label == activity_label(req.activity, req.commune)


def set_priority(req: VisitRequest, priority: int, by: str) -> RequestStatusChange | None:
    """The operator's weight for this request in the optimiser's objective (1 = nice to have)."""
    _check_priority(priority)
    before = req.priority
    if before == priority:
        return None
    change = update_request(req, by, priority=priority)
    if change is not None:
        change.note = f"Priorité {before} → {priority}"
    return change


def undo_cancellation(req: VisitRequest, by: str) -> int:
    """Undo an operator's or a commune's cancellation: the request gets back the status it
    had, and the visits the cancellation took off the calendars come back if no tour was
    published since (a publication since then decided without them: the next plan places
    the request again). Returns how many visits came back. The caller commits.

    Not a transition of :data:`TRANSITIONS`: only the cancellation just made can be undone,
    to exactly the status it left."""
    lock_season(req.season_id)
    db.session.refresh(req, ["status"])
    last = max(req.history, key=lambda h: (h.at, h.id or 0), default=None)
    if req.status != "cancelled" or last is None or last.to_status != "cancelled" or not last.from_status:
        raise TransitionError(f"la demande {req.id} n'est pas annulée : il n'y a rien à rétablir", "status")
    since = last.at
    published_since = db.session.execute(
        select(TourVersion.id).where(TourVersion.season_id == req.season_id, TourVersion.published_at >= since)
    ).first() is not None
    restored = 0
    if not published_since:
        now = utcnow()
        for visit in db.session.execute(
            select(Visit).where(Visit.request_id == req.id, Visit.status == "cancelled",
                                Visit.cancelled_at >= since, Visit.date >= local_today())
        ).scalars():
            visit.revise("scheduled", now)
            restored += 1
    req.history.append(RequestStatusChange(from_status="cancelled", to_status=last.from_status, by=by.strip(),
                                           note="Annulation annulée", at=utcnow()))
    req.status = last.from_status
    return restored


def find_requests(*, season_id: int | None = None, status: str = "", commune: str = "",
                  limit: int = 500) -> list[VisitRequest]:
    """Requests by id, filtered by season, status and commune (INSEE code) when given."""
    query = _filtered(select(VisitRequest), season_id=season_id, status=status, commune=commune)
    return list(db.session.execute(query.order_by(VisitRequest.id).limit(limit)).scalars())


def _filtered(query: Select, *, season_id: int | None = None, status: str = "", commune: str = "",
              activity_id: int | None = None) -> Select:
    """``query`` of requests narrowed to the filters given (the API's list, the inbox)."""
    if season_id is not None:
        query = query.where(VisitRequest.season_id == season_id)
    if status:
        query = query.where(VisitRequest.status == status)
    if commune:
        query = query.where(VisitRequest.commune_insee == commune)
    if activity_id is not None:
        query = query.where(VisitRequest.activity_id == activity_id)
    return query


# --------------------------------------------------------------------------- #
# The inbox's list
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class InboxPage:
    """One page of the inbox: its requests (newest first), how many match the filters, and
    how many requests each status holds (all filters aside)."""

    rows: list[VisitRequest]
    total: int
    counts: dict[str, int]


def inbox_page(*, status: str = "", insee: str = "", activity_id: int | None = None, page: int = 1,
               page_size: int = 50) -> InboxPage:
    query = _filtered(select(VisitRequest), status=status if status in STATUSES else "", commune=insee,
                      activity_id=activity_id)
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = list(db.session.execute(
        query.order_by(VisitRequest.created_at.desc(), VisitRequest.id.desc())
        .limit(page_size).offset((page - 1) * page_size)
    ).scalars())
    counts = dict(db.session.execute(select(VisitRequest.status, func.count()).group_by(VisitRequest.status)).all())
    return InboxPage(rows, total, counts)


def communes_with_requests() -> list[tuple[str, str]]:
    """(INSEE code, name) of the communes that asked at least once, by name: the inbox filter."""
    return [(insee, name) for insee, name in db.session.execute(
        select(Commune.insee, Commune.name)
        .where(Commune.insee.in_(select(VisitRequest.commune_insee).distinct()))
        .order_by(Commune.name)
    ).all()]
