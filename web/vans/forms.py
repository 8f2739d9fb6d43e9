"""The van's setup form: French labels, each error next to its field."""

from __future__ import annotations

import re
from typing import Any

from flask_wtf import FlaskForm
from wtforms import SubmitField
from wtforms.validators import ValidationError

from tourplan.activities import EQUIPMENT
from web.core.setup_pages import DateListField, attach_error
from web.requests.forms import (
    ErrorSummaryMixin,
    MultiCheckboxField,
    TextField,
    TimeOfDayField,
    TypedTextField,
    WholeNumberField,
    options,
)
from web.vans.operations import EQUIPMENT_RE, depot_problem


class CoordinateField(TypedTextField):
    """A latitude or longitude in decimal degrees; a comma or a point as decimal separator."""

    def __init__(self, label: str, *, limit: float, **kwargs: Any) -> None:
        super().__init__(label, render_kw={"inputmode": "decimal", **kwargs.pop("render_kw", {})}, **kwargs)
        self.limit = limit

    def parse(self, raw: str) -> float:
        if not re.fullmatch(r"-?\d{1,3}(?:[.,]\d{1,10})?", raw):
            raise ValueError("Ce n'est pas un nombre : écrivez par exemple 44,5181.")
        return float(raw.replace(",", "."))

    def pre_validate(self, form: Any) -> None:
        super().pre_validate(form)
        if self.data is None:
            raise ValidationError("Indiquez une valeur en degrés décimaux, par exemple 44,5181.")
        if not -self.limit <= self.data <= self.limit:
            raise ValidationError(f"La valeur va de -{self.limit:g} à {self.limit:g}.")

    def show(self, value: float) -> str:
        return f"{value:.6f}".rstrip("0").rstrip(".").replace(".", ",")


class VanForm(ErrorSummaryMixin, FlaskForm):
    name = TextField("Nom du camion", max_length=120, required="Indiquez le nom du camion.")
    depot_label = TextField("Dépôt (nom du lieu)", max_length=200)
    depot_lat = CoordinateField("Latitude du dépôt", limit=90)
    depot_lon = CoordinateField("Longitude du dépôt", limit=180)
    shift_start = TimeOfDayField("Début de journée")
    shift_end = TimeOfDayField("Fin de journée")
    break_minutes = WholeNumberField("Durée de la pause (minutes)", minimum=0, maximum=240)
    break_earliest = TimeOfDayField("Pause au plus tôt à")
    break_latest = TimeOfDayField("Pause fini au plus tard à")
    max_drive_minutes = WholeNumberField("Conduite au plus par jour (minutes)", minimum=0, maximum=1440)
    equipment = MultiCheckboxField("Matériel à bord", invalid="Choisissez parmi le matériel proposé.")
    other_equipment = TextField("Autre matériel", max_length=400)
    days_off = DateListField("Jours d'indisponibilité du camion")
    submit = SubmitField("Enregistrer le camion")

    def __init__(self, *args: Any, creating: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.creating = creating
        known = dict(EQUIPMENT)
        self.equipment.choices = options((k, f"{v} ({k})") for k, v in known.items())

    def show_equipment(self, equipment: list[str]) -> None:
        """Split a van's equipment between the known items' boxes and the free text."""
        self.equipment.data = [e for e in equipment if e in EQUIPMENT]
        self.other_equipment.data = ", ".join(e for e in equipment if e not in EQUIPMENT)

    def validate_depot_lat(self, field: Any) -> None:
        lat, lon = field.data, self.depot_lon.data
        if isinstance(lat, float) and isinstance(lon, float) and -90 <= lat <= 90 and -180 <= lon <= 180:
            problem = depot_problem(lat, lon)
            if problem:
                raise ValidationError(problem[:1].upper() + problem[1:] + ".")

    def validate_other_equipment(self, field: Any) -> None:
        for item in self.other_items():
            if not EQUIPMENT_RE.match(item):
                raise ValidationError(f"« {item[:40]} » : en minuscules, chiffres et tirets (40 au plus).")

    def other_items(self) -> list[str]:
        return [p.strip().lower() for p in re.split(r"[,;\n]+", self.other_equipment.data or "") if p.strip()]

    def _required_time(self, field: Any, what: str) -> None:
        if field.data is None and not field.errors and not getattr(field, "parse_error", ""):
            raise ValidationError(f"Indiquez {what} (HH:MM).")

    def validate_shift_start(self, field: Any) -> None:
        self._required_time(field, "l'heure de début")

    def validate_shift_end(self, field: Any) -> None:
        self._required_time(field, "l'heure de fin")
        if field.data is not None and self.shift_start.data is not None and field.data <= self.shift_start.data:
            raise ValidationError("La journée doit finir après avoir commencé.")

    def validate_break_latest(self, field: Any) -> None:
        minutes = self.break_minutes.data or 0
        if not minutes:
            return
        start, end = self.break_earliest.data, field.data
        if start is None or end is None:
            raise ValidationError("Indiquez la fenêtre de la pause (au plus tôt et au plus tard).")
        if end - start < minutes:
            raise ValidationError(f"Une pause de {minutes} minutes ne tient pas entre ces deux heures.")

    def van_values(self) -> dict[str, Any]:
        minutes = self.break_minutes.data or 0
        return {
            "name": self.name.data,
            "depot_label": self.depot_label.data or "",
            "depot_lat": self.depot_lat.data,
            "depot_lon": self.depot_lon.data,
            "shift_start": self.shift_start.data,
            "shift_end": self.shift_end.data,
            "break_minutes": minutes,
            # Without a break its window is irrelevant: keep the schema's defaults.
            "break_earliest": self.break_earliest.data if minutes else 12 * 60,
            "break_latest": self.break_latest.data if minutes else 14 * 60,
            "max_drive_minutes": self.max_drive_minutes.data,
            "equipment": sorted(set(self.equipment.data or []) | set(self.other_items())),
            "days_off": self.days_off.dates,
        }

    def attach(self, where: str, message: str) -> bool:
        return attach_error(self, where, message)
