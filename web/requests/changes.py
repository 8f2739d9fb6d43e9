"""A commune's change to its request (issue 13): asked from the private tracking link,
decided by the team.

Nothing changes on the request while the team has not accepted: the proposal is a
:class:`~web.requests.models.RequestChange` holding only the fields that differ. Accepting
applies them through :func:`web.requests.operations.update_request`, exactly like the team's
own edit: the request keeps its status, its history gets a line, and when it is planned its
published visits stay on the calendars until the next planning, which moves those the change
made impossible (``request_changed`` in :func:`web.tours.operations.export_problem`).

One pending change per request (a partial unique index says so too): a new one *replaces*
the pending one, which becomes withdrawn. A commune that sees a mistake in what it sent
corrects it at once, instead of waiting for the team to refuse the first one. A request that
leaves the statuses a commune may change (cancelled, declined, done) withdraws its pending
change (:func:`close_pending`, called on ``request_status_changed``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from web.activities.models import Activity
from web.core import signals
from web.core.errors import NotFoundError, OperationError, TransitionError
from web.core.menu import N_
from web.core.schema import validate
from web.core.types import utcnow
from web.extensions import db
from web.requests import operations as ops
from web.requests import rhythm as rh
from web.requests.forms import day_name, duration_text, equipment_text, hours_text, local_short_date
from web.requests.models import RequestChange, VisitRequest
from web.requests.schema import RequestFields
from web.seasons.operations import lock_season

#: The request's statuses in which its commune may ask for a change.
CHANGEABLE = ("submitted", "accepted", "planned")
#: What a commune may change: the request's columns, and ``activity_id`` (with the duration and
#: equipment the new activity brings).
FIELDS = ("periods", "weekdays", "earliest_start", "latest_end", *rh.FIELDS, "activity_id", "duration_minutes",
          "equipment", "notes", "contact_name", "email", "phone")
MAX_MESSAGE = 2000
STATUS_LABELS = {"pending": N_("en attente"), "accepted": N_("acceptée"), "refused": N_("refusée"),
                 "withdrawn": N_("retirée")}
#: Why a change was withdrawn without the commune asking (the team reads it on the request's page).
REPLACED = "Remplacée par une demande de modification plus récente."
CLOSED = "La demande n'est plus modifiable : elle est « {status} »."


def can_change(req: VisitRequest) -> bool:
    return req.status in CHANGEABLE


def current_values(req: VisitRequest) -> dict[str, Any]:
    """The request's values of :data:`FIELDS`, as a change stores them."""
    return {name: getattr(req, name) for name in FIELDS}


def pending_change(req: VisitRequest) -> RequestChange | None:
    return db.session.execute(
        select(RequestChange).where(RequestChange.request_id == req.id, RequestChange.status == "pending")
    ).scalar_one_or_none()


def latest_change(req: VisitRequest) -> RequestChange | None:
    """The change the tracking page shows: the last one asked (a pending one is always the last)."""
    return next(iter(request_changes(req)), None)


def request_changes(req: VisitRequest) -> list[RequestChange]:
    """Every change asked for ``req``, the latest first."""
    return list(db.session.execute(
        select(RequestChange).where(RequestChange.request_id == req.id)
        .order_by(RequestChange.created_at.desc(), RequestChange.id.desc())
    ).scalars())


def pending_changes() -> list[RequestChange]:
    """Every change waiting for the team, oldest first (the first asked is answered first)."""
    return list(db.session.execute(
        select(RequestChange).where(RequestChange.status == "pending")
        .order_by(RequestChange.created_at, RequestChange.id)
    ).scalars())


