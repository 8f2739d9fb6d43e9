from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from web.core.constraints import not_empty, one_of
from web.core.types import UTCDateTime, utcnow
from web.extensions import db

OUTBOX_STATUSES = ("waiting", "sending", "sent", "failed")


def new_token() -> str:
    # 192 bits: a confirmation or unsubscribe link cannot be guessed.
    return secrets.token_urlsafe(24)


class OutboxMessage(db.Model):
    """One e-mail to send. Written in the transaction of the change that causes it, with
    ``payload`` the snapshot of what to say (rendered only when sent).

    ``status``: waiting (due at ``next_attempt_at``) -> sending (claimed by one sender until
    ``claimed_until``) -> sent, or back to waiting after a temporary failure, or failed (given
    up: the desk's "renvoyer" puts it back to waiting). ``message_id`` is fixed at queueing,
    so a message sent again carries the same Message-ID and mail programs see one message.
    ``dedup_key``: messages that must exist once (a reminder, a digest) name themselves."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        one_of("status", OUTBOX_STATUSES),
        CheckConstraint("attempts >= 0", name="attempts_positive"),
        not_empty("recipient"),
        Index("ix_outbox_messages_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    message_id: Mapped[str] = mapped_column(String(250), unique=True)
    dedup_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    #: The request the message is about (purged with its contact data), if any.
    request_id: Mapped[int | None] = mapped_column(ForeignKey("visit_requests.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="waiting")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} {self.status}>"


class Subscription(db.Model):
    """A resident's "Prévenez-moi" for a commune: an e-mail when the van is coming.
    Active once ``confirmed_at`` is set (double opt-in); deleted on unsubscribe."""

    __tablename__ = "mail_subscriptions"
    __table_args__ = (UniqueConstraint("commune_insee", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_insee: Mapped[str] = mapped_column(ForeignKey("communes.insee", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
