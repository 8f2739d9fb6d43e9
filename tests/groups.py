"""The groups of tests that need something the machine may lack, and the one test of each
condition. The tests define themselves under these conditions (so they are not collected
where the condition fails, never skipped), and ``make test`` ends by naming the groups it
could not run (tests/not_run.py), so a local green run does not hide them."""

from __future__ import annotations

import functools
import os
import shutil

from tests.browser import HAVE_CHROMIUM


def postgresql_url() -> str:
    return os.environ.get("TOURPLAN_TEST_DATABASE_URL", "").strip()


# `make test` runs the SQLite and the PostgreSQL suites side by side: each has its own Redis
# database, so one suite emptying its job queue never takes the other's job.
REDIS_URL = f"redis://127.0.0.1:6379/{13 if postgresql_url() else 15}"


def have_chromium() -> bool:
    return HAVE_CHROMIUM


def have_program(name: str) -> bool:
    return shutil.which(name) is not None


@functools.cache
def redis_answers(url: str = REDIS_URL) -> bool:
    """Whether a Redis server answers on ``url`` (asked once per session)."""
    try:
        from redis import Redis

        return bool(Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except Exception:  # noqa: BLE001 - any failure means: no Redis to test against
        return False




def not_run() -> list[str]:
    """The groups this machine cannot run, each with why, in plain words."""
    missing = []
    if not have_chromium():
        missing.append("browser tests (no Chromium)")
    programs = [p for p in ("calcurse", "khal") if not have_program(p)]
    if programs:
        missing.append(f"{'/'.join(programs)} (not installed)")
    if not redis_answers():
        missing.append("Redis (no server on 127.0.0.1:6379)")
    if postgresql_url():
        missing.append("SQLite-only tests (the suite runs on PostgreSQL)")
    else:
        missing.append("PostgreSQL (TOURPLAN_TEST_DATABASE_URL unset)")
    return missing