def _normalised(values: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(values)
    if out.get("weekdays") is not None:
        out["weekdays"] = sorted(set(out["weekdays"])) or None
    if "periods" in out:
        out["periods"] = [{"start": p["start"], "end": p["end"]} for p in out["periods"] or []]
    return out


def _with_activity(req: VisitRequest, values: dict[str, Any]) -> dict[str, Any]:
    """A new activity brings its usual duration and its equipment (as when a request is made)."""
    chosen = values.get("activity_id")
    if chosen is None or chosen == req.activity_id:
        return values
    activity = db.session.get(Activity, chosen) if isinstance(chosen, int) else None
    if activity is None:
        raise NotFoundError("cette activité n'existe pas", "activity_id")
    return {**values, "duration_minutes": activity.duration_minutes, "equipment": list(activity.equipment or [])}


def differences(req: VisitRequest, values: Mapping[str, Any]) -> dict[str, Any]:
    """What of ``values`` (any of :data:`FIELDS`) differs from the request, with what a new
    activity brings; raises OperationError for a field that is not one of them."""
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise OperationError(f"champ(s) inconnu(s) : {', '.join(sorted(unknown))}")
    before = current_values(req)
    return {k: v for k, v in _with_activity(req, _normalised(values)).items() if v != before[k]}


def _check(req: VisitRequest, proposed: dict[str, Any]) -> None:
    """The proposal as the API would check it (types and limits of web/requests/schema.py),
    then the request's own rules on a copy carrying the proposal (nothing is written)."""
    validate(RequestFields, {k: v for k, v in proposed.items() if k in RequestFields.model_fields})
    columns = {c.key: getattr(req, c.key) for c in VisitRequest.__table__.columns if c.key != "id"}
    trial = VisitRequest(**{**columns, **{k: v for k, v in proposed.items() if k != "activity_id"}})
    trial.season = req.season
    ops.validate_request(trial)


def _lock(req: VisitRequest) -> None:
    """The season row first (the one lock order), then the request's status as of now."""
    lock_season(req.season_id)
    db.session.refresh(req, ["status"])


def _still_changeable(req: VisitRequest) -> None:
    if not can_change(req):
        raise TransitionError(f"la demande est « {ops.STATUS_LABELS[req.status]} » : elle ne se modifie plus", "status")


def propose_change(req: VisitRequest, values: Mapping[str, Any], message: str = "",
                   by: str = "commune") -> RequestChange:
    """Store the commune's proposed ``values`` (any of :data:`FIELDS`) as a pending change:
    only those that differ from the request are kept; a pending change is replaced. Raises
    OperationError naming the field (nothing written: the caller rolls back)."""
    _lock(req)
    _still_changeable(req)
    message = (message or "").strip()
    if len(message) > MAX_MESSAGE:
        raise OperationError(f"trop long : {MAX_MESSAGE} caractères au plus", "message")
    before = current_values(req)
    proposed = differences(req, values)
    if not proposed:
        raise OperationError("rien n'est changé : modifiez au moins une valeur de la demande", "")
    _check(req, proposed)
    now = utcnow()
    old = pending_change(req)
    if old is not None:
        _decide(old, "withdrawn", by, REPLACED)
        db.session.flush()  # out of the unique index of pending changes before the new one goes in
    change = RequestChange(request=req, proposed=proposed, previous=before, message=message, status="pending",
                           reason="", created_at=now, decided_by="")
    db.session.add(change)
    db.session.flush()
    signals.request_change_proposed.send(req, change=change)
    return change


def _pending_or_refuse(change: RequestChange) -> VisitRequest:
    req = change.request
    _lock(req)
    db.session.refresh(change, ["status"])
    if change.status != "pending":
        raise TransitionError(f"cette demande de modification est déjà « {STATUS_LABELS[change.status]} »", "status")
    return req


def _decide(change: RequestChange, status: str, by: str, reason: str = "") -> None:
    if not by.strip():
        raise OperationError("il faut dire qui décide", "by")
    change.status, change.reason, change.decided_at, change.decided_by = status, reason, utcnow(), by.strip()


def accept_change(change: RequestChange, by: str) -> None:
    """Apply the change to its request (as the team's edit would) and mark it accepted."""
    req = _pending_or_refuse(change)
    _still_changeable(req)
    values = dict(change.proposed)
    activity = None
    if "activity_id" in values:
        activity = db.session.get(Activity, values.pop("activity_id"))
        if activity is None:
            raise NotFoundError("l'activité demandée n'existe plus", "activity_id")
    label = ops.activity_label(activity, req.commune) if activity and ops.label_follows_activity(req) else None
    edit = ops.update_request(req, by, activity=activity, label=label, **values)
    if edit is not None:
        edit.note = "À la demande de la commune. " + edit.note
    _decide(change, "accepted", by)
    signals.request_change_decided.send(req, change=change)


def refuse_change(change: RequestChange, by: str, reason: str) -> None:
    """Refuse the change, saying why (the commune reads it): the request stays as it is."""
    reason = (reason or "").strip()
    if not reason:
        raise OperationError("un refus doit être motivé", "reason")
    if len(reason) > MAX_MESSAGE:
        raise OperationError(f"trop long : {MAX_MESSAGE} caractères au plus", "reason")
    req = _pending_or_refuse(change)
    _decide(change, "refused", by, reason)
    signals.request_change_decided.send(req, change=change)


def withdraw_change(change: RequestChange, by: str = "commune") -> None:
    """The commune takes its pending change back: the request stays as it is."""
    _pending_or_refuse(change)
    _decide(change, "withdrawn", by)


def close_pending(req: VisitRequest, **_: Any) -> None:
    """Withdraw the pending change of a request that can no longer be changed (receiver of
    ``request_status_changed``: a cancelled, declined or done request)."""
    if can_change(req):
        return
    change = pending_change(req)
    if change is not None:
        _decide(change, "withdrawn", "commune", CLOSED.format(status=ops.STATUS_LABELS[req.status]))


def find_change(req: VisitRequest, change_id: int) -> RequestChange | None:
    change = db.session.get(RequestChange, change_id)
    return change if change is not None and change.request_id == req.id else None


# --------------------------------------------------------------------------- #
# What a change says, field by field
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class ChangeRow:
    """One line of the before → after table."""

    label: str
    before: str
    after: str


#: Rows of the table, in the form's order: label and the fields one row says.
_ROWS: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (_l("Activité"), ("activity_id", "duration_minutes", "equipment")),
    (_l("Périodes souhaitées"), ("periods",)),
    (_l("Jours possibles"), ("weekdays",)),
    (_l("Horaires possibles"), ("earliest_start", "latest_end")),
    (_l("Rythme"), rh.FIELDS),
    (_l("Remarques"), ("notes",)),
    (_l("Personne à contacter"), ("contact_name",)),
    (_l("Adresse e-mail"), ("email",)),
    (_l("Téléphone"), ("phone",)),
)


