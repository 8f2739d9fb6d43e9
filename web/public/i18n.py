"""Translations of the public site: the ``.po`` catalogues are the source
(committed), compiled to ``.mo`` when the app starts if missing or older, so a
fresh clone works without a build step.

The compiled files go to ``<instance>/translations`` (or a temporary directory
on a read-only install) and that directory is added to Flask-Babel's list, so
other areas may keep their own catalogues next to ours.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask


def compile_catalogues(source: Path, target: Path) -> list[Path]:
    """Compile every ``<lang>/LC_MESSAGES/*.po`` under ``source`` into ``target``
    when the ``.mo`` is missing or older. Returns the files written."""
    written = []
    for po in sorted(source.glob("*/LC_MESSAGES/*.po")):
        mo = target / po.relative_to(source).with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as f:
            catalogue = read_po(f, locale=po.parent.parent.name)
        mo.parent.mkdir(parents=True, exist_ok=True)
        tmp = mo.with_suffix(".mo.tmp")
        with tmp.open("wb") as f:
            write_mo(f, catalogue)
        tmp.replace(mo)  # atomic: another worker never reads half a file
        written.append(mo)
    return written


def init_translations(app: Flask, source: Path) -> Path:
    target = Path(app.instance_path) / "translations"
    try:
        compile_catalogues(source, target)
    except OSError:
        target = Path(tempfile.mkdtemp(prefix="tourplan-translations-"))
        compile_catalogues(source, target)
    config = app.extensions["babel"]
    if str(target) not in config.translation_directories:
        config.translation_directories.append(str(target))
    return target
