"""The request form "Demander un passage du camion", shared by communes and operators.

Every field is checked on the server with a plain French message next to it;
fields parse their own input (no English WTForms message can leak through).
Free text is cleaned of control characters (PostgreSQL refuses NUL in text) and
bounded to the column's length, so no input can reach the database as a 500.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    Field,
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from tourplan.activities import EQUIPMENT
from tourplan.calendar import local_today
from web.activities.models import Activity
from web.auth.operations import valid_email
from web.communes.models import Commune
from web.communes.search import CommuneHit, resolve_commune
from web.core import formats
from web.requests import rhythm as rh
from web.requests.models import STRUCTURE_KINDS
from web.requests.operations import activity_label
from web.requests.schema import (
    CONTROL,
    EMAIL_ERROR,
    LINE_BREAKS,
    MAX_PERIODS,
    PHONE_ERROR,
    bounds,
    french_phone,
    limits,
    max_length,
    priority_hint,
)
from web.seasons.models import Season

_PERIOD_END_NAMES = {"start": _l("début"), "end": _l("fin")}
STRUCTURE_LABELS = {
    "mairie": _l("Mairie"),
    "médiathèque": _l("Médiathèque"),
    "école": _l("École"),
    "CCAS": _l("CCAS (centre communal d'action sociale)"),
    "association": _l("Association"),
    "autre": _l("Autre"),
}
WEEKDAY_LABELS = {1: _l("Lundi"), 2: _l("Mardi"), 3: _l("Mercredi"), 4: _l("Jeudi"), 5: _l("Vendredi"),
                  6: _l("Samedi"), 7: _l("Dimanche")}
def clean_text(value: Any, *, multiline: bool = False) -> str:
    """Text as typed, minus control characters (NUL breaks PostgreSQL), trimmed."""
    if not isinstance(value, str):
        return ""
    value = CONTROL.sub("", value)
    value = value.replace("\r\n", "\n") if multiline else LINE_BREAKS.sub(" ", value)
    return value.strip()


def format_date_fr(d: date) -> str:
    """"1er mars 2027" in messages (people type JJ/MM/AAAA, they read words)."""
    return formats.long_date(d, weekday=False)


def _lang() -> str:
    return str(get_locale() or "fr")


def local_date(d: date | str, weekday: bool = False) -> str:
    """"1er mars 2027", or "1 March 2027" for a visitor who chose English (texts of the public
    form and the tracking page); "lundi 1er mars 2027" with ``weekday``. ISO text too."""
    return formats.long_date(d, _lang(), weekday=weekday)


def local_short_date(d: date | str) -> str:
    """"11 déc. 2026" ("11 Dec 2026"): lists and narrow tables."""
    return formats.short_date(d, _lang())


def local_hm(minutes: int | None) -> str:
    """"9 h 30", or "09:30" for a visitor who chose English."""
    return formats.hm(minutes, _lang())


def hours_text(start: int | None, end: int | None) -> str:
    """"de 9 h 00 à 16 h 30", "à partir de 9 h 00"… in the visitor's language."""
    if start is not None and end is not None:
        return _("de %(start)s à %(end)s", start=local_hm(start), end=local_hm(end))
    if start is not None:
        return _("à partir de %(start)s", start=local_hm(start))
    if end is not None:
        return _("jusqu'à %(end)s", end=local_hm(end))
    return _("sans préférence")


def local_datetime(moment: Any) -> str:
    """A stored instant in Paris time: "1er mars 2027 à 9 h 30" ("1 March 2027, 09:30")."""
    return formats.paris_datetime(moment, _lang()) if moment is not None else ""


def day_name(iso_day: int) -> str:
    """"lundi" inside a French sentence, "Monday" in English (English capitalises days)."""
    name = str(WEEKDAY_LABELS.get(iso_day, iso_day))
    return name.lower() if _lang().startswith("fr") else name


def _weekday_list(days: Iterable[int]) -> str:
    """"lundi, mardi et jeudi"; "du lundi au vendredi" for a run of three days or more."""
    days = sorted(set(days))
    names = [day_name(d) for d in days]
    if len(days) >= 3 and days == list(range(days[0], days[-1] + 1)):
        return _("du %(first)s au %(last)s", first=names[0], last=names[-1])
    return names[0] if len(names) == 1 else _("%(days)s et %(last)s", days=", ".join(names[:-1]), last=names[-1])


def service_days_text(season: Season) -> str:
    """What the period fields need to know: "Le camion passe du lundi au vendredi ; il ne passe
    pas les jours fermés : 1er mai 2027, 8 mai 2027." (those still to come, five at most)."""
    days = _weekday_list(season.weekdays or range(1, 8))
    closed = sorted(d for d in (season.closed_dates or []) if d >= local_today().isoformat())
    if not closed:
        return _("Le camion passe %(days)s.", days=days)
    shown = ", ".join(local_date(date.fromisoformat(d)) for d in closed[:5])
    if len(closed) > 5:
        shown = _("%(days)s et %(n)s autres", days=shown, n=len(closed) - 5)
    return _("Le camion passe %(days)s ; il ne passe pas les jours fermés : %(closed)s.", days=days, closed=shown)


