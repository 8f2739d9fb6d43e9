"""What the van offers: the catalogue of activities a commune can ask for.

One small public constant, shared by the demo generator and the web site's
catalogue, so that a request's duration, equipment and priority mean the same
thing everywhere. The catalogue itself is data, in ``activities.toml`` next to
this module; its texts are in French: they are shown to communes.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from tourplan.problem import parse_time

#: The priority scale of a visit (catalogue, requests, the web's checks): 1 = nice to have … 5 = essential.
PRIORITY_MIN, PRIORITY_MAX = 1, 5


def N_(text: str) -> str:  # noqa: N802 - the usual gettext marker name
    """Marks a French text for the web site's catalogue (``pybabel -k N_``); returns it as is."""
    return text


# Equipment names, as written in problem files (``vans[].equipment``, ``requests[].equipment``);
# the public pages translate them (web.requests.forms.equipment_text).
EQUIPMENT = {
    "laptops": N_("ordinateurs portables"),
    "tablets": N_("tablettes"),
    "satellite-uplink": N_("connexion internet par satellite"),
    "3d-printer": N_("imprimantes 3D"),
    "robots": N_("robots éducatifs"),
}

CATALOGUE = Path(__file__).with_name("activities.toml")


@dataclass(frozen=True)
class Activity:
    """One activity of the catalogue: what communes read of it, then how it is planned.

    Attributes
    ----------
    key
        Its identifier (the web's activity slug).
    name, description, audience
        Shown to communes.
    bring
        What the participants should bring.
    duration_minutes, equipment
        One visit's length and the van equipment it needs (:data:`EQUIPMENT` names).
    priority
        The weight of one visit in the optimiser's objective, :data:`PRIORITY_MIN` to
        :data:`PRIORITY_MAX`.
    earliest_start, latest_end
        Its usual hours, minutes after midnight.
    weekdays
        Fixed ISO weekdays (school days); None: the host's days.
    at_town_hall
        Held at the town hall, so on its opening days.
    min_occurrences, max_occurrences, min_days_between
        How many visits a request asks for, and the days at least between two.
    """

    # What it is, as communes read it.
    key: str
    name: str
    description: str
    audience: str
    bring: str
    # How it is planned.
    duration_minutes: int
    equipment: tuple[str, ...]
    priority: int
    earliest_start: int = 9 * 60
    latest_end: int = 17 * 60
    weekdays: tuple[int, ...] | None = None
    at_town_hall: bool = False
    min_occurrences: int = 1
    max_occurrences: int = 1
    min_days_between: int = 0

    @property
    def recurring(self) -> bool:
        return self.max_occurrences > 1


def load_catalogue(path: Path = CATALOGUE) -> tuple[Activity, ...]:
    """The activities of a catalogue file (TOML, one ``[[activity]]`` table each).

    Parameters
    ----------
    path
        The file; by default the catalogue shipped with tourplan.

    Returns
    -------
    tuple of Activity
        In the file's order.

    Raises
    ------
    ValueError
        An entry with an unknown or missing field, an hour not written HH:MM, or a priority
        outside the scale; the message names the entry.
    """
    with path.open("rb") as f:
        entries = tomllib.load(f).get("activity", [])
    return tuple(_activity(entry, f"{path.name}: activity {i + 1}") for i, entry in enumerate(entries))


def _activity(entry: dict[str, Any], where: str) -> Activity:
    known = {f.name for f in fields(Activity)}
    unknown = set(entry) - known
    if unknown:
        raise ValueError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    values = dict(entry)
    try:
        for name in ("earliest_start", "latest_end"):
            if name in values:
                values[name] = parse_time(values[name])
    except (TypeError, ValueError) as e:
        raise ValueError(f"{where}: {e}") from None
    values["equipment"] = tuple(values.get("equipment", ()))
    if values.get("weekdays") is not None:
        values["weekdays"] = tuple(values["weekdays"])
    try:
        activity = Activity(**values)
    except TypeError as e:  # a field left out
        raise ValueError(f"{where}: {e}") from None
    if not PRIORITY_MIN <= activity.priority <= PRIORITY_MAX:
        raise ValueError(f"{where}: priority {activity.priority} is outside {PRIORITY_MIN}..{PRIORITY_MAX}")
    return activity


ACTIVITIES: tuple[Activity, ...] = load_catalogue()
ACTIVITY_BY_KEY: dict[str, Activity] = {a.key: a for a in ACTIVITIES}
