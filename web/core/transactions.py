"""Who owns a transaction, and the retry of those the database gave up on.

The rule (issue 11): **operations never commit nor roll back; the owner of the unit of work
does** — a view (one request), a CLI command, or a runner: the job runner
(:mod:`web.jobs.operations`, whose progress writes and heartbeats are its own short
transactions in a worker thread), the mail worker, and :func:`web.tours.operations.plan_season`,
which must hold no transaction while the solver runs for minutes. An operation adds and
flushes; when it raises, the owner rolls back, so nothing is half-written.

Transactions the database gave up on (deadlock, serialization failure, busy SQLite file)
are retried a few times by :func:`retrying` — the owner of the retried ``work`` — then
refused with a clear conflict instead of a 500."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable

from sqlalchemy.exc import DBAPIError

from web.core.errors import ConflictError
from web.extensions import db

log = logging.getLogger(__name__)

#: PostgreSQL: serialization_failure, deadlock_detected.
RETRYABLE_SQLSTATES = {"40001", "40P01"}
BUSY = ConflictError("La base de données est occupée par une autre modification. Réessayez dans un instant.")


def is_retryable(error: BaseException) -> bool:
    if not isinstance(error, DBAPIError):
        return False
    orig = error.orig
    if getattr(orig, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    return "database is locked" in str(orig)  # SQLite, past its busy timeout


def retrying[T](work: Callable[[], T], *, attempts: int = 4) -> T:
    """``work()`` (which commits), run again from a rolled-back session when the database
    chose it as a deadlock victim. ``work`` must re-read what it needs: objects loaded in a
    failed attempt are expired by the rollback."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except DBAPIError as e:
            db.session.rollback()
            if not is_retryable(e):
                raise
            log.warning("transaction lost a conflict (%s), attempt %d of %d", type(e.orig).__name__, attempt, attempts)
            time.sleep(0.05 * attempt + random.random() * 0.05)  # noqa: S311 - jitter, not a secret
    raise BUSY
