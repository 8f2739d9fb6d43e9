"""The API's own look-ups: the operator behind a bearer token (the views stay thin)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from web.api.models import ApiToken, hash_token
from web.core.types import utcnow
from web.extensions import db

LAST_USED_PRECISION = timedelta(minutes=1)


def token_operator(token: str) -> tuple[Any, bool]:
    """The operator a usable token belongs to (or None), and whether its last use was
    written (at most once a minute: a script polling a job does not write on each call;
    the caller commits)."""
    row = db.session.execute(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).scalar_one_or_none()
    now = utcnow()
    if row is None or not row.usable(now):
        return None, False
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_PRECISION:
        db.session.execute(update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now))
        return row.operator, True
    return row.operator, False
