"""Finding a commune by name, postal code or INSEE code, as people type them:
accents, case, hyphens and "St"/"Ste" abbreviations do not matter.

The names are held in memory (a département is a few hundred rows, all of France
35,000): rebuilt when the table changes (its row count or latest update moves).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from tourplan.communes import CommuneName
from web.communes.models import Commune
from web.extensions import db

INSEE_RE = re.compile(r"^(?:\d{5}|2[AaBb]\d{3})$")
POSTAL_RE = re.compile(r"^\d{5}$")
_ABBREV = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}


def fold(text: str) -> str:
    """A name as people read it, to find it and to sort lists of names (the public filters):
    lower case, no accents, words separated by single spaces, abbreviations expanded."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    words = re.split(r"[^0-9a-z]+", text.replace("œ", "oe").replace("æ", "ae"))
    return " ".join(_ABBREV.get(w, w) for w in words if w)


@dataclass(frozen=True)
class CommuneHit(CommuneName):
    """A commune the search found, as the forms offer it."""

    @classmethod
    def of(cls, commune: Any) -> CommuneHit:
        """From a :class:`~web.communes.models.Commune`, or a row of those four columns."""
        return cls(commune.insee, commune.name, commune.department, tuple(commune.postal_codes or ()))

    @property
    def label(self) -> str:
        """What a suggestion shows and what the form reads back (the INSEE code last)."""
        postal = self.postal_codes[0] if self.postal_codes else self.department
        return f"{self.name} ({postal}) – {self.insee}"

    def as_json(self) -> dict[str, object]:
        return {"insee": self.insee, "name": self.name, "postal_codes": list(self.postal_codes), "label": self.label}


class _Index:
    def __init__(self) -> None:
        self.stamp: tuple[object, ...] | None = None
        self.rows: list[tuple[str, CommuneHit]] = []
        self.lock = threading.Lock()


def _index() -> list[tuple[str, CommuneHit]]:
    index: _Index = current_app.extensions.setdefault("tourplan_commune_index", _Index())
    stamp = tuple(db.session.execute(select(func.count(Commune.insee), func.max(Commune.updated_at))).one())
    with index.lock:
        if index.stamp != stamp:
            rows = db.session.execute(
                select(Commune.insee, Commune.name, Commune.department, Commune.postal_codes)
            ).all()
            index.rows = sorted(((fold(row.name), CommuneHit.of(row)) for row in rows),
                                key=lambda r: (r[0], r[1].insee))
            index.stamp = stamp
        return index.rows


def search_communes(query: str, limit: int = 10) -> list[CommuneHit]:
    """Best matches first: exact INSEE or postal code, then names equal to, starting with,
    then containing the folded query."""
    query = (query or "").strip()[:100]
    if not query:
        return []
    rows = _index()
    code = query.upper() if INSEE_RE.match(query) else None
    hits: list[CommuneHit] = []
    if code:
        hits += [h for _, h in rows if h.insee == code]
        hits += [h for _, h in rows if code in h.postal_codes and h.insee != code]
        return hits[:limit]
    key = fold(query)
    if not key:
        return []
    exact = [h for name, h in rows if name == key]
    prefix = [h for name, h in rows if name.startswith(key) and name != key]
    inner = [h for name, h in rows if f" {key}" in f" {name}" and not name.startswith(key)]
    return (exact + prefix + inner)[:limit]


_TRAILING_CODE = re.compile(r"(\d{5}|2[AaBb]\d{3})\s*$")


def resolve_commune(text: str) -> tuple[Commune | None, list[CommuneHit]]:
    """The commune the visitor meant, or None and the candidates to choose from.
    Accepts a suggestion's label ("Mende (48000) – 48095"), an INSEE or postal code, or a name."""
    text = (text or "").strip()[:200]
    if not text:
        return None, []
    trailing = _TRAILING_CODE.search(text)
    if trailing and text != trailing.group(1):
        # A suggestion's label: the code at the end decides, if the name before it agrees.
        found = db.session.get(Commune, trailing.group(1).upper())
        if found is not None and fold(found.name) in fold(text):
            return found, []
    hits = search_communes(text, limit=20)
    key = fold(text)
    exact = [h for h in hits if fold(h.name) == key]
    if len(hits) == 1:
        return db.session.get(Commune, hits[0].insee), []
    if len(exact) == 1 and not POSTAL_RE.match(text):
        return db.session.get(Commune, exact[0].insee), []
    return None, hits
