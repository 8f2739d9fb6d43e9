"""The activity catalogue, seeded from :mod:`tourplan.activities`."""

from __future__ import annotations

from sqlalchemy import select

from tourplan.activities import ACTIVITIES
from web.activities.models import Activity
from web.extensions import db


def sync_catalogue() -> list[Activity]:
    """Insert the standard activities missing from the catalogue (matched on slug); operators'
    edits of existing ones are kept."""
    have = {a.slug: a for a in db.session.execute(select(Activity)).scalars()}
    out = []
    for a in ACTIVITIES:
        row = have.get(a.key)
        if row is None:
            row = Activity(
                slug=a.key,
                name=a.name,
                description=a.description,
                duration_minutes=a.duration_minutes,
                equipment=list(a.equipment),
                priority=a.priority,
                what_to_bring=a.bring,
                audience=a.audience,
            )
            db.session.add(row)
        out.append(row)
    return out


def catalogue() -> list[Activity]:
    """The activities a request can name, by name."""
    return list(db.session.execute(select(Activity).order_by(Activity.name, Activity.id)).scalars())


def find_activity(slug: str) -> Activity | None:
    return db.session.execute(select(Activity).where(Activity.slug == slug)).scalar_one_or_none()
