from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from web.auth.models import Operator
from web.core.types import UTCDateTime, utcnow
from web.extensions import db


def hash_token(token: str) -> str:
    # Tokens are long random strings: a plain SHA-256 is enough (no dictionary to attack),
    # and only the hash is stored, so a database leak gives no usable token.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return "tp_" + secrets.token_urlsafe(32)


class ApiToken(db.Model):
    """A bearer token for scripts acting as one operator (``Authorization: Bearer tp_...``)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: After this instant the token is refused (None: never expires).
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    operator: Mapped[Operator] = relationship()

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at) \
            and self.operator.is_active
