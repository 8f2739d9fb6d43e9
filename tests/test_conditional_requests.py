"""A calendar app or browser that kept a compressed copy gets a 304, not the whole feed again.

Flask-Compress marks the ETag of a compressed answer with its coding (``"…:br"``); the
client sends that tag back, and the site must see it names the copy it has.
"""

from __future__ import annotations

from tests.public_data import Row, make_tour, next_weekday
from tourplan.calendar import local_today


def publish_sample(make) -> None:  # noqa: ANN001
    t = make_tour(make)
    day = next_weekday(local_today(), 2)
    t.publish([Row(t.requests["mende"], t.vans["nord"], day, 9 * 60 + 30, 11 * 60 + 30, 0)])


def test_a_compressed_copys_etag_gets_a_304_without_building_the_feed(app, client, make, monkeypatch):
    publish_sample(make)
    first = client.get("/calendar.ics", headers={"Accept-Encoding": "br, gzip"})
    assert first.status_code == 200
    tag = first.headers["ETag"]
    assert tag.endswith((':br"', ':gzip"')), tag

    class NoBody:
        def rendered(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            raise AssertionError("a current copy must be answered before the feed is built or read")

    from web.public import operations

    monkeypatch.setattr(operations, "cache", lambda: NoBody())
    again = client.get("/calendar.ics", headers={"Accept-Encoding": "br, gzip", "If-None-Match": tag})
    assert again.status_code == 304
    assert again.get_data() == b""


def test_an_unknown_etag_still_gets_the_feed(app, client, make):
    publish_sample(make)
    r = client.get("/calendar.ics", headers={"If-None-Match": '"not-this-one:br"'})
    assert r.status_code == 200 and b"BEGIN:VCALENDAR" in r.get_data()


def test_the_public_state_is_remembered_a_moment_and_forgotten_on_a_change(app, make, monkeypatch):
    from web.core import signals
    from web.public import operations

    app.config["TOURPLAN_STATE_SECONDS"] = 60
    publish_sample(make)
    asked = []
    read = operations._read_tour_state
    monkeypatch.setattr(operations, "_read_tour_state", lambda today: asked.append(today) or read(today))
    first = operations.tour_state()
    assert operations.tour_state() is first and len(asked) == 1  # a burst asks the database once
    signals.visits_changed.send(1, created=[], changed=[], cancelled=[], by="test")
    operations.tour_state()
    assert len(asked) == 2  # a change in this process is seen at once
