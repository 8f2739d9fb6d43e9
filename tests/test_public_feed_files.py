"""A large feed is written once to a file of the instance folder and answered from it (the
WSGI server sends it with sendfile), by every worker, until the tour changes.

The test tour's feeds are a few KB: ``FILE_BODY_BYTES`` is lowered so they count as large.
"""

from __future__ import annotations

import gzip
from datetime import timedelta
from pathlib import Path
from typing import Any

import icalendar
import pytest
from flask import Flask

from tests.public_data import Row, make_tour, next_weekday
from tourplan.calendar import local_today
from web.public import operations

DAY = next_weekday(local_today() + timedelta(days=14), 2)
LARGE_URLS = ("/calendar.ics", "/vans/nord.ics", "/donnees/tournee.csv")


@pytest.fixture
def tour(app: Flask, make: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(operations, "FILE_BODY_BYTES", 0)
    t = make_tour(make)
    t.publish([Row(t.requests["mende"], t.vans["nord"], DAY, 9 * 60 + 30, 11 * 60 + 30, 0)])
    return t


def _files(app: Flask) -> dict[Path, bytes]:
    folder = Path(app.instance_path) / operations.BODY_FILES_FOLDER
    return {p: p.read_bytes() for p in folder.glob("*/*") if not p.name.startswith(".")}


@pytest.mark.parametrize("url", LARGE_URLS)
def test_a_large_body_is_built_once_and_sent_from_its_file_by_every_worker(
        app: Flask, make_app: Any, tour: Any, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    first = app.test_client().get(url)
    assert first.status_code == 200
    assert list(_files(app).values()) == [first.data]  # the file holds exactly the answer

    # A second worker (same database and instance folder) answers from that file without
    # building anything, with the same validators.
    other = make_app()
    monkeypatch.setattr(operations, "load_visits", lambda *a, **k: pytest.fail("the body was built again"))
    again = other.test_client().get(url)
    assert again.status_code == 200
    assert again.data == first.data
    for header in ("ETag", "Last-Modified", "Content-Type", "Content-Length", "Content-Disposition",
                   "Cache-Control", "Vary"):
        assert again.headers[header] == first.headers[header], header


def test_a_publication_makes_a_new_feed_file_and_removes_the_old_one(
        app: Flask, client: Any, tour: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(operations, "BODY_FILES_STALE_SECONDS", 0)
    first = client.get("/calendar.ics")
    assert client.get("/calendar.ics", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    (old_file,) = _files(app)

    tour.publish([Row(tour.requests["mende"], tour.vans["nord"], DAY, 14 * 60, 16 * 60, 0)])  # moved
    r = client.get("/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert r.status_code == 200 and r.headers["ETag"] != first.headers["ETag"]
    (event,) = icalendar.Calendar.from_ical(r.data).walk("VEVENT")
    assert event.decoded("SEQUENCE") == 1 and event.decoded("DTSTART").hour in (12, 13, 14)  # 14:00 Paris
    assert list(_files(app).values()) == [r.data]
    assert not old_file.parent.exists()  # the previous state's folder is gone
    assert client.get("/calendar.ics", headers={"If-None-Match": r.headers["ETag"]}).status_code == 304


def test_the_compressed_copy_of_a_file_feed_is_the_same_calendar(app: Flask, client: Any, tour: Any) -> None:
    plain = client.get("/calendar.ics")
    packed = client.get("/calendar.ics", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data
    assert int(packed.headers["Content-Length"]) == len(packed.data)
    assert packed.headers["ETag"] == plain.headers["ETag"][:-1] + ':gzip"'
    for r in (plain, packed):
        assert "Accept-Encoding" in r.headers["Vary"]
    assert "Content-Encoding" not in plain.headers
    again = client.get("/calendar.ics", headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304 and "Accept-Encoding" in again.headers["Vary"]


def test_a_feed_is_still_served_when_the_instance_folder_cannot_be_written(app: Flask, client: Any,
                                                                           tour: Any) -> None:
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    (Path(app.instance_path) / operations.BODY_FILES_FOLDER).write_text("not a folder")
    r = client.get("/calendar.ics")
    assert r.status_code == 200
    assert len(icalendar.Calendar.from_ical(r.data).walk("VEVENT")) == 1
    assert client.get("/calendar.ics", headers={"If-None-Match": r.headers["ETag"]}).status_code == 304
