"""The season's setup form: French labels, each error next to its field."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField
from wtforms.validators import ValidationError

from web.core.setup_pages import DateListField, attach_error
from web.requests.forms import (
    WEEKDAY_LABELS,
    ErrorSummaryMixin,
    FrDateField,
    MultiCheckboxField,
    TextField,
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
        return attach_error(self, where, message)
