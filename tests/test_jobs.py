"""Planning jobs: thread backend always, RQ backend when the local Redis answers.

A job exports the season, solves it in a child process, imports a draft; a stop or
a failure leaves the published tour as it was and says so on the job."""

from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import func, select

from tests.conftest import AuthActions
from tests.desk_helpers import draft, operator, small_season
from tests.groups import REDIS_URL, redis_answers
from tourplan.checker import check_plan
from tourplan.plan import plan_from_json
from tourplan.problem import problem_from_json


def _wait(app, job_id: int, timeout: float = 120.0):
    from web.jobs.backends import thread_future

    future = thread_future(app, job_id)
    assert future is not None, "the job was not handed to the thread pool"
    future.result(timeout=timeout)


def _job(job_id: int):
    from web.extensions import db
    from web.jobs.models import PlanningJob

    db.session.expire_all()
    return db.session.get(PlanningJob, job_id)


def _published_state(season_id: int):
    from web.extensions import db
    from web.tours.models import TourVersion, Visit

    db.session.expire_all()
    published = db.session.execute(
        select(TourVersion.id).where(TourVersion.season_id == season_id, TourVersion.status == "published")
    ).scalars().all()
    visits = db.session.execute(
        select(Visit.id, Visit.date, Visit.start, Visit.revision, Visit.status).order_by(Visit.id)
    ).all()
    return published, [tuple(v) for v in visits]


def _publish_first_tour(data) -> None:
    from web.tours.operations import publish_version

    v = draft(data["season"])
    publish_version(v.id, by="test@ops")


PLAN = "/operateur/planification/saisons/s1/planifier"


def _press_plan(client, time_limit: str) -> int:
    """Press the season's plan button; the id of the job it started (its page is where it leads)."""
    r = client.post(PLAN, data={"time_limit": time_limit})
    assert r.status_code == 302, r.get_data(as_text=True)
    return int(r.headers["Location"].rstrip("/").split("/")[-1])


def _start(app, client, time_limit: str, solver: str | None = None) -> int:
    """An operator logs in and plans the season with ``solver`` (the configured one when None)."""
    if solver is not None:
        app.config["TOURPLAN_SOLVER"] = solver
    operator()
    AuthActions(client).login()
    return _press_plan(client, time_limit)


def _until(condition, timeout: float = 60.0) -> None:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass (the caller asserts what it needs)."""
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)


def _progressed(job_id: int):
    return lambda: _job(job_id).best_served_priority is not None


def _stop(app, client, job_id: int, timeout: float = 60.0) -> float:
    """Press the job's stop button and wait for the job to end; the seconds that took."""
    started = time.monotonic()
    client.post(f"/operateur/planification/travaux/{job_id}/arreter")
    _wait(app, job_id, timeout=timeout)
    return time.monotonic() - started


def _assert_referee_accepts(version) -> None:
    report = check_plan(problem_from_json(version.problem_json), plan_from_json(version.plan_json))
    assert report.ok, report.text()


def test_plan_button_runs_a_job_that_produces_a_checked_draft(app, client, make):
    data = small_season(make)
    job_id = _start(app, client, "2")
    _wait(app, job_id)
    job = _job(job_id)
    assert job.status == "done", job.message
    assert job.backend == "thread"
    assert job.best_served_priority is not None and job.best_km is not None
    version = job.version
    assert version.status == "draft" and version.season_id == data["season"].id
    _assert_referee_accepts(version)
    page = client.get(f"/operateur/planification/travaux/{job_id}").get_data(as_text=True)
    assert "Terminée" in page and f"/operateur/planification/versions/{version.id}" in page
    assert 'http-equiv="refresh"' not in page  # a finished job's page stops refreshing
    status = client.get(f"/operateur/planification/travaux/{job_id}.json").get_json()
    assert status["status"] == "done" and status["version_id"] == version.id


def test_running_job_page_refreshes_itself_and_reports_progress(app, client, make):
    small_season(make)
    job_id = _start(app, client, "30", "tests.jobs_fakes:sleepy")
    try:
        _until(_progressed(job_id))
        page = client.get(f"/operateur/planification/travaux/{job_id}").get_data(as_text=True)
        assert 'http-equiv="refresh"' in page
        assert "En cours" in page and "42,0\xa0km" in page  # French format, never wrapping
        # A second run of the same season is refused while this one works.
        again = client.post(PLAN, data={"time_limit": "5"}, follow_redirects=True)
        assert "déjà en cours" in again.get_data(as_text=True)
    finally:
        _stop(app, client, job_id)


