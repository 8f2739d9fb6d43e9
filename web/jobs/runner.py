"""Run a solver in a child process, relaying its progress, and stop it on demand.

Why a child process rather than calling the solver in the job's thread:

* a native crash of the solver (OR-Tools is C++) or an out-of-memory kill then
  fails the job instead of taking the web server or the RQ worker down with it;
* a solver that cannot be asked to stop (or does not answer) can still be stopped
  for sure: terminating a process is the one sure stop.

Stopping is two-step.  The parent sends ``"stop"`` on a control pipe; a thread of
the child turns it into the ``should_stop()`` the solver polls (when the solver
accepts that keyword), and the solver returns the best plan found so far, which
comes back to the parent like a finished plan.  A solver that does not accept
``should_stop``, or does not answer within :data:`STOP_GRACE_SECONDS`, is terminated.

The child dies with its parent (web server or RQ worker killed with ``kill -9``):
on Linux the kernel kills it (``PR_SET_PDEATHSIG``); everywhere, the same child
thread exits the process when the control pipe reaches end-of-file or its parent
pid changes.  Otherwise an orphan would use a whole core until its time limit.

The child is *spawned* (not forked): forking a threaded web server is unsafe.
Spawning re-imports the parent's ``__main__`` module in the child, so a script that
starts jobs itself must keep its work under ``if __name__ == "__main__":`` (``flask
run``, gunicorn and ``rq worker`` do). No Flask here: the job layer passes plain callables.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import inspect
import multiprocessing
import os
import signal
import sys
import threading
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
#: After a stop, how long (seconds) the child has to send back its best plan before it is terminated.
STOP_GRACE_SECONDS = 15.0
#: How often (seconds) the child checks that its parent is still there (the portable fallback).
PARENT_CHECK_SECONDS = 0.5
#: Exit code of a child that ended because its parent disappeared.
ORPHAN_EXIT_CODE = 75
_PR_SET_PDEATHSIG = 1


class SolveStopped(Exception):
    """The operator asked to stop. ``plan`` is the best plan (JSON) the child sent back,
    or None when the solver could not be asked to stop or did not answer in time."""

    def __init__(self, plan: dict[str, Any] | None = None) -> None:
        super().__init__("stopped")
        self.plan = plan


class SolveFailed(Exception):
    """The solver raised, crashed or hung; the message says which, in French."""


def load_solver(name: str) -> Callable[..., Any]:
    module, _, func = name.partition(":")
    return getattr(importlib.import_module(module), func or "solve")


def accepts_should_stop(solve: Callable[..., Any]) -> bool:
    """Whether ``solve`` takes a ``should_stop`` keyword (older or fake solvers may not)."""
    try:
        params = inspect.signature(solve).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(
        (p.name == "should_stop" and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)) or p.kind == p.VAR_KEYWORD
        for p in params
    )


def _die_with_parent_linux() -> None:
    """Ask the kernel to kill this process when its parent (thread) ends: works even
    while the solver holds the GIL in C++ for seconds, which a Python thread cannot."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(Exception):  # no libc prctl (musl oddities...): the thread still watches
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def watch_parent(control: Any, parent_pid: int, stop: threading.Event) -> None:
    """Child thread body: a ``"stop"`` from the parent sets ``stop``; the end of the
    control pipe (the parent died, or gave up on this child) or a new parent pid
    (this process was orphaned and adopted) ends the process at once."""
    while True:
        try:
            if control.poll(PARENT_CHECK_SECONDS) and control.recv() == "stop":
                stop.set()
        except (EOFError, OSError):
            os._exit(ORPHAN_EXIT_CODE)
        if os.getppid() != parent_pid:
            os._exit(ORPHAN_EXIT_CODE)


