"""The activity catalogue (tourplan/activities.toml): what it holds is usable everywhere, and
a mistake made while editing it is refused with the entry named."""

from __future__ import annotations

import pytest

from tourplan.activities import ACTIVITIES, EQUIPMENT, PRIORITY_MAX, PRIORITY_MIN, load_catalogue

_GOOD = '''
key = "x"
name = "Atelier"
description = "Un atelier."
audience = "Tout public"
bring = "Rien"
duration_minutes = 60
equipment = ["laptops"]
priority = 2
'''


def test_the_shipped_catalogue_is_consistent():
    assert len({a.key for a in ACTIVITIES}) == len(ACTIVITIES) >= 1
    for a in ACTIVITIES:
        assert set(a.equipment) <= set(EQUIPMENT), a.key
        assert PRIORITY_MIN <= a.priority <= PRIORITY_MAX, a.key
        assert a.earliest_start + a.duration_minutes <= a.latest_end, a.key
        assert 1 <= a.min_occurrences <= a.max_occurrences, a.key
    robots = next(a for a in ACTIVITIES if a.key == "robots-ecole")
    assert (robots.earliest_start, robots.latest_end, robots.weekdays) == (8 * 60 + 30, 16 * 60 + 30, (1, 2, 4, 5))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ('duree = 60', "activity 2: unknown field\\(s\\) duree"),
        ('earliest_start = "8h30"', "activity 2: expected a time HH:MM"),
        ('priority = 7', "activity 2: priority 7 is outside 1..5"),
    ],
)
def test_a_broken_entry_is_refused_naming_it(tmp_path, change, message):
    broken = _GOOD.replace("priority = 2", change) if change.startswith("priority") else _GOOD + change
    path = tmp_path / "catalogue.toml"
    path.write_text(f"[[activity]]{_GOOD}\n[[activity]]{broken}", encoding="utf-8")
    with pytest.raises(ValueError, match=f"catalogue.toml: {message}"):
        load_catalogue(path)


def test_an_entry_missing_a_field_is_refused_naming_it(tmp_path):
    path = tmp_path / "catalogue.toml"
    path.write_text("[[activity]]" + _GOOD.replace('bring = "Rien"\n', ""), encoding="utf-8")
    with pytest.raises(ValueError, match="catalogue.toml: activity 1: .*bring"):
        load_catalogue(path)
