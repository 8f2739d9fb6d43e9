"""Stand-in solvers for job tests, named by ``TOURPLAN_SOLVER`` and run in the job's child
process. They behave like a solver that hangs, raises, dies or is asked to stop, which the
real optimiser cannot be made to do on demand.

Run as a script (``python -m tests.jobs_fakes PIDFILE``), this module plays a web server or
RQ worker running one job, so a test can kill it with SIGKILL and watch its solver child."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any

#: Where :func:`sleepy_telling_pid` writes the pid of the child process it runs in.
PIDFILE_ENV = "TOURPLAN_TEST_SOLVER_PIDFILE"


def sleepy(problem: Any, time_limit: float = 10.0, progress: Any = None) -> Any:
    """Reports a first plan, then searches 'forever' (until the job stops it). It cannot be
    asked to stop (no ``should_stop``), like an older solver: the runner terminates it."""
    if progress is not None:
        progress(1, problem.total_priority, 42.0, 0.1)
    time.sleep(600)
    raise AssertionError("should have been stopped")


def sleepy_telling_pid(problem: Any, time_limit: float = 10.0, progress: Any = None) -> Any:
    with open(os.environ[PIDFILE_ENV], "w") as f:
        f.write(str(os.getpid()))
    return sleepy(problem, time_limit, progress)


def stoppable(
    problem: Any, time_limit: float = 10.0, progress: Any = None, *, should_stop: Callable[[], bool] | None = None
) -> Any:
    """Honours the optimiser's stop contract: searches until ``should_stop()`` is True, then
    returns a complete valid plan (the real optimiser's, after a short search)."""
    assert should_stop is not None, "the runner did not pass should_stop to a solver that accepts it"
    if progress is not None:
        progress(1, problem.total_priority, 42.0, 0.1)
    deadline = time.monotonic() + 600
    while not should_stop():
        if time.monotonic() > deadline:
            raise AssertionError("should have been asked to stop")
        time.sleep(0.05)
    from tourplan.optimiser import solve

    return solve(problem, time_limit=1.0)


def deaf(
    problem: Any, time_limit: float = 10.0, progress: Any = None, *, should_stop: Callable[[], bool] | None = None
) -> Any:
    """Accepts ``should_stop`` but never looks at it (a search stuck in native code)."""
    return sleepy(problem, time_limit, progress)


def explode(problem: Any, time_limit: float = 10.0, progress: Any = None) -> Any:
    raise RuntimeError("solveur en panne : matrice des distances illisible")


def die(problem: Any, time_limit: float = 10.0, progress: Any = None) -> Any:
    os._exit(3)  # like a native crash or an out-of-memory kill


if __name__ == "__main__":
    from tests.builders import problem_data
    from web.jobs.runner import solve_in_child

    os.environ[PIDFILE_ENV] = sys.argv[1]  # the spawned child inherits it
    solve_in_child(problem_data(), 600, on_progress=lambda *a: None, should_stop=lambda: False,
                   solver="tests.jobs_fakes:sleepy_telling_pid")


def tell_seed(problem: Any, time_limit: float = 10.0, progress: Any = None, seed: Any = None) -> Any:
    raise RuntimeError(f"graine reçue : {seed!r}")
