"""What the operator's setup pages (vans in :mod:`web.vans`, seasons in :mod:`web.seasons`,
fixed places in :mod:`web.coverage`) share: their two addresses (create, edit), the record
edited, the posted form's round trip, the confirmation of a change that touches published
visits, the list-of-dates field and how an operations error lands on its field."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from wtforms.validators import ValidationError

from web.auth.decorators import operator_required
from web.auth.forms import csrf_failed
from web.core.errors import OperationError
from web.extensions import db
from web.requests.forms import LongTextField, date_input
from web.tours.models import Visit

EXPIRED = "Le formulaire a expiré. Vérifiez les valeurs et renvoyez-le."


def setup_page[F: Callable[..., Any]](bp: Blueprint, new_path: str, edit_path: str, id_arg: str) -> Callable[[F], F]:
    """Register an operator's setup page: ``new_path`` creates a record (``id_arg`` None),
    ``edit_path`` edits one; both show the form (GET) and take it back (POST)."""

    def register(view: F) -> F:
        guarded = operator_required(view)
        bp.route(edit_path, methods=["GET", "POST"])(guarded)
        bp.route(new_path, methods=["GET", "POST"], defaults={id_arg: None})(guarded)
        return guarded

    return register


def edited[M](model: type[M], record_id: int | None, editable: Callable[[M], bool] = lambda record: True) -> M | None:
    """The record a setup page edits, None when it creates one; 404 when there is no such
    record, or not one the operator edits here."""
    if record_id is None:
        return None
    found = db.session.get(model, record_id)
    if found is None or not editable(found):
        abort(404)
    return found


def page(template: str, form: Any, status: int, errors: list[tuple[str, str]], **context: Any) -> Any:
    page = render_template(template, form=form, errors=errors + form.error_items(), **context)
    return current_app.make_response((page, status))


#: Name of the button that confirms a change touching published visits.
CONFIRM = "confirmer"


def submit(form: Any, save: Callable[[], Any], saved_message: str, endpoint: str, id_arg: str,
            template: str, affected: Callable[[], list[Visit]] | None = None, **context: Any) -> Any:
    """Validate a posted setup form, save it in one transaction and go back to its page.

    A refusal from the operations layer is shown next to the field it names; nothing
    is stored then. When ``affected`` lists published visits the change would put on a
    day without service, nothing is saved either until the operator confirms that very
    list (a closed day is a change of the public tour, never a silent one).
    """
    errors: list[tuple[str, str]] = []
    if form.validate_on_submit():
        touched = affected() if affected is not None else []
        token = confirmation_token(touched)
        if touched and request.form.get(CONFIRM) != token:
            return page(template, form, 200, errors, affected=touched, confirm_token=token, **context)
        try:
            saved = save()
            db.session.commit()
        except OperationError as e:
            db.session.rollback()
            if not form.attach(e.where, e.message):
                errors.append(("", e.message))
            return page(template, form, 422, errors, **context)
        flash(saved_message.format(name=saved.name), "success")
        if touched:
            flash(f"{len(touched)} visite(s) publiée(s) tombent sur un jour sans service : la prochaine "
                  "planification les déplacera (elles ne sont pas annulées). Relisez le brouillon puis "
                  "publiez-le pour prévenir les communes.", "info")
        return redirect(url_for(endpoint, **{id_arg: saved.id}))
    if csrf_failed(form):
        errors.append(("", EXPIRED))
        return page(template, form, 400, errors, **context)
    return page(template, form, 422, errors, **context)


def confirmation_token(visits: Iterable[Visit]) -> str:
    """What the operator confirms: these visits as they are now (another change in between
    asks again)."""
    text = ",".join(f"{v.id}:{v.revision}" for v in sorted(visits, key=lambda v: v.id))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


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
        self.data = "\n".join(date_input(date.fromisoformat(d)) for d in self.dates)

    def pre_validate(self, form: Any) -> None:
        super().pre_validate(form)
        if len(self.line_errors) > 5:
            raise ValidationError(" ".join(self.line_errors[:5]) + f" ({len(self.line_errors) - 5} autres erreurs)")
        if self.line_errors:
            raise ValidationError(" ".join(self.line_errors))

    def set_dates(self, dates: list[str]) -> None:
        self.process_data(dates)


def attach_error(form: Any, where: str, message: str) -> bool:
    """Attach an operations error to its field; False when the field is not on the form."""
    field = getattr(form, where, None)
    if field is None or not hasattr(field, "errors"):
        return False
    if not isinstance(field.errors, list):
        field.errors = list(field.errors)
    field.errors.append(message[0].upper() + message[1:] + ".")
    return True