def no_service_day(season: Season, start: date, end: date) -> str | None:
    """Why a period holds no service day of the season (weekend only, closed days only), or None."""
    weekdays = set(season.weekdays or range(1, 8))
    closed = set(season.closed_dates or [])
    days = [start + timedelta(days=k) for k in range((end - start).days + 1)]
    if any(d.isoweekday() in weekdays and d.isoformat() not in closed for d in days):
        return None
    reasons = []
    off = {d.isoweekday() for d in days if d.isoweekday() not in weekdays}
    if off:
        names = [day_name(d) for d in sorted(off)]
        reasons.append(_("le camion ne circule pas le %(day)s", day=names[0]) if len(names) == 1
                       else _("le camion ne circule ni le %(days)s", days=_(" ni le ").join(names)))
    shut = [local_date(d) for d in days if d.isoweekday() in weekdays][:5]
    if shut:
        reasons.append(_("le %(day)s est un jour fermé", day=shut[0]) if len(shut) == 1
                       else _("le %(days)s sont des jours fermés", days=_(", le ").join(shut)))
    return _("Cette période ne compte aucun jour de passage du camion : %(reasons)s. Il passe %(days)s.",
             reasons=_(" ; ").join(reasons), days=_weekday_list(weekdays))


def date_input(d: date) -> str:
    """"01/03/2027": only a value put back in a date field, in the JJ/MM/AAAA it asks for."""
    return d.strftime("%d/%m/%Y")


def format_minutes(minutes: int | None) -> str:
    """"09:30": only the value put back in a time field, in the format it asks for."""
    if minutes is None:
        return ""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def duration_text(minutes: int) -> str:
    return formats.minutes_text(minutes, _lang())


def equipment_text(equipment: list[str] | tuple[str, ...]) -> str:
    """"ordinateurs portables, tablettes" in the visitor's language (a name the catalogue does
    not know is shown as it is)."""
    return ", ".join(_(EQUIPMENT[e]) if e in EQUIPMENT else e for e in equipment) or _("aucun")


def activity_descriptions(activities: list[Any]) -> dict[int, str]:
    """What the form says under each activity: its usual length and the equipment it needs."""
    return {
        a.id: _("durée habituelle %(duration)s ; matériel : %(equipment)s", duration=duration_text(a.duration_minutes),
                equipment=equipment_text(a.equipment or []))
        for a in activities
    }


# Fields -----------------------------------------------------------------------------------


class _BoundedText:
    """A text cleaned of control characters and at most ``max_length`` long; ``required``
    gives the French message when it is empty. Mixed in before a WTForms text field."""

    multiline = False
    extra_render_kw: dict[str, Any] = {}

    def __init__(self, label: str, *, max_length: int, required: str | None = None, **kwargs: Any) -> None:
        render_kw = {"maxlength": max_length, **self.extra_render_kw, **kwargs.pop("render_kw", {})}
        super().__init__(label, render_kw=render_kw, **kwargs)
        self.max_length = max_length
        self.required_message = required

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = clean_text(valuelist[0], multiline=self.multiline) if valuelist else ""

    def pre_validate(self, form: Any) -> None:
        if self.required_message and not self.data:
            raise ValidationError(str(self.required_message))
        if len(self.data or "") > self.max_length:
            raise ValidationError(_("Ce texte est trop long : %(n)s caractères au plus.", n=self.max_length))


class TextField(_BoundedText, StringField):
    """A single-line text, cleaned and bounded; ``required`` gives the French message."""


class LongTextField(_BoundedText, TextAreaField):
    """Several lines of text (line ends kept), cleaned and bounded."""

    multiline = True
    extra_render_kw = {"rows": 4}


class TypedTextField(StringField):
    """A value typed as text and read into a Python value by :meth:`parse`.

    What was typed is kept (``raw``) so a value that does not parse is shown back
    with its message next to the field, instead of being silently emptied.
    """

    max_raw = 40

    def __init__(self, label: str, **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.raw = ""
        self.parse_error = ""

    def parse(self, raw: str) -> Any:
        """The value of non-empty ``raw``; a ValueError's message is shown to the user."""
        raise NotImplementedError

    def show(self, value: Any) -> str:
        return str(value)

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.raw = clean_text(valuelist[0])[: self.max_raw] if valuelist else ""
        self.data = None
        self.parse_error = ""
        if self.raw:
            try:
                self.data = self.parse(self.raw)
            except ValueError as e:
                self.parse_error = str(e)

    def pre_validate(self, form: Any) -> None:
        if self.parse_error:
            raise ValidationError(self.parse_error)

    def _value(self) -> str:
        return self.show(self.data) if self.data is not None else self.raw or ""


class FrDateField(TypedTextField):
    """A date from ``<input type=date>`` (AAAA-MM-JJ) or typed as JJ/MM/AAAA."""

    def __init__(self, label: str, **kwargs: Any) -> None:
        super().__init__(label, render_kw={"type": "date", **kwargs.pop("render_kw", {})}, **kwargs)

    def parse(self, raw: str) -> date:
        m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", raw)
        try:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1))) if m else date.fromisoformat(raw)
        except ValueError:
            raise ValueError(_("Ce n'est pas une date : écrivez-la JJ/MM/AAAA (par exemple 14/03/2027).")) from None

    def show(self, value: date) -> str:
        return value.isoformat()


class TimeOfDayField(TypedTextField):
    """An hour as HH:MM (``<input type=time>``), kept as minutes after midnight."""

    max_raw = 20

    def __init__(self, label: str, **kwargs: Any) -> None:
        super().__init__(label, render_kw={"type": "time", **kwargs.pop("render_kw", {})}, **kwargs)

    def parse(self, raw: str) -> int:
        m = re.fullmatch(r"(\d{1,2})(?:\s*[:hH]\s*(\d{2})?)?", raw)
        hours, minutes = (int(m.group(1)), int(m.group(2) or 0)) if m else (99, 0)
        if hours > 24 or minutes > 59 or (hours == 24 and minutes):
            raise ValueError(_("Ce n'est pas une heure : écrivez-la HH:MM (par exemple 09:30)."))
        return hours * 60 + minutes

    def show(self, value: int) -> str:
        return format_minutes(value)


