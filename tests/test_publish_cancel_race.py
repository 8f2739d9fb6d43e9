"""A commune cancelling through its tracking link while a publication runs (issue 9): on
PostgreSQL the two used to take the request and season rows in opposite orders and
deadlock; the commune got a 500 and its cancellation was lost."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import select, text

from tests.test_db_tours import MON, _plan, _requests, season  # noqa: F401  (fixture)
from web.core.errors import ConflictError
from web.core.transactions import retrying
from web.extensions import db
from web.requests.models import VisitRequest
from web.tours import operations as tours_ops
from web.tours.models import Visit


@pytest.mark.postgresql_only
def test_a_cancellation_during_a_publication_waits_and_is_kept(
    season: Any, make: Any, db_session: Any, app: Any, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    (a,) = _requests(make, db_session, season, 1)
    version_id = _plan(season, {(a.id, 0): (MON, 540)}).id
    token = a.tracking_token
    db_session.commit()

    publisher_pid: list[int] = []
    locked = threading.Event()
    original = tours_ops._sync_visits

    def slow_sync(version: Any, by: str, now: Any) -> Any:
        # The publisher holds the season row here; let the commune's cancellation arrive
        # and wait on a lock before the publisher touches the request.
        publisher_pid.append(db.session.execute(text("SELECT pg_backend_pid()")).scalar_one())
        locked.set()
        _wait_for_someone_blocked_by(publisher_pid[0])
        return original(version, by, now)

    monkeypatch.setattr(tours_ops, "_sync_visits", slow_sync)
    outcome: dict[str, Any] = {}

    def publish() -> None:
        with app.app_context():
            try:
                outcome["publish"] = tours_ops.publish_version(version_id, by="op").version.id
            except Exception as e:  # noqa: BLE001 - the test reports whatever happened
                outcome["publish"] = e
            finally:
                db.session.remove()

    def cancel() -> None:
        locked.wait(10)
        outcome["cancel"] = app.test_client().post(f"/suivi/{token}/annuler", data={}).status_code

    threads = [threading.Thread(target=publish), threading.Thread(target=cancel)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert outcome == {"publish": version_id, "cancel": 302}, outcome
    db_session.expire_all()
    req = db_session.get(VisitRequest, a.id)
    assert req.status == "cancelled"
    # Published first, then cancelled: the visit the publication created is cancelled too.
    assert [h.to_status for h in req.history][-2:] == ["planned", "cancelled"]
    visits = db_session.execute(select(Visit).where(Visit.request_id == a.id)).scalars().all()
    assert [v.status for v in visits] == ["cancelled"]


def _wait_for_someone_blocked_by(pid: int, timeout: float = 10.0) -> None:
    """Until another PostgreSQL session waits on a lock ``pid`` holds."""
    engine = db.engine
    deadline = time.monotonic() + timeout
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            blocked = conn.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))"), {"pid": pid}
            ).scalar_one()
            if blocked:
                return
            # pg_stat_activity is read once per transaction: end it, or a session that
            # started waiting after the first look is never seen.
            conn.rollback()
            time.sleep(0.02)
    raise AssertionError("the cancellation never waited for the publication")


def test_a_lost_deadlock_is_retried_then_refused_as_a_conflict(app: Any) -> None:
    from sqlalchemy.exc import OperationalError

    class Deadlock(Exception):
        sqlstate = "40P01"

    calls = []

    def work() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("UPDATE ...", {}, Deadlock("deadlock detected"))
        return "done"

    with app.app_context():
        assert retrying(work) == "done" and len(calls) == 3

        def always() -> None:
            raise OperationalError("UPDATE ...", {}, Deadlock("deadlock detected"))

        with pytest.raises(ConflictError, match="Réessayez"):
            retrying(always, attempts=2)

        def other() -> None:
            raise OperationalError("SELECT ...", {}, Exception("connection refused"))

        with pytest.raises(OperationalError):  # not a conflict: not retried, not hidden
            retrying(other)
