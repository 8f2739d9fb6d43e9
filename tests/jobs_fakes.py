"""Stand-in solvers for job tests, named by ``TOURPLAN_SOLVER`` and run in the job's child
process. They behave like a solver that hangs, raises or dies, which the real optimiser
cannot be made to do on demand."""

from __future__ import annotations

import os
import time
from typing import Any


def sleepy(problem: Any, time_limit: float = 10.0, progress: Any = None) -> Any:
    """Reports a first plan, then searches 'forever' (until the job stops it)."""
    if progress is not None:
        progress(1, problem.total_priority, 42.0, 0.1)
    time.sleep(600)
    raise AssertionError("should have been stopped")


def explode(problem: Any, time_limit: float = 10.0, progress: Any = None) -> Any:
    raise RuntimeError("solveur en panne : matrice des distances illisible")


def die(problem: Any, time_limit: float = 10.0, progress: Any = None) -> Any:
    os._exit(3)  # like a native crash or an out-of-memory kill