def test_stop_ends_a_running_job_without_touching_the_published_tour(app, client, make):
    from web.extensions import db
    from web.tours.models import TourVersion

    data = small_season(make)
    _publish_first_tour(data)
    before = _published_state(data["season"].id)
    versions_before = db.session.scalar(select(func.count()).select_from(TourVersion))
    job_id = _start(app, client, "300", "tests.jobs_fakes:sleepy")
    _until(lambda: _job(job_id).status == "running")
    assert _job(job_id).status == "running"
    r = client.post(f"/operateur/planification/travaux/{job_id}/arreter", follow_redirects=True)
    assert "Arrêt demandé" in r.get_data(as_text=True)
    started = time.monotonic()
    _wait(app, job_id, timeout=30)
    # A solver that cannot be asked to stop is terminated at once, not waited for.
    assert time.monotonic() - started < 10
    job = _job(job_id)
    assert job.status == "stopped"
    assert "aucun brouillon" in job.message and "inchangée" in job.message and job.version_id is None
    assert _published_state(data["season"].id) == before
    assert db.session.scalar(select(func.count()).select_from(TourVersion)) == versions_before


def _start_and_wait_for_progress(app, client, solver: str) -> int:
    job_id = _start(app, client, "300", solver)
    _until(_progressed(job_id))
    assert _job(job_id).status == "running"
    return job_id


def test_stop_keeps_the_best_plan_found_so_far_as_a_checked_draft(app, client, make):
    data = small_season(make)
    _publish_first_tour(data)
    before = _published_state(data["season"].id)
    job_id = _start_and_wait_for_progress(app, client, "tests.jobs_fakes:stoppable")
    assert _stop(app, client, job_id) < 30  # well before its 300 s
    job = _job(job_id)
    assert job.status == "stopped", job.message
    version = job.version
    assert version is not None and version.status == "draft" and version.season_id == data["season"].id
    assert f"brouillon n° {version.number}" in job.message and "meilleur plan trouvé" in job.message
    assert "inchangée" in job.message
    _assert_referee_accepts(version)
    assert _published_state(data["season"].id) == before
    status = client.get(f"/operateur/planification/travaux/{job_id}.json").get_json()
    assert status["status"] == "stopped" and status["version_id"] == version.id
    page = client.get(f"/operateur/planification/travaux/{job_id}").get_data(as_text=True)
    assert "Arrêtée" in page and f"brouillon n° {version.number}" in page


def test_stop_of_the_real_optimiser_keeps_its_best_plan_as_a_draft(app, client, make):
    # The default solver (tourplan.optimiser:solve) given 300 s: a stop ends it within seconds
    # and its incumbent becomes a draft the referee accepts.
    data = small_season(make)
    job_id = _start_and_wait_for_progress(app, client, "tourplan.optimiser:solve")
    assert _stop(app, client, job_id) < 30
    job = _job(job_id)
    assert job.status == "stopped" and job.version is not None, job.message
    _assert_referee_accepts(job.version)
    assert job.version.season_id == data["season"].id


def test_a_stopped_solver_that_does_not_answer_is_terminated_after_the_grace(app, client, make, monkeypatch):
    from web.jobs import runner

    monkeypatch.setattr(runner, "STOP_GRACE_SECONDS", 2.0)
    small_season(make)
    job_id = _start_and_wait_for_progress(app, client, "tests.jobs_fakes:deaf")
    assert 2.0 <= _stop(app, client, job_id) < 20  # it was given its grace, then no more
    job = _job(job_id)
    assert job.status == "stopped" and job.version_id is None
    assert "aucun brouillon" in job.message and "inchangée" in job.message


def test_failing_solve_marks_the_job_failed_with_its_message(app, client, make):
    data = small_season(make)
    _publish_first_tour(data)
    before = _published_state(data["season"].id)
    job_id = _start(app, client, "5", "tests.jobs_fakes:explode")
    _wait(app, job_id)
    job = _job(job_id)
    assert job.status == "failed"
    assert "solveur en panne : matrice des distances illisible" in job.message
    assert _published_state(data["season"].id) == before
    page = client.get(f"/operateur/planification/travaux/{job_id}").get_data(as_text=True)
    assert "Échouée" in page and "matrice des distances illisible" in page


def test_a_solver_that_dies_fails_the_job_not_the_server(app, client, make):
    data = small_season(make)
    job_id = _start(app, client, "5", "tests.jobs_fakes:die")
    _wait(app, job_id)
    job = _job(job_id)
    assert job.status == "failed" and "brutalement" in job.message
    assert _published_state(data["season"].id)[0] == []
    assert client.get("/operateur/planification/").status_code == 200


