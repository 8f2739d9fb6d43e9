"""The form of a fixed place the operator enters (médiathèque, EPN): French labels, each error next to its field."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField

from web.core.setup_pages import attach_error
from web.coverage.outcomes import MAX_PEOPLE, THEMES
from web.coverage.places import PLACE_KINDS
from web.requests.forms import ErrorSummaryMixin, LongTextField, TextField, WholeNumberField, options
from web.vans.forms import CoordinateField


class PlaceForm(ErrorSummaryMixin, FlaskForm):
    name = TextField("Nom du lieu", max_length=200, required="Indiquez le nom du lieu.")
    kind = SelectField("Type de lieu", choices=[])
    address = TextField("Adresse", max_length=500)
    commune_insee = TextField("Code INSEE de la commune", max_length=5)
    lat = CoordinateField("Latitude", limit=90)
    lon = CoordinateField("Longitude", limit=180)
    submit = SubmitField("Enregistrer le lieu")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = options((k, k) for k in PLACE_KINDS)

    def values(self) -> dict[str, Any]:
        return {"name": self.name.data, "kind": self.kind.data, "address": self.address.data or "",
                "commune_insee": (self.commune_insee.data or "").strip().upper(),
                "lat": self.lat.data, "lon": self.lon.data}

    def attach(self, where: str, message: str) -> bool:
        return attach_error(self, where, message)


class OutcomeForm(ErrorSummaryMixin, FlaskForm):
    """After a visit, on a phone at the van: how many came, for what, a note."""

    people = WholeNumberField("Personnes venues", minimum=0, maximum=MAX_PEOPLE,
                              required="Indiquez le nombre de personnes venues (0 si personne).")
    demarches = WholeNumberField(THEMES["demarches"], minimum=0, maximum=MAX_PEOPLE)
    sante = WholeNumberField(THEMES["sante"], minimum=0, maximum=MAX_PEOPLE)
    emploi = WholeNumberField(THEMES["emploi"], minimum=0, maximum=MAX_PEOPLE)
    impression3d = WholeNumberField(THEMES["impression3d"], minimum=0, maximum=MAX_PEOPLE)
    ecole = WholeNumberField(THEMES["ecole"], minimum=0, maximum=MAX_PEOPLE)
    autre = WholeNumberField(THEMES["autre"], minimum=0, maximum=MAX_PEOPLE)
    note = LongTextField("Note", max_length=5000)
    submit = SubmitField("Enregistrer le bilan")

    def theme_fields(self) -> list[Any]:
        return [getattr(self, k) for k in THEMES]

    def themes(self) -> dict[str, int | None]:
        return {k: getattr(self, k).data for k in THEMES}

    def show(self, outcome: Any) -> None:
        self.people.data = outcome.people
        for k in THEMES:
            getattr(self, k).data = (outcome.themes or {}).get(k)
        self.note.data = outcome.note

    def attach(self, where: str, message: str) -> bool:
        return attach_error(self, where, message)
