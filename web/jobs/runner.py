"""Run a solver in a child process, relaying its progress, and stop it on demand.

Why a child process rather than calling the solver in the job's thread:

* a stop must take effect within a second, and the optimiser reports progress
  only between search windows (several seconds apart) with no way to interrupt
  OR-Tools from another thread: terminating a process is the one sure stop;
* a native crash of the solver (OR-Tools is C++) or an out-of-memory kill then
  fails the job instead of taking the web server or the RQ worker down with it.

The child is *spawned* (not forked): forking a threaded web server is unsafe.
Spawning re-imports the parent's ``__main__`` module in the child, so a script that
starts jobs itself must keep its work under ``if __name__ == "__main__":`` (``flask
run``, gunicorn and ``rq worker`` do). No Flask here: the job layer passes plain callables.
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import time
import traceback
from collections.abc import Callable
from typing import Any

#: The solver used unless the app's ``TOURPLAN_SOLVER`` names another ("module:function").
DEFAULT_SOLVER = "tourplan.optimiser:solve"
#: How often (seconds) the parent looks for a stop request while the child works.
POLL_SECONDS = 0.2
#: A child still running this long after its time limit is considered stuck.
GRACE_SECONDS = 120.0


class SolveStopped(Exception):
    """The operator asked to stop; the child was terminated."""


class SolveFailed(Exception):
    """The solver raised, crashed or hung; the message says which, in French."""


def load_solver(name: str) -> Callable[..., Any]:
    module, _, func = name.partition(":")
    return getattr(importlib.import_module(module), func or "solve")


def _child_main(solver_name: str, problem_json: dict[str, Any], time_limit: float, conn: Any) -> None:
    from tourplan.plan import plan_to_json
    from tourplan.problem import problem_from_json

    try:
        problem = problem_from_json(problem_json, source="saison exportée")
        solve = load_solver(solver_name)

        def progress(served: int, total: int, km: float, seconds: float) -> None:
            conn.send(("progress", int(served), int(total), float(km), float(seconds)))

        plan = solve(problem, time_limit=time_limit, progress=progress)
        conn.send(("done", plan_to_json(plan)))
    except BaseException as e:  # noqa: BLE001  - everything goes back to the parent as a message
        detail = "".join(traceback.format_exception_only(type(e), e)).strip()
        # The parent may be gone already: then there is nobody left to tell.
        with contextlib.suppress(Exception):
            conn.send(("error", detail))
    finally:
        conn.close()


def solve_in_child(
    problem_json: dict[str, Any],
    time_limit: float,
    *,
    on_progress: Callable[[int, int, float, float], None],
    should_stop: Callable[[], bool],
    solver: str = DEFAULT_SOLVER,
) -> dict[str, Any]:
    """The plan (JSON) the solver returns; raises :class:`SolveStopped` or :class:`SolveFailed`.

    ``on_progress`` and ``should_stop`` run in the calling thread, so they may use its
    database session.  An exception raised by either stops the child and propagates.
    """
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child_main, args=(solver, problem_json, time_limit, child), daemon=True)
    proc.start()
    child.close()
    deadline = time.monotonic() + time_limit + GRACE_SECONDS
    try:
        while True:
            if parent.poll(POLL_SECONDS):
                try:
                    msg = parent.recv()
                except EOFError:
                    proc.join(5)
                    raise SolveFailed(
                        f"le calcul s'est interrompu brutalement (code de sortie {proc.exitcode})"
                    ) from None
                if msg[0] == "progress":
                    on_progress(*msg[1:])
                elif msg[0] == "done":
                    return msg[1]
                else:
                    raise SolveFailed(f"le calcul a échoué : {msg[1]}")
            if should_stop():
                raise SolveStopped()
            if time.monotonic() > deadline:
                raise SolveFailed(f"le calcul ne s'est pas terminé {GRACE_SECONDS:.0f} s après son temps limite")
    finally:
        parent.close()
        if proc.is_alive():
            proc.terminate()
            proc.join(5)
            if proc.is_alive():
                proc.kill()
                proc.join(5)
        else:
            proc.join(5)
