"""The one menu registry of the site: each area declares its entries next to its blueprint,
the layout shows those whose page exists in this install.

Two menus: ``"public"`` (the site header) and ``"desk"`` (the operator pages). An entry is
``(endpoint, label, order)``; entries are shown by increasing ``order``. Public labels are
marked for translation with :func:`N_` and translated where they are shown.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app

MENUS = ("public", "desk")


def N_(text: str) -> str:  # noqa: N802 — the usual gettext marker name
    """Marks a string for extraction; translated where it is shown."""
    return text


def register(app: Flask, menu: str, endpoint: str, label: str, order: int) -> None:
    """Add an entry to ``menu`` of ``app`` (once: an endpoint is listed at most once per menu)."""
    if menu not in MENUS:
        raise ValueError(f"unknown menu {menu!r}")
    entries = app.extensions.setdefault("tourplan_menus", {}).setdefault(menu, [])
    if all(e != endpoint for e, _, _ in entries):
        entries.append((endpoint, label, order))


def entry(bp: Blueprint, menu: str, endpoint: str, label: str, order: int) -> None:
    """Declare a menu entry with ``bp``: registered on every app the blueprint joins."""

    def _record(state: Any) -> None:
        register(state.app, menu, endpoint, label, order)

    bp.record_once(_record)


def links(menu: str) -> list[tuple[str, str]]:
    """``(endpoint, label)`` of ``menu`` in the current app, in order, for existing pages only."""
    entries = current_app.extensions.get("tourplan_menus", {}).get(menu, ())
    return [(e, label) for e, label, _ in sorted(entries, key=lambda item: item[2])
            if e in current_app.view_functions]
