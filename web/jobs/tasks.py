"""Entry points for ``rq worker tourplan`` processes.

A worker imports this module and calls :func:`run_planning_job` with the job id.
It builds the app from the environment (``TOURPLAN_DATABASE_URL`` ...), unless an
app context is already active (a worker run inside the app, as the tests do).
"""

from __future__ import annotations

from flask import has_app_context


def run_planning_job(job_id: int) -> None:
    from web.extensions import db
    from web.jobs.operations import run_job

    if has_app_context():
        run_job(job_id)
        return
    from web import create_app

    app = create_app()
    with app.app_context():
        try:
            run_job(job_id)
        finally:
            db.session.remove()
