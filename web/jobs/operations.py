"""Planning jobs: queue, run, report, stop.

The job body (:func:`run_job`) is the same for both backends: it exports the
season (:func:`web.tours.operations.export_problem`, the one export every way of
planning uses), solves it in a child
process (:mod:`web.jobs.runner`) while writing its progress to the job row, and
imports the plan as a draft (:func:`web.tours.operations.import_plan`, which the
referee checks).  A stop keeps the best plan found so far the same way, as a
draft.  Nothing here touches the published version: a failure or a stop only
marks the job (and, for a failure, records a *failed* version like the command
line does).

A running job beats a heartbeat (``heartbeat_at``) every :data:`HEARTBEAT_SECONDS`;
one silent for :data:`HEARTBEAT_TIMEOUT_SECONDS` lost its runner (web server or
RQ worker killed) and is declared dead by the next look at it (:func:`get_job`,
:func:`active_job`, :func:`request_stop`), so the season can be planned again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from tourplan.plan import plan_from_json
from tourplan.problem import ProblemError
from web.core import formats
from web.core.errors import ConflictError, NotFoundError, OperationError
from web.core.types import utcnow
from web.extensions import db
from web.jobs.backends import backend_name, submit
from web.jobs.models import ACTIVE_STATUSES, PlanningJob
from web.jobs.runner import DEFAULT_SOLVER, GRACE_SECONDS, SolveFailed, SolveStopped, solve_in_child
from web.seasons.models import Season
from web.tours.operations import export_problem, import_plan, record_failed_run

STATUS_LABELS = {
    "queued": "En attente",
    "running": "En cours",
    "done": "Terminée",
    "failed": "Échouée",
    "stopped": "Arrêtée",
}
#: Bounds of the time an operator may give the optimiser (seconds).
MIN_TIME_LIMIT = 1.0
MAX_TIME_LIMIT = 3600.0
MAX_SEED = 2**31 - 1  # stored in an INTEGER column on every backend
#: Progress is written at most this often (seconds), so a fast search does not hammer the database.
PROGRESS_EVERY = 0.5
#: A running job writes its heartbeat this often (seconds) ...
HEARTBEAT_SECONDS = 5.0
#: ... and one whose heartbeat is older than this lost its runner: it is declared dead.
HEARTBEAT_TIMEOUT_SECONDS = 30.0
#: A job queued in a server's thread pool has no heartbeat until it starts: once it has waited
#: longer than its own run could take, plus this margin, the server that held it is gone.
QUEUED_MARGIN_SECONDS = 60.0
DEAD_MESSAGE = ("Interrompue : la planification ne donne plus de nouvelles (serveur ou worker arrêté ou "
                "redémarré ?). Aucun brouillon n'a été créé ; la tournée publiée est inchangée.")


def get_job(job_id: int) -> PlanningJob:
    """The job, declared dead first if its runner is gone (so pages never show a zombie as running)."""
    job = db.session.get(PlanningJob, job_id)
    if job is None:
        raise NotFoundError(f"aucune planification n'a le numéro {job_id}", "job")
    _end_if_stale(job, "failed", DEAD_MESSAGE)
    return job


def is_stale(job: PlanningJob, now: datetime | None = None) -> bool:
    """A job still marked active whose runner died (server restarted, worker killed): a running
    job whose heartbeat stopped, or a job queued in a thread pool far longer than its run could
    take. A queued RQ job may wait for a worker as long as it takes."""
    now = now or utcnow()
    if job.status == "running":
        beat = job.heartbeat_at or job.started_at or job.created_at
        return beat is None or now - beat > timedelta(seconds=HEARTBEAT_TIMEOUT_SECONDS)
    if job.status == "queued" and job.backend != "rq":
        waited = now - (job.created_at or now)
        return waited > timedelta(seconds=job.time_limit + GRACE_SECONDS + QUEUED_MARGIN_SECONDS)
    return False


def _end_if_stale(job: PlanningJob, status: str, message: str) -> bool:
    """End ``job`` with ``status`` if it is stale; False when it is alive (or ended meanwhile).
    The update only applies if the heartbeat is still the one judged stale, so a runner that
    beats at that very moment keeps its job."""
    db.session.refresh(job)
    if not is_stale(job):
        return False
    beat = PlanningJob.heartbeat_at
    ended = _finish(
        job.id, status, message,
        where=(beat.is_(None) if job.heartbeat_at is None else beat == job.heartbeat_at,
               PlanningJob.status == job.status),
    )
    db.session.refresh(job)
    return ended


def active_job(season_id: int) -> PlanningJob | None:
    job = _active_job(season_id)
    if job is not None and _end_if_stale(job, "failed", DEAD_MESSAGE):
        return _active_job(season_id)
    return job


def _active_job(season_id: int) -> PlanningJob | None:
    return db.session.execute(
        select(PlanningJob)
        .where(PlanningJob.season_id == season_id, PlanningJob.status.in_(ACTIVE_STATUSES))
        .order_by(PlanningJob.id.desc())
    ).scalars().first()


def parse_time_limit(value: Any) -> float:
    """The time limit from a form or JSON body, refused with a French message when not sensible."""
    if isinstance(value, bool):
        raise OperationError("le temps de calcul doit être un nombre de secondes", "time_limit")
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise OperationError("le temps de calcul doit être un nombre de secondes", "time_limit") from None
    if not MIN_TIME_LIMIT <= seconds <= MAX_TIME_LIMIT:  # also refuses NaN
        raise OperationError(
            f"le temps de calcul doit être entre {MIN_TIME_LIMIT:.0f} et {MAX_TIME_LIMIT:.0f} secondes", "time_limit"
        )
    return seconds


def parse_seed(value: Any) -> int | None:
    """The search's seed: absent, or a whole number from 0 to 2 147 483 647."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED:
        raise OperationError("la graine doit être un nombre entier entre 0 et 2147483647", "seed")
    return value


