"""The van's setup page (depot, shift, break, driving limit, equipment, days off), listed
on the desk's "Camions et saisons" page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from web.core.setup_pages import edited, page, setup_page, submit
from web.vans.forms import VanForm
from web.vans.models import Van
from web.vans.operations import save_van, van_visits_on_days_off

bp = Blueprint("vans", __name__, template_folder="templates", url_prefix="/operateur/parametres/camions")


@setup_page(bp, "/nouveau", "/<int:van_id>", "van_id")
def van(van_id: int | None) -> Any:
    existing = edited(Van, van_id)
    form = VanForm(obj=existing, creating=existing is None)
    if request.method == "GET" and existing is not None:
        form.show_equipment(list(existing.equipment or []))
    if request.method == "POST":
        return submit(
            form, lambda: save_van(existing, None, form.van_values()),
            "Camion « {name} » enregistré.", "vans.van", "van_id", "vans/van.html", van=existing,
            affected=(lambda: van_visits_on_days_off(existing, form.days_off.dates)) if existing else None,
        )
    return page("vans/van.html", form, 200, [], van=existing)
