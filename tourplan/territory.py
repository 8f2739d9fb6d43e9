"""Is a point in France? Rough boxes of metropolitan France (with Corsica) and of the
overseas departments and collectivities where a van may be based.

Used to catch a depot typed wrong before anything is planned from it: latitude and
longitude swapped (44,5 / 3,5 typed as 3,5 / 44,5 lands in the Indian Ocean) or a point
far away. Boxes, not borders: a point just across a border passes, which is fine for this.
"""

from __future__ import annotations

#: (name, south, north, west, east) in decimal degrees.
AREAS: tuple[tuple[str, float, float, float, float], ...] = (
    ("France métropolitaine", 41.3, 51.15, -5.3, 9.6),
    ("Guadeloupe", 15.8, 16.55, -61.85, -60.95),
    ("Martinique", 14.35, 14.9, -61.25, -60.8),
    ("Guyane", 2.1, 5.8, -54.65, -51.6),
    ("La Réunion", -21.4, -20.85, 55.2, 55.85),
    ("Mayotte", -13.05, -12.6, 44.95, 45.35),
    ("Saint-Pierre-et-Miquelon", 46.7, 47.15, -56.45, -56.1),
    ("Nouvelle-Calédonie", -22.9, -19.5, 163.5, 168.2),
    ("Polynésie française", -28.0, -7.8, -154.8, -134.4),
)


def french_area(lat: float, lon: float) -> str | None:
    """The name of the French area holding (lat, lon), or None."""
    for name, south, north, west, east in AREAS:
        if south <= lat <= north and west <= lon <= east:
            return name
    return None
