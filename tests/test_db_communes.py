"""Loading communes: in place on re-runs, never duplicated, never deleted."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tourplan.communes import CommuneLoad, CommuneRecord, Correction, Department
from tourplan.problem import ProblemError
from web.communes.models import Commune
from web.communes.operations import import_communes


def _record(insee: str, name: str, **kw) -> CommuneRecord:
    values = dict(
        insee=insee, name=name, department="48", postal_codes=("48000",), population=100, lat=44.5, lon=3.5,
        point_corrected=False, townhall_address="Place de la Mairie", opening_hours=MappingProxyType({}),
    )
    values.update(kw)
    return CommuneRecord(**values)


def _loader(*records: CommuneRecord, corrections: tuple[Correction, ...] = ()):
    calls = []

    def load(departments):
        calls.append(list(departments))
        return CommuneLoad(records=records, departments=(Department("48", "Lozère"),), corrections=corrections)

    load.calls = calls
    return load


def _count(session) -> int:
    return session.execute(select(func.count()).select_from(Commune)).scalar_one()


def test_import_adds_then_updates_in_place(db_session):
    first = _loader(
        _record("48095", "Mende", opening_hours=MappingProxyType({1: ((510, 720), (810, 1020))})),
        _record("48001", "Albaret-le-Comtal", lat=44.9, lon=3.1, point_corrected=True),
        corrections=(Correction("48001", "Albaret-le-Comtal", 357000.0),),
    )
    result = import_communes(["48"], loader=first)
    assert (result.added, result.updated, result.corrected) == (2, 0, 1)
    mende = db_session.get(Commune, "48095")
    assert mende.opening_hours == {"1": [[510, 720], [810, 1020]]}
    assert db_session.get(Commune, "48001").point_corrected

    again = _loader(_record("48095", "Mende", population=8800), _record("48001", "Albaret-le-Comtal", lat=44.9,
                                                                         lon=3.1, point_corrected=True))
    result = import_communes(["48"], loader=again)
    assert (result.added, result.updated, result.unchanged) == (0, 1, 1)  # only Mende changed
    assert _count(db_session) == 2
    db_session.expire_all()
    assert db_session.get(Commune, "48095").population == 8800


def test_a_commune_missing_from_a_new_load_is_kept(db_session, make):
    import_communes(["48"], loader=_loader(_record("48095", "Mende"), _record("48001", "Albaret")))
    season = make.season()
    make.request(season, db_session.get(Commune, "48001"))
    db_session.commit()
    import_communes(["48"], loader=_loader(_record("48095", "Mende")))
    assert db_session.get(Commune, "48001") is not None
    assert _count(db_session) == 2


def test_cli_reports_added_updated_and_corrected(runner, monkeypatch):
    fake = _loader(_record("48095", "Mende"), corrections=(Correction("48095", "Mende", 2500.0),))
    monkeypatch.setattr("web.communes.operations.load_communes", fake)
    result = runner.invoke(args=["tourplan", "import-communes", "--department", "48", "--department", "12"])
    assert result.exit_code == 0, result.output
    assert fake.calls == [["48", "12"]]
    assert "1 communes added, 0 updated" in result.output
    assert "1 town-hall point(s)" in result.output
    # The map outlines are simplified at import, not on the first coverage page a user opens.
    kept = sorted(p.name.split("-")[1] for p in Path(runner.app.instance_path).glob("outlines-*.json"))
    assert kept == ["12", "48"]


def test_cli_unknown_department_is_one_clear_line(runner, monkeypatch, app, db_session):
    def refuse(departments):
        raise ProblemError("unknown département '99'", where="department")

    monkeypatch.setattr("web.communes.operations.load_communes", refuse)
    result = runner.invoke(args=["tourplan", "import-communes", "-d", "99"])
    assert result.exit_code != 0
    assert "unknown département '99'" in result.output
    assert "Traceback" not in result.output
    assert _count(db_session) == 0


def test_failure_half_way_writes_nothing(db_session):
    bad = _loader(_record("48095", "Mende"), _record("48001", "Nowhere", lat=123.0))  # breaks the lat check
    with pytest.raises(IntegrityError):
        import_communes(["48"], loader=bad)
    db_session.rollback()  # what the owner of the transaction (the CLI command) does
    assert _count(db_session) == 0


def test_the_import_leaves_the_transaction_to_its_caller(db_session):
    # web/core/transactions.py: the CLI command or the demo loader commits, so a caller that
    # fails after the import (or a test) can still undo it whole.
    result = import_communes(["48"], loader=_loader(_record("48095", "Mende"), _record("48001", "Albaret")))
    assert result.added == 2 and _count(db_session) == 2
    db_session.rollback()
    assert _count(db_session) == 0