class WholeNumberField(TypedTextField):
    max_raw = 30

    def __init__(self, label: str, *, minimum: int, maximum: int, required: str | None = None, **kwargs: Any) -> None:
        render_kw = {"inputmode": "numeric", "type": "number", "min": minimum, "max": maximum}
        super().__init__(label, render_kw={**render_kw, **kwargs.pop("render_kw", {})}, **kwargs)
        self.minimum, self.maximum = minimum, maximum
        self.required_message = required

    def parse(self, raw: str) -> int:
        compact = raw.replace(" ", "").replace("\u202f", "").replace("\xa0", "")
        if not re.fullmatch(r"-?\d{1,9}", compact):
            raise ValueError(_("Indiquez un nombre entier (sans lettres ni virgule)."))
        return int(compact)

    def pre_validate(self, form: Any) -> None:
        super().pre_validate(form)
        if self.data is None:
            if self.required_message:
                raise ValidationError(str(self.required_message))
            return
        if not self.minimum <= self.data <= self.maximum:
            raise ValidationError(_("Indiquez un nombre entre %(lo)s et %(hi)s.", lo=self.minimum, hi=self.maximum))


def options(pairs: Any) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices (plain tuples are deprecated in WTForms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]


def int_or_none(value: Any) -> int | None:
    """Coercion of select/radio values that never raises (WTForms' own error is in English)."""
    if isinstance(value, int):
        return value
    try:
        return int(str(value)[:12])
    except (TypeError, ValueError):
        return None


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, label: str, *, invalid: str = _l("Choisissez parmi les jours proposés."), **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.invalid_message = invalid

    def pre_validate(self, form: Any) -> None:
        allowed = {str(value) for value, *_ in self.iter_choices()}
        if any(str(v) not in allowed for v in self.data or []):
            raise ValidationError(str(self.invalid_message))

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            self.data = [self.coerce(v) for v in valuelist[:20]]
        except (TypeError, ValueError):
            self.data = []
            self.process_errors.append(str(self.invalid_message))


class PhoneField(TextField):
    def pre_validate(self, form: Any) -> None:
        super().pre_validate(form)
        if not self.data:
            return
        normalised = french_phone(self.data)
        if normalised is None:
            raise ValidationError(_(PHONE_ERROR))
        self.data = normalised


class EmailTextField(TextField):
    def __init__(self, label: str, **kwargs: Any) -> None:
        super().__init__(label, render_kw={"type": "email", "autocomplete": "email"}, **kwargs)

    def pre_validate(self, form: Any) -> None:
        super().pre_validate(form)
        if self.data and not valid_email(self.data):
            raise ValidationError(_(EMAIL_ERROR))