def start_job(season: Season, *, by: str, time_limit: float, seed: int | None = None) -> PlanningJob:
    """Queue a plan run of ``season`` and hand it to the backend; one at a time per season."""
    time_limit = parse_time_limit(time_limit)
    seed = parse_seed(seed)
    running = active_job(season.id)
    if running is not None:
        raise ConflictError(
            f"une planification de cette saison est déjà {STATUS_LABELS[running.status].lower()} "
            f"(n° {running.id}, lancée par {running.created_by or 'quelqu’un'}) ; attendez-la ou arrêtez-la",
            "season",
        )
    job = PlanningJob(
        season_id=season.id, status="queued", time_limit=time_limit, created_by=by, backend=backend_name(),
        seed=seed,
    )
    db.session.add(job)
    try:
        db.session.commit()
    except IntegrityError:
        # Someone started one between our check and our insert (the schema's unique index).
        db.session.rollback()
        raise ConflictError("une planification de cette saison vient d'être lancée par quelqu'un d'autre ; "
                            "suivez-la ou arrêtez-la", "season") from None
    try:
        submit(job, run_job, "web.jobs.tasks.run_planning_job")
        db.session.commit()
    except Exception as e:  # noqa: BLE001  - e.g. Redis down: the job must not stay "queued" forever
        current_app.logger.exception("could not queue planning job %s", job.id)
        _finish(job.id, "failed", f"la planification n'a pas pu être mise en file d'attente : {e}")
        db.session.refresh(job)
    return job


