"""pytest plugin (re-exported by tests/conftest.py): the terminal summary ends with the
groups of tests this machine could not run (tests/groups.py says which and why)."""

from __future__ import annotations

from typing import Any

from tests import groups


def pytest_terminal_summary(terminalreporter: Any) -> None:
    missing = groups.not_run()
    if missing:
        terminalreporter.write_sep("-", "not run here")
        terminalreporter.write_line("not run here: " + ", ".join(missing))
