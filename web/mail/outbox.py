"""The outbox: queueing in the caller's transaction, claiming, sending, retrying.

Exactly one sender per message, with any number of processes: a sender *claims* a due
message with one conditional UPDATE (``WHERE id = :id AND status = 'waiting'`` — on
PostgreSQL the candidates are first picked with ``FOR UPDATE SKIP LOCKED``, so senders do
not even wait for each other); the database lets only one UPDATE match. The claim is
committed before the SMTP conversation starts and holds for :data:`LEASE_SECONDS`; the
message is marked sent right after the server accepted it. A claim whose sender died is
taken over once its lease has expired (the message then goes out with the same
Message-ID, which mail programs use to recognise a copy).

A temporary failure (server down, 4xx) puts the message back to waiting with a growing
delay (:data:`BACKOFF_SECONDS`); a permanent one (5xx), or too many attempts, marks it
failed until an operator asks to send it again.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import or_, select, update

from web.core.errors import NotFoundError, OperationError
from web.core.types import utcnow
from web.extensions import db
from web.mail.messages import new_message_id, render_message, sender_address, subject_for
from web.mail.models import OutboxMessage
from web.mail.transport import PermanentFailure, TemporaryFailure, Transport, transport_from_url

log = logging.getLogger(__name__)

#: Delay before attempt n+1 after n failures: 1 min, 5 min, 15 min, 1 h, 3 h, then 6 h.
BACKOFF_SECONDS = (60, 300, 900, 3600, 3 * 3600, 6 * 3600)
#: After this many attempts the message is marked failed (about two days of trying).
MAX_ATTEMPTS = 12
#: How long a claim holds: far above an SMTP conversation's timeout.
LEASE_SECONDS = 300
#: Messages claimed per round.
BATCH = 50
#: The session flag telling the worker, after commit, that messages wait (see web.mail.worker).
PENDING_FLAG = "tourplan_mail_pending"


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=BACKOFF_SECONDS[min(attempts, len(BACKOFF_SECONDS)) - 1])


def enqueue(kind: str, recipient: str, payload: dict[str, Any], *, request_id: int | None = None,
            dedup_key: str | None = None, subject: str | None = None) -> OutboxMessage | None:
    """Queue a message in the current transaction (the caller commits). Nothing is queued
    for an empty or malformed address: there is nobody to tell."""
    recipient = (recipient or "").strip()
    if not _plausible_address(recipient):
        return None
    now = utcnow()
    message = OutboxMessage(
        kind=kind,
        recipient=recipient,
        subject=(subject or subject_for(kind, payload))[:300],
        payload=payload,
        message_id=new_message_id(f"{now:%Y%m%d%H%M%S}.{secrets.token_hex(8)}"),
        dedup_key=dedup_key,
        request_id=request_id,
        status="waiting",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        last_error="",
    )
    db.session.add(message)
    db.session.info[PENDING_FLAG] = True
    return message


def _plausible_address(address: str) -> bool:
    local, _, domain = address.rpartition("@")
    return bool(local and "." in domain and len(address) <= 254
                and not any(c.isspace() or c in "<>,;\"" for c in address))


def transport() -> Transport:
    cfg = current_app.config
    return transport_from_url(cfg.get("TOURPLAN_MAIL_URL"), instance_path=current_app.instance_path,
                              sender=sender_address())


# --------------------------------------------------------------------------- #
# Sending
# --------------------------------------------------------------------------- #


def claim_due(limit: int = BATCH, *, now: datetime | None = None) -> list[tuple[int, str]]:
    """Claim up to ``limit`` due messages for this sender; returns (id, claim token) pairs.
    Committed: another process sees them as taken."""
    now = now or utcnow()
    session = db.session
    due = or_(
        (OutboxMessage.status == "waiting") & (OutboxMessage.next_attempt_at <= now),
        (OutboxMessage.status == "sending") & (OutboxMessage.claimed_until < now),
    )
    try:
        query = select(OutboxMessage.id).where(due).order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        ids = list(session.execute(query.limit(limit)).scalars())
        token = secrets.token_hex(16)
        claimed = []
        for message_id in ids:
            res = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, due)
                .values(status="sending", claim_token=token, claimed_until=now + timedelta(seconds=LEASE_SECONDS)),
                execution_options={"synchronize_session": False},
            )
            if res.rowcount == 1:
                claimed.append((message_id, token))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return claimed


def send_claimed(message_id: int, token: str, via: Transport) -> str:
    """Send one claimed message; returns its new status. Only the holder of the claim
    records the outcome (a sender whose lease expired does not overwrite another's)."""
    session = db.session
    message = session.get(OutboxMessage, message_id)
    if message is None or message.claim_token != token:
        return "lost"
    recipient = message.recipient
    try:
        mime = render_message(kind=message.kind, recipient=recipient, subject=message.subject,
                              payload=message.payload, message_id=message.message_id,
                              created_at=message.created_at)
        session.rollback()  # no transaction stays open during the SMTP conversation
        via.send(mime, recipient)
    except TemporaryFailure as e:
        return _record(message_id, token, error=str(e), permanent=False)
    except PermanentFailure as e:
        return _record(message_id, token, error=str(e), permanent=True)
    except Exception as e:  # noqa: BLE001 - a message that cannot be rendered must not stop the others
        log.exception("outbox message %s could not be sent", message_id)
        return _record(message_id, token, error=f"{type(e).__name__}: {e}", permanent=True)
    return _record(message_id, token, error=None, permanent=False)


def _record(message_id: int, token: str, *, error: str | None, permanent: bool) -> str:
    session = db.session
    session.rollback()
    now = utcnow()
    message = session.get(OutboxMessage, message_id)
    if message is None or message.claim_token != token:
        return "lost"
    message.attempts += 1
    message.claim_token = None
    message.claimed_until = None
    if error is None:
        message.status = "sent"
        message.sent_at = now
        message.last_error = ""
    elif permanent or message.attempts >= MAX_ATTEMPTS:
        message.status = "failed"
        message.last_error = error[:2000]
    else:
        message.status = "waiting"
        message.next_attempt_at = now + backoff(message.attempts)
        message.last_error = error[:2000]
    status = message.status
    session.commit()
    if error is not None:
        log.warning("mail %s to %s: %s (%s)", message_id, message.recipient, error, status)
    return status


def send_due(*, limit: int = BATCH, via: Transport | None = None) -> dict[str, int]:
    """One round: claim what is due and send it. Counts of outcomes."""
    via = via or transport()
    counts: dict[str, int] = {}
    for message_id, token in claim_due(limit):
        status = send_claimed(message_id, token, via)
        counts[status] = counts.get(status, 0) + 1
    return counts


def send_all_due(*, via: Transport | None = None, max_rounds: int = 1000) -> dict[str, int]:
    """Rounds until nothing is due now (messages put back for later stay for later)."""
    via = via or transport()
    total: dict[str, int] = {}
    for _ in range(max_rounds):
        counts = send_due(via=via)
        if not counts:
            break
        for k, n in counts.items():
            total[k] = total.get(k, 0) + n
    return total


def next_due_at() -> datetime | None:
    """When the next waiting message is due (the worker sleeps until then)."""
    return db.session.execute(
        select(OutboxMessage.next_attempt_at).where(OutboxMessage.status == "waiting")
        .order_by(OutboxMessage.next_attempt_at).limit(1)
    ).scalar_one_or_none()


def resend(message_id: int) -> OutboxMessage:
    """The desk's "renvoyer": a failed (or sent) message waits again, due now. The caller commits."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFoundError(f"aucun message n'a le numéro {message_id}", "message")
    if message.status == "sending":
        raise OperationError("ce message est en cours d'envoi", "message")
    if message.status == "waiting":
        message.next_attempt_at = utcnow()
    else:
        message.status = "waiting"
        message.next_attempt_at = utcnow()
        message.attempts = 0
    db.session.info[PENDING_FLAG] = True
    return message
