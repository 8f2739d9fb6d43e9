"""Real calendar programs (Debian's calcurse and khal) import our feed.

Each test exists only when its program is installed: CI installs both
(`apt-get install -y calcurse khal`), so they run there instead of being
reported as skipped.  The programs run in UTC and in Europe/Paris: in UTC
the wall-clock times prove they applied our VTIMEZONE, not just copied digits.
"""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tests.groups import have_program
from tourplan.ical import FeedEvent, build_feed, local_span, visit_uid

STAMP = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def _event(visit_id: int, day: date, start: int, end: int, summary: str, cancelled: bool = False) -> FeedEvent:
    s, e = local_span(day, start, end)
    return FeedEvent(
        uid=visit_uid(visit_id, "tour.example.org"), sequence=2 if cancelled else 0, summary=summary,
        start=s, end=e, dtstamp=STAMP, last_modified=STAMP,
        location="Mairie, 1 place du Foirail, 48100 Marvejols", geo=(44.55, 3.29),
        url=f"https://tour.example.org/visites/{visit_id}", description="Atelier\nÀ apporter : carte Vitale",
        cancelled=cancelled,
    )


FEED = build_feed(
    [
        _event(1, date(2026, 7, 1), 9 * 60 + 30, 11 * 60 + 30, "Atelier été Marvejols"),
        _event(2, date(2026, 12, 2), 14 * 60, 16 * 60, "Atelier hiver Marvejols", cancelled=True),
    ],
    name="Tournée test",
    prodid="-//tourplan//test//FR",
)

# Written out by hand: (start, end, title) as each zone's wall clock shows them.
EXPECTED = {
    "UTC": [
        ("2026-07-01 07:30", "2026-07-01 09:30", "Atelier été Marvejols"),
        ("2026-12-02 13:00", "2026-12-02 15:00", "ANNULÉ – Atelier hiver Marvejols"),
    ],
    "Europe/Paris": [
        ("2026-07-01 09:30", "2026-07-01 11:30", "Atelier été Marvejols"),
        ("2026-12-02 14:00", "2026-12-02 16:00", "ANNULÉ – Atelier hiver Marvejols"),
    ],
}
ZONES = sorted(EXPECTED)


def _run(args: list[str], tmp: Path, tz: str) -> str:
    env = {**os.environ, "TZ": tz, "HOME": str(tmp), "XDG_CONFIG_HOME": str(tmp / "cfg"),
           "XDG_DATA_HOME": str(tmp / "data"), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, f"{args[0]} failed: {done.stderr}"
    return done.stdout


def _feed_and_store(tmp: Path, store: str) -> tuple[Path, Path]:
    """Our feed written in ``tmp``, and an empty folder there for the program to keep it in."""
    feed = tmp / "tour.ics"
    feed.write_bytes(FEED)
    (tmp / store).mkdir()
    return feed, tmp / store


if have_program("calcurse"):

    @pytest.mark.parametrize("tz", ZONES)
    def test_calcurse_imports_visits_at_the_right_local_times(tmp_path: Path, tz: str) -> None:
        feed, data = _feed_and_store(tmp_path, "calcurse")
        report = _run(["calcurse", "-D", str(data), "-i", str(feed)], tmp_path, tz)
        assert "2 apps" in report and "0 skipped" in report, report
        out = _run(["calcurse", "-D", str(data), "--input-datefmt", "4", "-Q", "--from", "2026-06-01",
                    "--days", "300", "--format-apt", "%(start:%Y-%m-%d %H:%M)|%(end:%Y-%m-%d %H:%M)|%m\\n"],
                   tmp_path, tz)
        rows = [tuple(line.split("|")) for line in out.splitlines() if line.count("|") == 2]
        # calcurse has no notion of a cancelled event: the title is what tells.
        assert rows == EXPECTED[tz]


if have_program("khal"):

    @pytest.mark.parametrize("tz", ZONES)
    def test_khal_imports_visits_at_the_right_local_times_and_sees_cancellation(tmp_path: Path, tz: str) -> None:
        feed, vdir = _feed_and_store(tmp_path, "vdir")
        config = tmp_path / "khal.conf"
        config.write_text(
            "[calendars]\n[[tour]]\n"
            f"path = {vdir}\ntype = calendar\n"
            "[locale]\n"
            "timeformat = %H:%M\ndateformat = %Y-%m-%d\nlongdateformat = %Y-%m-%d\n"
            "datetimeformat = %Y-%m-%d %H:%M\nlongdatetimeformat = %Y-%m-%d %H:%M\n"
            f"local_timezone = {tz}\ndefault_timezone = {tz}\n"
            f"[sqlite]\npath = {tmp_path / 'khal.db'}\n",
            encoding="utf-8",
        )
        _run(["khal", "-c", str(config), "import", "--batch", "-a", "tour", str(feed)], tmp_path, tz)
        # One file per UID in the vdir: khal kept our identifiers.
        assert sorted(p.name for p in vdir.iterdir()) == ["visit-1@tour.example.org.ics",
                                                            "visit-2@tour.example.org.ics"]
        out = _run(["khal", "-c", str(config), "list", "--format", "{start}|{end}|{title}|{cancelled}",
                    "2026-06-01", "300d"], tmp_path, tz)
        rows = [tuple(line.split("|")) for line in out.splitlines() if line.count("|") == 3]
        assert [r[:3] for r in rows] == EXPECTED[tz]
        assert [r[3].strip() for r in rows] == ["", "CANCELLED"]