def _text(group: tuple[str, ...], values: Mapping[str, Any], activities: Mapping[int, Activity]) -> str:
    first = group[0]
    if first == "activity_id":
        activity = activities.get(values["activity_id"])
        name = activity.name if activity is not None else "—"
        return _("%(name)s (%(duration)s ; matériel : %(equipment)s)", name=name,
                 duration=duration_text(values["duration_minutes"]), equipment=equipment_text(values["equipment"]))
    if first == "periods":
        # Short dates: a narrow column holds "11 déc. 2026" whole, where a long date broke in two.
        return _(" ; ").join(_("du %(first)s au %(last)s", first=local_short_date(p["start"]),
                               last=local_short_date(p["end"])) for p in values["periods"]) or "—"
    if first == "weekdays":
        days = values["weekdays"]
        return ", ".join(day_name(d) for d in days) if days else _("tous les jours de la saison")
    if first == "earliest_start":
        return hours_text(values["earliest_start"], values["latest_end"])
    if first == rh.FIELDS[0]:
        return rh.describe(values)
    return str(values[first] or "—")


def change_rows(proposed: Mapping[str, Any], before: Mapping[str, Any]) -> list[ChangeRow]:
    """The table of a change: for each row a field of ``proposed`` is in, its text with the
    values of ``before`` and with ``before`` updated by ``proposed``, in the visitor's language."""
    after = {**before, **proposed}
    ids = {v for v in (before.get("activity_id"), after.get("activity_id")) if isinstance(v, int)}
    activities = {a.id: a for a in db.session.execute(select(Activity).where(Activity.id.in_(ids))).scalars()}
    return [ChangeRow(str(label), _text(group, before, activities), _text(group, after, activities))
            for label, group in _ROWS if any(name in proposed for name in group)]


def rows_of(change: RequestChange) -> list[ChangeRow]:
    """What a change asked for, against the request as it was when it was asked."""
    return change_rows(change.proposed, {**current_values(change.request), **(change.previous or {})})


def rows_to_apply(change: RequestChange) -> list[ChangeRow]:
    """What accepting would change in the request as it is now (the team may have edited it)."""
    return change_rows(change.proposed, current_values(change.request))


class Proposal:
    """The request as it would be with ``change`` applied, for the form's initial values."""

    def __init__(self, req: VisitRequest, change: RequestChange | None) -> None:
        self._req = req
        self._values = dict(change.proposed) if change is not None else {}

    def __getattr__(self, name: str) -> Any:
        values = self.__dict__["_values"]
        return values[name] if name in values else getattr(self.__dict__["_req"], name)