@pytest.mark.parametrize("value", ["", "abc", "0", "-5", "nan", "100000"])
def test_nonsense_time_limit_is_refused_and_nothing_queued(app, client, make, value, auth):
    from web.extensions import db
    from web.jobs.models import PlanningJob

    small_season(make)
    operator()
    auth.login()
    r = client.post(PLAN, data={"time_limit": value}, follow_redirects=True)
    assert r.status_code == 200
    assert "temps de calcul" in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(PlanningJob)) == 0


if redis_answers():

    @contextmanager
    def _rq_job(make_app, make):
        """The small season's job queued on the local Redis (the queue emptied first), inside the
        RQ app's context: yields the queue and the job."""
        from web.extensions import db
        from web.jobs.backends import redis_queue
        from web.jobs.operations import start_job

        with make_app(TOURPLAN_REDIS_URL=REDIS_URL).app_context():
            data = small_season(make)
            queue = redis_queue(REDIS_URL)
            queue.empty()
            job = start_job(db.session.merge(data["season"]), by="ops@example.fr", time_limit=2)
            yield queue, job

    def _after_a_worker(queue, job):
        """The job as its row stands once a worker has emptied the queue."""
        from redis import Redis
        from rq import SimpleWorker

        from web.extensions import db

        SimpleWorker([queue], connection=Redis.from_url(REDIS_URL)).work(burst=True)
        db.session.expire_all()
        return db.session.get(type(job), job.id)

    def test_rq_backend_runs_the_job_in_a_worker_and_reports_the_same_way(make_app, make):
        from web.jobs.backends import QUEUE_NAME
        from web.jobs.operations import job_status

        with _rq_job(make_app, make) as (queue, job):
            assert job.backend == "rq" and job.status == "queued" and job.rq_job_id
            assert queue.count == 1
            status = job_status(_after_a_worker(queue, job))
            assert status["status"] == "done", status["message"]
            assert status["version_id"] is not None and status["best_served_priority"] is not None
            assert queue.name == QUEUE_NAME

    def test_rq_job_stopped_before_a_worker_takes_it_never_runs(make_app, make):
        from web.jobs.operations import request_stop

        with _rq_job(make_app, make) as (queue, job):
            request_stop(job, by="ops@example.fr")
            job = _after_a_worker(queue, job)
            assert job.status == "stopped" and job.version_id is None and job.started_at is None


def test_export_plans_a_future_season_from_its_first_day(app, make):
    # The export plans from today on: a season in the future is planned from its first day.
    from web.jobs.operations import export_season

    data = small_season(make)
    problem, _serial = export_season(data["season"], today=date(2026, 11, 1))
    assert problem["horizon"]["start"] == "2027-03-01"


def _zombie(season_id: int, *, backend: str = "thread", beat_seconds_ago: float = 120.0):
    """A job row as a killed web server or RQ worker leaves it: "running", its heartbeat stopped
    ``beat_seconds_ago``, its time limit (an hour) far from reached."""
    from datetime import UTC, datetime, timedelta

    from web.extensions import db
    from web.jobs.models import PlanningJob

    now = datetime.now(UTC)
    zombie = PlanningJob(season_id=season_id, status="running", backend=backend, time_limit=3600, created_by="x",
                         created_at=now - timedelta(minutes=3), started_at=now - timedelta(minutes=3),
                         heartbeat_at=now - timedelta(seconds=beat_seconds_ago))
    db.session.add(zombie)
    db.session.commit()
    return zombie.id


@pytest.mark.parametrize("backend", ["thread", "rq"])
def test_a_job_whose_runner_was_killed_expires_and_a_new_plan_can_start(app, client, make, backend, auth):
    data = small_season(make)
    _publish_first_tour(data)
    before = _published_state(data["season"].id)
    zombie_id = _zombie(data["season"].id, backend=backend)
    operator()
    auth.login()
    # The next look at the job (its page) declares it dead, well before its hour is up.
    page = client.get(f"/operateur/planification/travaux/{zombie_id}").get_data(as_text=True)
    assert "Échouée" in page and "ne donne plus de nouvelles" in page
    assert 'http-equiv="refresh"' not in page
    old = _job(zombie_id)
    assert old.status == "failed" and old.version_id is None and old.finished_at is not None
    assert _published_state(data["season"].id) == before
    job_id = _press_plan(client, "2")
    assert job_id != zombie_id
    _wait(app, job_id)
    assert _job(job_id).status == "done"


