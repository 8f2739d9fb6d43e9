"""Coverage of a territory by the van, and the need score of each commune (issue 16). No Flask.

The need score says where the van is needed most, from three terms each normalised to 0..1:

* **far** = min(d, 30) / 30, with d the distance in km to the nearest fixed place of digital
  help (France services, médiathèque, EPN): 30 km and more, half an hour's drive each way, is
  as far as it gets for someone without a car; with no fixed place at all it is 1;
* **stale** = min(n, 365) / 365, with n the days since the van's last visit; never visited: 1;
* **people** = log(1 + p) / log(1 + P), with p the commune's population and P the largest of
  the territory: a log, because a town of 10,000 does not need the van a hundred times more
  than a village of 100 (and has its own services);

score = 100 × (w_far × far + w_stale × stale + w_people × people) / (w_far + w_stale + w_people),
with the operator's weights (0 to 10 each, at least one above 0).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tourplan.problem import EARTH_RADIUS_KM, Point

FAR_KM = 30.0
STALE_DAYS = 365
#: How the distances below are measured; the page says it.
DISTANCE_METHOD = "à vol d'oiseau"


def distances_km(origins: Sequence[Point], targets: Sequence[Point]) -> np.ndarray:
    """Matrix of km from each origin to each target: straight lines (great circle) for now.

    The one place distances of the coverage are computed: a road router plugs in here
    (then :data:`DISTANCE_METHOD` says « par la route »)."""
    if not origins or not targets:
        return np.zeros((len(origins), len(targets)))
    a = np.radians(np.array([(p.lat, p.lon) for p in origins]))[:, None, :]
    b = np.radians(np.array([(p.lat, p.lon) for p in targets]))[None, :, :]
    dlat, dlon = b[..., 0] - a[..., 0], b[..., 1] - a[..., 1]
    h = np.sin(dlat / 2) ** 2 + np.cos(a[..., 0]) * np.cos(b[..., 0]) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))


def nearest(origins: Sequence[Point], targets: Sequence[Point]) -> list[tuple[int, float] | None]:
    """(index of the nearest target, its km) for each origin; None when there is no target."""
    if not targets:
        return [None] * len(origins)
    km = distances_km(origins, targets)
    best = km.argmin(axis=1)
    return [(int(j), float(km[i, j])) for i, j in enumerate(best)]


@dataclass(frozen=True)
class NeedWeights:
    far: int = 3
    stale: int = 2
    people: int = 1

    def check(self) -> str | None:
        """Why these weights cannot be used, or None."""
        if any(not 0 <= w <= 10 for w in (self.far, self.stale, self.people)):
            return "chaque poids va de 0 à 10"
        if self.far + self.stale + self.people == 0:
            return "au moins un poids doit être supérieur à 0"
        return None


@dataclass(frozen=True)
class NeedTerms:
    far: float
    stale: float
    people: float


def need_terms(nearest: float | None, days_since: int | None, population: int | None,
               largest_population: int) -> NeedTerms:
    far = 1.0 if nearest is None else min(nearest, FAR_KM) / FAR_KM
    stale = 1.0 if days_since is None else min(max(days_since, 0), STALE_DAYS) / STALE_DAYS
    people = 0.0
    if population and largest_population > 0:
        people = math.log1p(population) / math.log1p(largest_population)
    return NeedTerms(far, stale, people)


def need_score(terms: NeedTerms, weights: NeedWeights) -> float:
    total = weights.far + weights.stale + weights.people
    raw = weights.far * terms.far + weights.stale * terms.stale + weights.people * terms.people
    return round(100 * raw / total, 1)


def per_1000(visits: int, population: int | None) -> float | None:
    """Visits per 1,000 inhabitants (None without a population)."""
    if not population:
        return None
    return round(visits * 1000 / population, 2)


def class_breaks(values: Sequence[float], n: int = 5) -> list[float]:
    """Upper bounds of ``n`` classes of (about) as many communes each (quantiles), for the
    map's colours; fewer classes when there are few distinct values."""
    distinct = sorted(set(values))
    if not distinct:
        return []
    if len(distinct) <= n:
        return distinct
    ordered = sorted(values)
    breaks: list[float] = []
    for k in range(1, n + 1):
        b = ordered[min(len(ordered) - 1, math.ceil(k * len(ordered) / n) - 1)]
        if not breaks or b > breaks[-1]:
            breaks.append(b)
    return breaks


def class_of(value: float | None, breaks: Sequence[float]) -> int | None:
    """Index of the class holding ``value`` (None without a value)."""
    if value is None or not breaks:
        return None
    return next((i for i, b in enumerate(breaks) if value <= b), len(breaks) - 1)
