"""Lifecycle signals -> outbox rows, in the transaction of the change (no commit here).

Snapshots are cheap to take (one query for all the visits of a publication, no
rendering): queueing must not slow a publication of hundreds of visits.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import force_locale
from sqlalchemy import select

from tourplan.calendar import local_today
from web.auth.models import Operator
from web.core import signals
from web.core.formats import NBSP
from web.extensions import db
from web.mail.messages import visit_snapshot
from web.mail.models import Subscription
from web.mail.outbox import enqueue
from web.public.operations import PublicVisit, load_visits
from web.requests.changes import rows_of
from web.requests.models import RequestChange, VisitRequest
from web.tours.models import Visit


def connect() -> None:
    signals.request_submitted.connect(on_request_submitted)
    signals.request_status_changed.connect(on_request_status_changed)
    signals.request_change_proposed.connect(on_request_change_proposed)
    signals.request_change_decided.connect(on_request_change_decided)
    signals.visits_changed.connect(on_visits_changed)


def request_payload(req: VisitRequest) -> dict[str, Any]:
    """What every message about a request names: its private link, who, where, what."""
    return {
        "request_id": req.id,
        "token": req.tracking_token,
        "contact_name": req.contact_name,
        "commune": req.commune.name,
        "commune_at": req.commune.at_name,
        "insee": req.commune_insee,
        "label": req.label,
        "season": req.season.name,
    }


def on_request_submitted(req: VisitRequest, *, by: str = "", **_: Any) -> None:
    payload = request_payload(req)
    enqueue("acknowledgement", req.email, {**payload, "periods": list(req.periods or [])}, request_id=req.id)
    details = {**payload, "structure_name": req.structure_name, "structure_kind": req.structure_kind,
               "email": req.email, "phone": req.phone, "periods": list(req.periods or []), "notes": req.notes}
    for operator in _operators("each"):
        if operator.email != by:  # who typed it in knows already
            enqueue("new_request", operator.email, details, request_id=req.id)


def _operators(preference: str) -> list[Operator]:
    return list(db.session.execute(
        select(Operator).where(Operator.active.is_(True), Operator.new_request_mail == preference)
    ).scalars())


def on_request_status_changed(req: VisitRequest, *, change: Any, **_: Any) -> None:
    to, before = change.to_status, change.from_status
    if to == "accepted" and before == "submitted":
        enqueue("accepted", req.email, request_payload(req), request_id=req.id)
    elif to == "declined":
        enqueue("declined", req.email, {**request_payload(req), "reason": req.decline_reason}, request_id=req.id)
    elif to == "cancelled":
        enqueue("cancelled", req.email, {**request_payload(req), "by_commune": change.by == "commune"},
                request_id=req.id)


def _change_payload(req: VisitRequest, change: RequestChange) -> dict[str, Any]:
    """A change as its messages tell it: when it was asked, and what it changes, in French
    (the commune's words are French; the operator's page may be in another language)."""
    with force_locale("fr"):
        # Plain spaces, as in the other messages: mail programs wrap as they like.
        rows = [[text.replace(NBSP, " ") for text in (r.label, r.before, r.after)] for r in rows_of(change)]
    return {**request_payload(req), "asked_at": change.created_at.isoformat(), "rows": rows}


def on_request_change_proposed(req: VisitRequest, *, change: RequestChange, **_: Any) -> None:
    """The team learns of it, and the commune has a written trace of what it asked."""
    details = {**_change_payload(req, change), "message": change.message}
    enqueue("change_received", req.email, details, request_id=req.id)
    for operator in _operators("each"):
        enqueue("change_request", operator.email, details, request_id=req.id)


def on_request_change_decided(req: VisitRequest, *, change: RequestChange, **_: Any) -> None:
    """The commune learns the team's answer, at the request's address (the new one when the
    change was of the address)."""
    payload = _change_payload(req, change)
    if change.status == "accepted":
        enqueue("change_accepted", req.email, {**payload, "planned": req.status == "planned"}, request_id=req.id)
    elif change.status == "refused":
        enqueue("change_refused", req.email, {**payload, "reason": change.reason}, request_id=req.id)


def on_visits_changed(season_id: int, *, created: Iterable[Any] = (), changed: Iterable[Any] = (),
                      cancelled: Iterable[Any] = (), **_: Any) -> None:
    change_of = {v.id: "created" for v in created}
    change_of.update({v.id: "changed" for v in changed})
    change_of.update({v.id: "cancelled" for v in cancelled})
    if not change_of:
        return
    visits = load_visits(change_of)
    contacts = {
        vid: (rid, email, name, token)
        for vid, rid, email, name, token in db.session.execute(
            select(Visit.id, VisitRequest.id, VisitRequest.email, VisitRequest.contact_name,
                   VisitRequest.tracking_token)
            .join(Visit, Visit.request_id == VisitRequest.id)
            .where(Visit.id.in_(list(change_of)))
        )
    }
    today = local_today()
    by_commune: dict[str, list[PublicVisit]] = {}
    for v in visits:
        rid, email, name, token = contacts[v.id]
        snap = visit_snapshot(v)
        enqueue("invitation", email, {"request_id": rid, "token": token, "contact_name": name,
                                      "commune": v.commune_name, "commune_at": v.commune_at,
                                      "insee": v.commune_insee,
                                      "change": change_of[v.id], "visit": snap}, request_id=rid)
        if v.date >= today:
            by_commune.setdefault(v.commune_insee, []).append(v)
    _alert_residents(by_commune, change_of)


def _alert_residents(by_commune: dict[str, list[PublicVisit]], change_of: dict[int, str]) -> None:
    """One message per confirmed subscriber of a commune, listing its new, moved or cancelled visits."""
    if not by_commune:
        return
    for sub in db.session.execute(
        select(Subscription).where(Subscription.commune_insee.in_(list(by_commune)),
                                   Subscription.confirmed_at.is_not(None))
    ).scalars():
        visits = by_commune[sub.commune_insee]
        enqueue("resident_alert", sub.email, {
            "subscription_token": sub.token, "commune": visits[0].commune_name,
            "commune_at": visits[0].commune_at, "insee": sub.commune_insee,
            "visits": [visit_snapshot(v) for v in visits], "changes": [change_of[v.id] for v in visits],
        })