def test_a_new_plan_is_not_refused_because_of_a_killed_job(app, client, make):
    data = small_season(make)
    zombie_id = _zombie(data["season"].id)
    job_id = _start(app, client, "2")
    assert job_id != zombie_id
    _wait(app, job_id)
    assert _job(job_id).status == "done"
    assert _job(zombie_id).status == "failed"


def test_stop_clears_a_job_whose_worker_is_gone_at_once(app, client, make, auth):
    from web.jobs.operations import request_stop

    data = small_season(make)
    zombie_id = _zombie(data["season"].id, backend="rq")
    operator()
    auth.login()
    r = client.post(f"/operateur/planification/travaux/{zombie_id}/arreter", follow_redirects=True)
    assert "déjà" not in r.get_data(as_text=True)  # not refused as "already ended"
    job = _job(zombie_id)
    assert job.status == "failed" and job.finished_at is not None and job.version_id is None
    assert "ne donne plus de nouvelles" in job.message and "inchangée" in job.message
    # Stopping it by the job layer (the API's way) is no error either, and the season is free again.
    assert request_stop(job, by="ops@example.fr").status == "failed"
    job_id = _press_plan(client, "2")
    _wait(app, job_id)
    assert _job(job_id).status == "done"


def test_a_job_with_a_recent_heartbeat_is_alive_whatever_its_age():
    from datetime import UTC, datetime, timedelta

    from web.jobs.models import PlanningJob
    from web.jobs.operations import HEARTBEAT_TIMEOUT_SECONDS, is_stale

    now = datetime.now(UTC)
    long_ago = now - timedelta(minutes=50)
    job = PlanningJob(status="running", time_limit=3600, backend="rq", started_at=long_ago, created_at=long_ago,
                      heartbeat_at=now - timedelta(seconds=5))
    assert not is_stale(job, now)
    # Silent past the margin: dead, though its hour is not up.
    assert is_stale(job, now + timedelta(seconds=HEARTBEAT_TIMEOUT_SECONDS))
    # A row from before heartbeats (or claimed an instant ago) is judged by its start.
    fresh = PlanningJob(status="running", time_limit=3600, backend="thread", started_at=now, created_at=now)
    assert not is_stale(fresh, now + timedelta(seconds=10))
    assert is_stale(fresh, now + timedelta(minutes=2))
    waiting = PlanningJob(status="queued", time_limit=10, backend="rq", created_at=now - timedelta(days=1))
    assert not is_stale(waiting, now)
    lost = PlanningJob(status="queued", time_limit=10, backend="thread", created_at=now - timedelta(hours=1))
    assert is_stale(lost, now)
    assert not is_stale(PlanningJob(status="done", time_limit=10, heartbeat_at=long_ago), now)


def test_a_running_job_beats_its_heartbeat(app, client, make, monkeypatch):
    from web.jobs import operations as jobs

    monkeypatch.setattr(jobs, "HEARTBEAT_SECONDS", 0.5)
    small_season(make)
    job_id = _start(app, client, "300", "tests.jobs_fakes:sleepy")
    try:
        _until(_progressed(job_id))
        first = _job(job_id).heartbeat_at
        assert first is not None
        _until(lambda: _job(job_id).heartbeat_at != first)
        job = _job(job_id)
        assert job.status == "running" and job.heartbeat_at > first
        assert not jobs.is_stale(job)
    finally:
        _stop(app, client, job_id)


def test_a_job_declared_dead_while_it_works_writes_no_draft(app, client, make, monkeypatch):
    from datetime import UTC, datetime, timedelta

    from web.extensions import db
    from web.jobs import operations as jobs
    from web.jobs.models import PlanningJob
    from web.tours.models import TourVersion

    monkeypatch.setattr(jobs, "HEARTBEAT_SECONDS", 3600.0)  # the runner only beats when it starts
    data = small_season(make)
    job_id = _start(app, client, "300", "tests.jobs_fakes:stoppable")
    _until(_progressed(job_id))
    # As if the runner had been silent for a minute: the next look declares the job dead ...
    db.session.execute(PlanningJob.__table__.update().where(PlanningJob.id == job_id)
                       .values(heartbeat_at=datetime.now(UTC) - timedelta(minutes=1)))
    db.session.commit()
    assert jobs.active_job(data["season"].id) is None
    # ... and the runner, still alive, gives up without bringing it back or leaving a draft.
    _wait(app, job_id, timeout=60)
    job = _job(job_id)
    assert job.status == "failed" and "ne donne plus de nouvelles" in job.message and job.version_id is None
    assert db.session.scalar(select(func.count()).select_from(TourVersion)) == 0


