"""What the tests of asking for a visit share: the season a commune asks in (from next week
for four months), Mende in it, and the catalogue's "Aide aux démarches". The form filled in a
browser is ``fill_request_form`` in tests/browser.py; through the test client, ``valid_data``
in tests/test_request_form.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tourplan.calendar import local_today

TODAY = local_today()
START = TODAY + timedelta(days=7)
END = TODAY + timedelta(days=120)


def aide_aux_demarches() -> Any:
    """The catalogue's "Aide aux démarches": two hours, laptops. Added to the session."""
    from web.activities.models import Activity
    from web.extensions import db

    activity = Activity(slug="demarches", name="Aide aux démarches", duration_minutes=120, equipment=["laptops"])
    db.session.add(activity)
    return activity


def open_season(make: Any, activity: Any = None) -> dict[str, Any]:
    """The season "printemps" from ``START`` to ``END``, Mende (48095, its town hall on Place
    Urbain V) and ``activity`` ("Aide aux démarches" when None). Flushed, not committed:
    the caller adds what its test needs."""
    from web.extensions import db

    season = make.season("printemps", start=START, end=END)
    mende = make.commune("48095", name="Mende", postal_codes=["48000"], townhall_address="Place Urbain V")
    activity = activity if activity is not None else aide_aux_demarches()
    db.session.flush()
    return {"season": season, "mende": mende, "activity": activity}
