"""Where planning jobs run: a worker thread of the app, or an RQ queue.

Thread (default): a small ``ThreadPoolExecutor`` per app; each job gets its own
app context, hence its own database session.  RQ (``TOURPLAN_REDIS_URL`` set):
the job id goes to the ``tourplan`` queue; ``rq worker tourplan`` processes
(started with the same configuration, e.g. ``TOURPLAN_DATABASE_URL``) run
:func:`web.jobs.tasks.run_planning_job`.  State and progress live in the
database either way.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from flask import Flask, current_app

from web.extensions import db
from web.jobs.models import PlanningJob

QUEUE_NAME = "tourplan"
#: Extra seconds RQ gives a job beyond its solver time limit (export, import, spawning).
RQ_TIMEOUT_MARGIN = 600


def backend_name() -> str:
    return "rq" if current_app.config.get("TOURPLAN_REDIS_URL") else "thread"


def _executor(app: Flask) -> ThreadPoolExecutor:
    state = app.extensions.setdefault("tourplan_jobs", {"futures": {}})
    if "executor" not in state:
        # Few workers: each job spawns a solver process that uses a whole core.
        workers = int(app.config.get("TOURPLAN_JOB_THREADS", 1))
        state["executor"] = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="tourplan-job")
    return state["executor"]


def _run_in_thread(app: Flask, body: Callable[[int], None], job_id: int) -> None:
    with app.app_context():
        try:
            body(job_id)
        finally:
            db.session.remove()


def redis_queue(url: str) -> Any:
    from redis import Redis
    from rq import Queue

    return Queue(QUEUE_NAME, connection=Redis.from_url(url))


def submit(job: PlanningJob, body: Callable[[int], None], task: str) -> None:
    """Run ``body(job.id)`` in this app's thread pool, or queue ``task`` (its dotted name, for
    an RQ worker) when Redis is configured. The caller hands the body in: this module knows
    where jobs run, not what they do."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    url = app.config.get("TOURPLAN_REDIS_URL")
    if url:
        queue = redis_queue(url)
        rq_job = queue.enqueue(
            task,
            job.id,
            job_timeout=int(job.time_limit) + RQ_TIMEOUT_MARGIN,
            result_ttl=3600,
            failure_ttl=7 * 24 * 3600,
        )
        job.rq_job_id = rq_job.id  # stored by the caller's commit
        return
    future = _executor(app).submit(_run_in_thread, app, body, job.id)
    app.extensions["tourplan_jobs"]["futures"][job.id] = future


def thread_future(app: Flask, job_id: int) -> Future[None] | None:
    """The future of a job run in this process's thread pool (tests wait on it)."""
    return app.extensions.get("tourplan_jobs", {}).get("futures", {}).get(job_id)