class RhythmNumberField(WholeNumberField):
    """A number only some kinds of rhythm use: for the others it is ignored, whatever was
    typed in it (without JavaScript every rhythm field is on the page)."""

    def __init__(self, label: str, *, kinds: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.kinds = kinds

    def used(self, form: Any) -> bool:
        return form.rhythm.data in self.kinds

    def pre_validate(self, form: Any) -> None:
        if self.used(form):
            super().pre_validate(form)

    def acceptable(self, form: Any) -> bool:
        """What :meth:`pre_validate` will say, before it runs (fields check in page order)."""
        if not self.used(form):
            return True
        if self.parse_error or self.errors:
            return False
        if self.data is None:
            return not self.required_message
        return self.minimum <= self.data <= self.maximum


_MAX_N = rh.MAX_OCCURRENCES
_PUBLIC_KINDS = ("single", "cycle", "round")
#: The hints say the limits the fields and the API enforce (web.requests.rh.LIMITS).
RHYTHM_HINTS = {
    "rhythm": _l("Un cycle : les mêmes personnes reviennent chaque semaine (ou toutes les 2, 3… semaines), "
                 "le même jour à la même heure. Une tournée régulière : le camion repasse à intervalle fixe, "
                 "à quelques jours près."),
    "occurrences": _l("Pour un cycle ou une tournée : de 2 à %(n)s.", n=_MAX_N),
    "every_weeks": _l("Pour un cycle ou une tournée : 1 = chaque semaine, 2 = toutes les deux semaines… "
                      "(%(n)s au plus).", n=rh.MAX_WEEKS),
    "margin_days": _l("Pour une tournée seulement : 0 = toujours le même jour de la semaine ; "
                      "%(n)s jours au plus.", n=rh.MAX_MARGIN_DAYS),
    "min_days_between": f"Pour des passages espacés seulement : de 0 à {rh.LIMITS['min_days_between'][1]}.",
}


# Forms ------------------------------------------------------------------------------------


class PeriodForm(Form):
    start = FrDateField(_l("Du"))
    end = FrDateField(_l("Au"))


class ErrorSummaryMixin:
    """``error_items()``: every error as (id of the field, "Label : message"), in page order,
    for the summary at the top of the form (each item links to its field)."""

    def error_items(self) -> list[tuple[str, str]]:
        items: list[tuple[str, str]] = []
        for f in self:  # type: ignore[attr-defined]
            if f.type in ("CSRFTokenField", "HiddenField", "SubmitField"):
                continue
            if f.type == "FieldList":
                for i, entry in enumerate(f.entries):
                    for sub in entry.form:
                        for e in sub.errors:
                            items.append((sub.id, _("Période %(n)s, %(end)s : %(error)s", n=i + 1,
                                                             end=_PERIOD_END_NAMES[sub.short_name], error=e)))
                first = f.entries[0].form.start.id if f.entries else f.id
                items += [(first, _("Périodes : %(error)s", error=e)) for e in f.errors if isinstance(e, str) and e]
                continue
            target = f.id
            if f.type in ("RadioField", "MultiCheckboxField") and f.choices:
                target = f"{f.id}-0"
            items += [(target, _("%(label)s : %(error)s", label=f.label.text, error=e))
                      for e in f.errors if isinstance(e, str) and e]
        return items


class _SeasonAndActivity:
    """A form whose ``season`` and ``activity`` are picked among the ones given, with the
    weekdays any of those seasons serves."""

    def _offer(self, seasons: list[Season], activities: list[Activity], season_label: Callable[[Season], str]) -> None:
        self.seasons = {s.id: s for s in seasons}
        self.activities = {a.id: a for a in activities}
        if self.season is not None:  # a change of a request keeps its season (ChangeForm)
            self.season.choices = options((s.id, season_label(s)) for s in seasons)
        self.activity.choices = options((a.id, a.name) for a in activities)
        days = sorted({d for s in seasons for d in (s.weekdays or [])}) or list(range(1, 8))
        self.weekdays.choices = options((d, WEEKDAY_LABELS[d]) for d in days)

    @property
    def chosen_season(self) -> Season | None:
        return self.seasons.get(self.season.data) if isinstance(self.season.data, int) else None

    @property
    def chosen_activity(self) -> Activity | None:
        return self.activities.get(self.activity.data) if isinstance(self.activity.data, int) else None


class _VisitHours:
    """Arrival (``earliest_start``) before departure (``latest_end``), refused on the departure
    field with ``hours_order_message``."""

    hours_order_message: Any = "L'heure de départ doit être après l'heure d'arrivée."

    def _window_minutes(self, field: Field) -> int | None:
        """Minutes from arrival to departure once both are read (None until then)."""
        start, end = self.earliest_start.data, field.data
        if start is None or end is None or self.earliest_start.errors:
            return None
        if end <= start:
            raise ValidationError(str(self.hours_order_message))
        return end - start


class RequestForm(_SeasonAndActivity, _VisitHours, ErrorSummaryMixin, FlaskForm):
    hours_order_message = _l("L'heure de départ doit être après l'heure d'arrivée.")

    season = SelectField(_l("Saison"), coerce=int_or_none, validate_choice=False)
    commune = TextField(
        _l("Commune"),
        max_length=200,
        required=_l("Indiquez la commune : son nom, son code postal ou son code INSEE."),
        render_kw={"list": "communes-suggestions", "autocomplete": "off", "spellcheck": "false"},
    )
    commune_choice = RadioField(_l("Précisez la commune"), validate_choice=False)
    structure_kind = SelectField(
        _l("Type de structure"),
        choices=options((k, STRUCTURE_LABELS[k]) for k in STRUCTURE_KINDS),
        default="mairie",
        validate_choice=False,
    )
    structure_name = TextField(_l("Nom de la structure"), max_length=max_length("structure_name"))
    contact_name = TextField(
        _l("Personne à contacter"),
        max_length=max_length("contact_name"),
        required=_l("Indiquez le nom de la personne à contacter."),
        render_kw={"autocomplete": "name"},
    )
    email = EmailTextField(_l("Adresse e-mail"), max_length=max_length("email"),
                           required=_l("Indiquez une adresse e-mail."))
    phone = PhoneField(
        _l("Téléphone"),
        max_length=max_length("phone"),
        required=_l("Indiquez un numéro de téléphone."),
        render_kw={"type": "tel", "autocomplete": "tel"},
    )
    activity = RadioField(_l("Activité souhaitée"), coerce=int_or_none, validate_choice=False)
    periods = FieldList(FormField(PeriodForm), min_entries=1, max_entries=MAX_PERIODS)
    add_period = SubmitField(_l("+ Ajouter une période"))
    weekdays = MultiCheckboxField(_l("Jours où le lieu peut accueillir le camion"), coerce=int)
    earliest_start = TimeOfDayField(_l("Arrivée possible à partir de"))
    latest_end = TimeOfDayField(_l("Départ au plus tard à"))
    rhythm = RadioField(
        _l("Rythme des visites"),
        choices=options((k, rh.KIND_LABELS[k]) for k in _PUBLIC_KINDS),
        default="single",
        validate_choice=False,
    )
    occurrences = RhythmNumberField(
        _l("Nombre de séances ou de passages"),
        kinds=("cycle", "round", "spaced"),
        minimum=2,
        maximum=_MAX_N,
        required=_l("Indiquez le nombre de séances ou de passages (de 2 à %(n)s).", n=_MAX_N),
    )
    every_weeks = RhythmNumberField(
        _l("Toutes les combien de semaines"),
        kinds=("cycle", "round"),
        minimum=1,
        maximum=rh.MAX_WEEKS,
        default=1,
        required=_l("Indiquez toutes les combien de semaines (1 = chaque semaine)."),
    )
    margin_days = RhythmNumberField(
        _l("À combien de jours près"), kinds=("round",), minimum=0, maximum=rh.MAX_MARGIN_DAYS, default=0
    )
    expected_attendees = WholeNumberField(_l("Nombre de participants attendus"), **bounds("expected_attendees"))
    venue_kind = RadioField(
        _l("Lieu de stationnement"),
        choices=options([("mairie", _l("Devant la mairie")), ("autre", _l("À une autre adresse"))]),
        default="mairie",
        validate_choice=False,
    )
    venue_label = TextField(_l("Nom du lieu"), max_length=max_length("venue_label"))
    venue_address = TextField(_l("Adresse du lieu"), max_length=max_length("venue_address"),
                              render_kw={"autocomplete": "street-address"})
    notes = LongTextField(_l("Remarques"), max_length=max_length("notes"))
    # Honeypot: hidden from people by CSS (and from assistive technology), robots fill it.
    website = StringField(_l("Ne pas remplir ce champ"), render_kw={"autocomplete": "off", "tabindex": "-1"})
    submit = SubmitField(_l("Envoyer la demande"))

    def __init__(self, *args: Any, seasons: list[Season], activities: list[Activity], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._offer(seasons, activities, lambda s: _("%(name)s (du %(start)s au %(end)s)", name=s.name,
                                                     start=local_date(s.start), end=local_date(s.end)))
        if self.season is not None and len(seasons) == 1 and not self.season.data:
            self.season.data = seasons[0].id
        self.commune_obj: Commune | None = None
        self.commune_candidates: list[CommuneHit] = []
        if self.commune_choice is not None:
            self.commune_choice.choices = []

    # What the submit buttons asked for
    def wants_more_periods(self) -> bool:
        return bool(self.add_period.data) and len(self.periods) < MAX_PERIODS

    def is_robot(self) -> bool:
        return bool((self.website.data or "").strip())

    # Cross-field validation, each message attached to the field it is about -------------------
    def validate_season(self, field: Field) -> None:
        if self.chosen_season is None:
            raise ValidationError(_("Choisissez la saison."))

    def validate_commune(self, field: Field) -> None:
        if not field.data:
            return
        choice = clean_text(self.commune_choice.data)[:10] if self.commune_choice.data else ""
        commune, candidates = resolve_commune(field.data)
        if commune is None and choice and choice in {c.insee for c in candidates}:
            from web.extensions import db

            commune = db.session.get(Commune, choice)
        if commune is not None:
            self.commune_obj = commune
            return
        self.commune_candidates = candidates[:10]
        self.commune_choice.choices = options((c.insee, c.label) for c in self.commune_candidates)
        if candidates:
            raise ValidationError(_("Plusieurs communes correspondent : choisissez la vôtre dans la liste ci-dessous."))
        raise ValidationError(_("Aucune commune ne correspond : vérifiez l'orthographe ou indiquez le code postal."))

    def validate_activity(self, field: Field) -> None:
        if self.chosen_activity is None:
            raise ValidationError(_("Choisissez une activité."))

    def validate_periods(self, field: Field) -> None:
        filled = 0
        for entry in field.entries:
            sub = entry.form
            if sub.start.errors or sub.end.errors:
                filled += 1
                continue
            if sub.start.data is None and sub.end.data is None:
                continue
            filled += 1
            self._check_period(sub)
        if filled == 0:
            raise ValidationError(_("Indiquez au moins une période (date de début et date de fin)."))
        if any(e.form.start.errors or e.form.end.errors for e in field.entries):
            # Each message sits next to its date; this makes the form invalid as a whole.
            raise ValidationError("")

    def _check_period(self, sub: Any) -> None:
        """One filled-in period: each message goes next to the date it is about."""
        start, end = sub.start.data, sub.end.data
        if start is None:
            sub.start.errors.append(_("Indiquez le début de cette période."))
            return
        if end is None:
            sub.end.errors.append(_("Indiquez la fin de cette période."))
            return
        if end < start:
            sub.end.errors.append(_("La période finit le %(end)s, avant de commencer le %(start)s.",
                                    end=local_date(end), start=local_date(start)))
            return
        season = self.chosen_season
        if season is not None:
            for sf, d in ((sub.start, start), (sub.end, end)):
                if not season.start <= d <= season.end:
                    sf.errors.append(_("Le %(day)s est en dehors de la saison (du %(start)s au %(end)s).",
                                       day=local_date(d), start=local_date(season.start),
                                       end=local_date(season.end)))
        if end < local_today() and not sub.end.errors:
            sub.end.errors.append(_("Cette période est déjà passée."))
        if season is not None and not sub.start.errors and not sub.end.errors:
            why = no_service_day(season, start, end)
            if why:
                sub.end.errors.append(why)

    def validate_weekdays(self, field: Field) -> None:
        season = self.chosen_season
        if season is not None and field.data:
            outside = [d for d in field.data if d not in (season.weekdays or [])]
            if outside:
                names = ", ".join(day_name(d) for d in outside)
                raise ValidationError(_("Le camion ne circule pas le %(days)s pendant cette saison.", days=names))

    def validate_latest_end(self, field: Field) -> None:
        minutes, activity = self._window_minutes(field), self.chosen_activity
        if minutes is not None and activity is not None and minutes < activity.duration_minutes:
            raise ValidationError(_("Ce créneau est plus court que l'activité choisie (%(duration)s).",
                                    duration=duration_text(activity.duration_minutes)))

    def validate_rhythm(self, field: Field) -> None:
        if field.data not in {c.value for c in field.choices}:
            raise ValidationError(_("Choisissez le rythme des visites."))

    def chosen_rhythm(self) -> rh.Rhythm | None:
        """The rhythm asked for (None when a number it needs is missing or wrong)."""
        kind = self.rhythm.data
        if kind not in rh.KIND_LABELS:
            return None
        used = [f for f in (self.occurrences, self.every_weeks, self.margin_days, self._min_days()) if f is not None]
        if not all(f.acceptable(self) for f in used):
            return None
        min_days = self._min_days()
        return rh.Rhythm(
            kind,
            occurrences=self.occurrences.data or 1,
            weeks=self.every_weeks.data or 1,
            margin_days=self.margin_days.data or 0,
            min_days=(min_days.data or 0) if min_days is not None else 0,
        )

    def _min_days(self) -> RhythmNumberField | None:
        return None

    def validate_occurrences(self, field: Field) -> None:
        # The series must fit the periods asked for (checked once the other fields are).
        season, chosen = self.chosen_season, self.chosen_rhythm()
        if field.errors or season is None or chosen is None or chosen.kind in ("single", "custom"):
            return
        periods = self._periods()
        if periods is None:
            return
        why = rh.fit_problem(rh.rhythm_fields(chosen), periods or [
            {"start": season.start.isoformat(), "end": season.end.isoformat()}
        ], sorted(set(self.weekdays.data or [])) or None, season.weekdays or [], season.closed_dates or [])
        if why:
            raise ValidationError(why[0].upper() + why[1:] + ".")

    def _periods(self) -> list[dict[str, str]] | None:
        """The periods as stored, or None while one of them has an error."""
        if any(e.form.start.errors or e.form.end.errors for e in self.periods.entries) or self.periods.errors:
            return None
        return [
            {"start": e.form.start.data.isoformat(), "end": e.form.end.data.isoformat()}
            for e in self.periods.entries
            if e.form.start.data and e.form.end.data
        ]

    @staticmethod
    def initial_data(req: Any) -> dict[str, Any]:
        """The form's values for an existing request (or what reads like one: see
        :class:`web.requests.changes.Proposal`)."""
        commune = req.commune
        hit = CommuneHit.of(commune)
        # Requests stored before names took their article say "Mairie de Les Laubies".
        townhall = req.venue_lat is None and req.venue_label in ("", commune.townhall, f"Mairie de {commune.name}")
        periods = []
        for p in req.periods or []:
            try:
                periods.append({"start": date.fromisoformat(p["start"]), "end": date.fromisoformat(p["end"])})
            except (KeyError, TypeError, ValueError):
                continue
        return {
            "season": req.season_id,
            "commune": hit.label,
            "structure_kind": req.structure_kind,
            "structure_name": req.structure_name,
            "contact_name": req.contact_name,
            "email": req.email,
            "phone": req.phone,
            "activity": req.activity_id,
            "periods": periods or [{}],
            "weekdays": list(req.weekdays or []),
            "earliest_start": req.earliest_start,
            "latest_end": req.latest_end,
            "expected_attendees": req.expected_attendees,
            "venue_kind": "mairie" if townhall else "autre",
            "venue_label": "" if townhall else req.venue_label,
            "venue_address": "" if townhall else req.venue_address,
            "notes": req.notes,
            **RequestForm.rhythm_data(req),
        }

    @staticmethod
    def rhythm_data(req: Any) -> dict[str, Any]:
        """The rhythm fields' values for a stored request (its plain words, see web.requests.rhythm)."""
        fields = {name: getattr(req, name) for name in rh.FIELDS}
        r = rh.classify(fields)
        data: dict[str, Any] = {"rhythm": r.kind, "occurrences": r.occurrences if r.occurrences > 1 else None,
                                "every_weeks": r.weeks, "margin_days": r.margin_days,
                                "min_days_between": r.min_days}
        if r.kind == "custom":
            data["stored_rhythm"] = rh.describe(fields)
        return data

    def validate_venue_label(self, field: Field) -> None:
        if self.venue_kind.data == "autre" and not field.data:
            raise ValidationError(_("Indiquez le nom du lieu (par exemple « Salle des fêtes »)."))

    def validate_venue_address(self, field: Field) -> None:
        if self.venue_kind.data == "autre" and not field.data:
            raise ValidationError(_("Indiquez l'adresse du lieu."))

    def validate_venue_kind(self, field: Field) -> None:
        if field.data not in ("mairie", "autre"):
            raise ValidationError(_("Choisissez où le camion stationnera."))

    def validate_structure_kind(self, field: Field) -> None:
        if field.data not in STRUCTURE_KINDS:
            raise ValidationError(_("Choisissez un type de structure dans la liste."))

    # Output -------------------------------------------------------------------------------------
    def when_and_who(self) -> dict[str, Any]:
        """The fields a commune may also change later (ChangeForm): contact, dates, hours,
        rhythm, remarks (valid form only)."""
        chosen = self.chosen_rhythm()
        fields: dict[str, Any] = {
            "contact_name": self.contact_name.data,
            "email": self.email.data,
            "phone": self.phone.data,
            "periods": self._periods() or [],
            "weekdays": sorted(set(self.weekdays.data)) or None,
            "earliest_start": self.earliest_start.data,
            "latest_end": self.latest_end.data,
            "notes": self.notes.data or "",
        }
        if chosen is not None and chosen.kind != "custom":  # "custom": the rhythm is kept as stored
            fields.update(rh.rhythm_fields(chosen))
        return fields

    def request_fields(self) -> dict[str, Any]:
        """Keyword arguments for :func:`web.requests.operations.create_request` (valid form only)."""
        activity = self.chosen_activity
        assert activity is not None and self.commune_obj is not None
        fields: dict[str, Any] = {
            "structure_kind": self.structure_kind.data,
            "structure_name": self.structure_name.data or "",
            "expected_attendees": self.expected_attendees.data,
            **self.when_and_who(),
        }
        if self.venue_kind.data == "autre":
            fields["venue_label"] = self.venue_label.data
            fields["venue_address"] = self.venue_address.data
        else:
            fields["venue_label"] = self.commune_obj.townhall
            fields["venue_address"] = self.commune_obj.townhall_address or ""
        return fields

    def request_label(self) -> str:
        activity = self.chosen_activity
        assert activity is not None and self.commune_obj is not None
        return activity_label(activity, self.commune_obj)


class CancelForm(FlaskForm):
    submit = SubmitField(_l("Oui, annuler ma demande"))


class ChangeForm(RequestForm):
    """A commune's change to its request (web.requests.changes): the request form's own fields
    and checks for what may change — activity, dates, days, hours, rhythm, remarks, contact —
    plus a message to the team. What names the request (season, commune, structure, place)
    stays; the season is the request's."""

    season = None
    commune = None
    commune_choice = None
    structure_kind = None
    structure_name = None
    venue_kind = None
    venue_label = None
    venue_address = None
    expected_attendees = None
    website = None
    message = LongTextField(_l("Message à l'équipe"), max_length=2000)
    submit = SubmitField(_l("Envoyer la demande de modification"))

    def __init__(self, *args: Any, req: Any, activities: list[Activity], shown: Any = None, **kwargs: Any) -> None:
        """``shown``: the values to start from (the request, or the request with its pending change)."""
        self.fixed_season = req.season
        data = RequestForm.initial_data(shown or req)
        kept = data["rhythm"] not in _PUBLIC_KINDS  # set by the team: kept unless the commune chooses
        if kept:
            data["rhythm"] = "custom"
        super().__init__(*args, seasons=[req.season], activities=activities, data=data, **kwargs)
        if kept:
            fields = {name: getattr(shown or req, name) for name in rh.FIELDS}
            self.rhythm.choices = [*self.rhythm.choices,
                                   SelectChoice("custom", _("Garder le rythme actuel : %(rhythm)s",
                                                            rhythm=rh.describe(fields)))]

    @property
    def chosen_season(self) -> Season | None:
        return self.fixed_season

    def is_robot(self) -> bool:
        return False  # reached by a private link only: no honeypot

    def change_fields(self) -> dict[str, Any]:
        """The values for :func:`web.requests.changes.propose_change` (valid form only)."""
        activity = self.chosen_activity
        assert activity is not None
        return {**self.when_and_who(), "activity_id": activity.id}


class WithdrawChangeForm(FlaskForm):
    submit = SubmitField(_l("Retirer ma demande de modification"))


class AcceptChangeForm(FlaskForm):
    submit = SubmitField("Accepter la modification")


class RefuseChangeForm(FlaskForm):
    """The team's refusal of a commune's change; prefixed by the change's id (several on a page)."""

    reason = LongTextField("Motif du refus de la modification (visible par la commune)", max_length=2000,
                           required="Indiquez le motif du refus de la modification.")
    submit = SubmitField("Refuser la modification")


class OperatorRequestForm(RequestForm):
    """The operator's edit: the public form's fields and checks, plus what only the team sets."""

    hours_order_message = _VisitHours.hours_order_message

    priority = WholeNumberField(
        "Priorité", **bounds("priority"), required=f"Indiquez une priorité ({priority_hint()})",
        description=priority_hint(),
    )
    duration_minutes = WholeNumberField(
        "Durée de la visite (minutes)", **bounds("duration_minutes"), required="Indiquez la durée en minutes."
    )
    min_days_between = RhythmNumberField(
        "Jours au moins entre deux passages",
        kinds=("spaced",),
        minimum=0,
        maximum=limits("min_days_between")[1],
        required="Indiquez le nombre de jours au moins entre deux passages (0 si peu importe).",
    )
    required_visit = RadioField(
        "Visite obligatoire",
        choices=options([("non", "Non"), ("oui", "Oui : le planning doit la servir")]),
        default="non",
        validate_choice=False,
    )
    submit = SubmitField("Enregistrer les modifications")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kinds = [(k, rh.KIND_LABELS[k]) for k in ("single", "cycle", "round", "spaced")]
        stored = (kwargs.get("data") or {}).get("stored_rhythm")
        if stored:
            # A rhythm set through the API that no choice says: offered as it is, kept if chosen.
            kinds.append(("custom", f"Garder le rythme actuel : {stored}"))
        self.rhythm.choices = options(kinds)

    def _min_days(self) -> RhythmNumberField | None:
        return self.min_days_between

    def validate_latest_end(self, field: Field) -> None:
        # The window must hold the duration the operator set, not the activity's usual one.
        minutes, duration = self._window_minutes(field), self.duration_minutes.data
        if minutes is not None and isinstance(duration, int) and minutes < duration:
            raise ValidationError(f"Ce créneau est plus court que la visite ({duration_text(duration)}).")

    def request_fields(self) -> dict[str, Any]:
        fields = super().request_fields()
        fields.update(
            priority=self.priority.data,
            duration_minutes=self.duration_minutes.data,
            required=self.required_visit.data == "oui",
        )
        return fields

    @staticmethod
    def initial_data(req: Any) -> dict[str, Any]:
        """The form's values for an existing request."""
        return {
            **RequestForm.initial_data(req),
            "priority": req.priority,
            "duration_minutes": req.duration_minutes,
            "required_visit": "oui" if req.required else "non",
        }


class DeclineForm(FlaskForm):
    reason = LongTextField(
        "Motif du refus (visible par la commune)", max_length=2000, required="Indiquez le motif du refus."
    )
    submit = SubmitField("Refuser la demande")


class StatusForm(FlaskForm):
    """Accept, reopen, cancel...: the target status comes from the button pressed."""

    to_status = StringField()
    note = LongTextField("Note (facultative)", max_length=2000)
    submit = SubmitField("Valider")

    def validate_to_status(self, field: Field) -> None:
        # These two need a reason, asked by their own forms.
        to_status = (field.data or "").strip()[:20]
        if to_status == "declined":
            raise ValidationError("Pour refuser, indiquez le motif dans le formulaire « Refuser ».")
        if to_status == "cancelled":
            raise ValidationError("Pour annuler, passez par « Annuler la demande » : confirmez et indiquez le motif.")


class PriorityForm(FlaskForm):
    priority = WholeNumberField("Priorité", **bounds("priority"), required="Indiquez une priorité.",
                                description=priority_hint())
    submit = SubmitField("Changer la priorité")


class CircuitForm(_SeasonAndActivity, _VisitHours, ErrorSummaryMixin, FlaskForm):
    """A circuit: one request per commune of a list, one activity, one period, one rhythm
    (created by :func:`web.requests.circuit.create_circuit`, all or nothing)."""

    season = SelectField("Saison", coerce=int_or_none, validate_choice=False)
    activity = RadioField("Activité", coerce=int_or_none, validate_choice=False)
    communes = LongTextField(
        "Communes du circuit, une par ligne",
        max_length=3000,
        required="Indiquez les communes du circuit, une par ligne.",
        render_kw={"rows": 8, "spellcheck": "false"},
    )
    start = FrDateField("Du (premier jour)")
    end = FrDateField("Au (dernier jour)")
    weekdays = MultiCheckboxField("Jours où les communes peuvent accueillir le camion", coerce=int)
    earliest_start = TimeOfDayField("Arrivée possible à partir de")
    latest_end = TimeOfDayField("Départ au plus tard à")
    rhythm = RadioField(
        "Rythme dans chaque commune",
        choices=options((k, rh.KIND_LABELS[k]) for k in ("round", "cycle")),
        default="round",
        validate_choice=False,
    )
    occurrences = RhythmNumberField(
        "Nombre de passages dans chaque commune",
        kinds=("cycle", "round"),
        minimum=2,
        maximum=_MAX_N,
        required=f"Indiquez le nombre de passages dans chaque commune (de 2 à {_MAX_N}).",
    )
    every_weeks = RhythmNumberField(
        "Toutes les combien de semaines",
        kinds=("cycle", "round"),
        minimum=1,
        maximum=rh.MAX_WEEKS,
        default=2,
        required="Indiquez toutes les combien de semaines (1 = chaque semaine).",
    )
    margin_days = RhythmNumberField(
        "À combien de jours près", kinds=("round",), minimum=0, maximum=rh.MAX_MARGIN_DAYS, default=0
    )
    submit = SubmitField("Créer les demandes du circuit")

    def __init__(self, *args: Any, seasons: list[Season], activities: list[Activity], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._offer(seasons, activities,
                    lambda s: f"{s.name} (du {format_date_fr(s.start)} au {format_date_fr(s.end)})")
        self.commune_list: list[Commune] = []

    chosen_rhythm = RequestForm.chosen_rhythm
    validate_rhythm = RequestForm.validate_rhythm

    def _min_days(self) -> RhythmNumberField | None:
        return None

    def validate_season(self, field: Field) -> None:
        if self.chosen_season is None:
            raise ValidationError("Choisissez la saison.")

    def validate_activity(self, field: Field) -> None:
        if self.chosen_activity is None:
            raise ValidationError("Choisissez une activité.")

    def validate_communes(self, field: Field) -> None:
        from web.requests.circuit import resolve_lines

        if not field.data:
            return
        self.commune_list, problems = resolve_lines(field.data)
        if problems:
            text = " ; ".join(str(p) for p in problems)
            raise ValidationError(text[0].upper() + text[1:] + ".")
        if len(self.commune_list) < 2:
            raise ValidationError("Un circuit passe par deux communes au moins.")

    def validate_start(self, field: Field) -> None:
        if field.data is None and not field.errors:
            raise ValidationError("Indiquez le premier jour de la période.")
        season = self.chosen_season
        if season is not None and field.data is not None and not season.start <= field.data <= season.end:
            raise ValidationError(f"Le {format_date_fr(field.data)} est en dehors de la saison "
                                  f"(du {format_date_fr(season.start)} au {format_date_fr(season.end)}).")

    def validate_end(self, field: Field) -> None:
        start = self.start.data
        if field.data is None and not field.errors:
            raise ValidationError("Indiquez le dernier jour de la période.")
        if field.data is None or start is None:
            return
        if field.data < start:
            raise ValidationError(f"La période finit le {format_date_fr(field.data)}, avant de commencer "
                                  f"le {format_date_fr(start)}.")
        season = self.chosen_season
        if season is not None and not season.start <= field.data <= season.end:
            raise ValidationError(f"Le {format_date_fr(field.data)} est en dehors de la saison "
                                  f"(du {format_date_fr(season.start)} au {format_date_fr(season.end)}).")
        why = no_service_day(season, start, field.data) if season is not None and not self.start.errors else None
        if why:
            raise ValidationError(why)

    def validate_latest_end(self, field: Field) -> None:
        self._window_minutes(field)

    def validate_margin_days(self, field: Field) -> None:
        # Checked last of the rhythm: the whole series must fit the period (same for every commune).
        season, chosen = self.chosen_season, self.chosen_rhythm()
        if season is None or chosen is None or self.start.errors or self.end.errors or not self.start.data \
                or not self.end.data:
            return
        why = rh.fit_problem(rh.rhythm_fields(chosen), self._periods(), sorted(set(self.weekdays.data or [])) or None,
                             season.weekdays or [], season.closed_dates or [])
        if why:
            self.occurrences.errors.append(why[0].upper() + why[1:] + ".")
            raise ValidationError("")

    def _periods(self) -> list[dict[str, str]]:
        return [{"start": self.start.data.isoformat(), "end": self.end.data.isoformat()}]

    def request_fields(self) -> dict[str, Any]:
        """Keyword arguments of every request of the circuit (valid form only)."""
        chosen = self.chosen_rhythm()
        assert chosen is not None
        return {
            "periods": self._periods(),
            "weekdays": sorted(set(self.weekdays.data)) or None,
            "earliest_start": self.earliest_start.data,
            "latest_end": self.latest_end.data,
            **rh.rhythm_fields(chosen),
        }
