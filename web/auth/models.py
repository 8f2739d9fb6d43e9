from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from flask import current_app, has_app_context
from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from web.core.constraints import not_empty, one_of
from web.core.types import UTCDateTime, utcnow
from web.extensions import db

#: Below this, a password is refused when it is set (CLI and any future page).
MIN_PASSWORD_LENGTH = 10
#: How an operator hears of new requests: one e-mail each, a daily digest, or not at all.
NOTIFICATION_CHOICES = ("each", "digest", "none")


class Operator(db.Model):
    """Someone who plans the tours. ``email`` is stored lower-cased, so logins are
    case-insensitive and the unique constraint catches ``A@x.fr`` vs ``a@x.fr``."""

    __tablename__ = "operators"
    __table_args__ = (
        not_empty("email"),
        one_of("new_request_mail", NOTIFICATION_CHOICES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Raised by a logout: every session cookie issued before it stops working, even a
    #: copy kept by someone else (the cookie itself cannot be taken back).
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: One of NOTIFICATION_CHOICES.
    new_request_mail: Mapped[str] = mapped_column(String(10), default="each", server_default="each")

    # Flask-Login protocol -------------------------------------------------------------
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return bool(self.active)

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        # The session remembers a fingerprint of the password hash too: changing the
        # password (or deactivating) logs every open session of this operator out.
        return f"{self.id}:{self.session_fingerprint()}"

    def session_fingerprint(self) -> str:
        raw = f"{self.password_hash}:{self.session_generation or 0}"
        return hashlib.sha256(raw.encode()).hexdigest()[:16]

    def end_sessions(self) -> None:
        """Log out every open session of this operator (the caller commits)."""
        self.session_generation = (self.session_generation or 0) + 1

    def matches_fingerprint(self, fingerprint: str) -> bool:
        return hmac.compare_digest(self.session_fingerprint(), fingerprint)

    # Passwords ---------------------------------------------------------------------------
    def set_password(self, password: str) -> None:
        method = current_app.config["TOURPLAN_PASSWORD_HASH"] if has_app_context() else "scrypt"
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<Operator {self.email}>"


def normalise_email(email: str) -> str:
    return email.strip().lower()
