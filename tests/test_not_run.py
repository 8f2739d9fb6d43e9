"""The end of a test run names the groups this machine could not run (issue 11), read from
the same conditions the test modules use to define their tests (tests/groups.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests import groups

pytest_plugins = ["pytester"]

_TRIVIAL = "def test_one():\n    assert 1 + 1 == 2\n"


def _summary(pytester: Any) -> str:
    pytester.makepyfile(test_trivial=_TRIVIAL)
    result = pytester.runpytest_inprocess("-p", "tests.not_run", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    return result.stdout.str()


def _machine(monkeypatch: pytest.MonkeyPatch, *, chromium: bool, programs: set[str], redis: bool,
             pg: str) -> None:
    monkeypatch.setattr(groups, "have_chromium", lambda: chromium)
    monkeypatch.setattr(groups, "have_program", lambda name: name in programs)
    monkeypatch.setattr(groups, "redis_answers", lambda url=groups.REDIS_URL: redis)
    monkeypatch.setattr(groups, "postgresql_url", lambda: pg)


def test_a_bare_machine_names_every_group_it_left_out(pytester: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _machine(monkeypatch, chromium=False, programs=set(), redis=False, pg="")
    out = _summary(pytester)
    assert ("not run here: browser tests (no Chromium), calcurse/khal (not installed), "
            "Redis (no server on 127.0.0.1:6379), PostgreSQL (TOURPLAN_TEST_DATABASE_URL unset)") in out


def test_only_what_is_missing_is_named(pytester: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _machine(monkeypatch, chromium=True, programs={"calcurse"}, redis=True,
             pg="postgresql+psycopg://postgres@127.0.0.1:5432/x")
    out = _summary(pytester)
    assert "not run here: khal (not installed), SQLite-only tests (the suite runs on PostgreSQL)" in out
    assert "Chromium" not in out and "Redis" not in out
