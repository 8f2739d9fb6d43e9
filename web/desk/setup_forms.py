"""Forms of the setup pages (vans, seasons): French labels, each error next to its field."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField
from wtforms.validators import ValidationError

from tourplan.activities import EQUIPMENT
from web.desk.setup_operations import EQUIPMENT_RE, depot_problem
from web.requests.forms import (
    WEEKDAY_LABELS,
    ErrorSummaryMixin,
    FrDateField,
    LongTextField,
    MultiCheckboxField,
    TextField,
    TimeOfDayField,
    TypedTextField,
    WholeNumberField,
    format_date_fr,
    options,
)
from web.seasons.models import DEFAULT_FREEZE_DAYS, DEFAULT_MOVE_COST, DEFAULT_REMINDER_DAYS

TIMEZONES = [
    ("Europe/Paris", "France métropolitaine (Europe/Paris)"),
    ("America/Guadeloupe", "Guadeloupe"),
    ("America/Martinique", "Martinique"),
    ("America/Cayenne", "Guyane"),
    ("Indian/Reunion", "La Réunion"),
    ("Indian/Mayotte", "Mayotte"),
    ("America/Miquelon", "Saint-Pierre-et-Miquelon"),
    ("Pacific/Noumea", "Nouvelle-Calédonie"),
    ("Pacific/Tahiti", "Polynésie française (Tahiti)"),
]


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


class DateListField(LongTextField):
    """Dates, one per line (JJ/MM/AAAA or AAAA-MM-JJ); kept as sorted ISO strings."""

    def __init__(self, label: str, **kwargs: Any) -> None:
        super().__init__(label, max_length=20000, **kwargs)
        self.line_errors: list[str] = []

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        self.line_errors = []
        found: set[str] = set()
        for n, line in enumerate(re.split(r"[\n;,]+", self.data or ""), start=1):
            text = line.strip()
            if not text:
                continue
            m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
            try:
                d = date(int(m.group(3)), int(m.group(2)), int(m.group(1))) if m else date.fromisoformat(text)
            except ValueError:
                self.line_errors.append(f"« {text[:30]} » (ligne {n}) n'est pas une date : écrivez JJ/MM/AAAA.")
                continue
            found.add(d.isoformat())
        self.dates = sorted(found)

    def process_data(self, value: Any) -> None:
        self.dates = sorted(value or [])
        self.line_errors = []
        self.data = "\n".join(format_date_fr(date.fromisoformat(d)) for d in self.dates)

    def pre_validate(self, form: Any) -> None:
        super().pre_validate(form)
        if len(self.line_errors) > 5:
            raise ValidationError(" ".join(self.line_errors[:5]) + f" ({len(self.line_errors) - 5} autres erreurs)")
        if self.line_errors:
            raise ValidationError(" ".join(self.line_errors))

    def set_dates(self, dates: list[str]) -> None:
        self.process_data(dates)


def _general_error(form: Any, where: str, message: str) -> bool:
    """Attach an operations error to its field; False when the field is not on the form."""
    field = getattr(form, where, None)
    if field is None or not hasattr(field, "errors"):
        return False
    if not isinstance(field.errors, list):
        field.errors = list(field.errors)
    field.errors.append(message[0].upper() + message[1:] + ".")
    return True


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
        return _general_error(self, where, message)


class SeasonForm(ErrorSummaryMixin, FlaskForm):
    slug = TextField("Identifiant", max_length=60, render_kw={"autocomplete": "off", "spellcheck": "false"})
    name = TextField("Nom de la saison", max_length=200, required="Indiquez le nom de la saison.")
    start = FrDateField("Premier jour")
    end = FrDateField("Dernier jour")
    weekdays = MultiCheckboxField("Jours de service", coerce=int)
    closed_dates = DateListField("Jours fermés (un par ligne)")
    department = TextField("Département (pour les jours fériés locaux)", max_length=3)
    add_holidays = SubmitField("Ajouter les jours fériés de la période")
    timezone = SelectField("Fuseau horaire", choices=options(TIMEZONES), default="Europe/Paris", validate_choice=False)
    lock_slack_minutes = WholeNumberField(
        "Marge des visites publiées (minutes)", minimum=0, maximum=1440, required="Indiquez la marge en minutes."
    )
    freeze_days = WholeNumberField(
        "Visites gelées (jours)", minimum=0, maximum=366, required="Indiquez le nombre de jours gelés.",
        description=f"Par défaut {DEFAULT_FREEZE_DAYS}.",
    )
    move_cost = WholeNumberField(
        "Coût d'un déplacement (points de priorité)", minimum=0, maximum=1000,
        required="Indiquez le coût d'un déplacement.", description=f"Par défaut {DEFAULT_MOVE_COST}.",
    )
    reminder_days = WholeNumberField(
        "Rappel aux communes (jours avant la visite)", minimum=0, maximum=60,
        required="Indiquez le nombre de jours (0 : pas de rappel).",
        description=f"Par défaut {DEFAULT_REMINDER_DAYS}.",
    )
    submit = SubmitField("Enregistrer la saison")

    def __init__(self, *args: Any, creating: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.creating = creating
        self.weekdays.choices = options(WEEKDAY_LABELS.items())

    def validate_slug(self, field: Any) -> None:
        if self.creating and not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,59}", field.data or ""):
            raise ValidationError("En minuscules, chiffres et tirets, par exemple « printemps-2027 ».")

    def validate_start(self, field: Any) -> None:
        if field.data is None and not field.parse_error:
            raise ValidationError("Indiquez le premier jour de la saison.")

    def validate_end(self, field: Any) -> None:
        if field.data is None and not field.parse_error:
            raise ValidationError("Indiquez le dernier jour de la saison.")
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(
                f"La saison finit le {format_date_fr(field.data)}, avant de commencer "
                f"le {format_date_fr(self.start.data)}."
            )

    def validate_weekdays(self, field: Any) -> None:
        if not field.data:
            raise ValidationError("Cochez au moins un jour de service.")

    def validate_closed_dates(self, field: Any) -> None:
        start, end = self.start.data, self.end.data
        if not (start and end):
            return
        outside = [d for d in field.dates if not start.isoformat() <= d <= end.isoformat()]
        if outside:
            shown = ", ".join(format_date_fr(date.fromisoformat(d)) for d in outside[:5])
            raise ValidationError(f"En dehors de la saison : {shown}.")

    def validate_timezone(self, field: Any) -> None:
        if field.data not in dict(TIMEZONES):
            raise ValidationError("Choisissez un fuseau horaire dans la liste.")

    def validate_department(self, field: Any) -> None:
        if field.data and not re.fullmatch(r"0[1-9]|1\d|2[1-9AB]|[3-8]\d|9[0-5]|97[1-6]", field.data.upper()):
            raise ValidationError("Un numéro de département, par exemple 48 ou 974.")

    def attach(self, where: str, message: str) -> bool:
        return _general_error(self, where, message)
