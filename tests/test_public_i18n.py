"""The English catalogue of the public site: complete, in step with the sources,
compiled by the app itself on a fresh clone."""

from __future__ import annotations

import os
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from web.public.i18n import compile_catalogues

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "web" / "public" / "translations"
PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"


def source_messages() -> set[str]:
    with (ROOT / "web" / "public" / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords={"_": None, "gettext": None, "N_": None, "_l": None}
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_text_of_the_sources_is_translated() -> None:
    sources = source_messages()
    assert {"Calendrier", "Aller au contenu", "Accueil"} <= sources  # extraction reads templates, code, layout
    with PO.open("rb") as f:
        catalogue = read_po(f, locale="en")
    translated = {m.id: m.string for m in catalogue if m.id and m.string and "fuzzy" not in m.flags}
    missing = sorted(sources - set(translated))
    assert not missing, f"untranslated (run `make translations`, then translate): {missing}"


def test_translations_keep_their_placeholders() -> None:
    with PO.open("rb") as f:
        catalogue = read_po(f, locale="en")
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalogue.check()]
    assert problems == []


def test_catalogue_is_compiled_when_missing_or_older(tmp_path: Path) -> None:
    written = compile_catalogues(TRANSLATIONS, tmp_path)
    mo = tmp_path / "en" / "LC_MESSAGES" / "messages.mo"
    assert written == [mo]
    with mo.open("rb") as f:
        assert read_mo(f).get("Calendrier").string == "Calendar"
    assert compile_catalogues(TRANSLATIONS, tmp_path) == []  # up to date: left alone
    os.utime(mo, (0, 0))  # older than the .po, as after a `git pull`
    assert compile_catalogues(TRANSLATIONS, tmp_path) == [mo]
