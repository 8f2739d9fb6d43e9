"""The form of a fixed place the operator enters (médiathèque, EPN): French labels, each error next to its field."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField

from web.core.setup_pages import attach_error
from web.coverage.places import PLACE_KINDS
from web.requests.forms import ErrorSummaryMixin, TextField, options
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
