"""Entry points for ``rq worker tourplan`` processes (see :mod:`web.mail.worker`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, has_app_context


def _in_app(work: Callable[[], Any]) -> Any:
    from web.extensions import db

    if has_app_context():
        return work()
    from web import create_app

    app = create_app()
    with app.app_context():
        try:
            return work()
        finally:
            db.session.remove()


def send_outbox() -> dict[str, int]:
    """Send what is due, then schedule the next retry if messages wait for later."""
    from web.mail.outbox import send_all_due
    from web.mail.worker import schedule_retry

    def work() -> dict[str, int]:
        counts = send_all_due()
        schedule_retry(current_app._get_current_object())  # type: ignore[attr-defined]
        return counts

    return _in_app(work)


def send_daily() -> dict[str, int]:
    """Reminders and digests of the day (idempotent), e.g. from rq-scheduler or cron."""
    from web.mail.operations import send_daily as daily

    return _in_app(daily)
