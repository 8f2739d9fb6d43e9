"""Fixed places of digital help: the ANCT France services CSV import and the operator's own places."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

HEADER = ("id_fs,insee_dep,lib_fs,adresse,complement_adresse,insee_com,code_postal,lib_com,latitude,longitude,"
          "h_lundi,h_mardi,h_mercredi,h_jeudi,h_vendredi,h_samedi,itinerance,format_fs,format_fs_anct,labellisation")
MENDE = ('1,48,France services Mende,2 rue de l\'Ange,,48095,48000,Mende,44.5181,3.5006,'
         '09:00 - 12:00,09:00 - 12:00,,,,,Non,Site principal,Lieu fixe,')
BUS = "2,48,France services itinérante,,,48061,48200,Florac,44.32,3.59,,,,,,,Oui,Site principal,Mobile,"
LANGOGNE = "3,48,France services Langogne,,,48080,48300,Langogne,44.7272,3.8553,,,,,,,Non,Antenne,Antenne,"
DEMO_CSV = Path(__file__).parent.parent / "web" / "coverage" / "data" / "france_services.csv"


def _count(app: Any) -> int:
    from web.coverage.models import FixedPlace
    from web.extensions import db

    with app.app_context():
        return db.session.execute(select(func.count()).select_from(FixedPlace)).scalar_one()


def _csv(tmp_path: Path, *rows: str) -> str:
    path = tmp_path / "fs.csv"
    path.write_text("\n".join((HEADER, *rows)) + "\n", encoding="utf-8")
    return str(path)


def test_import_keeps_fixed_places_and_leaves_buses_out(app: Any, runner: Any, tmp_path: Path) -> None:
    result = runner.invoke(args=["tourplan", "import-places", _csv(tmp_path, MENDE, BUS, LANGOGNE)])
    assert result.exit_code == 0, result.output
    assert "2 fixed place(s) added" in result.output
    assert "1 mobile France Services (bus) left out" in result.output
    from web.coverage.models import FixedPlace
    from web.extensions import db

    with app.app_context():
        mende = db.session.execute(select(FixedPlace).where(FixedPlace.source_id == "1")).scalar_one()
        assert (mende.name, mende.commune_insee, mende.lat, mende.lon) == ("France services Mende", "48095",
                                                                           44.5181, 3.5006)
        assert mende.address == "2 rue de l'Ange"
        assert mende.hours == {"lundi": "09:00 - 12:00", "mardi": "09:00 - 12:00"}
    # Run again: updated in place, not duplicated.
    again = runner.invoke(args=["tourplan", "import-places", _csv(tmp_path, MENDE, LANGOGNE)])
    assert "0 fixed place(s) added, 0 updated" in again.output
    assert _count(app) == 2


def test_bad_rows_are_named_by_line_and_field_and_nothing_is_stored(app: Any, runner: Any, tmp_path: Path) -> None:
    swapped = LANGOGNE.replace("44.7272,3.8553", "3.8553,144.7272")
    no_name = MENDE.replace("France services Mende", "").replace("1,48", "9,48", 1)
    result = runner.invoke(args=["tourplan", "import-places", _csv(tmp_path, MENDE, no_name, BUS, swapped)])
    assert result.exit_code == 1
    assert "fs.csv line 3: lib_fs: empty" in result.output
    assert "fs.csv line 5: longitude: 144.727 is outside France" in result.output
    assert "Traceback" not in result.output
    assert _count(app) == 0


def test_a_file_that_is_not_the_anct_list_is_refused(app: Any, runner: Any, tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("nom;ville\nMédiathèque;Mende\n", encoding="utf-8")
    result = runner.invoke(args=["tourplan", "import-places", str(path)])
    assert result.exit_code == 1
    assert "other.csv line 1: column(s) missing: id_fs, lib_fs, insee_com, latitude, longitude" in result.output


def test_the_demo_copy_of_the_anct_list_imports_whole(app: Any, runner: Any) -> None:
    # 182 sites: 6 buses (format Mobile), 8 itinerant multi-sites and 1 itinerant antenna are not
    # fixed places; 153 fixed + 13 antennas + 1 non-itinerant multi-site are (counted with a spreadsheet).
    result = runner.invoke(args=["tourplan", "import-places", str(DEMO_CSV)])
    assert result.exit_code == 0, result.output
    assert (DEMO_CSV.parent / "SOURCES.md").read_text(encoding="utf-8").count("Licence Ouverte") >= 1
    assert _count(app) == 167
    assert "15 mobile France Services (bus) left out" in result.output