def test_the_schema_allows_one_active_job_per_season(app, make):
    from sqlalchemy.exc import IntegrityError

    from web.extensions import db
    from web.jobs.models import PlanningJob

    data = small_season(make)
    sid = data["season"].id
    db.session.add(PlanningJob(season_id=sid, status="running", time_limit=5))
    db.session.commit()
    db.session.add(PlanningJob(season_id=sid, status="queued", time_limit=5))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    # Finished jobs do not count.
    db.session.add_all([PlanningJob(season_id=sid, status=s, time_limit=5) for s in ("done", "failed", "stopped")])
    db.session.commit()


def test_a_start_that_loses_the_race_is_a_conflict_not_a_500(app, make, monkeypatch):
    from web.core.errors import ConflictError
    from web.extensions import db
    from web.jobs import operations as jobs
    from web.jobs.models import PlanningJob

    data = small_season(make)
    db.session.add(PlanningJob(season_id=data["season"].id, status="running", time_limit=5))
    db.session.commit()
    # As if the other operator's job were inserted just after our check.
    monkeypatch.setattr(jobs, "active_job", lambda season_id: None)
    with pytest.raises(ConflictError) as e:
        jobs.start_job(data["season"], by="ops@example.fr", time_limit=5)
    assert "vient d'être lancée" in e.value.message
    assert db.session.query(PlanningJob).count() == 1


# --------------------------------------------------------------------------- #
# The solver child: stop contract, and death with its parent
# --------------------------------------------------------------------------- #


def test_should_stop_is_passed_only_to_solvers_that_take_it():
    from tests import jobs_fakes
    from tourplan.optimiser import solve
    from web.jobs.runner import accepts_should_stop

    assert accepts_should_stop(jobs_fakes.stoppable)
    assert accepts_should_stop(lambda problem, **options: None)
    assert not accepts_should_stop(jobs_fakes.sleepy)
    # The real optimiser, whichever its version: it gets should_stop exactly when it declares it.
    import inspect

    assert accepts_should_stop(solve) == ("should_stop" in inspect.signature(solve).parameters)


def _alive(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie waiting for its reaper does not)."""
    import os

    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False
    except OSError:  # no /proc (macOS): ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def test_the_solver_child_dies_with_a_killed_parent(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    pidfile = tmp_path / "child.pid"
    root = Path(__file__).resolve().parent.parent
    parent = subprocess.Popen([sys.executable, "-m", "tests.jobs_fakes", str(pidfile)], cwd=root)
    try:
        deadline = time.monotonic() + 60
        while not (pidfile.exists() and pidfile.read_text()) and time.monotonic() < deadline:
            assert parent.poll() is None, "the parent process ended before its child solved"
            time.sleep(0.1)
        child = int(pidfile.read_text())
        assert child != parent.pid and _alive(child)
        os.kill(parent.pid, signal.SIGKILL)  # like kill -9 of a web server or RQ worker
        parent.wait(10)
        deadline = time.monotonic() + 5
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(child), "the solver child outlived its killed parent"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(10)
        if pidfile.exists() and pidfile.read_text() and _alive(int(pidfile.read_text())):
            os.kill(int(pidfile.read_text()), signal.SIGKILL)


_WATCH = """
import multiprocessing, os, sys, threading, time
from web.jobs.runner import watch_parent
control, parent_end = multiprocessing.Pipe(duplex=False)
stop = threading.Event()
parent_pid = os.getppid() if sys.argv[1] == "pipe" else os.getppid() + 100000
threading.Thread(target=watch_parent, args=(control, parent_pid, stop), daemon=True).start()
if sys.argv[1] == "pipe":
    parent_end.send("stop")
    assert stop.wait(5), "the stop message did not reach should_stop"
    print("stop seen", flush=True)
    parent_end.close()  # as when the parent process dies
time.sleep(30)
print("still running", flush=True)
"""


@pytest.mark.parametrize("lost", ["pipe", "ppid"])
def test_the_child_watch_turns_stop_into_should_stop_and_exits_when_the_parent_is_lost(lost):
    """The portable fallback of PR_SET_PDEATHSIG: end of the control pipe, or a new parent pid."""
    import subprocess
    import sys
    from pathlib import Path

    from web.jobs.runner import ORPHAN_EXIT_CODE

    root = Path(__file__).resolve().parent.parent
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", _WATCH, lost], cwd=root, capture_output=True, text=True, timeout=60)
    assert done.returncode == ORPHAN_EXIT_CODE, done.stderr
    assert "still running" not in done.stdout
    assert ("stop seen" in done.stdout) == (lost == "pipe")
    assert time.monotonic() - started < 20
