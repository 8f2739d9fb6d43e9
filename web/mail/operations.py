"""Daily messages (reminders, operators' digests), residents' alerts, personal data.

Every function here commits (they are whole actions of a command, a page or the worker).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from tourplan.calendar import SERVICE_TIMEZONE, local_today
from web.auth.models import Operator
from web.communes.models import Commune
from web.core.errors import OperationError
from web.core.types import utcnow
from web.extensions import db
from web.mail.messages import visit_snapshot
from web.mail.models import OutboxMessage, Subscription
from web.mail.outbox import _plausible_address, enqueue
from web.mail.subscribers import request_payload
from web.public.operations import load_visits
from web.requests.forms import equipment_text
from web.requests.models import RequestChange, VisitRequest
from web.seasons.models import Season
from web.tours.models import Visit


def _once(build: Callable[[set[str]], int], keys: Callable[[], set[str]]) -> int:
    """Queue messages named by dedup keys, skipping those already queued; two runs at once
    (cron and the worker) collide on the unique key: the loser starts again and finds them."""
    for _attempt in range(3):
        try:
            n = build(keys())
            db.session.commit()
            return n
        except IntegrityError:
            db.session.rollback()
    raise OperationError("les rappels n'ont pas pu être enregistrés (envois simultanés) ; relancez la commande")


def _existing(prefix: str) -> set[str]:
    return set(db.session.execute(
        select(OutboxMessage.dedup_key).where(OutboxMessage.dedup_key.like(prefix + "%"))
    ).scalars())


def send_reminders(today: date | None = None) -> int:
    """Queue the reminder of every scheduled visit within its season's reminder period
    (``reminder_days`` days ahead, today excluded): once per visit and date, however often
    it runs; a visit moved to another date gets a reminder for its new date. Returns how
    many were queued."""
    today = today or local_today()

    def build(done: set[str]) -> int:
        rows = db.session.execute(
            select(Visit.id, Visit.date, Season.reminder_days, VisitRequest)
            .join(Season, Visit.season_id == Season.id)
            .join(VisitRequest, Visit.request_id == VisitRequest.id)
            .where(Visit.status == "scheduled", Visit.date > today, Season.reminder_days > 0,
                   Visit.date <= today + timedelta(days=60), VisitRequest.email != "")
        ).all()
        due = {vid: (day, req) for vid, day, days, req in rows
               if day <= today + timedelta(days=days) and f"reminder:{vid}:{day}" not in done}
        snapshots = {v.id: v for v in load_visits(due)} if due else {}
        n = 0
        for vid, (day, req) in due.items():
            payload = {**request_payload(req), "visit": visit_snapshot(snapshots[vid]),
                       "attendees": req.expected_attendees, "equipment": equipment_text(req.equipment or [])}
            if enqueue("reminder", req.email, payload, request_id=req.id, dedup_key=f"reminder:{vid}:{day}"):
                n += 1
        return n

    return _once(build, lambda: _existing("reminder:"))


def send_digests(today: date | None = None) -> int:
    """Operators who chose the daily digest get the requests received the day before, and the
    changes communes asked for that day which still wait for an answer."""
    today = today or local_today()
    zone = ZoneInfo(SERVICE_TIMEZONE)
    start = datetime.combine(today - timedelta(days=1), time(0), zone).astimezone(UTC)
    end = datetime.combine(today, time(0), zone).astimezone(UTC)

    def build(done: set[str]) -> int:
        operators = [o for o in db.session.execute(
            select(Operator).where(Operator.active.is_(True), Operator.new_request_mail == "digest")
        ).scalars() if f"digest:{o.id}:{today}" not in done]
        if not operators:
            return 0
        reqs = list(db.session.execute(
            select(VisitRequest).where(VisitRequest.created_at >= start, VisitRequest.created_at < end)
            .order_by(VisitRequest.id)
        ).scalars())
        asked = list(db.session.execute(
            select(RequestChange).where(RequestChange.created_at >= start, RequestChange.created_at < end,
                                        RequestChange.status == "pending")
            .order_by(RequestChange.id)
        ).scalars())
        if not reqs and not asked:
            return 0
        items = [{"request_id": r.id, "commune": r.commune.name, "label": r.label,
                  "structure_name": r.structure_name} for r in reqs]
        changes = [{"request_id": c.request.id, "commune": c.request.commune.name, "label": c.request.label}
                   for c in asked]
        payload = {"count": len(items), "requests": items, "changes": changes,
                   "day": (today - timedelta(days=1)).isoformat()}
        for o in operators:
            enqueue("digest", o.email, payload, dedup_key=f"digest:{o.id}:{today}")
        return len(operators)

    return _once(build, lambda: _existing("digest:"))


def send_daily(today: date | None = None) -> dict[str, int]:
    return {"reminders": send_reminders(today), "digests": send_digests(today)}


# --------------------------------------------------------------------------- #
# Residents' alerts ("Prévenez-moi")
# --------------------------------------------------------------------------- #


def subscribe(insee: str, email: str) -> Subscription | None:
    """Ask for alerts: a confirmation message goes to the address (double opt-in). An address
    already confirmed gets nothing new (the answer on the page is the same, so the page does
    not tell who is subscribed). Raises OperationError for a bad address."""
    email = (email or "").strip()
    if not _plausible_address(email):
        raise OperationError("adresse électronique invalide : elle s'écrit comme nom@exemple.fr", "email")
    commune = db.session.get(Commune, insee)
    if commune is None:
        raise OperationError(f"aucune commune n'a le code INSEE {insee!r}", "commune")
    sub = db.session.execute(
        select(Subscription).where(Subscription.commune_insee == insee, Subscription.email == email)
    ).scalar_one_or_none()
    if sub is None:
        sub = Subscription(commune_insee=insee, email=email, created_at=utcnow())
        db.session.add(sub)
        db.session.flush()
    if sub.confirmed_at is None:
        enqueue("subscription_confirm", email, {"subscription_token": sub.token, "commune": commune.name,
                                                "commune_at": commune.at_name, "insee": insee})
    return sub


def find_subscription(token: str) -> Subscription | None:
    if not token or len(token) > 64:
        return None
    return db.session.execute(select(Subscription).where(Subscription.token == token)).scalar_one_or_none()


def confirm(token: str) -> Subscription | None:
    sub = find_subscription(token)
    if sub is not None and sub.confirmed_at is None:
        sub.confirmed_at = utcnow()
    return sub


def unsubscribe(token: str) -> bool:
    """Delete the subscription (and its messages still waiting); False when none had that token."""
    sub = find_subscription(token)
    if sub is None:
        return False
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.recipient == sub.email,
                                                   OutboxMessage.status == "waiting",
                                                   OutboxMessage.kind.in_(("resident_alert", "subscription_confirm"))),
                       execution_options={"synchronize_session": False})
    db.session.delete(sub)
    return True


# --------------------------------------------------------------------------- #
# Personal data
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class PurgeResult:
    requests: int
    messages: int
    subscriptions: int


def purge_personal_data(*, days: int, today: date | None = None, dry_run: bool = False) -> PurgeResult:
    """Remove the contact data (name, e-mail, phone) of requests of seasons ended more than
    ``days`` days ago, the messages about them, sent or failed messages older than that, and
    alert subscriptions never confirmed within a week. The requests themselves stay (the
    tour's history), anonymous."""
    if days < 0:
        raise OperationError("la durée de conservation est un nombre de jours positif", "days")
    today = today or local_today()
    cutoff_day = today - timedelta(days=days)
    cutoff = datetime.combine(cutoff_day, time(0), ZoneInfo(SERVICE_TIMEZONE)).astimezone(UTC)
    closed = select(Season.id).where(Season.end < cutoff_day)
    stale_requests = select(VisitRequest.id).where(
        VisitRequest.season_id.in_(closed),
        (VisitRequest.contact_name != "") | (VisitRequest.email != "") | (VisitRequest.phone != ""),
    )
    ids = list(db.session.execute(stale_requests).scalars())
    message_filter = (OutboxMessage.request_id.in_(select(VisitRequest.id).where(VisitRequest.season_id.in_(closed)))
                      | (OutboxMessage.status.in_(("sent", "failed")) & (OutboxMessage.created_at < cutoff)))
    messages = len(list(db.session.execute(select(OutboxMessage.id).where(message_filter)).scalars()))
    unconfirmed = (Subscription.confirmed_at.is_(None)) & (Subscription.created_at < utcnow() - timedelta(days=7))
    subs = len(list(db.session.execute(select(Subscription.id).where(unconfirmed)).scalars()))
    if not dry_run:  # the caller (the purge command) commits, or rolls back on error
        if ids:
            db.session.execute(update(VisitRequest).where(VisitRequest.id.in_(ids))
                               .values(contact_name="", email="", phone=""),
                               execution_options={"synchronize_session": False})
        db.session.execute(delete(OutboxMessage).where(message_filter),
                           execution_options={"synchronize_session": False})
        db.session.execute(delete(Subscription).where(unconfirmed),
                           execution_options={"synchronize_session": False})
    return PurgeResult(len(ids), messages, subs)


def outbox_counts() -> dict[str, int]:
    from sqlalchemy import func

    return dict(db.session.execute(  # type: ignore[arg-type]
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ).all())


def outbox_messages(status: str = "", limit: int = 200) -> list[OutboxMessage]:
    """The latest messages of the outbox, of one status when ``status`` is given."""
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status:
        query = query.where(OutboxMessage.status == status)
    return list(db.session.execute(query).scalars())