def _child_main(
    solver_name: str, problem_json: dict[str, Any], time_limit: float, conn: Any, control: Any, parent_pid: int,
    seed: int | None = None,
) -> None:
    _die_with_parent_linux()
    stop = threading.Event()
    # Started before anything slow (imports of OR-Tools): a parent killed meanwhile is noticed too.
    threading.Thread(target=watch_parent, args=(control, parent_pid, stop), daemon=True,
                     name="tourplan-parent-watch").start()
    from tourplan.plan import plan_to_json
    from tourplan.problem import problem_from_json

    try:
        problem = problem_from_json(problem_json, source="saison exportée")
        solve = load_solver(solver_name)
        stoppable = accepts_should_stop(solve)
        conn.send(("ready", stoppable))

        def progress(served: int, total: int, km: float, seconds: float) -> None:
            conn.send(("progress", int(served), int(total), float(km), float(seconds)))

        extra: dict[str, Any] = {"should_stop": stop.is_set} if stoppable else {}
        if seed is not None:  # the operator asked for a reproducible search order
            extra["seed"] = seed
        plan = solve(problem, time_limit=time_limit, progress=progress, **extra)
        conn.send(("done", plan_to_json(plan)))
    except BaseException as e:  # noqa: BLE001  - everything goes back to the parent as a message
        detail = "".join(traceback.format_exception_only(type(e), e)).strip()
        # The parent may be gone already: then there is nobody left to tell.
        with contextlib.suppress(Exception):
            conn.send(("error", detail))
    finally:
        conn.close()


def _read_message(
    parent: Any, proc: Any, on_progress: Callable[[int, int, float, float], None], stoppable: bool | None
) -> tuple[dict[str, Any] | None, bool | None]:
    """Act on one message of the child: (the plan when it is done, whether it can be stopped)."""
    try:
        msg = parent.recv()
    except EOFError:
        proc.join(5)
        raise SolveFailed(f"le calcul s'est interrompu brutalement (code de sortie {proc.exitcode})") from None
    if msg[0] == "ready":
        return None, bool(msg[1])
    if msg[0] == "progress":
        on_progress(*msg[1:])
        return None, stoppable
    if msg[0] == "done":
        return msg[1], stoppable
    raise SolveFailed(f"le calcul a échoué : {msg[1]}")


def solve_in_child(
    problem_json: dict[str, Any],
    time_limit: float,
    *,
    on_progress: Callable[[int, int, float, float], None],
    should_stop: Callable[[], bool],
    solver: str = DEFAULT_SOLVER,
    seed: int | None = None,
) -> dict[str, Any]:
    """The plan (JSON) the solver returns; raises :class:`SolveStopped` (with the best plan
    found so far when the solver could give it) or :class:`SolveFailed`.

    ``on_progress`` and ``should_stop`` run in the calling thread, so they may use its
    database session; ``should_stop`` is called every :data:`POLL_SECONDS` for as long as
    the child lives, even after it returned True (the job layer beats its heartbeat
    there).  An exception raised by either stops the child and propagates.
    """
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    control_child, control = ctx.Pipe(duplex=False)
    proc = ctx.Process(
        target=_child_main, args=(solver, problem_json, time_limit, child, control_child, os.getpid(), seed),
        daemon=True
    )
    proc.start()
    child.close()
    control_child.close()
    deadline = time.monotonic() + time_limit + GRACE_SECONDS
    stoppable: bool | None = None  # unknown until the child has loaded the solver
    stop_deadline: float | None = None
    try:
        while True:
            if parent.poll(POLL_SECONDS):
                done, stoppable = _read_message(parent, proc, on_progress, stoppable)
                if done is not None:
                    if stop_deadline is not None:
                        raise SolveStopped(done)
                    return done
            if should_stop() and stop_deadline is None:
                stop_deadline = time.monotonic() + STOP_GRACE_SECONDS
                with contextlib.suppress(OSError):
                    control.send("stop")
            if stop_deadline is not None and (stoppable is False or time.monotonic() > stop_deadline):
                raise SolveStopped(None)
            if time.monotonic() > deadline:
                raise SolveFailed(f"le calcul ne s'est pas terminé {GRACE_SECONDS:.0f} s après son temps limite")
    finally:
        parent.close()
        control.close()
        if proc.is_alive():
            proc.terminate()
            proc.join(5)
            if proc.is_alive():
                proc.kill()
                proc.join(5)
        else:
            proc.join(5)
