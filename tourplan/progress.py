"""The search's progress shown to a person: a live bar on a terminal, plain lines in a log."""

from __future__ import annotations

import sys
from typing import Any


class SearchProgress:
    """The search's progress on stderr: a live bar on a terminal (tqdm), one line per update
    in a log or a pipe, so a log never becomes one long line of carriage returns."""

    def __init__(self, total: int, *, quiet: bool) -> None:
        self.quiet, self.total = quiet, total
        self.bar: Any = None

    def __enter__(self) -> SearchProgress:
        if not self.quiet and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, unit=" priority", file=sys.stderr, leave=True,
                            bar_format="{l_bar}{bar}| {n}/{total} priority {postfix}")
        return self

    def __call__(self, served_priority: int, total_priority: int, km: float, seconds: float) -> None:
        if self.quiet:
            return
        if self.bar is not None:
            if self.bar.total != total_priority:
                self.bar.total = total_priority  # callers that do not know it up front
            self.bar.n = served_priority
            self.bar.set_postfix_str(f"{km:.1f} km, {seconds:.1f} s")
            return
        print(f"  {seconds:6.1f} s   priority {served_priority}/{total_priority}   {km:9.1f} km", file=sys.stderr,
              flush=True)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()
