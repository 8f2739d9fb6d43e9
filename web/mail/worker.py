"""Who sends the outbox: a thread of the app (default), or RQ when ``TOURPLAN_REDIS_URL`` is set.

``TOURPLAN_MAIL_WORKER`` chooses: ``thread``, ``rq``, or ``off`` (nothing sent by the app
itself: ``flask --app web tourplan send-mail`` from cron, or the tests). Unset: ``rq`` when
Redis is configured, else ``thread``.

A commit that queued messages wakes the worker at once (a SQLAlchemy ``after_commit``
hook sees the session's flag, see :func:`web.mail.outbox.enqueue`): the commune's
acknowledgement leaves within seconds. The thread also wakes when the next retry is due,
and once a day sends the reminders and digests (idempotent: never twice the same).
With RQ, each wake-up is a ``web.mail.tasks.send_outbox`` job; retries are scheduled with
``enqueue_in`` (run ``rq worker --with-scheduler tourplan``), and cron should run
``flask tourplan send-reminders`` daily.

Losing a wake-up loses nothing: the rows are in the database and the next round sends them.
"""

from __future__ import annotations

import logging
import threading
from datetime import date, timedelta
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from tourplan.calendar import local_today
from web.core.types import utcnow
from web.extensions import db
from web.mail.outbox import PENDING_FLAG, next_due_at, send_all_due

log = logging.getLogger(__name__)
#: The thread looks at the outbox at least this often, even without a wake-up.
IDLE_SECONDS = 300.0
RETRY_JOB_ID = "tourplan-mail-retry"


def worker_mode(app: Flask) -> str:
    mode = app.config.get("TOURPLAN_MAIL_WORKER")
    if mode:
        return str(mode)
    return "rq" if app.config.get("TOURPLAN_REDIS_URL") else "thread"


def init_app(app: Flask) -> None:
    _listen_once()
    mode = worker_mode(app)
    if mode not in ("thread", "rq", "off"):
        raise ValueError(f"TOURPLAN_MAIL_WORKER={mode!r}: expected thread, rq or off")
    if mode == "thread":
        # The first request starts the thread, so the daily reminders run on a live site
        # even when nothing else is queued (a CLI command never starts it).
        def start_thread() -> None:
            _thread(app)

        app.before_request(start_thread)


_listening = False


def _listen_once() -> None:
    global _listening
    if _listening:
        return
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_rollback", lambda session: session.info.pop(PENDING_FLAG, None))
    _listening = True


def _after_commit(session: Session) -> None:
    if session.info.pop(PENDING_FLAG, False) and has_app_context():
        wake(current_app._get_current_object())  # type: ignore[attr-defined]


def wake(app: Flask) -> None:
    """Tell the worker that messages wait (never raises: the rows wait in the database)."""
    mode = worker_mode(app)
    try:
        if mode == "thread":
            # Only a web process runs the thread (started by its first request): a command
            # line would end with it, maybe mid-conversation; its messages wait for the site
            # (or `send-mail`).
            thread = app.extensions.get("tourplan_mail", {}).get("thread")
            if thread is not None and thread.is_alive():
                thread.wake()
        elif mode == "rq":
            from web.jobs.backends import redis_queue

            redis_queue(app.config["TOURPLAN_REDIS_URL"]).enqueue("web.mail.tasks.send_outbox", result_ttl=600)
    except Exception:  # noqa: BLE001 - the commit is done; sending waits for the next round
        log.exception("could not wake the mail worker; messages stay queued")


class MailThread(threading.Thread):
    def __init__(self, app: Flask) -> None:
        super().__init__(name="tourplan-mail", daemon=True)
        self.app = app
        self.event = threading.Event()
        self.stopping = False
        self.daily_done: date | None = None

    def wake(self) -> None:
        self.event.set()

    def stop(self) -> None:
        self.stopping = True
        self.event.set()

    def run(self) -> None:
        while not self.stopping:
            wait = IDLE_SECONDS
            try:
                with self.app.app_context():
                    try:
                        wait = self.round()
                    finally:
                        db.session.remove()
            except Exception:  # noqa: BLE001 - a database hiccup must not end the thread
                log.exception("mail round failed")
                wait = 30.0
            self.event.wait(wait)
            self.event.clear()

    def round(self) -> float:
        if self.daily_done != local_today():
            from web.mail.operations import send_daily

            send_daily()
            self.daily_done = local_today()
        send_all_due()
        nxt = next_due_at()
        if nxt is None:
            return IDLE_SECONDS
        return min(IDLE_SECONDS, max(1.0, (nxt - utcnow()).total_seconds()))


def _thread(app: Flask) -> MailThread:
    state: dict[str, Any] = app.extensions.setdefault("tourplan_mail", {})
    with _lock:
        thread = state.get("thread")
        if thread is None or not thread.is_alive():
            thread = MailThread(app)
            state["thread"] = thread
            thread.start()
    return thread


_lock = threading.Lock()


def stop_thread(app: Flask, timeout: float = 10.0) -> None:
    thread = app.extensions.get("tourplan_mail", {}).get("thread")
    if thread is not None:
        thread.stop()
        thread.join(timeout)


def schedule_retry(app: Flask) -> None:
    """RQ: a job at the next due time (needs ``rq worker --with-scheduler``)."""
    with app.app_context():
        nxt = next_due_at()
    if nxt is None:
        return
    from web.jobs.backends import redis_queue

    delay = max(timedelta(seconds=1), nxt - utcnow())
    redis_queue(app.config["TOURPLAN_REDIS_URL"]).enqueue_in(delay, "web.mail.tasks.send_outbox",
                                                             job_id=RETRY_JOB_ID, result_ttl=600)