def request_stop(job: PlanningJob, *, by: str) -> PlanningJob:
    """Ask a job to stop. A queued job stops at once; a running one within seconds, keeping
    its best plan so far as a draft; one whose runner is gone ends at once."""
    _end_if_stale(job, "failed", DEAD_MESSAGE)
    if job.status == "failed" and job.message == DEAD_MESSAGE:
        # Its runner is gone (declared dead now or by the look that fetched it): the job has
        # ended, which is all a stop asks; refusing would leave the operator with no way out.
        return job
    if not job.active:
        raise ConflictError(f"cette planification est déjà {STATUS_LABELS[job.status].lower()}", "job")
    db.session.execute(
        update(PlanningJob).where(PlanningJob.id == job.id).values(stop_requested=True),
        execution_options={"synchronize_session": False},
    )
    # Only a job nobody has started yet is marked here; a running one marks itself.
    db.session.execute(
        update(PlanningJob)
        .where(PlanningJob.id == job.id, PlanningJob.status == "queued")
        .values(status="stopped", message=f"Arrêtée par {by} avant son démarrage.", finished_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    db.session.refresh(job)
    return job


def _finish(
    job_id: int, status: str, message: str, version_id: int | None = None, *, where: tuple[Any, ...] = ()
) -> bool:
    """End an active job; False (nothing written) when it had ended already, e.g. declared
    dead while its runner was slow: a finished job never comes back to life."""
    db.session.rollback()
    ended = db.session.execute(
        update(PlanningJob)
        .where(PlanningJob.id == job_id, PlanningJob.status.in_(ACTIVE_STATUSES), *where)
        .values(status=status, message=message[:10000], finished_at=utcnow(), version_id=version_id),
        execution_options={"synchronize_session": False},
    ).rowcount
    db.session.commit()
    return ended == 1


def export_season(season: Season, today: date | None = None) -> tuple[dict[str, Any], int]:
    """The problem to solve (JSON) and the publication serial it was exported against: the
    season's one export (:func:`web.tours.operations.export_problem`, operator's locks included)."""
    exported = export_problem(season, today=today)
    return exported.data, exported.base_serial


def run_job(job_id: int) -> None:
    """The job body, in an app context with its own session (thread or RQ worker)."""
    job = db.session.get(PlanningJob, job_id)
    if job is None:
        return
    # Claim the job: only one runner may move it from queued to running (a stop may have won).
    now = utcnow()
    claimed = db.session.execute(
        update(PlanningJob)
        .where(PlanningJob.id == job_id, PlanningJob.status == "queued")
        .values(status="running", started_at=now, heartbeat_at=now),
        execution_options={"synchronize_session": False},
    ).rowcount
    db.session.commit()
    if claimed != 1:
        return
    season = db.session.get(Season, job.season_id)
    season_id = job.season_id
    by = job.created_by
    time_limit = job.time_limit
    seed = job.seed
    data: dict[str, Any] | None = None
    base_serial, travel_source = 0, ""
    try:
        exported = export_problem(season)
        data, base_serial, travel_source = exported.data, exported.base_serial, exported.travel_source
        db.session.commit()  # end the read transaction: the search may last minutes
        stopped = False
        try:
            plan_json = solve_in_child(
                data,
                time_limit,
                on_progress=_progress_writer(job_id),
                should_stop=_job_watch(job_id),
                solver=current_app.config.get("TOURPLAN_SOLVER") or DEFAULT_SOLVER,
                seed=seed,
            )
        except SolveStopped as stop:
            if stop.plan is None:
                _finish(job_id, "stopped", "Arrêtée à la demande d'un opérateur ; le calcul n'a pas rendu de plan "
                                           "à temps, aucun brouillon n'a été gardé. La tournée publiée est inchangée.")
                return
            plan_json, stopped = stop.plan, True
        if not _beat(job_id):
            return  # declared dead meanwhile (or stopped as such): its plan has no job to report to
        plan = plan_from_json(plan_json, source="plan du solveur")
        # The best plan so far of a stopped run goes through the same referee-checked import.
        version = import_plan(season_id, data, plan, created_by=by, base_serial=base_serial,
                              travel_source=travel_source)
        db.session.commit()  # the draft is kept whatever happens to the job's own row next
        s = plan.stats
        summary = (f"{s.served} visites sur {s.visits}, priorité {s.served_priority} sur {s.total_priority}, "
                   f"{formats.km(s.distance_km)}")
        if stopped:
            _finish(job_id, "stopped", f"Arrêtée à la demande d'un opérateur : le meilleur plan trouvé jusque-là "
                                       f"est gardé comme brouillon n° {version.number} ({summary}). "
                                       "La tournée publiée est inchangée.", version.id)
        else:
            _finish(job_id, "done", f"Brouillon n° {version.number} : {summary}.", version.id)
        _write_progress(job_id, s.served_priority, s.total_priority, s.distance_km, s.solve_seconds)
    except (SolveFailed, ProblemError, OperationError) as e:
        _fail(job_id, season_id, data, str(e), by, base_serial, travel_source)
    except Exception as e:  # noqa: BLE001  - any crash must end as a failed job, never a stuck one
        current_app.logger.exception("planning job %s crashed", job_id)
        _fail(job_id, season_id, data, f"erreur inattendue : {type(e).__name__}: {e}", by, base_serial,
              travel_source)


def _fail(job_id: int, season_id: int, data: dict[str, Any] | None, message: str, by: str, serial: int,
          travel_source: str = "") -> None:
    db.session.rollback()
    text = f"Échec : {message}. La tournée publiée est inchangée."
    version_id = None
    if data is not None:
        try:
            version_id = record_failed_run(season_id, data, message, created_by=by, base_serial=serial,
                                           travel_source=travel_source).id
            db.session.commit()
        except Exception:  # noqa: BLE001  - the job's own status matters more than the trace
            db.session.rollback()
            current_app.logger.exception("could not record failed run of job %s", job_id)
    _finish(job_id, "failed", text, version_id)


def _write_progress(job_id: int, served: int, total: int, km: float, seconds: float) -> None:
    db.session.execute(
        update(PlanningJob)
        .where(PlanningJob.id == job_id)
        .values(best_served_priority=served, total_priority=total, best_km=round(km, 1), elapsed_seconds=seconds),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()


def _progress_writer(job_id: int):  # noqa: ANN202
    last = [0.0]

    def write(served: int, total: int, km: float, seconds: float) -> None:
        now = time.monotonic()
        if now - last[0] < PROGRESS_EVERY:
            return
        last[0] = now
        _write_progress(job_id, served, total, km, seconds)

    return write


def _beat(job_id: int) -> bool:
    """Write the job's heartbeat; False when the job is no longer running (declared dead meanwhile)."""
    alive = db.session.execute(
        update(PlanningJob)
        .where(PlanningJob.id == job_id, PlanningJob.status == "running")
        .values(heartbeat_at=utcnow()),
        execution_options={"synchronize_session": False},
    ).rowcount
    db.session.commit()
    return alive == 1


def _job_watch(job_id: int) -> Callable[[], bool]:
    """The runner's ``should_stop``, called several times a second while the child works: beats
    the heartbeat every :data:`HEARTBEAT_SECONDS` and reads the stop flag every
    :data:`PROGRESS_EVERY`. A job declared dead meanwhile stops too: nobody waits for it."""
    last_read = last_beat = float("-inf")

    def should_stop() -> bool:
        nonlocal last_read, last_beat
        now = time.monotonic()
        if now - last_beat >= HEARTBEAT_SECONDS:
            last_beat = now
            if not _beat(job_id):
                return True
        if now - last_read < PROGRESS_EVERY:
            return False
        last_read = now
        row = db.session.execute(
            select(PlanningJob.stop_requested, PlanningJob.status).where(PlanningJob.id == job_id)
        ).one_or_none()
        db.session.commit()  # do not keep a read transaction open between polls
        return row is None or bool(row.stop_requested) or row.status != "running"

    return should_stop


def job_status(job: PlanningJob) -> dict[str, Any]:
    """What the progress page and the API show."""
    return {
        "id": job.id,
        "season": job.season.slug,
        "status": job.status,
        "status_label": STATUS_LABELS[job.status],
        "backend": job.backend,
        "time_limit": job.time_limit,
        "best_served_priority": job.best_served_priority,
        "total_priority": job.total_priority,
        "best_km": job.best_km,
        "elapsed_seconds": round(job.elapsed_seconds, 1),
        "stop_requested": job.stop_requested,
        "message": job.message,
        "created_by": job.created_by,
        "created_at": job.created_at.isoformat() if job.created_at else None,
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "version_id": job.version_id,
    }


def recent_jobs(season_id: int, limit: int = 10) -> list[PlanningJob]:
    """The season's latest planning jobs, the newest first."""
    return list(db.session.execute(
        select(PlanningJob).where(PlanningJob.season_id == season_id).order_by(PlanningJob.id.desc()).limit(limit)
    ).scalars())
